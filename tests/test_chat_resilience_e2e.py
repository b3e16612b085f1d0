"""End to end: a chat keeps going when Discord or people do unexpected things around it."""

from __future__ import annotations

import pytest

from bot.clock import Clock
from tests.helpers import BEFORE, bot_post, create_series, play_until_question, slash


@pytest.fixture
def clock() -> Clock:
    return Clock.frozen(BEFORE)


@pytest.mark.parametrize(("status", "meaning"), [(3, "ended by hand"), (4, "cancelled by hand")])
async def test_the_closing_post_goes_out_whatever_became_of_the_discord_event(standin, sample, bot, clock, status,
                                                                               meaning):
    await create_series(standin, sample)
    await play_until_question(standin, sample, clock, 1)
    (event,) = [e for e in sample.guild.scheduled_events.values() if e["status"] == 2]  # the chat started it
    await standin.set_event_status(sample.guild, int(event["id"]), status)

    ended = await slash(standin, sample.host, "chat end", where=sample.channels["chat"])
    assert "Ended #GetRealChat" in ended.text, meaning
    await bot_post(standin, sample, "**That's a wrap")
    assert event["status"] == status  # the bot left alone what it could not move
