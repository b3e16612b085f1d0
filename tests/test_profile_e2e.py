"""End to end: /profile shows a member their journey; moderators may see anyone's; only the owner can share it.

The bot's clock stands still and each test moves it; every step awaits a message or a recorded row.
"""

from __future__ import annotations

from datetime import timedelta

from bot.standin import StandIn
from bot.standin.sample import SampleServer
from tests.helpers import MINUTE, START, bot_post, create_series, move_to, session_id, slash, stored


async def _a_chat(standin: StandIn, sample: SampleServer, bot, clock) -> None:
    """Priya answers twice and Marcus once in a chat that ends; the running month's rows are then refreshed."""
    await create_series(standin, sample)
    chat = sample.channels["chat"]
    move_to(clock, START + 2 * MINUTE)
    await bot_post(standin, sample, "**Q1:**")
    priya, marcus = sample.members[0], sample.members[1]
    await standin.say(priya, chat, "A1: work")
    await standin.say(marcus, chat, "A1: family")
    await standin.say(priya, chat, "A1: and the sea")
    await stored(bot, await session_id(bot), 3)
    await slash(standin, sample.host, "chat end", where=chat)
    move_to(clock, clock.now() + timedelta(seconds=30))
    await bot_post(standin, sample, "**#GetRealChat recap**")
    await bot.progression.close_due(sample.guild.id)  # what the daily refresh does


def _share_id(sample: SampleServer, user) -> str:
    return f"profile-share:{sample.guild.id}:{user.id}"


async def test_a_member_sees_their_own_journey_with_a_share_button(standin, sample, bot, clock):
    await _a_chat(standin, sample, bot, clock)
    priya = sample.members[0]
    reply = await slash(standin, priya, "profile")
    assert reply.ephemeral
    assert reply.text.startswith("Priya's journey\n**Participant**: answered 2 questions\n")
    assert "**participant** → " not in reply.text
    assert "**regular** needs answers in 3 more chats, answers in 1 more calendar month." in reply.text
    assert "1 chat attended · 2 answers · 0 helpful acts · 0 thanks received" in reply.text
    assert "Answered in the latest chat." in reply.text
    assert "**Mar 2026** (so far) · participant · 1 chat, 2 answers" in reply.text
    assert reply.message.custom_ids() == [_share_id(sample, priya)]

    lurker = await slash(standin, sample.members[9], "profile")
    assert lurker.text.startswith("Kwame's journey\n**Lurker**: has not answered a question yet\n")
    assert "No streak yet" in lurker.text


async def test_share_posts_the_profile_publicly_only_when_its_owner_presses_it(standin, sample, bot, clock):
    await _a_chat(standin, sample, bot, clock)
    priya, marcus = sample.members[0], sample.members[1]
    profile = (await slash(standin, priya, "profile")).message
    general = sample.channels["general"]
    public_before = [m for m in standin.bot_messages(general) if not m.flags & 64]

    refused = await (await standin.click(marcus, profile, _share_id(sample, priya))).reply()
    assert refused.ephemeral and refused.text == "Only the member whose profile this is can share it."
    forged = await (await standin.forge_click(sample.moderator, general, _share_id(sample, priya))).reply()
    assert forged.ephemeral and forged.text == "Only the member whose profile this is can share it."
    assert [m for m in standin.bot_messages(general) if not m.flags & 64] == public_before

    shared = await (await standin.click(priya, profile, _share_id(sample, priya))).reply()
    assert not shared.ephemeral and shared.message.channel_id == general.id
    assert shared.text.startswith("Priya's journey\n**Participant**")
    assert not shared.message.pinged_users and not shared.message.pinged_roles and not shared.message.pinged_everyone
    assert shared.message.custom_ids() == []  # nobody else gets a Share button on it


async def test_a_moderator_sees_anyones_profile_without_a_share_button(standin, sample, bot, clock):
    await _a_chat(standin, sample, bot, clock)
    marcus = sample.members[1]
    reply = await slash(standin, sample.moderator, "profile", member=marcus)
    assert reply.ephemeral and reply.text.startswith("Marcus's journey\n**Participant**: answered 1 question\n")
    assert reply.message.custom_ids() == []
    assert not reply.message.pinged_users

    await slash(standin, sample.admin, "config role", kind="moderator", role=sample.roles["helpers"])
    by_role = await slash(standin, sample.helper, "profile", member=marcus)
    assert by_role.text.startswith("Marcus's journey")

    me = sample.guild.members[standin.bot_user.id].user
    a_bot = await slash(standin, sample.moderator, "profile", member=me)
    assert a_bot.ephemeral and a_bot.text.endswith("is a bot: bots have no profile.")


async def test_a_member_asking_for_someone_elses_profile_is_refused(standin, sample, bot, clock):
    await _a_chat(standin, sample, bot, clock)
    refused = await slash(standin, sample.members[1], "profile", member=sample.members[0])
    assert refused.ephemeral
    assert refused.text == "You can see your own profile; only moderators can see someone else's."
    marcus = sample.members[1]
    own = await slash(standin, marcus, "profile", member=marcus)
    assert own.text.startswith("Marcus's journey") and own.message.custom_ids() == [_share_id(sample, marcus)]
