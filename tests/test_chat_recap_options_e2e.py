"""End to end: a series can leave the "most answers" list out of its recap (`most_answers` on /chat create and edit).

The bot's clock stands still and each test moves it; every step awaits a message or a recorded row.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.standin import StandIn
from bot.standin.sample import SampleServer
from tests.helpers import MINUTE, START, bot_post, create_series, move_to, session_id, slash, stored


async def _chat_with_answers(standin: StandIn, sample: SampleServer, bot, clock) -> str:
    """Run the series' chat with two answers to Q1, end it, and return the recap's text and its HTML transcript."""
    chat = sample.channels["chat"]
    move_to(clock, START + 2 * MINUTE)
    await bot_post(standin, sample, "**Q1:**")
    await standin.say(sample.members[0], chat, "A1: work")
    await standin.say(sample.members[1], chat, "A1: family")
    await stored(bot, await session_id(bot), 2)
    await slash(standin, sample.host, "chat end", where=chat)
    move_to(clock, clock.now() + timedelta(seconds=30))
    recap = await bot_post(standin, sample, "**#GetRealChat recap**")
    html = next(standin.attachments[int(a["id"])] for a in recap.attachments if a["filename"].endswith(".html"))
    return recap.content + "\n" + html.decode()


@pytest.mark.parametrize("most_answers", [True, False])
async def test_the_recap_lists_most_answers_only_when_the_series_wants_it(standin, sample, bot, clock, most_answers):
    options = {} if most_answers else {"most_answers": False}
    await create_series(standin, sample, **options)
    listing = await slash(standin, sample.members[3], "chat list")
    said = "The recap lists who answered most." if most_answers else "The recap leaves out who answered most."
    assert said in listing.text

    recap = await _chat_with_answers(standin, sample, bot, clock)
    assert "💬 2 messages · 2 answers" in recap  # the figures are there either way
    assert ("**Most answers:**" in recap) is most_answers
    assert ("<dt>Most answers</dt>" in recap) is most_answers


async def test_a_host_turns_most_answers_off_with_chat_edit(standin, sample, bot, clock):
    await create_series(standin, sample)
    edited = await slash(standin, sample.host, "chat edit", most_answers=False)
    assert edited.ephemeral and "The recap leaves out who answered most." in edited.text
    (series,) = await bot.storage.series.all(sample.guild.id)
    assert not series.most_answers

    refused = await slash(standin, sample.members[2], "chat edit", most_answers=True)
    assert refused.ephemeral and refused.text.startswith("Only hosts can do that")
    assert not (await bot.storage.series.all(sample.guild.id))[0].most_answers

    recap = await _chat_with_answers(standin, sample, bot, clock)
    assert "Most answers" not in recap
