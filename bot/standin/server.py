"""A local Discord stand-in: REST under /api/v10 and the gateway websocket on one 127.0.0.1 port.

The unmodified discord.py client logs in, identifies, receives guilds, syncs commands and exchanges
messages and interactions with it. Tests and the demo drive simulated members through its methods and
assert on what the bot asked for through ``requests`` and the messages it holds.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import json
import logging
import re
import secrets
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

from aiohttp import WSMsgType, web

from bot.standin import limits
from bot.standin.model import (
    EVERYONE_DEFAULT,
    INTENT_DIRECT_MESSAGES,
    INTENT_GUILD_MEMBERS,
    INTENT_GUILD_MESSAGE_REACTIONS,
    INTENT_GUILD_MESSAGES,
    INTENT_GUILD_SCHEDULED_EVENTS,
    INTENT_GUILDS,
    INTENT_MESSAGE_CONTENT,
    PERM_SEND_MESSAGES,
    PERM_VIEW_CHANNEL,
    PRIVILEGED_INTENTS,
    Channel,
    Guild,
    Member,
    Message,
    Overwrite,
    Role,
    User,
    account_created,
    iso,
    resolve_pings,
    snowflake,
)
from bot.standin.permissions import CommandNotShown, CommandOverride, Gatekeeper

log = logging.getLogger(__name__)

EPHEMERAL = 1 << 6
# discord.py asks for large_threshold 250 at IDENTIFY: bigger guilds arrive with only a few members listed.
LARGE_THRESHOLD = 250
MEMBERS_PER_CHUNK = 1000
# Interaction callback types.
CALLBACK_MESSAGE, CALLBACK_DEFER, CALLBACK_DEFER_UPDATE, CALLBACK_UPDATE = 4, 5, 6, 7
CALLBACK_AUTOCOMPLETE, CALLBACK_MODAL = 8, 9
OPTION_TYPES = {"subcommand": 1, "group": 2, "string": 3, "integer": 4, "boolean": 5, "user": 6,
                "channel": 7, "role": 8, "mentionable": 9, "number": 10, "attachment": 11}


@dataclass
class RecordedRequest:
    """One REST request the bot made, as the stand-in saw it."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int
    at: datetime


@dataclass
class Fault:
    """An injected failure for the next matching requests."""

    method: str
    pattern: re.Pattern[str]
    status: int
    remaining: int
    retry_after: float
    # Discord sometimes does the work and still answers with an error; the client cannot tell.
    after_effect: bool = False


@dataclass
class Reply:
    """What a member sees in answer to an interaction."""

    kind: str  # "message", "update", "modal", "choices"
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    ephemeral: bool = False
    message: Message | None = None
    choices: list[dict[str, Any]] = field(default_factory=list)
    modal: dict[str, Any] | None = None

    @property
    def text(self) -> str:
        """Content plus embed text, as the reader sees it."""
        if self.message is not None:
            return self.message.text
        return self.content


@dataclass
class InteractionRecord:
    """An interaction the stand-in delivered, and every reply the bot made to it."""

    id: int
    token: str
    type: int
    user: User
    channel_id: int
    guild_id: int | None
    message_id: int | None = None
    replies: list[Reply] = field(default_factory=list)
    deferred: bool = False
    original: Message | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    # Event-loop times: the initial response is due by `deadline`, followups are taken until `expires`.
    deadline: float = float("inf")
    expires: float = float("inf")
    acknowledged: bool = False

    @property
    def failed(self) -> bool:
        """Whether the member sees "This interaction failed": no initial response before the deadline."""
        return not self.acknowledged and asyncio.get_running_loop().time() > self.deadline

    async def reply(self, timeout: float = 5.0) -> Reply:
        """The first visible reply (a message, an update, a modal or choices), once it arrives."""
        return await self.nth_reply(0, timeout)

    async def nth_reply(self, index: int, timeout: float = 5.0) -> Reply:
        """The index-th visible reply, once it arrives (InteractionFailed if the bot missed the deadline)."""
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(timeout):
            while len(self.replies) <= index:
                if self.failed:
                    raise InteractionFailed(f"This interaction failed: no response within the deadline ({self.id})")
                self.changed.clear()
                wait = None if self.acknowledged else max(0.0, self.deadline - loop.time()) + 0.001
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.changed.wait(), wait)
        return self.replies[index]


class InteractionFailed(AssertionError):
    """The bot did not answer an interaction in time: the member sees "This interaction failed"."""


@dataclass
class Session:
    """A gateway session: its intents, sequence, buffered events and current socket."""

    id: str
    intents: int
    sequence: int = 0
    buffer: list[dict[str, Any]] = field(default_factory=list)
    socket: web.WebSocketResponse | None = None
    # With queued delivery: events waiting for the socket's writer, and what wakes it.
    outbox: deque[dict[str, Any]] = field(default_factory=deque)
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def detach(self) -> None:
        """The socket is gone: its writer stops, and what it had not written waits in `buffer` for a RESUME."""
        self.socket = None
        self.outbox.clear()
        self.wake.set()


class StandIn:
    """The local Discord: world state, REST, gateway, fault injection and simulated members."""

    def __init__(self, *, token: str = "standin-token", enabled_privileged_intents: int | None = None,
                 heartbeat_interval_ms: int = 41250, queue_gateway: bool = False) -> None:
        self.token = token
        self.application_id = snowflake()
        self.bot_user = User(id=self.application_id, name="Heartbeat", bot=True)
        self.enabled_privileged_intents = (INTENT_GUILD_MEMBERS | INTENT_MESSAGE_CONTENT
                                           if enabled_privileged_intents is None else enabled_privileged_intents)
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.users: dict[int, User] = {self.bot_user.id: self.bot_user}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, Message] = {}
        # Each channel's message ids in order, so reading history does not sort every message held (a flood holds many).
        self._channel_ids: dict[int, list[int]] = {}
        self.attachments: dict[int, bytes] = {}
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        self.interactions: dict[str, InteractionRecord] = {}
        self.requests: list[RecordedRequest] = []
        self.unhandled: list[str] = []
        self.faults: list[Fault] = []
        self.sessions: dict[str, Session] = {}
        # Queued, a member's action returns once its event is queued for the bot, and a task per socket writes the
        # queue out: members never wait for a bot that reads slowly, as on Discord. By default an action returns only
        # once its event is written to the socket, the order the tests rely on.
        self.queue_gateway = queue_gateway
        self._writers: set[asyncio.Task[None]] = set()
        self.identify_count = 0
        self.resume_count = 0
        # How long Discord remembers a message nonce (enforce_nonce): "the past few minutes".
        self.nonce_window_seconds = 300.0
        # An interaction's first response is due within 3 s; its token takes followups for 15 minutes.
        self.interaction_deadline_seconds = 3.0
        self.followup_window_seconds = 900.0
        # A slow Discord, for deadline tests: added to every REST call, once more per uploaded file, and to
        # every attachment download.
        self.call_latency_seconds = 0.0
        self.gate = Gatekeeper(self.guilds, self.channels, self.bot_user.id)
        # Member-list requests (op 8) held back by hold_member_lists(), answered on release: (session, request).
        self.held_member_requests: list[tuple[Session, dict[str, Any]]] | None = None
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._routes = self._build_routes()

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self, port: int = 0) -> StandIn:
        """Listen on 127.0.0.1 (a free port unless one is given)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("GET", "/gateway", self._gateway)
        app.router.add_route("GET", "/attachments/{id}/{filename}", self._attachment)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        """Close every socket and stop listening."""
        for writer in list(self._writers):
            writer.cancel()
        for session in self.sessions.values():
            if session.socket is not None:
                await session.socket.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> StandIn:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ waiting

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_until(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Wait until predicate() is truthy (re-checked whenever the world changes) and return it."""
        async with asyncio.timeout(timeout), self._changed:
            while not (result := predicate()):
                await self._changed.wait()
            return result

    async def wait_for_message(self, predicate: Callable[[Message], bool] = lambda m: True, *,
                               author: User | None = None, timeout: float = 5.0, after: int = 0) -> Message:
        """The first message (by the bot, unless author is given) newer than id `after` matching predicate."""
        who = author or self.bot_user

        def find() -> Message | None:
            for message in self.messages.values():
                if message.id > after and message.author.id == who.id and not message.deleted \
                        and predicate(message):
                    return message
            return None

        return await self.wait_until(find, timeout)

    async def wait_for_request(self, predicate: Callable[[RecordedRequest], bool],
                               timeout: float = 5.0) -> RecordedRequest:
        """The first recorded request matching predicate, once it has been made."""
        return await self.wait_until(lambda: next((r for r in self.requests if predicate(r)), None), timeout)

    async def wait_ready(self, timeout: float = 5.0) -> Session:
        """The newest session once the bot has identified (or resumed) and is connected."""
        return await self.wait_until(
            lambda: next((s for s in reversed(self.sessions.values()) if s.socket is not None), None), timeout)

    def bot_messages(self, channel: Channel | int | None = None) -> list[Message]:
        """Non-ephemeral messages the bot posted (in one channel, if given), oldest first."""
        channel_id = channel.id if isinstance(channel, Channel) else channel
        return [m for m in self.messages.values()
                if m.author.id == self.bot_user.id and not m.deleted and not m.flags & EPHEMERAL
                and (channel_id is None or m.channel_id == channel_id)]

    # ------------------------------------------------------------------ building the world

    def add_user(self, name: str, *, account_age: timedelta = timedelta(days=400), bot: bool = False) -> User:
        """A Discord account created `account_age` ago (its id encodes that, as Discord's do)."""
        user = User(id=account_created(account_age), name=name, bot=bot)
        self.users[user.id] = user
        return user

    def add_guild(self, name: str, owner: User) -> Guild:
        """A guild owned by `owner`, with the bot and the owner as members."""
        guild = Guild(id=snowflake(), name=name, owner_id=owner.id)
        guild.roles[guild.id] = Role(id=guild.id, name="@everyone", permissions=EVERYONE_DEFAULT, position=0)
        guild.members[owner.id] = Member(user=owner)
        guild.members[self.bot_user.id] = Member(user=self.bot_user)
        self.guilds[guild.id] = guild
        return guild

    def add_role(self, guild: Guild, name: str, permissions: int = 0, *, mentionable: bool = False) -> Role:
        """A role in the guild, placed above the existing ones."""
        role = Role(id=snowflake(), name=name, permissions=permissions, position=len(guild.roles),
                    mentionable=mentionable)
        guild.roles[role.id] = role
        return role

    def add_channel(self, guild: Guild, name: str, *, overwrites: Iterable[Overwrite] = ()) -> Channel:
        """A text channel in the guild."""
        channel = Channel(id=snowflake(), name=name, guild_id=guild.id, position=len(guild.channels),
                          overwrites=list(overwrites))
        guild.channels[channel.id] = channel
        self.channels[channel.id] = channel
        return channel

    def add_member(self, guild: Guild, user: User, *, roles: Iterable[Role] = (),
                   joined_at: datetime | None = None) -> Member:
        """Put a user in the guild without telling the bot (for the world before it connects)."""
        member = Member(user=user, roles=[r.id for r in roles], joined_at=joined_at or datetime.now(UTC))
        guild.members[user.id] = member
        return member

    def remove_member(self, guild: Guild, user: User) -> None:
        """Take a user out of the guild without telling the bot (as if they left while it was away)."""
        guild.members.pop(user.id, None)

    # ------------------------------------------------------------------ simulated members

    async def join(self, guild: Guild, user: User, *, roles: Iterable[Role] = ()) -> Member:
        """A user joins the guild now: GUILD_MEMBER_ADD (needs the members intent)."""
        member = self.add_member(guild, user, roles=roles)
        await self._dispatch("GUILD_MEMBER_ADD", {**member.payload(), "guild_id": str(guild.id)},
                             INTENT_GUILD_MEMBERS)
        return member

    async def leave(self, guild: Guild, user: User) -> None:
        """A member leaves the guild: GUILD_MEMBER_REMOVE (needs the members intent)."""
        guild.members.pop(user.id, None)
        await self._dispatch("GUILD_MEMBER_REMOVE", {"guild_id": str(guild.id), "user": user.payload()},
                             INTENT_GUILD_MEMBERS)

    async def say(self, user: User, channel: Channel, content: str, *, reply_to: Message | None = None,
                  at: datetime | None = None) -> Message:
        """A member posts a message (optionally as a Discord reply)."""
        guild = self.guilds.get(channel.guild_id) if channel.guild_id else None
        replied_author = reply_to.author.id if reply_to else None
        users, roles, everyone = resolve_pings(content, None, guild, user.id, replied_author, channel.id)
        message = Message(id=snowflake(at), channel_id=channel.id, guild_id=channel.guild_id, author=user,
                          content=content, created_at=at or datetime.now(UTC),
                          reference_id=reply_to.id if reply_to else None, pinged_users=users,
                          pinged_roles=roles, pinged_everyone=everyone)
        await self._store_and_dispatch(message)
        return message

    async def edit(self, message: Message, content: str) -> None:
        """The author edits their message: MESSAGE_UPDATE."""
        message.content = content
        message.edited_at = datetime.now(UTC)
        await self._dispatch_message("MESSAGE_UPDATE", message)

    async def delete(self, message: Message) -> None:
        """The message is deleted: MESSAGE_DELETE."""
        message.deleted = True
        data = {"id": str(message.id), "channel_id": str(message.channel_id)}
        if message.guild_id:
            data["guild_id"] = str(message.guild_id)
        await self._dispatch("MESSAGE_DELETE", data, self._message_intent(message))

    async def react(self, user: User, message: Message, emoji: str) -> None:
        """A member adds a unicode emoji reaction: MESSAGE_REACTION_ADD."""
        message.reactions.setdefault(emoji, set()).add(user.id)
        data: dict[str, Any] = {"user_id": str(user.id), "channel_id": str(message.channel_id),
                                "message_id": str(message.id), "emoji": {"id": None, "name": emoji},
                                "message_author_id": str(message.author.id), "burst": False, "type": 0}
        if message.guild_id:
            data["guild_id"] = str(message.guild_id)
            guild = self.guilds[message.guild_id]
            if user.id in guild.members:
                data["member"] = guild.members[user.id].payload()
        await self._dispatch("MESSAGE_REACTION_ADD", data, INTENT_GUILD_MESSAGE_REACTIONS)

    async def unreact(self, user: User, message: Message, emoji: str) -> None:
        """A member takes their unicode emoji reaction off: MESSAGE_REACTION_REMOVE (like Discord, no author)."""
        message.reactions.get(emoji, set()).discard(user.id)
        data: dict[str, Any] = {"user_id": str(user.id), "channel_id": str(message.channel_id),
                                "message_id": str(message.id), "emoji": {"id": None, "name": emoji},
                                "burst": False, "type": 0}
        if message.guild_id:
            data["guild_id"] = str(message.guild_id)
        await self._dispatch("MESSAGE_REACTION_REMOVE", data, INTENT_GUILD_MESSAGE_REACTIONS)

    async def set_event_status(self, guild: Guild, event_id: int, status: int) -> None:
        """Someone in Discord's UI moves a scheduled event (2 active, 3 completed, 4 canceled), where Discord allows."""
        event = guild.scheduled_events[event_id]
        if refusal := limits.event_refusal({"status": status}, event):
            raise AssertionError(f"Discord would not allow that: {refusal.reason}")
        event["status"] = status
        await self._dispatch("GUILD_SCHEDULED_EVENT_UPDATE", event, INTENT_GUILD_SCHEDULED_EVENTS)

    async def events_reach(self, now: datetime) -> None:
        """Discord's own clock reaches `now`: external events past their start go active, past their end complete."""
        for guild in self.guilds.values():
            for event in guild.scheduled_events.values():
                for status in limits.discord_moves(event, now):
                    event["status"] = status
                    await self._dispatch("GUILD_SCHEDULED_EVENT_UPDATE", event, INTENT_GUILD_SCHEDULED_EVENTS)

    async def slash(self, user: User, channel: Channel, command: str, /, **options: Any) -> InteractionRecord:
        """A member runs a slash command, e.g. slash(admin, ch, "config channel", kind="chat", channel=ch).

        Raises CommandNotShown when the member's client would not offer the command there (its
        default_member_permissions, no admin override, or a server-only command in a DM).
        """
        path = command.split()
        schema = self._find_command(channel.guild_id, path[0])
        if not self.gate.may_use(schema, channel.guild_id, user.id, channel.id):
            raise CommandNotShown(f"{user.name} cannot see /{path[0]} in #{channel.name}")
        option_list, resolved = self._build_options(schema, path[1:], options, channel.guild_id)
        data = {"id": schema["id"], "name": path[0], "type": 1, "options": option_list, "resolved": resolved}
        if channel.guild_id:
            data["guild_id"] = str(channel.guild_id)
        return await self._interact(2, user, channel, data)

    async def autocomplete(self, user: User, channel: Channel, command: str, focused: str,
                           value: str, /, **options: Any) -> list[dict[str, Any]]:
        """A member types into an autocompleted option; returns the choices the bot offered."""
        path = command.split()
        schema = self._find_command(channel.guild_id, path[0])
        if not self.gate.may_use(schema, channel.guild_id, user.id, channel.id):
            raise CommandNotShown(f"{user.name} cannot see /{path[0]} in #{channel.name}")
        option_list, _ = self._build_options(schema, path[1:], {**options, focused: value}, channel.guild_id)
        leaf = option_list
        while leaf and leaf[0]["type"] in (1, 2):
            leaf = leaf[0]["options"]
        for option in leaf:
            if option["name"] == focused:
                option["focused"] = True
        data = {"id": schema["id"], "name": path[0], "type": 1, "options": option_list}
        record = await self._interact(4, user, channel, data)
        return (await record.reply()).choices

    async def click(self, user: User, message: Message, custom_id: str) -> InteractionRecord:
        """A member presses a button on a message."""
        if custom_id not in message.custom_ids():
            raise AssertionError(f"no component {custom_id!r} on message {message.id}: {message.custom_ids()}")
        channel = self.channels[message.channel_id]
        return await self._interact(3, user, channel, {"custom_id": custom_id, "component_type": 2},
                                    message=message)

    async def forge_click(self, user: User, channel: Channel, custom_id: str) -> InteractionRecord:
        """A hostile client presses a button whose custom_id it made up, on a bot message in `channel`."""
        button = {"type": 2, "style": 1, "label": "forged", "custom_id": custom_id}
        message = Message(id=snowflake(), channel_id=channel.id, guild_id=channel.guild_id, author=self.bot_user,
                          content="", created_at=datetime.now(UTC),
                          components=[{"type": 1, "components": [button]}])
        return await self._interact(3, user, channel, {"custom_id": custom_id, "component_type": 2},
                                    message=message)

    async def edit_role(self, guild: Guild, role: Role, *, mentionable: bool | None = None,
                        permissions: int | None = None) -> None:
        """An admin edits a role in Server Settings › Roles: GUILD_ROLE_UPDATE."""
        if mentionable is not None:
            role.mentionable = mentionable
        if permissions is not None:
            role.permissions = permissions
        await self._dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": role.payload()}, INTENT_GUILDS)

    async def take_role(self, guild: Guild, user: User, role: Role) -> None:
        """An admin removes a role from a member in Discord: GUILD_MEMBER_UPDATE."""
        member = guild.members[user.id]
        if role.id in member.roles:
            member.roles.remove(role.id)
        await self._dispatch("GUILD_MEMBER_UPDATE", {**member.payload(), "guild_id": str(guild.id)},
                             INTENT_GUILD_MEMBERS)

    async def submit_modal(self, user: User, channel: Channel, custom_id: str,
                           values: dict[str, str]) -> InteractionRecord:
        """A member submits a modal the bot showed them."""
        rows = [{"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]} for k, v in values.items()]
        return await self._interact(5, user, channel, {"custom_id": custom_id, "components": rows})

    async def run_script(self, steps: Iterable[tuple[float, Callable[[], Awaitable[Any]]]]) -> None:
        """Play (delay_seconds, action) steps in order: members acting on a script."""
        for delay, action in steps:
            if delay > 0:
                await asyncio.sleep(delay)
            await action()

    # ------------------------------------------------------------------ admins' settings

    def allow_command(self, guild: Guild, name: str, *, roles: Iterable[Role] = (), users: Iterable[User] = (),
                      allow: bool = True) -> None:
        """An admin's override in Server Settings › Integrations: these roles and members may use /name.

        With allow=False they may not; the @everyone role stands for every member.
        """
        override = self.gate.overrides.setdefault((guild.id, name), CommandOverride())
        ids = {r.id for r in roles} | {u.id for u in users}
        (override.allowed if allow else override.denied).update(ids)
        (override.denied if allow else override.allowed).difference_update(ids)

    def refuse_dms(self, user: User, refuse: bool = True) -> None:
        """The user's privacy settings refuse DMs from the bot (50007), or accept them again."""
        if refuse:
            self.gate.dm_refusing.add(user.id)
        else:
            self.gate.dm_refusing.discard(user.id)

    # ------------------------------------------------------------------ fault injection

    def fail_next(self, method: str, path_pattern: str, status: int, *, times: int = 1,
                  retry_after: float = 0.05, after_effect: bool = False) -> None:
        """Answer the next `times` matching requests with `status` (429 carries Discord's headers).

        With after_effect, each request is carried out first (a message is created) and the error is
        answered anyway, as Discord does now and then.
        """
        self.faults.append(Fault(method.upper(), re.compile(path_pattern), status, times, retry_after,
                                 after_effect))

    async def drop_gateway(self, code: int = 4000, *, resumable: bool = True,
                           meanwhile: Callable[[], Awaitable[Any]] | None = None) -> None:
        """Close the bot's gateway socket as if the connection dropped; events queue until it resumes.

        Not resumable: the session is forgotten, as Discord does after a while, so the RESUME is refused (op 9)
        and the bot identifies afresh: a new READY, and whatever was said in between is never delivered.
        `meanwhile` runs once the connection is cut and before the bot can reconnect: what members do in the gap.
        """
        sockets = []
        for session in self.sessions.values():
            sockets.append(session.socket)
            session.detach()
        if not resumable:
            self.sessions = {}
        if meanwhile is not None:
            await meanwhile()
        for socket in sockets:
            if socket is not None:
                await socket.close(code=code, message=b"dropped by the stand-in")
        await self._notify()

    def hold_member_lists(self) -> None:
        """From the next IDENTIFY on, guilds arrive large (only the bot listed) and member lists only on release.

        As with a big server on Discord, the client asks for the members (op 8) and holds its on_ready until they
        arrive, while events (members talking) flow meanwhile: the moment just after READY, held open for a test.
        """
        if self.held_member_requests is None:
            self.held_member_requests = []

    async def release_member_lists(self) -> None:
        """Answer the member-list requests held since hold_member_lists(), and stop holding them."""
        held, self.held_member_requests = self.held_member_requests or [], None
        for session, request in held:
            await self._send_members(session, request)

    # ------------------------------------------------------------------ gateway

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await socket.prepare(request)
        await self._send(socket, {"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
        session: Session | None = None
        try:
            async for frame in socket:
                if frame.type != WSMsgType.TEXT:
                    continue
                payload = json.loads(frame.data)
                op, data = payload.get("op"), payload.get("d")
                if op == 1:
                    await self._send(socket, {"op": 11})
                elif op == 2:
                    session = await self._identify(socket, data)
                    if session is None:
                        break
                elif op == 6:
                    session = await self._resume(socket, data)
                elif op == 8:
                    await self._chunk(socket, session, data)
        finally:
            if session is not None and session.socket is socket:
                session.detach()
            await self._notify()
        return socket

    async def _identify(self, socket: web.WebSocketResponse, data: dict[str, Any]) -> Session | None:
        if data.get("token") != self.token:
            await socket.close(code=4004, message=b"Authentication failed.")
            return None
        intents = int(data.get("intents", 0))
        missing = [name for bit, name in PRIVILEGED_INTENTS.items()
                   if intents & bit and not self.enabled_privileged_intents & bit]
        if missing:
            await socket.close(code=4014, message=b"Disallowed intent(s).")
            return None
        self.identify_count += 1
        session = Session(id=secrets.token_hex(8), intents=intents, socket=socket)
        # A new identify replaces older sessions, as a bot with one shard has only one.
        self.sessions = {session.id: session}
        self._start_writer(session, socket)
        ready = {"v": 10, "user": {**self.bot_user.payload(), "verified": True, "mfa_enabled": False,
                                   "flags": 0},
                 "guilds": [{"id": str(g), "unavailable": True} for g in self.guilds],
                 "session_id": session.id, "resume_gateway_url": self.gateway_url, "session_type": "normal",
                 "application": {"id": str(self.application_id), "flags": 0},
                 "private_channels": [], "relationships": [], "presences": [], "guild_join_requests": [],
                 "geo_ordered_rtc_regions": [], "user_settings": {}, "_trace": ["standin"]}
        await self._deliver(session, "READY", ready)
        for guild in self.guilds.values():
            await self._deliver(session, "GUILD_CREATE", self._guild_create_for(guild, intents))
        await self._notify()
        return session

    async def _resume(self, socket: web.WebSocketResponse, data: dict[str, Any]) -> Session | None:
        session = self.sessions.get(data.get("session_id", ""))
        if session is None or data.get("token") != self.token:
            await self._send(socket, {"op": 9, "d": False})
            return None
        self.resume_count += 1
        session.socket = socket
        last_seen = int(data.get("seq") or 0)
        missed = [event for event in session.buffer if event["s"] > last_seen]
        if self.queue_gateway:
            self._start_writer(session, socket)
            session.outbox.extend(missed)
        else:
            for event in missed:
                await self._send(socket, event)
        await self._deliver(session, "RESUMED", {"_trace": ["standin"]})
        await self._notify()
        return session

    async def _chunk(self, socket: web.WebSocketResponse, session: Session | None, data: dict[str, Any]) -> None:
        if session is None:
            return
        if self.held_member_requests is not None:
            self.held_member_requests.append((session, data))
            await self._notify()
            return
        await self._send_members(session, data)

    async def _send_members(self, session: Session, data: dict[str, Any]) -> None:
        guild = self.guilds.get(int(data["guild_id"]))
        if guild is None:
            return
        members = list(guild.members.values())
        count = max(1, -(-len(members) // MEMBERS_PER_CHUNK))
        for index in range(count):  # as Discord: at most 1,000 members a chunk
            part = members[index * MEMBERS_PER_CHUNK:(index + 1) * MEMBERS_PER_CHUNK]
            chunk = {"guild_id": str(guild.id), "members": [m.payload() for m in part],
                     "chunk_index": index, "chunk_count": count, "nonce": data.get("nonce")}
            await self._deliver(session, "GUILD_MEMBERS_CHUNK", chunk)

    def _guild_create_for(self, guild: Guild, intents: int) -> dict[str, Any]:
        large = self.held_member_requests is not None or len(guild.members) > LARGE_THRESHOLD
        # A large guild lists only a few members, and the client asks for the rest (op 8); without the members
        # intent Discord sends only the bot itself.
        only_the_bot = large or not intents & INTENT_GUILD_MEMBERS
        payload = guild.payload([guild.members[self.bot_user.id]] if only_the_bot else None)
        payload["large"] = large
        return payload

    @staticmethod
    async def _send(socket: web.WebSocketResponse, payload: dict[str, Any]) -> None:
        # TEXT frames: discord.py only decompresses binary ones, so the compress query can be ignored.
        if not socket.closed:
            # ConnectionError covers a reset and aiohttp's "Connection lost" while waiting for a slow reader.
            with contextlib.suppress(ConnectionError):
                await socket.send_str(json.dumps(payload))

    async def _deliver(self, session: Session, event: str, data: dict[str, Any]) -> None:
        session.sequence += 1
        frame = {"op": 0, "t": event, "s": session.sequence, "d": data}
        session.buffer.append(frame)
        if session.socket is None:
            return
        if self.queue_gateway:
            session.outbox.append(frame)
            session.wake.set()
        else:
            await self._send(session.socket, frame)

    def _start_writer(self, session: Session, socket: web.WebSocketResponse) -> None:
        """With queued delivery: a task that writes the session's queued events to `socket` while it is attached."""
        if not self.queue_gateway:
            return
        session.outbox.clear()
        writer = asyncio.create_task(self._write(session, socket))
        self._writers.add(writer)
        writer.add_done_callback(self._writers.discard)

    async def _write(self, session: Session, socket: web.WebSocketResponse) -> None:
        while session.socket is socket and not socket.closed:
            while session.outbox and session.socket is socket:
                await self._send(socket, session.outbox.popleft())
            session.wake.clear()
            await session.wake.wait()

    async def _dispatch(self, event: str, data: dict[str, Any] | Callable[[Session], dict[str, Any] | None],
                        intent: int = 0) -> None:
        """Send an event to every session whose intents allow it (queued while a session is down)."""
        for session in list(self.sessions.values()):
            if intent and not session.intents & intent:
                continue
            payload = data(session) if callable(data) else data
            if payload is not None:
                await self._deliver(session, event, payload)
        await self._notify()

    def _message_intent(self, message: Message) -> int:
        return INTENT_GUILD_MESSAGES if message.guild_id else INTENT_DIRECT_MESSAGES

    async def _dispatch_message(self, event: str, message: Message) -> None:
        guild = self.guilds.get(message.guild_id) if message.guild_id else None
        referenced = self.messages.get(message.reference_id) if message.reference_id else None

        def for_session(session: Session) -> dict[str, Any]:
            # Discord blanks content unless the app has the intent, or the message is the bot's own,
            # a DM, or mentions the bot.
            visible = (bool(session.intents & INTENT_MESSAGE_CONTENT) or message.author.id == self.bot_user.id
                       or message.guild_id is None or self.bot_user.id in message.pinged_users)
            member = guild.members.get(message.author.id) if guild else None
            return message.payload(include_content=visible, referenced=referenced, member=member)

        await self._dispatch(event, for_session, self._message_intent(message))

    async def _store_and_dispatch(self, message: Message) -> None:
        if message.id not in self.messages:
            ids = self._channel_ids.setdefault(message.channel_id, [])
            if ids and message.id < ids[-1]:
                bisect.insort(ids, message.id)  # a message said `at` an earlier time
            else:
                ids.append(message.id)
        self.messages[message.id] = message
        if not message.flags & EPHEMERAL:
            await self._dispatch_message("MESSAGE_CREATE", message)
        else:
            await self._notify()

    # ------------------------------------------------------------------ interactions

    def _find_command(self, guild_id: int | None, name: str) -> dict[str, Any]:
        commands = self.guild_commands.get(guild_id or 0, []) + self.global_commands
        for command in commands:
            if command["name"] == name:
                return command
        raise AssertionError(f"the bot has not synced a /{name} command (synced: {[c['name'] for c in commands]})")

    def _build_options(self, schema: dict[str, Any], path: list[str], values: dict[str, Any],
                       guild_id: int | None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        resolved: dict[str, dict[str, Any]] = {}
        options = schema.get("options", [])
        if path:
            sub = next((o for o in options if o["name"] == path[0] and o["type"] in (1, 2)), None)
            if sub is None:
                raise AssertionError(f"/{schema['name']} has no subcommand {path[0]!r}")
            inner, resolved = self._build_options(sub, path[1:], values, guild_id)
            return [{"type": sub["type"], "name": sub["name"], "options": inner}], resolved
        built = []
        known = {o["name"]: o for o in options}
        for name, value in values.items():
            if value is None:
                continue
            if name not in known:
                raise AssertionError(f"/{schema['name']} has no option {name!r} (has {sorted(known)})")
            kind = known[name]["type"]
            built.append({"type": kind, "name": name, "value": self._option_value(kind, value, resolved, guild_id)})
        return built, resolved

    def _option_value(self, kind: int, value: Any, resolved: dict[str, dict[str, Any]],
                      guild_id: int | None) -> Any:
        guild = self.guilds.get(guild_id) if guild_id else None
        if kind == 7:
            resolved.setdefault("channels", {})[str(value.id)] = {
                **value.payload(), "permissions": str(ALL_CHANNEL_VIEW)}
            return str(value.id)
        if kind == 8:
            resolved.setdefault("roles", {})[str(value.id)] = value.payload()
            return str(value.id)
        if kind in (6, 9):
            resolved.setdefault("users", {})[str(value.id)] = value.payload()
            if guild and value.id in guild.members:
                member = guild.members[value.id].payload()
                member.pop("user")
                resolved.setdefault("members", {})[str(value.id)] = member
            return str(value.id)
        if kind == 11:
            filename, content = value
            attachment_id = snowflake()
            self.attachments[attachment_id] = content
            resolved.setdefault("attachments", {})[str(attachment_id)] = self._attachment_payload(
                attachment_id, filename, content)
            return str(attachment_id)
        return value

    def _attachment_payload(self, attachment_id: int, filename: str, content: bytes) -> dict[str, Any]:
        url = f"{self.url}/attachments/{attachment_id}/{filename}"
        kind = "text/plain" if filename.endswith((".txt", ".md", ".csv", ".toml")) else "application/octet-stream"
        return {"id": str(attachment_id), "filename": filename, "size": len(content), "url": url,
                "proxy_url": url, "content_type": kind}

    async def _interact(self, kind: int, user: User, channel: Channel, data: dict[str, Any], *,
                        message: Message | None = None) -> InteractionRecord:
        now = asyncio.get_running_loop().time()
        record = InteractionRecord(id=snowflake(), token=secrets.token_urlsafe(24), type=kind, user=user,
                                   channel_id=channel.id, guild_id=channel.guild_id,
                                   message_id=message.id if message else None,
                                   deadline=now + self.interaction_deadline_seconds,
                                   expires=now + self.followup_window_seconds)
        self.interactions[record.token] = record
        payload: dict[str, Any] = {
            "id": str(record.id), "application_id": str(self.application_id), "type": kind, "data": data,
            "token": record.token, "version": 1, "locale": "en-US", "guild_locale": "en-US",
            "channel_id": str(channel.id), "channel": channel.payload(), "entitlements": [],
            "attachment_size_limit": 26214400, "context": 0 if channel.guild_id else 1,
            "authorizing_integration_owners": {"0": str(channel.guild_id)} if channel.guild_id else {},
        }
        if channel.guild_id:
            guild = self.guilds[channel.guild_id]
            payload["guild_id"] = str(guild.id)
            payload["guild"] = {"id": str(guild.id), "locale": "en-US", "features": []}
            payload["member"] = guild.members[user.id].payload(guild.permissions_of(user.id, channel.id))
            payload["app_permissions"] = str(guild.permissions_of(self.bot_user.id, channel.id))
        else:
            payload["user"] = user.payload()
        if message is not None:
            payload["message"] = message.payload()
        await self._dispatch("INTERACTION_CREATE", payload)
        return record

    # ------------------------------------------------------------------ REST

    def _build_routes(self) -> list[tuple[str, re.Pattern[str], Callable[..., Awaitable[Any]]]]:
        table: list[tuple[str, str, Callable[..., Awaitable[Any]]]] = [
            ("GET", r"users/@me", self._get_me),
            ("GET", r"oauth2/applications/@me", self._get_application),
            ("GET", r"users/(\d+)", self._get_user),
            ("POST", r"users/@me/channels", self._create_dm),
            ("PUT", r"applications/(\d+)/commands", self._put_global_commands),
            ("GET", r"applications/(\d+)/commands", self._get_global_commands),
            ("PUT", r"applications/(\d+)/guilds/(\d+)/commands", self._put_guild_commands),
            ("GET", r"applications/(\d+)/guilds/(\d+)/commands", self._get_guild_commands),
            ("GET", r"channels/(\d+)", self._get_channel),
            ("POST", r"channels/(\d+)/messages", self._post_message),
            ("GET", r"channels/(\d+)/messages", self._get_messages),
            ("GET", r"channels/(\d+)/messages/(\d+)", self._get_message),
            ("PATCH", r"channels/(\d+)/messages/(\d+)", self._patch_message),
            ("DELETE", r"channels/(\d+)/messages/(\d+)", self._delete_message),
            ("PUT", r"channels/(\d+)/messages/(\d+)/reactions/([^/]+)/@me", self._put_reaction),
            ("POST", r"channels/(\d+)/messages/(\d+)/threads", self._thread_from_message),
            ("POST", r"channels/(\d+)/threads", self._thread_without_message),
            ("GET", r"guilds/(\d+)/members/(\d+)", self._get_member),
            ("PUT", r"guilds/(\d+)/members/(\d+)/roles/(\d+)", self._add_member_role),
            ("DELETE", r"guilds/(\d+)/members/(\d+)/roles/(\d+)", self._remove_member_role),
            ("GET", r"guilds/(\d+)/scheduled-events", self._list_events),
            ("POST", r"guilds/(\d+)/scheduled-events", self._create_event),
            ("GET", r"guilds/(\d+)/scheduled-events/(\d+)", self._get_event),
            ("PATCH", r"guilds/(\d+)/scheduled-events/(\d+)", self._edit_event),
            ("DELETE", r"guilds/(\d+)/scheduled-events/(\d+)", self._delete_event),
            ("POST", r"interactions/(\d+)/([^/]+)/callback", self._interaction_callback),
            ("POST", r"webhooks/(\d+)/([^/]+)", self._followup),
            ("GET", r"webhooks/(\d+)/([^/]+)/messages/(@original|\d+)", self._get_webhook_message),
            ("PATCH", r"webhooks/(\d+)/([^/]+)/messages/(@original|\d+)", self._edit_webhook_message),
            ("DELETE", r"webhooks/(\d+)/([^/]+)/messages/(@original|\d+)", self._delete_webhook_message),
        ]
        return [(method, re.compile(pattern + r"/?"), handler) for method, pattern, handler in table]

    @staticmethod
    def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
        # Exactly "application/json": with a charset discord.py would treat the body as text.
        if status == 204:
            return web.Response(status=204, headers=headers)
        return web.Response(body=json.dumps(data).encode(), status=status,
                            headers={"Content-Type": "application/json", **(headers or {})})

    @staticmethod
    def _error(status: int, message: str, code: int = 0) -> web.Response:
        return StandIn._json({"message": message, "code": code}, status)

    async def _rest(self, request: web.Request) -> web.Response:
        path = request.match_info["tail"]
        body, files = await self._read_body(request)
        if self.call_latency_seconds:
            await asyncio.sleep(self.call_latency_seconds * (1 + len(files)))
        response = await self._answer(request, path, body, files)
        self.requests.append(RecordedRequest(request.method, path, dict(request.query), body, response.status,
                                             datetime.now(UTC)))
        await self._notify()
        return response

    async def _answer(self, request: web.Request, path: str, body: Any,
                      files: list[tuple[str, bytes]]) -> web.Response:
        # Interaction callbacks and webhooks are authorised by the token in their path, as on Discord.
        token_in_path = path.startswith(("interactions/", "webhooks/"))
        if not token_in_path and request.headers.get("Authorization") != f"Bot {self.token}":
            return self._error(401, "401: Unauthorized")
        for fault in self.faults:
            if fault.remaining > 0 and fault.method == request.method and fault.pattern.search(path):
                fault.remaining -= 1
                if fault.after_effect:
                    await self._route(request, path, body, files)
                return self._fault_response(fault)
        if not token_in_path and (refused := self.gate.refusal(request.method, path, body, files)):
            if refused.status == 200:
                return self._json(refused.body)
            return self._error(refused.status, refused.message, refused.code)
        return await self._route(request, path, body, files)

    async def _route(self, request: web.Request, path: str, body: Any,
                     files: list[tuple[str, bytes]]) -> web.Response:
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match and method == request.method:
                try:
                    return await handler(request, body, files, *match.groups())
                except KeyError as exc:
                    return self._error(404, f"Unknown {exc}", 10003)
        self.unhandled.append(f"{request.method} {path}")
        log.warning("stand-in has no route for %s %s", request.method, path)
        return self._error(404, "404: Not Found")

    def _fault_response(self, fault: Fault) -> web.Response:
        if fault.status == 429:
            # discord.py needs a Via header on a 429, or it takes it for a Cloudflare ban.
            headers = {"Via": "1.1 google", "X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0",
                       "X-RateLimit-Reset-After": str(fault.retry_after), "X-RateLimit-Bucket": "standin",
                       "X-RateLimit-Scope": "user", "Retry-After": str(max(1, round(fault.retry_after)))}
            body = {"message": "You are being rate limited.", "retry_after": fault.retry_after, "global": False}
            return self._json(body, 429, headers)
        if fault.status == 403:
            return self._error(403, "Missing Permissions", 50013)
        return self._error(fault.status, f"{fault.status}: injected failure")

    @staticmethod
    async def _read_body(request: web.Request) -> tuple[Any, list[tuple[str, bytes]]]:
        files: list[tuple[str, bytes]] = []
        if request.content_type.startswith("multipart/"):
            body: Any = None
            reader = await request.multipart()
            async for part in reader:
                if part.name == "payload_json":  # type: ignore[union-attr]
                    body = json.loads(await part.text())  # type: ignore[union-attr]
                else:
                    files.append((part.filename or "file", bytes(await part.read())))  # type: ignore[union-attr]
            return body, files
        raw = await request.read()
        return (json.loads(raw) if raw else None), files

    # -- users and application

    async def _get_me(self, request: web.Request, body: Any, files: Any) -> web.Response:
        return self._json({**self.bot_user.payload(), "verified": True, "mfa_enabled": False, "flags": 0})

    async def _get_application(self, request: web.Request, body: Any, files: Any) -> web.Response:
        owner = next((u for u in self.users.values() if not u.bot), self.bot_user)
        return self._json({"id": str(self.application_id), "name": "Heartbeat", "icon": None,
                           "description": "stand-in application", "bot_public": True,
                           "bot_require_code_grant": False, "verify_key": "0" * 64, "flags": 0,
                           "owner": owner.payload(), "team": None, "summary": "", "rpc_origins": []})

    async def _get_user(self, request: web.Request, body: Any, files: Any, user_id: str) -> web.Response:
        return self._json(self.users[int(user_id)].payload())

    async def _create_dm(self, request: web.Request, body: Any, files: Any) -> web.Response:
        recipient = self.users[int(body["recipient_id"])]
        existing = next((c for c in self.channels.values() if c.type == 1 and c.recipient is recipient), None)
        channel = existing or Channel(id=snowflake(), name=f"dm-{recipient.name}", guild_id=None, type=1,
                                      recipient=recipient)
        self.channels[channel.id] = channel
        return self._json(channel.payload())

    # -- commands

    def _store_commands(self, commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
        stored = []
        for command in commands:
            stored.append({**command, "id": str(snowflake()), "application_id": str(self.application_id),
                           "version": str(snowflake()), "type": command.get("type", 1),
                           # Discord answers with the permission bits as a string.
                           "default_member_permissions": None if command.get("default_member_permissions") is None
                           else str(command["default_member_permissions"])})
        return stored

    async def _put_global_commands(self, request: web.Request, body: Any, files: Any, app: str) -> web.Response:
        self.global_commands = self._store_commands(body)
        return self._json(self.global_commands)

    async def _get_global_commands(self, request: web.Request, body: Any, files: Any, app: str) -> web.Response:
        return self._json(self.global_commands)

    async def _put_guild_commands(self, request: web.Request, body: Any, files: Any, app: str,
                                  guild: str) -> web.Response:
        self.guild_commands[int(guild)] = self._store_commands(body)
        return self._json(self.guild_commands[int(guild)])

    async def _get_guild_commands(self, request: web.Request, body: Any, files: Any, app: str,
                                  guild: str) -> web.Response:
        return self._json(self.guild_commands.get(int(guild), []))

    # -- channels and messages

    async def _get_channel(self, request: web.Request, body: Any, files: Any, channel_id: str) -> web.Response:
        return self._json(self.channels[int(channel_id)].payload())

    def _bot_may_post(self, channel: Channel) -> bool:
        if channel.guild_id is None:
            return True
        perms = self.guilds[channel.guild_id].permissions_of(self.bot_user.id, channel.id)
        return bool(perms & PERM_VIEW_CHANNEL and perms & PERM_SEND_MESSAGES)

    def _new_bot_message(self, channel: Channel, body: dict[str, Any], files: list[tuple[str, bytes]],
                         **extra: Any) -> Message:
        guild = self.guilds.get(channel.guild_id) if channel.guild_id else None
        reference = body.get("message_reference") or {}
        reference_id = int(reference["message_id"]) if reference.get("message_id") else None
        replied = self.messages.get(reference_id) if reference_id else None
        content = body.get("content") or ""
        users, roles, everyone = resolve_pings(content, body.get("allowed_mentions"), guild, self.bot_user.id,
                                               replied.author.id if replied else None, channel.id)
        attachments = []
        for filename, data in files:
            attachment_id = snowflake()
            self.attachments[attachment_id] = data
            attachments.append(self._attachment_payload(attachment_id, filename, data))
        return Message(id=snowflake(), channel_id=channel.id, guild_id=channel.guild_id, author=self.bot_user,
                       content=content, created_at=datetime.now(UTC), embeds=body.get("embeds") or [],
                       components=body.get("components") or [], attachments=attachments,
                       reference_id=reference_id, flags=int(body.get("flags") or 0), pinged_users=users,
                       pinged_roles=roles, pinged_everyone=everyone, **extra)

    def _refused(self, body: dict[str, Any] | None, files: list[tuple[str, bytes]]) -> web.Response | None:
        """Discord's message limits (bot/standin/limits.py), as the error response Discord gives, or None."""
        refusal = limits.message_refusal(body, [len(data) for _, data in files])
        return None if refusal is None else self._json(refusal.body(), refusal.status)

    async def _post_message(self, request: web.Request, body: Any, files: Any, channel_id: str) -> web.Response:
        channel = self.channels[int(channel_id)]
        if not self._bot_may_post(channel):
            return self._error(403, "Missing Permissions", 50013)
        if not (body.get("content") or body.get("embeds") or files or body.get("components")):
            return self._error(400, "Cannot send an empty message", 50006)
        if refused := self._refused(body, files):
            return refused
        nonce = str(body["nonce"]) if body.get("nonce") and body.get("enforce_nonce") else None
        if nonce is not None:
            # enforce_nonce: the same nonce from the same author within a few minutes returns the first message.
            since = datetime.now(UTC) - timedelta(seconds=self.nonce_window_seconds)
            for earlier in self.messages.values():
                if earlier.nonce == nonce and earlier.author.id == self.bot_user.id and earlier.created_at >= since:
                    if earlier.deleted:
                        return self._error(404, "Unknown Message", 10008)
                    return self._json(earlier.payload())
        message = self._new_bot_message(channel, body, files)
        message.nonce = nonce
        await self._store_and_dispatch(message)
        return self._json(message.payload(referenced=self.messages.get(message.reference_id or 0)))

    async def _get_messages(self, request: web.Request, body: Any, files: Any, channel_id: str) -> web.Response:
        limit = min(int(request.query.get("limit", 50)), 100)
        ids = self._channel_ids.get(int(channel_id), [])
        page: list[Message] = []
        if "after" in request.query:
            index, step = bisect.bisect_right(ids, int(request.query["after"])), 1
        else:
            index, step = bisect.bisect_left(ids, int(request.query.get("before", 1 << 63))) - 1, -1
        while 0 <= index < len(ids) and len(page) < limit:
            message = self.messages[ids[index]]
            if not message.deleted and not message.flags & EPHEMERAL:
                page.append(message)
            index += step
        if step == 1:
            page.reverse()
        # Discord answers newest first.
        return self._json([m.payload() for m in page])

    async def _get_message(self, request: web.Request, body: Any, files: Any, channel_id: str,
                           message_id: str) -> web.Response:
        message = self.messages[int(message_id)]
        if message.deleted:
            return self._error(404, "Unknown Message", 10008)
        return self._json(message.payload())

    async def _patch_message(self, request: web.Request, body: Any, files: Any, channel_id: str,
                             message_id: str) -> web.Response:
        message = self.messages[int(message_id)]
        if message.author.id != self.bot_user.id:
            return self._error(403, "Cannot edit a message authored by another user", 50005)
        if refused := self._refused(body, files):
            return refused
        self._apply_edit(message, body)
        await self._dispatch_message("MESSAGE_UPDATE", message)
        return self._json(message.payload())

    @staticmethod
    def _apply_edit(message: Message, body: dict[str, Any]) -> None:
        for key in ("content", "embeds", "components"):
            if key in body:
                setattr(message, key, body[key] if body[key] is not None else ("" if key == "content" else []))
        message.edited_at = datetime.now(UTC)

    async def _delete_message(self, request: web.Request, body: Any, files: Any, channel_id: str,
                              message_id: str) -> web.Response:
        await self.delete(self.messages[int(message_id)])
        return self._json(None, 204)

    async def _put_reaction(self, request: web.Request, body: Any, files: Any, channel_id: str, message_id: str,
                            emoji: str) -> web.Response:
        self.messages[int(message_id)].reactions.setdefault(unquote(emoji), set()).add(self.bot_user.id)
        return self._json(None, 204)

    async def _new_thread(self, parent: Channel, thread_id: int, name: str) -> Channel:
        thread = Channel(id=thread_id, name=name, guild_id=parent.guild_id, type=11, parent_id=parent.id,
                         owner_id=self.bot_user.id)
        self.channels[thread.id] = thread
        if parent.guild_id:
            self.guilds[parent.guild_id].channels[thread.id] = thread
        await self._dispatch("THREAD_CREATE", {**thread.payload(), "newly_created": True}, INTENT_GUILDS)
        return thread

    async def _thread_from_message(self, request: web.Request, body: Any, files: Any, channel_id: str,
                                   message_id: str) -> web.Response:
        # Discord gives a thread started from a message the message's id.
        thread = await self._new_thread(self.channels[int(channel_id)], int(message_id), body["name"])
        return self._json(thread.payload(), 201)

    async def _thread_without_message(self, request: web.Request, body: Any, files: Any,
                                      channel_id: str) -> web.Response:
        thread = await self._new_thread(self.channels[int(channel_id)], snowflake(), body["name"])
        return self._json(thread.payload(), 201)

    # -- members and roles

    async def _get_member(self, request: web.Request, body: Any, files: Any, guild_id: str,
                          user_id: str) -> web.Response:
        return self._json(self.guilds[int(guild_id)].members[int(user_id)].payload())

    async def _change_role(self, guild_id: str, user_id: str, role_id: str, add: bool) -> web.Response:
        guild = self.guilds[int(guild_id)]
        member = guild.members[int(user_id)]
        role = guild.roles[int(role_id)]
        if add and role.id not in member.roles:
            member.roles.append(role.id)
        elif not add and role.id in member.roles:
            member.roles.remove(role.id)
        await self._dispatch("GUILD_MEMBER_UPDATE", {**member.payload(), "guild_id": guild_id}, INTENT_GUILD_MEMBERS)
        return self._json(None, 204)

    async def _add_member_role(self, request: web.Request, body: Any, files: Any, guild_id: str, user_id: str,
                               role_id: str) -> web.Response:
        return await self._change_role(guild_id, user_id, role_id, True)

    async def _remove_member_role(self, request: web.Request, body: Any, files: Any, guild_id: str,
                                  user_id: str, role_id: str) -> web.Response:
        return await self._change_role(guild_id, user_id, role_id, False)

    # -- scheduled events

    async def _list_events(self, request: web.Request, body: Any, files: Any, guild_id: str) -> web.Response:
        return self._json(list(self.guilds[int(guild_id)].scheduled_events.values()))

    async def _create_event(self, request: web.Request, body: Any, files: Any, guild_id: str) -> web.Response:
        guild = self.guilds[int(guild_id)]
        if refusal := limits.event_refusal(body):
            return self._json(refusal.body(), refusal.status)
        event = {"id": str(snowflake()), "guild_id": guild_id, "creator_id": str(self.bot_user.id),
                 "creator": self.bot_user.payload(), "status": 1, "user_count": 0, "entity_id": None,
                 "description": None, "channel_id": None, "scheduled_end_time": None, "entity_metadata": None,
                 "image": None, "recurrence_rule": None, **body}
        guild.scheduled_events[int(event["id"])] = event
        await self._dispatch("GUILD_SCHEDULED_EVENT_CREATE", event, INTENT_GUILD_SCHEDULED_EVENTS)
        return self._json(event)

    async def _get_event(self, request: web.Request, body: Any, files: Any, guild_id: str,
                         event_id: str) -> web.Response:
        return self._json(self.guilds[int(guild_id)].scheduled_events[int(event_id)])

    async def _edit_event(self, request: web.Request, body: Any, files: Any, guild_id: str,
                          event_id: str) -> web.Response:
        event = self.guilds[int(guild_id)].scheduled_events[int(event_id)]
        if refusal := limits.event_refusal(body, event):
            return self._json(refusal.body(), refusal.status)
        event.update(body)
        await self._dispatch("GUILD_SCHEDULED_EVENT_UPDATE", event, INTENT_GUILD_SCHEDULED_EVENTS)
        return self._json(event)

    async def _delete_event(self, request: web.Request, body: Any, files: Any, guild_id: str,
                            event_id: str) -> web.Response:
        event = self.guilds[int(guild_id)].scheduled_events.pop(int(event_id))
        await self._dispatch("GUILD_SCHEDULED_EVENT_DELETE", event, INTENT_GUILD_SCHEDULED_EVENTS)
        return self._json(None, 204)

    # -- interaction responses

    def _interaction_message(self, record: InteractionRecord, data: dict[str, Any],
                             files: list[tuple[str, bytes]]) -> Message:
        channel = self.channels[record.channel_id]
        return self._new_bot_message(channel, data, files, interaction_id=record.id,
                                     webhook_id=self.application_id)

    def _reply_from(self, kind: str, message: Message) -> Reply:
        return Reply(kind=kind, content=message.content, embeds=message.embeds, components=message.components,
                     ephemeral=bool(message.flags & EPHEMERAL), message=message)

    def _add_reply(self, record: InteractionRecord, reply: Reply) -> None:
        record.replies.append(reply)
        record.changed.set()

    async def _interaction_callback(self, request: web.Request, body: Any, files: Any, interaction_id: str,
                                    token: str) -> web.Response:
        record = self.interactions.get(token)
        if record is None or record.id != int(interaction_id) or (
                not record.acknowledged and asyncio.get_running_loop().time() > record.deadline):
            # Past the deadline the token is dead, and the member has already seen "This interaction failed".
            return self._error(404, "Unknown interaction", 10062)
        if record.deferred or record.original is not None or record.replies:
            return self._error(400, "Interaction has already been acknowledged.", 40060)
        kind, data = body["type"], body.get("data") or {}
        if kind in (CALLBACK_MESSAGE, CALLBACK_UPDATE) and (refused := self._refused(data, files)):
            return refused
        resource: dict[str, Any] = {"type": kind}
        record.acknowledged = True
        if kind == CALLBACK_MESSAGE:
            message = self._interaction_message(record, data, files)
            record.original = message
            await self._store_and_dispatch(message)
            self._add_reply(record, self._reply_from("message", message))
            resource["message"] = message.payload()
        elif kind == CALLBACK_DEFER:
            record.deferred = True
            record.original = self._interaction_message(record, {"flags": data.get("flags", 0)}, [])
            record.original.flags |= 1 << 7  # LOADING
        elif kind == CALLBACK_DEFER_UPDATE:
            record.deferred = True
        elif kind == CALLBACK_UPDATE:
            if record.message_id is None:
                return self._error(400, "Cannot update a message from a command interaction", 50035)
            target = self.messages[record.message_id]
            self._apply_edit(target, data)
            await self._dispatch_message("MESSAGE_UPDATE", target)
            record.deferred = True
            self._add_reply(record, self._reply_from("update", target))
            resource["message"] = target.payload()
        elif kind == CALLBACK_AUTOCOMPLETE:
            self._add_reply(record, Reply(kind="choices", choices=data.get("choices", [])))
        elif kind == CALLBACK_MODAL:
            self._add_reply(record, Reply(kind="modal", modal=data))
        await self._notify()
        interaction = {"id": str(record.id), "type": record.type, "response_message_loading": kind == 5,
                       "response_message_ephemeral": bool(int(data.get("flags") or 0) & EPHEMERAL)}
        if record.original is not None:
            interaction["response_message_id"] = str(record.original.id)
        return self._json({"interaction": interaction, "resource": resource})

    def _token_dead(self, record: InteractionRecord) -> web.Response | None:
        """Discord's answer to a followup on a token never acknowledged, or older than 15 minutes."""
        if record.acknowledged and asyncio.get_running_loop().time() <= record.expires:
            return None
        return self._error(404, "Unknown Webhook", 10015)

    async def _followup(self, request: web.Request, body: Any, files: Any, app: str, token: str) -> web.Response:
        record = self.interactions[token]
        if dead := self._token_dead(record):
            return dead
        if refused := self._refused(body, files):
            return refused
        message = self._interaction_message(record, body or {}, files)
        placeholder = record.original
        if record.deferred and placeholder is not None and placeholder.id not in self.messages:
            # Discord turns the first followup after a "thinking" defer into the original response.
            message.id = placeholder.id
            record.original = message
        await self._store_and_dispatch(message)
        self._add_reply(record, self._reply_from("message", message))
        return self._json(message.payload())

    def _webhook_target(self, record: InteractionRecord, which: str) -> Message:
        if which == "@original":
            if record.original is None and record.message_id is not None:
                # A component interaction answered by an update: its original is the message with the component.
                return self.messages[record.message_id]
            if record.original is None:
                raise KeyError("original response")
            return record.original
        return self.messages[int(which)]

    async def _get_webhook_message(self, request: web.Request, body: Any, files: Any, app: str, token: str,
                                   which: str) -> web.Response:
        return self._json(self._webhook_target(self.interactions[token], which).payload())

    async def _edit_webhook_message(self, request: web.Request, body: Any, files: Any, app: str, token: str,
                                    which: str) -> web.Response:
        record = self.interactions[token]
        if dead := self._token_dead(record):
            return dead
        message = self._webhook_target(record, which)
        if refused := self._refused(body, files):
            return refused
        first_edit_of_deferred = which == "@original" and message.id not in self.messages
        self._apply_edit(message, body or {})
        message.flags &= ~(1 << 7)
        for filename, data in files:
            attachment_id = snowflake()
            self.attachments[attachment_id] = data
            message.attachments.append(self._attachment_payload(attachment_id, filename, data))
        if first_edit_of_deferred:
            await self._store_and_dispatch(message)
            self._add_reply(record, self._reply_from("message", message))
        else:
            await self._dispatch_message("MESSAGE_UPDATE", message)
            self._add_reply(record, self._reply_from("update", message))
        return self._json(message.payload())

    async def _delete_webhook_message(self, request: web.Request, body: Any, files: Any, app: str, token: str,
                                      which: str) -> web.Response:
        message = self._webhook_target(self.interactions[token], which)
        message.deleted = True
        await self._notify()
        return self._json(None, 204)

    async def _attachment(self, request: web.Request) -> web.Response:
        if self.call_latency_seconds:
            await asyncio.sleep(self.call_latency_seconds)
        data = self.attachments.get(int(request.match_info["id"]))
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data)


ALL_CHANNEL_VIEW = PERM_VIEW_CHANNEL | PERM_SEND_MESSAGES
__all__ = ["CommandNotShown", "InteractionFailed", "InteractionRecord", "RecordedRequest", "Reply", "StandIn", "iso"]
