"""End to end: the real bot, cogs and SQLite file against the stand-in over real sockets."""

from __future__ import annotations

import logging

import pytest

from bot.standin import CommandNotShown, StandIn
from bot.standin.sample import SampleServer
from bot.storage import Storage


def command_syncs(standin: StandIn) -> int:
    return sum(1 for r in standin.requests if r.method == "PUT" and r.path.endswith("/commands"))


async def test_startup_syncs_commands_once_and_not_again_when_unchanged(standin, sample, start_bot, settings):
    first = await start_bot()
    assert sorted(c["name"] for c in standin.global_commands) == ["about", "announce", "chat", "config", "privacy",
                                                                       "profile", "progression", "report", "welcome"]
    assert command_syncs(standin) == 1
    by_name = {c["name"]: c for c in standin.global_commands}
    # Admin commands are hidden from members without Manage Server; role-checked ones are shown to everyone, or
    # Discord would hide them from hosts and moderators by role (the server-side checks are tested below).
    assert by_name["config"]["default_member_permissions"] == str(1 << 5)
    assert by_name["welcome"]["default_member_permissions"] == str(1 << 5)
    assert sorted(name for name, command in by_name.items() if command["default_member_permissions"] is None) == [
        "about", "announce", "chat", "privacy", "profile", "progression", "report"]
    await first.stop()

    await start_bot()
    assert command_syncs(standin) == 1, "an unchanged command set must not be synced again"


async def test_sync_to_one_guild_when_configured(standin, sample, start_bot, settings):
    from dataclasses import replace

    await start_bot(settings=replace(settings, sync_guild_id=sample.guild.id))
    assert standin.global_commands == []
    assert {c["name"] for c in standin.guild_commands[sample.guild.id]} >= {"config", "about"}


async def test_admin_configures_channels_roles_and_zone(standin, sample: SampleServer, heartbeat):
    chat = sample.channels["chat"]
    reply = await (await standin.slash(sample.admin, chat, "config channel", kind="chat", channel=chat)).reply()
    assert reply.ephemeral
    assert reply.text == f"The chat channel is now <#{chat.id}>."

    reply = await (await standin.slash(sample.admin, chat, "config role", kind="host",
                                       role=sample.roles["hosts"])).reply()
    assert f"<@&{sample.roles['hosts'].id}>" in reply.text

    reply = await (await standin.slash(sample.admin, chat, "config timezone", zone="america/new_york")).reply()
    assert reply.text == "The server's time zone is now America/New_York."

    config = await heartbeat.bot.storage.config.get(sample.guild.id)
    assert (config.chat_channel_id, config.host_role_id, config.timezone) == (
        chat.id, sample.roles["hosts"].id, "America/New_York")
    assert config.updated_by == sample.admin.id

    status = await (await standin.slash(sample.admin, chat, "config status")).reply()
    assert status.ephemeral
    assert f"**Chat channel:** <#{chat.id}>" in status.text
    assert "**Time zone:** America/New_York" in status.text
    assert "Set the welcome channel" in status.text  # what is still missing is named, with the fix


async def test_status_names_missing_channel_permissions(standin, sample, heartbeat):
    rules = sample.channels["rules"]  # @everyone may not send there, and neither may the bot
    reply = await (await standin.slash(sample.admin, sample.channels["general"], "config channel", kind="welcome",
                                       channel=rules)).reply()
    assert "I still lack Send Messages" in reply.text
    status = await (await standin.slash(sample.admin, sample.channels["general"], "config status")).reply()
    # Discord denies what depends on sending (Embed Links) along with it.
    assert f"In <#{rules.id}> I lack: Send Messages, Embed Links." in status.text


async def test_a_role_the_bot_pings_but_cannot_is_named_with_the_fix(standin, sample, heartbeat):
    general, hosts, helpers = sample.channels["general"], sample.roles["hosts"], sample.roles["helpers"]
    # Chat Hosts is not mentionable and the bot has no Mention Everyone: its alerts would notify nobody.
    reply = await (await standin.slash(sample.admin, general, "config role", kind="host", role=hosts)).reply()
    assert f"<@&{hosts.id}> is not mentionable and I lack Mention Everyone, so my alerts won't notify it" in reply.text
    assert "Allow anyone to @mention this role" in reply.text
    reply = await (await standin.slash(sample.admin, general, "config role", kind="helper", role=helpers)).reply()
    assert "not mentionable" not in reply.text  # Helpers is mentionable
    reply = await (await standin.slash(sample.admin, general, "config role", kind="moderator", role=hosts)).reply()
    assert "not mentionable" not in reply.text  # the bot never pings the moderator role

    status = await (await standin.slash(sample.admin, general, "config status")).reply()
    assert f"<@&{hosts.id}> is not mentionable" in status.text
    await standin.edit_role(sample.guild, hosts, mentionable=True)
    status = await (await standin.slash(sample.admin, general, "config status")).reply()
    assert "not mentionable" not in status.text

    # With Mention Everyone the bot pings any role, mentionable or not.
    await standin.edit_role(sample.guild, hosts, mentionable=False)
    await standin.edit_role(sample.guild, sample.roles["heartbeat"],
                            permissions=sample.roles["heartbeat"].permissions | (1 << 17))
    status = await (await standin.slash(sample.admin, general, "config status")).reply()
    assert "not mentionable" not in status.text


async def test_timezone_autocomplete_offers_matching_zones(standin, sample, heartbeat):
    choices = await standin.autocomplete(sample.admin, sample.channels["general"], "config timezone", "zone", "new_y")
    assert choices[0]["value"] == "America/New_York"
    assert len(choices) <= 25


async def test_timezone_autocomplete_offers_places_that_follow_daylight_saving_not_abbreviations(
        standin, sample, heartbeat):
    general = sample.channels["general"]
    for typed in ("EST", "PST", "EST5"):
        choices = await standin.autocomplete(sample.admin, general, "config timezone", "zone", typed)
        assert all("/" in choice["value"] for choice in choices), choices
    reply = await (await standin.slash(sample.admin, general, "config timezone", zone="EST")).reply()
    assert reply.ephemeral
    assert reply.text == ("'EST' is an abbreviation that keeps one offset all year: use the IANA zone "
                          "America/New_York, which follows daylight saving where the place does.")
    assert (await heartbeat.bot.storage.config.get(sample.guild.id)).timezone is None


async def test_bad_input_gets_a_clear_ephemeral_error_and_stores_nothing(standin, sample, heartbeat):
    general = sample.channels["general"]
    reply = await (await standin.slash(sample.admin, general, "config timezone", zone="Mars/Olympus")).reply()
    assert reply.ephemeral
    assert "Unknown time zone 'Mars/Olympus'" in reply.text and "America/New_York" in reply.text

    everyone = sample.guild.roles[sample.guild.id]
    reply = await (await standin.slash(sample.admin, general, "config role", kind="host", role=everyone)).reply()
    assert reply.ephemeral and "Pick a specific role" in reply.text

    config = await heartbeat.bot.storage.config.get(sample.guild.id)
    assert config.timezone is None and config.host_role_id is None


async def test_member_cannot_configure_even_though_the_command_reaches_the_bot(standin, sample, heartbeat):
    member = sample.members[0]
    chat = sample.channels["chat"]
    with pytest.raises(CommandNotShown):  # Discord hides /config from members without Manage Server
        await standin.slash(member, chat, "config channel", kind="chat", channel=chat)
    # An admin's override in Integrations shows it to them; the bot's own check still refuses.
    standin.allow_command(sample.guild, "config", users=[member])
    reply = await (await standin.slash(member, chat, "config channel", kind="chat", channel=chat)).reply()
    assert reply.ephemeral
    assert "Manage Server" in reply.text
    assert (await heartbeat.bot.storage.config.get(sample.guild.id)).chat_channel_id is None


async def test_host_role_or_manage_events_may_announce_others_may_not(standin, sample, heartbeat):
    chat = sample.channels["chat"]
    await (await standin.slash(sample.admin, chat, "config channel", kind="chat", channel=chat)).reply()

    refused = await (await standin.slash(sample.members[0], chat, "announce", text="hello all")).reply()
    assert refused.ephemeral and refused.text.startswith("Only hosts can do that")
    assert standin.bot_messages(chat) == []

    # Jess has the Chat Hosts role, which counts only once it is configured as the host role.
    refused = await (await standin.slash(sample.host, chat, "announce", text="hello all")).reply()
    assert refused.text.startswith("Only hosts can do that")
    await (await standin.slash(sample.admin, chat, "config role", kind="host", role=sample.roles["hosts"])).reply()
    done = await (await standin.slash(sample.host, chat, "announce", text="hello all")).reply()
    assert done.ephemeral and done.text.startswith("Posted:")
    assert [m.content for m in standin.bot_messages(chat)] == ["hello all"]


async def test_user_text_never_pings_everyone_here_or_roles(standin, sample, heartbeat):
    chat = sample.channels["chat"]
    await (await standin.slash(sample.admin, chat, "config channel", kind="chat", channel=chat)).reply()
    notify = sample.roles["notify"]
    text = f"@everyone @here <@&{notify.id}> <@{sample.members[1].id}> chat starts soon"
    await (await standin.slash(sample.admin, chat, "announce", text=text)).reply()
    posted = standin.bot_messages(chat)[-1]
    assert posted.content == text
    assert not posted.pinged_everyone
    assert posted.pinged_roles == set() and posted.pinged_users == set()


async def test_non_moderator_cannot_see_join_report_moderator_can(standin, sample, heartbeat):
    general = sample.channels["general"]
    newcomer = standin.add_user("Quinn")
    await standin.join(sample.guild, newcomer)

    refused = await (await standin.slash(sample.members[2], general, "report joins")).reply()
    assert refused.ephemeral and refused.text.startswith("Only moderators can do that")

    report = await (await standin.slash(sample.moderator, general, "report joins", days=7)).reply()
    assert report.ephemeral
    assert f"<@{newcomer.id}> joined" in report.text


async def test_moderator_role_grants_moderator_commands(standin, sample, heartbeat):
    general = sample.channels["general"]
    helper = sample.helper  # no moderation permission of their own
    assert (await (await standin.slash(helper, general, "report joins")).reply()).text.startswith("Only moderators")
    await (await standin.slash(sample.admin, general, "config role", kind="moderator",
                               role=sample.roles["helpers"])).reply()
    allowed = await (await standin.slash(helper, general, "report joins")).reply()
    assert allowed.text.startswith("Nobody joined in the last 7 days")


async def test_dropped_gateway_resumes_and_no_event_is_missed(standin, sample, heartbeat):
    bot = heartbeat.bot
    first_session = next(iter(standin.sessions))
    await standin.drop_gateway()
    # While the bot is disconnected, members join and one leaves; Discord queues these for the session.
    arrivals = [standin.add_user(f"Arrival {n}") for n in range(3)]
    for user in arrivals:
        await standin.join(sample.guild, user)
    await standin.leave(sample.guild, arrivals[0])

    await standin.wait_until(lambda: standin.resume_count == 1)
    assert standin.identify_count == 1 and next(iter(standin.sessions)) == first_session

    async def replayed() -> bool:
        departed = await bot.storage.members.get(sample.guild.id, arrivals[0].id)
        return departed is not None and not departed.present \
            and all([await bot.storage.members.get(sample.guild.id, user.id) for user in arrivals])

    await bot.newcomers.wait_for(replayed)
    report = await (await standin.slash(sample.moderator, sample.channels["general"], "report joins")).reply()
    for user in arrivals:
        assert f"<@{user.id}> joined" in report.text
    assert f"<@{arrivals[0].id}> joined" in report.text and "left" in report.text
    recorded = await bot.storage.members.get(sample.guild.id, arrivals[0].id)
    assert recorded is not None and not recorded.present and recorded.join_count == 1


async def test_rate_limited_post_is_retried_and_happens_once(standin, sample, heartbeat):
    chat = sample.channels["chat"]
    await (await standin.slash(sample.admin, chat, "config channel", kind="chat", channel=chat)).reply()
    standin.fail_next("POST", rf"channels/{chat.id}/messages$", 429, retry_after=0.05)
    reply = await (await standin.slash(sample.admin, chat, "announce", text="rate limited but delivered")).reply()
    assert reply.text.startswith("Posted:")
    assert [m.content for m in standin.bot_messages(chat)] == ["rate limited but delivered"]
    statuses = [r.status for r in standin.requests if r.method == "POST" and r.path == f"channels/{chat.id}/messages"]
    assert statuses == [429, 200]


async def test_restart_keeps_configuration_and_members(standin, sample, start_bot, settings):
    chat = sample.channels["chat"]
    first = await start_bot()
    await (await standin.slash(sample.admin, chat, "config channel", kind="chat", channel=chat)).reply()
    await (await standin.slash(sample.admin, chat, "config timezone", zone="Europe/London")).reply()
    newcomer = standin.add_user("Robin")
    await standin.join(sample.guild, newcomer)
    await (await standin.slash(sample.moderator, chat, "report joins")).reply()  # the join is recorded by now
    await first.stop()
    assert first.bot.storage.closed

    await start_bot()
    status = await (await standin.slash(sample.admin, chat, "config status")).reply()
    assert f"**Chat channel:** <#{chat.id}>" in status.text and "Europe/London" in status.text
    async with await Storage.open(settings.database_path) as storage:
        assert (await storage.members.get(sample.guild.id, newcomer.id)) is not None


async def test_unexpected_error_is_logged_with_a_reference_the_user_can_quote(standin, sample, heartbeat, caplog,
                                                                              monkeypatch):
    async def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(heartbeat.bot.storage.config, "update", broken)
    with caplog.at_level(logging.ERROR, logger="bot.errors"):
        reply = await (await standin.slash(sample.admin, sample.channels["chat"], "config timezone",
                                           zone="UTC")).reply()
    assert reply.ephemeral and "Something went wrong on my side" in reply.text
    reference = reply.text.split("reference ")[1].split(")")[0]
    assert any(reference in record.getMessage() for record in caplog.records)
    assert "disk on fire" not in reply.text


async def test_clear_unsets_one_setting_and_keeps_the_rest(standin, sample, heartbeat):
    general, chat = sample.channels["general"], sample.channels["chat"]
    await (await standin.slash(sample.admin, general, "config channel", kind="chat", channel=chat)).reply()
    await (await standin.slash(sample.admin, general, "config timezone", zone="Asia/Kathmandu")).reply()
    reply = await (await standin.slash(sample.admin, general, "config clear", setting="timezone")).reply()
    assert reply.ephemeral and reply.text == "The timezone is no longer set."
    config = await heartbeat.bot.storage.config.get(sample.guild.id)
    assert config.timezone is None and config.chat_channel_id == chat.id
