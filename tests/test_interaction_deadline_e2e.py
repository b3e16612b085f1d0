"""End to end: on a slow Discord, commands that make calls or move files before replying still answer within
the interaction deadline, because they defer first.

The stand-in enforces a short deadline (0.3 s standing in for Discord's 3 s) and adds 0.2 s to every call, every
uploaded file and every download: one call before the first response fits, two do not.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.standin import StandIn
from tests.helpers import START, bot_post, create_series, move_to, slash


@pytest.fixture
def slow_discord(standin: StandIn):
    """Make Discord slow and the deadline short, for the command under test only."""

    def slow() -> None:
        standin.interaction_deadline_seconds = 0.3
        standin.call_latency_seconds = 0.2

    yield slow
    standin.call_latency_seconds = 0.0


async def test_chat_start_defers_before_its_calls(standin, sample, bot, slow_discord):
    await create_series(standin, sample)
    slow_discord()
    started = await slash(standin, sample.host, "chat start")
    assert started.ephemeral and started.text.startswith("Started **#GetRealChat**"), started.text
    await bot_post(standin, sample, "**Welcome to #GetRealChat!**")


async def test_question_import_defers_before_it_downloads_the_file(standin, sample, bot, slow_discord):
    await create_series(standin, sample)
    slow_discord()
    imported = await slash(standin, sample.host, "chat questions import", file=("week.md", b"First?\nSecond?\n"))
    assert imported.ephemeral and "**Q1:** First?\n**Q2:** Second?" in imported.text, imported.text


async def test_chat_transcript_defers_before_it_uploads_its_files(standin, sample, bot, clock, slow_discord):
    await create_series(standin, sample)
    move_to(clock, START)
    await bot_post(standin, sample, "**Welcome to #GetRealChat!**")
    await slash(standin, sample.host, "chat end", where=sample.channels["chat"])
    move_to(clock, clock.now() + timedelta(seconds=30))
    await bot_post(standin, sample, "**#GetRealChat recap**")

    slow_discord()
    transcript = await slash(standin, sample.members[5], "chat transcript")
    assert transcript.ephemeral and sorted(a["filename"] for a in transcript.message.attachments) == [
        "GetRealChat-2026-03-10.html", "GetRealChat-2026-03-10.md"]


async def test_confirming_a_delete_defers_before_it_retires_the_series_events(standin, sample, bot, slow_discord):
    await create_series(standin, sample)
    prompt = (await slash(standin, sample.host, "chat delete")).message
    slow_discord()
    done = await (await standin.click(sample.host, prompt, "chat-delete-confirm")).reply()
    assert done.kind == "update" and done.text.startswith("Deleted **GetRealChat**"), done.text
    assert done.components == [] and sample.guild.scheduled_events == {}
