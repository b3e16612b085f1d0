"""The stand-in refuses what Discord refuses: hidden commands, role pings, late interaction responses, missing
permissions on each call, the role hierarchy, refused DMs and a deleted message's nonce.

Each test speaks plain HTTP to the stand-in (nothing of Heartbeat's), so what it pins down is the protocol alone.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from bot.standin import CommandNotShown, InteractionFailed, StandIn
from bot.standin.model import PERM_ADMINISTRATOR, PERM_MENTION_EVERYONE, Overwrite
from bot.standin.permissions import (
    PERM_ATTACH_FILES,
    PERM_CREATE_PUBLIC_THREADS,
    PERM_EMBED_LINKS,
    PERM_MANAGE_EVENTS,
    PERM_MANAGE_ROLES,
    PERM_READ_MESSAGE_HISTORY,
)
from bot.standin.sample import SampleServer

MANAGE_GUILD = 1 << 5


async def call(standin: StandIn, method: str, path: str, body: Any = None,
               files: list[tuple[str, bytes]] = ()) -> tuple[int, Any]:
    """One REST call as the bot makes it; returns the status and the decoded JSON (None for 204)."""
    headers = {"Authorization": f"Bot {standin.token}"}
    async with aiohttp.ClientSession() as session:
        if files:
            form = aiohttp.FormData()
            form.add_field("payload_json", json.dumps(body or {}), content_type="application/json")
            for index, (name, data) in enumerate(files):
                form.add_field(f"files[{index}]", data, filename=name)
            request = session.request(method, f"{standin.api_base}/{path}", data=form, headers=headers)
        else:
            request = session.request(method, f"{standin.api_base}/{path}", json=body, headers=headers)
        async with request as response:
            return response.status, (await response.json() if response.status != 204 else None)


async def sync(standin: StandIn, *commands: dict[str, Any]) -> None:
    status, _ = await call(standin, "PUT", f"applications/{standin.application_id}/commands",
                           [{"description": "a command", "type": 1, **c} for c in commands])
    assert status == 200


def bot_role(sample: SampleServer) -> Any:
    return sample.roles["heartbeat"]


# ---------------------------------------------------------------------------------------------- commands


async def test_a_command_is_hidden_from_members_lacking_its_default_permissions(standin: StandIn,
                                                                             sample: SampleServer) -> None:
    await sync(standin, {"name": "settings", "default_member_permissions": str(MANAGE_GUILD)},
               {"name": "admins", "default_member_permissions": "0"}, {"name": "open"})
    general, member = sample.channels["general"], sample.member("Priya")

    with pytest.raises(CommandNotShown):
        await standin.slash(member, general, "settings")
    with pytest.raises(CommandNotShown):
        await standin.slash(sample.moderator, general, "settings")  # Moderate Members is not Manage Server
    with pytest.raises(CommandNotShown):
        await standin.slash(sample.host, general, "admins")  # "0": nobody but admins
    await standin.slash(member, general, "open")
    await standin.slash(sample.admin, general, "settings")  # the owner
    admin = standin.add_user("Admin")
    standin.add_member(sample.guild, admin, roles=[sample.roles["admins"]])  # Administrator sees everything
    await standin.slash(admin, general, "settings")
    await standin.slash(admin, general, "admins")

    # An admin's override in Integrations shows it to a role (or a member) regardless.
    standin.allow_command(sample.guild, "settings", roles=[sample.roles["moderators"]])
    await standin.slash(sample.moderator, general, "settings")
    with pytest.raises(CommandNotShown):
        await standin.slash(member, general, "settings")
    standin.allow_command(sample.guild, "settings", users=[member])
    await standin.slash(member, general, "settings")


async def test_a_server_only_command_is_not_offered_in_a_dm(standin: StandIn, sample: SampleServer) -> None:
    await sync(standin, {"name": "guildonly", "contexts": [0]}, {"name": "nodm", "dm_permission": False},
               {"name": "anywhere", "contexts": [0, 1, 2]})
    member = sample.member("Lena")
    status, dm = await call(standin, "POST", "users/@me/channels", {"recipient_id": str(member.id)})
    assert status == 200
    channel = standin.channels[int(dm["id"])]

    for name in ("guildonly", "nodm"):
        with pytest.raises(CommandNotShown):
            await standin.slash(member, channel, name)
        await standin.slash(member, sample.channels["general"], name)
    await standin.slash(member, channel, "anywhere")


# ---------------------------------------------------------------------------------------------- role pings


async def test_a_role_ping_notifies_only_a_mentionable_role_unless_the_bot_may_mention_everyone(
        standin: StandIn, sample: SampleServer) -> None:
    assert not standin.add_role(sample.guild, "New role").mentionable  # Discord creates roles non-mentionable
    assert not bot_role(sample).permissions & PERM_MENTION_EVERYONE  # as the invite URL asks
    hosts, helpers = sample.roles["hosts"], sample.roles["helpers"]
    chat = sample.channels["chat"]
    body = {"content": f"<@&{hosts.id}> <@&{helpers.id}> @everyone",
            "allowed_mentions": {"parse": ["everyone"], "roles": [str(hosts.id), str(helpers.id)]}}

    status, sent = await call(standin, "POST", f"channels/{chat.id}/messages", body)
    assert status == 200
    held = standin.messages[int(sent["id"])]
    assert held.pinged_roles == {helpers.id} and not held.pinged_everyone

    # Mention Everyone in one channel (an overwrite) pings any role there, and only there.
    chat.overwrites.append(Overwrite(bot_role(sample).id, 0, allow=PERM_MENTION_EVERYONE))
    status, sent = await call(standin, "POST", f"channels/{chat.id}/messages", body)
    held = standin.messages[int(sent["id"])]
    assert held.pinged_roles == {hosts.id, helpers.id} and held.pinged_everyone
    status, sent = await call(standin, "POST", f"channels/{sample.channels['general'].id}/messages", body)
    assert standin.messages[int(sent["id"])].pinged_roles == {helpers.id}


# ---------------------------------------------------------------------------------------------- interactions


async def test_a_response_after_the_deadline_is_refused_and_the_member_sees_the_interaction_fail(
        standin: StandIn, sample: SampleServer) -> None:
    await sync(standin, {"name": "open"})
    standin.interaction_deadline_seconds = 0.05
    late = await standin.slash(sample.member("Mei"), sample.channels["general"], "open")
    with pytest.raises(InteractionFailed):
        await late.reply(timeout=1)
    assert late.failed
    status, error = await call(standin, "POST", f"interactions/{late.id}/{late.token}/callback",
                               {"type": 4, "data": {"content": "too late"}})
    assert (status, error["code"]) == (404, 10062)
    # The token is dead: no followup either.
    status, error = await call(standin, "POST", f"webhooks/{standin.application_id}/{late.token}",
                               {"content": "still too late"})
    assert (status, error["code"]) == (404, 10015)
    assert late.replies == []


async def test_followups_are_taken_within_their_window_after_a_timely_response(standin: StandIn,
                                                                               sample: SampleServer) -> None:
    await sync(standin, {"name": "open"})
    standin.interaction_deadline_seconds = 0.05
    standin.followup_window_seconds = 0.2
    record = await standin.slash(sample.member("Mei"), sample.channels["general"], "open")
    status, _ = await call(standin, "POST", f"interactions/{record.id}/{record.token}/callback",
                           {"type": 5, "data": {"flags": 64}})
    assert status == 200
    await asyncio.sleep(0.1)  # past the first-response deadline, inside the followup window
    assert not record.failed
    status, _ = await call(standin, "POST", f"webhooks/{standin.application_id}/{record.token}", {"content": "done"})
    assert status == 200 and (await record.reply()).text == "done"
    await asyncio.sleep(0.15)
    status, error = await call(standin, "POST", f"webhooks/{standin.application_id}/{record.token}",
                               {"content": "much later"})
    assert (status, error["code"]) == (404, 10015)


# ---------------------------------------------------------------------------------------------- per-call permissions


@pytest.mark.parametrize(("permission", "needed_for"), [
    (PERM_ATTACH_FILES, "files"), (PERM_EMBED_LINKS, "embeds"), (PERM_READ_MESSAGE_HISTORY, "reply")])
async def test_a_message_needs_the_permissions_its_parts_use(standin: StandIn, sample: SampleServer,
                                                             permission: int, needed_for: str) -> None:
    chat, general = sample.channels["chat"], sample.channels["general"]
    earlier = await standin.say(sample.member("Owen"), chat, "hello")
    parts: dict[str, Any] = {"files": {}, "embeds": {"embeds": [{"title": "T", "description": "D"}]},
                             "reply": {"message_reference": {"message_id": str(earlier.id)}}}
    files = [("notes.txt", b"hi")] if needed_for == "files" else []
    body = {"content": "with a part", **parts[needed_for]}
    # Denied in #getreal-chat only, by an overwrite on the bot's role.
    chat.overwrites.append(Overwrite(bot_role(sample).id, 0, deny=permission))

    status, error = await call(standin, "POST", f"channels/{chat.id}/messages", body, files)
    assert (status, error["code"]) == (403, 50013)
    status, _ = await call(standin, "POST", f"channels/{chat.id}/messages", {"content": "plain text"})
    assert status == 200
    if needed_for != "reply":
        status, _ = await call(standin, "POST", f"channels/{general.id}/messages", body, files)
        assert status == 200


async def test_history_without_read_message_history_is_empty_and_a_fetch_is_refused(
        standin: StandIn, sample: SampleServer) -> None:
    chat = sample.channels["chat"]
    said = await standin.say(sample.member("Owen"), chat, "hello")
    assert (await call(standin, "GET", f"channels/{chat.id}/messages"))[1][0]["id"] == str(said.id)
    chat.overwrites.append(Overwrite(bot_role(sample).id, 0, deny=PERM_READ_MESSAGE_HISTORY))
    assert await call(standin, "GET", f"channels/{chat.id}/messages") == (200, [])
    status, error = await call(standin, "GET", f"channels/{chat.id}/messages/{said.id}")
    assert (status, error["code"]) == (403, 50013)


async def test_threads_need_create_public_threads(standin: StandIn, sample: SampleServer) -> None:
    chat = sample.channels["chat"]
    said = await standin.say(sample.member("Owen"), chat, "a question")
    chat.overwrites.append(Overwrite(bot_role(sample).id, 0, deny=PERM_CREATE_PUBLIC_THREADS))
    for path in (f"channels/{chat.id}/messages/{said.id}/threads", f"channels/{chat.id}/threads"):
        status, error = await call(standin, "POST", path, {"name": "Q1", "type": 11})
        assert (status, error["code"]) == (403, 50013)
    status, _ = await call(standin, "POST", f"channels/{sample.channels['general'].id}/threads",
                           {"name": "Q1", "type": 11})
    assert status == 201


async def test_scheduled_events_need_manage_events(standin: StandIn, sample: SampleServer) -> None:
    event = {"name": "Chat", "privacy_level": 2, "entity_type": 3, "scheduled_start_time": "2030-01-01T00:00:00Z",
             "scheduled_end_time": "2030-01-01T01:00:00Z", "entity_metadata": {"location": "#chat"}}
    status, created = await call(standin, "POST", f"guilds/{sample.guild.id}/scheduled-events", event)
    assert status == 200
    bot_role(sample).permissions &= ~PERM_MANAGE_EVENTS
    for method, path in (("POST", f"guilds/{sample.guild.id}/scheduled-events"),
                         ("PATCH", f"guilds/{sample.guild.id}/scheduled-events/{created['id']}"),
                         ("DELETE", f"guilds/{sample.guild.id}/scheduled-events/{created['id']}")):
        status, error = await call(standin, method, path, event)
        assert (status, error["code"]) == (403, 50013)


async def test_roles_need_manage_roles_and_stay_below_the_bots_top_role_even_for_an_administrator(
        standin: StandIn, sample: SampleServer) -> None:
    member, notify = sample.member("Uma"), sample.roles["notify"]
    path = f"guilds/{sample.guild.id}/members/{member.id}/roles/{notify.id}"
    assert (await call(standin, "PUT", path))[0] == 204
    assert (await call(standin, "DELETE", path))[0] == 204

    above = standin.add_role(sample.guild, "Above the bot")
    above.position = bot_role(sample).position + 1
    bot_role(sample).permissions |= PERM_ADMINISTRATOR
    status, error = await call(standin, "PUT", f"guilds/{sample.guild.id}/members/{member.id}/roles/{above.id}")
    assert (status, error["code"]) == (403, 50013)
    status, error = await call(standin, "PUT", f"guilds/{sample.guild.id}/members/{member.id}/roles/"
                                               f"{bot_role(sample).id}")  # its own top role: not below it
    assert (status, error["code"]) == (403, 50013)

    bot_role(sample).permissions &= ~(PERM_ADMINISTRATOR | PERM_MANAGE_ROLES)
    for method in ("PUT", "DELETE"):
        status, error = await call(standin, method, path)
        assert (status, error["code"]) == (403, 50013)
    assert notify.id not in sample.guild.members[member.id].roles


async def test_a_member_who_refuses_dms_gets_none(standin: StandIn, sample: SampleServer) -> None:
    member = sample.member("Kwame")
    _, dm = await call(standin, "POST", "users/@me/channels", {"recipient_id": str(member.id)})
    standin.refuse_dms(member)
    status, error = await call(standin, "POST", f"channels/{dm['id']}/messages", {"content": "welcome!"})
    assert (status, error["code"], error["message"]) == (403, 50007, "Cannot send messages to this user")
    standin.refuse_dms(member, False)
    assert (await call(standin, "POST", f"channels/{dm['id']}/messages", {"content": "welcome!"}))[0] == 200


# ---------------------------------------------------------------------------------------------- nonces


async def test_a_nonce_returns_its_message_until_that_message_is_deleted(standin: StandIn,
                                                                        sample: SampleServer) -> None:
    chat = sample.channels["chat"]
    body = {"content": "Q1", "nonce": "post:1", "enforce_nonce": True}
    _, first = await call(standin, "POST", f"channels/{chat.id}/messages", body)
    _, again = await call(standin, "POST", f"channels/{chat.id}/messages", body)
    assert again["id"] == first["id"]
    await standin.delete(standin.messages[int(first["id"])])
    status, error = await call(standin, "POST", f"channels/{chat.id}/messages", body)
    assert (status, error["code"]) == (404, 10008)


async def test_an_admin_can_narrow_a_command_to_one_role_by_denying_everyone(standin: StandIn,
                                                                            sample: SampleServer) -> None:
    await sync(standin, {"name": "announce"})
    general, everyone = sample.channels["general"], sample.guild.roles[sample.guild.id]
    standin.allow_command(sample.guild, "announce", roles=[everyone], allow=False)
    standin.allow_command(sample.guild, "announce", roles=[sample.roles["hosts"]])

    await standin.slash(sample.host, general, "announce")  # a role's allow beats the @everyone deny
    with pytest.raises(CommandNotShown):
        await standin.slash(sample.member("Priya"), general, "announce")
    standin.allow_command(sample.guild, "announce", users=[sample.host], allow=False)  # the member's own wins
    with pytest.raises(CommandNotShown):
        await standin.slash(sample.host, general, "announce")
