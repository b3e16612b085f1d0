"""End to end: buttons re-check who presses them and where, whatever custom id a client sends."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.running import post_key
from bot.standin import StandIn
from tests.helpers import bot_post, create_series, play_until_question, session_id


def other_server(standin: StandIn):
    """A second server the bot is in, with one member and one channel."""
    owner = standin.add_user("Mallory", account_age=timedelta(days=900))
    guild = standin.add_guild("Elsewhere", owner=owner)
    return guild, owner, standin.add_channel(guild, "lobby")


async def test_a_host_whose_role_was_taken_cannot_confirm_a_delete_they_started(standin, sample, bot, clock):
    await create_series(standin, sample)
    prompt = await (await standin.slash(sample.host, sample.channels["general"], "chat delete")).reply()
    await standin.take_role(sample.guild, sample.host, sample.roles["hosts"])  # the press carries their roles now

    refused = await (await standin.click(sample.host, prompt.message, "chat-delete-confirm")).reply()
    assert refused.ephemeral and "Only hosts can do that" in refused.text
    assert [s.name for s in await bot.storage.series.all(sample.guild.id)] == ["GetRealChat"]


async def test_a_check_in_forged_from_another_server_is_refused(standin, sample, start_bot, clock):
    guild, mallory, lobby = other_server(standin)
    bot = (await start_bot(clock=clock)).bot
    await create_series(standin, sample)
    await play_until_question(standin, sample, clock, 0)
    session = await session_id(bot)

    forged = await (await standin.forge_click(mallory, lobby, f"checkin:{session}")).reply()
    assert forged.ephemeral and "belongs to another server's chat" in forged.text
    assert await bot.storage.activity.checked_in(session) == []


async def test_a_notify_button_forged_from_another_server_is_refused(standin, sample, start_bot, clock):
    guild, mallory, lobby = other_server(standin)
    await start_bot(clock=clock)
    forged = await (await standin.forge_click(mallory, lobby, f"notify:{sample.guild.id}")).reply()
    assert forged.ephemeral and "belongs to another server's reminder" in forged.text


@pytest.mark.parametrize("custom_id", ["newcomers:9999:all:0", "newcomers:14:everyone:0", "newcomers:0:all:0"])
async def test_a_forged_report_page_gets_a_sentence(standin, sample, bot, clock, custom_id):
    forged = await (await standin.forge_click(sample.moderator, sample.channels["general"], custom_id)).reply()
    assert forged.ephemeral and "not one I made" in forged.text


async def test_an_opening_post_button_still_checks_in_members_of_its_own_server(standin, sample, bot, clock):
    await create_series(standin, sample)
    await play_until_question(standin, sample, clock, 0)
    opening = await bot_post(standin, sample, "**Welcome")
    session = await session_id(bot)
    assert (await bot.storage.posts.get(post_key(session, "opening"))).message_id == opening.id
    checked = await (await standin.click(sample.members[0], opening, f"checkin:{session}")).reply()
    assert "You're checked in" in checked.text
    assert await bot.storage.activity.checked_in(session) == [sample.members[0].id]


