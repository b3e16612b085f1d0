"""End to end: admins choose which channels count and the stage thresholds, moderators name leaders (/progression).

Every refusal is one ephemeral sentence, and storage is read afterwards to show nothing was stored.
"""

from __future__ import annotations

import pytest

from bot.domain.progression import DEFAULT_THANKS_EMOJI, Thresholds
from bot.standin import StandIn
from bot.standin.model import PERM_VIEW_CHANNEL, Overwrite
from bot.standin.sample import SampleServer
from bot.storage import ProgressionConfig
from tests.helpers import create_series, slash


@pytest.fixture
async def bot(start_bot, sample, clock):
    """The bot, on a server that also has a role above the bot's own and another bot as a member."""
    founders = sample.standin.add_role(sample.guild, "Founders")
    founders.position = 20  # above the bot's role (10): the bot cannot hand it out
    sample.roles["founders"] = founders
    other_bot = sample.standin.add_user("Carl-bot", bot=True)
    sample.standin.add_member(sample.guild, other_bot)
    sample.members.append(other_bot)
    sample.channels["help"] = sample.standin.add_channel(sample.guild, "help")
    sample.channels["secret"] = sample.standin.add_channel(sample.guild, "secret", overwrites=[
        Overwrite(sample.roles["heartbeat"].id, 0, deny=PERM_VIEW_CHANNEL)])
    return (await start_bot(clock=clock)).bot


def _other_bot(sample: SampleServer):
    return next(m for m in sample.members if m.name == "Carl-bot")


async def _config(bot, sample: SampleServer) -> ProgressionConfig:
    return await bot.storage.progression.config(sample.guild.id)


# -- channels --------------------------------------------------------------------------------------------

async def test_an_admin_adds_lists_and_removes_a_channel(standin: StandIn, sample, bot):
    help_channel = sample.channels["help"]
    added = await slash(standin, sample.admin, "progression channels add", channel=help_channel)
    assert added.ephemeral and added.text == (f"Helpful acts and thanks in <#{help_channel.id}> now count towards "
                                              "progression.")
    assert await bot.storage.progression.channels(sample.guild.id) == [help_channel.id]

    await create_series(standin, sample)
    listing = await slash(standin, sample.admin, "progression channels list")
    assert listing.ephemeral
    assert f"**Chat channels** (always): <#{sample.channels['chat'].id}>" in listing.text
    assert f"**Added:** <#{help_channel.id}>" in listing.text

    removed = await slash(standin, sample.admin, "progression channels remove", channel=help_channel)
    assert removed.ephemeral and removed.text.startswith(f"<#{help_channel.id}> no longer counts")
    assert await bot.storage.progression.channels(sample.guild.id) == []
    empty = await slash(standin, sample.admin, "progression channels list")
    assert "**Added:** none" in empty.text


async def test_channel_mistakes_get_one_sentence_and_change_nothing(standin: StandIn, sample, bot):
    await create_series(standin, sample)
    general = sample.channels["general"]
    chat = await slash(standin, sample.admin, "progression channels add", channel=sample.channels["chat"])
    assert chat.ephemeral and chat.text == (f"<#{sample.channels['chat'].id}> is a chat channel: helping and thanks "
                                            "there count already.")
    assert await bot.storage.progression.channels(sample.guild.id) == []

    await slash(standin, sample.admin, "progression channels add", channel=general)
    again = await slash(standin, sample.admin, "progression channels add", channel=general)
    assert again.ephemeral and again.text.startswith(f"<#{general.id}> counts already")
    missing = await slash(standin, sample.admin, "progression channels remove", channel=sample.channels["welcome"])
    assert missing.ephemeral and missing.text.startswith(f"<#{sample.channels['welcome'].id}> was not added")
    assert await bot.storage.progression.channels(sample.guild.id) == [general.id]


async def test_a_channel_the_bot_cannot_read_is_added_with_a_warning(standin: StandIn, sample, bot):
    secret = sample.channels["secret"]
    added = await slash(standin, sample.admin, "progression channels add", channel=secret)
    assert added.ephemeral and added.text.endswith(
        f"I lack Read Messages, Read Message History in <#{secret.id}>: grant them there, or nothing said there "
        "can count.")
    assert await bot.storage.progression.channels(sample.guild.id) == [secret.id]


@pytest.mark.parametrize("command", ["progression channels add", "progression channels remove",
                                     "progression channels list"])
async def test_channel_commands_refuse_members_who_are_not_admins(standin: StandIn, sample, bot, command):
    help_channel = sample.channels["help"]
    await bot.storage.progression.add_channel(sample.guild.id, sample.channels["general"].id, by=1,
                                              at=bot.clock())
    options = {} if command.endswith("list") else {"channel": help_channel}
    for who in (sample.members[0], sample.moderator):
        refused = await slash(standin, who, command, **options)
        assert refused.ephemeral and refused.text.startswith("Only members with the Manage Server permission")
    assert await bot.storage.progression.channels(sample.guild.id) == [sample.channels["general"].id]


async def _acts(bot, message) -> list[tuple[str, int]]:
    """The acts recorded for a message, once it has been judged and committed."""
    async def judged():
        if bot.chats.capture.acts.remembered(message.id) is None:
            return None
        await bot.chats.ingest.flush()
        return ([(a.kind, a.target_user_id) for a in await bot.storage.acts.of_message(message.id)],)
    return (await bot.chats.wait_for(judged))[0]


async def test_thanks_in_a_channel_count_while_it_is_added_in_the_servers_own_words(standin, sample, bot):
    await create_series(standin, sample)
    help_channel, chat, (kai, mei) = sample.channels["help"], sample.channels["chat"], sample.members[:2]
    await slash(standin, sample.admin, "progression channels add", channel=help_channel)
    await slash(standin, sample.admin, "progression settings", thanks_words="merci, gracias")
    tip = await standin.say(mei, help_channel, "The ferry is cheaper before 8.")
    merci = await standin.say(kai, help_channel, "merci!", reply_to=tip)
    assert await _acts(bot, merci) == [("thanks", mei.id)]

    await slash(standin, sample.admin, "progression channels remove", channel=help_channel)
    later = await standin.say(kai, help_channel, "gracias", reply_to=tip)
    marker = await standin.say(kai, chat, f"gracias <@{mei.id}>")
    assert await _acts(bot, marker) == [("thanks", mei.id)]  # the chat channel's message, judged after the other
    assert bot.chats.capture.acts.remembered(later.id) is None
    assert await bot.storage.acts.of_message(later.id) == []


# -- settings --------------------------------------------------------------------------------------------

async def test_settings_with_no_options_show_every_threshold_recognition_and_the_stage_table(standin, sample, bot):
    shown = await slash(standin, sample.admin, "progression settings")
    assert shown.ephemeral
    for name in ("window_days", "participant_answers", "regular_chats", "regular_months", "helper_acts",
                 "helper_people", "helper_thanked_by", "leader_helper_months", "keep_percent", "thanks_emoji",
                 "thanks_words"):
        assert f"`{name}`" in shown.text, name
    assert "**Role on reaching helper or leader:** none" in shown.text
    assert "**Congratulate in the chat channel:** no" in shown.text
    assert "Over the last 90 days:" in shown.text
    assert "**regular**: answered in at least 4 chats, spread over at least 2 calendar months" in shown.text
    assert "🙏 ❤️ 💯" in shown.text
    assert await _config(bot, sample) == ProgressionConfig(sample.guild.id)  # showing stores nothing


async def test_an_admin_changes_thresholds_thanks_and_recognition_in_one_go(standin, sample, bot):
    helpers = sample.roles["helpers"]
    saved = await slash(standin, sample.admin, "progression settings", regular_chats=6, window_days=120,
                        thanks_emoji="🙏, 🎉  <:kudos:123456789012345678>", thanks_words="cheers, much obliged",
                        role=helpers, congratulate=True)
    assert saved.ephemeral and saved.text.startswith("Saved.")
    assert "**regular**: answered in at least 6 chats" in saved.text and "Over the last 120 days:" in saved.text
    assert f"<@&{helpers.id}>" in saved.text and not saved.message.pinged_roles
    config = await _config(bot, sample)
    assert config.thresholds == Thresholds(regular_chats=6, window_days=120,
                                           thanks_emoji=("🙏", "🎉", "<:kudos:123456789012345678>"),
                                           thanks_words=("cheers", "much obliged"))
    assert (config.role_id, config.congratulate) == (helpers.id, True)

    restored = await slash(standin, sample.admin, "progression settings", thanks_emoji="default",
                           thanks_words="default", no_role=True)
    assert restored.text.startswith("Saved.")
    config = await _config(bot, sample)
    assert (config.thresholds.thanks_emoji, config.thresholds.thanks_words) == (DEFAULT_THANKS_EMOJI, ())
    assert config.thresholds.regular_chats == 6 and config.role_id is None and config.congratulate


@pytest.mark.parametrize(("options", "sentence"), [
    ({"helper_acts": -1}, "helper_acts must be between 1 and 1000 (you gave -1)."),
    ({"regular_months": 13}, "regular_months must be between 1 and 12 (you gave 13)."),
    ({"keep_percent": 0}, "keep_percent must be between 1 and 100 (you gave 0)."),
    ({"regular_months": 5, "window_days": 90},
     "regular_months (5) cannot be met in a window of 90 days; lower it or lengthen window_days."),
    ({"thanks_emoji": "🙏 thanks"}, "thanks_emoji: 'thanks' is not an emoji; give emoji separated by spaces, "
                                    "such as 🙏 ❤️ 💯."),
    ({"thanks_words": "ok, " + "x" * 31}, f"thanks_words: '{'x' * 31}' is over 30 characters; give single words "
                                          "or short phrases."),
    ({"role": "everyone"}, "Pick a specific role: @everyone is every member's already."),
    ({"role": "founders"}, "I can't hand out Founders: move my role above it, or pick a role I can assign."),
    ({"role": "helpers", "no_role": True}, "Give either a role or no_role:True, not both."),
])
async def test_a_wrong_setting_gets_one_sentence_and_nothing_is_stored(standin, sample, bot, options, sentence):
    if "role" in options:
        name = options["role"]
        options["role"] = next(r for r in sample.guild.roles.values() if r.name == "@everyone") \
            if name == "everyone" else sample.roles[name]
    # Fine options given alongside are not stored either.
    refused = await slash(standin, sample.admin, "progression settings", regular_chats=7, congratulate=True, **options)
    assert refused.ephemeral and refused.text == sentence
    assert await _config(bot, sample) == ProgressionConfig(sample.guild.id)


async def test_a_role_needs_manage_roles_and_the_settings_say_when_it_cannot_be_handed_out(standin, sample, bot):
    helpers, mine = sample.roles["helpers"], sample.roles["heartbeat"]
    saved = await slash(standin, sample.admin, "progression settings", role=helpers)
    assert saved.text.startswith("Saved.") and "I can't hand it out now" not in saved.text
    # Manage Roles taken away; the gateway delivers that before the next command.
    await standin.edit_role(sample.guild, mine, permissions=mine.permissions & ~(1 << 28))
    shown = await slash(standin, sample.admin, "progression settings")
    assert f"<@&{helpers.id}> (I can't hand it out now: give me Manage Roles and move my role above it)" in shown.text
    refused = await slash(standin, sample.admin, "progression settings", role=sample.roles["notify"])
    assert refused.ephemeral and refused.text == ("I need the Manage Roles permission to hand out a role: grant it to "
                                                  "my role, then try again.")
    assert (await _config(bot, sample)).role_id == helpers.id


@pytest.mark.parametrize("who", ["member", "moderator", "host"])
async def test_settings_refuse_members_who_are_not_admins(standin, sample, bot, who):
    user = {"member": sample.members[0], "moderator": sample.moderator, "host": sample.host}[who]
    for options in ({}, {"regular_chats": 2}):
        refused = await slash(standin, user, "progression settings", **options)
        assert refused.ephemeral and refused.text.startswith("Only members with the Manage Server permission")
    assert await _config(bot, sample) == ProgressionConfig(sample.guild.id)


# -- named leaders ---------------------------------------------------------------------------------------

async def test_a_moderator_names_a_leader_and_takes_it_back(standin, sample, bot):
    priya = sample.members[0]
    named = await slash(standin, sample.moderator, "progression name", member=priya)
    assert named.ephemeral and named.text.startswith(f"<@{priya.id}> is now a leader")
    assert not named.message.pinged_users
    assert await bot.storage.progression.named(sample.guild.id) == [priya.id]
    again = await slash(standin, sample.moderator, "progression name", member=priya)
    assert again.ephemeral and again.text == "Priya is already named a leader."

    unnamed = await slash(standin, sample.moderator, "progression unname", member=priya)
    assert unnamed.ephemeral and unnamed.text.startswith(f"<@{priya.id}> is no longer named a leader")
    assert await bot.storage.progression.named(sample.guild.id) == []
    again = await slash(standin, sample.moderator, "progression unname", member=priya)
    assert again.ephemeral and again.text == "Priya was not named a leader, so there is nothing to take back."


@pytest.mark.parametrize("command", ["progression name", "progression unname"])
async def test_bots_cannot_be_named_leaders(standin, sample, bot, command):
    verb = command.split()[1]
    me = sample.guild.members[standin.bot_user.id].user
    itself = await slash(standin, sample.moderator, command, member=me)
    assert itself.ephemeral and itself.text == f"I can't {verb} myself: leaders are members of the community."
    other = await slash(standin, sample.moderator, command, member=_other_bot(sample))
    assert other.ephemeral and other.text == "Carl-bot is a bot: only people can be leaders."
    assert await bot.storage.progression.named(sample.guild.id) == []


@pytest.mark.parametrize("command", ["progression name", "progression unname"])
async def test_naming_refuses_members_who_are_not_moderators(standin, sample, bot, command):
    await bot.storage.progression.name(sample.guild.id, sample.members[1].id, by=sample.moderator.id,
                                       at=bot.clock())
    for target in (sample.members[0], sample.members[1]):
        refused = await slash(standin, sample.members[5], command, member=target)
        assert refused.ephemeral and refused.text.startswith("Only moderators can do that")
    assert await bot.storage.progression.named(sample.guild.id) == [sample.members[1].id]


async def test_the_moderator_role_may_name_leaders(standin, sample, bot):
    await slash(standin, sample.admin, "config role", kind="moderator", role=sample.roles["helpers"])
    named = await slash(standin, sample.helper, "progression name", member=sample.members[2])
    assert named.text.startswith(f"<@{sample.members[2].id}> is now a leader")
    assert await bot.storage.progression.named(sample.guild.id) == [sample.members[2].id]
