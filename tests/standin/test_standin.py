"""The stand-in's protocol behaviour, seen through a plain discord.py client (nothing of Heartbeat's).

Each test asserts something a real Discord does and discord.py relies on; if the stand-in regresses,
the bot's own tests would start lying, so these pin the stand-in itself down.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import pytest
from discord import app_commands

from bot.client import use_discord_at
from bot.standin import StandIn
from bot.standin.model import PERM_VIEW_CHANNEL, Message, Overwrite
from bot.standin.sample import SampleServer
from tests.standin.test_permissions import call

Connect = Callable[..., Awaitable["PlainClient"]]


# ---------------------------------------------------------------------------------------------- helpers


def full_intents() -> discord.Intents:
    """The default intents plus both privileged ones the stand-in enables by default."""
    intents = discord.Intents.default()
    intents.members = True
    intents.message_content = True
    return intents


class PlainClient(discord.Client):
    """A bare discord.py client that records what it is told (and every gateway dispatch frame), for tests."""

    def __init__(self, intents: discord.Intents | None = None, **options: object) -> None:
        super().__init__(intents=intents or full_intents(), guild_ready_timeout=0.01,  # type: ignore[arg-type]
                         enable_debug_events=True, **options)
        self.dispatches: list[dict[str, Any]] = []  # raw op 0 frames, as received
        self.ready = asyncio.Event()
        self.resumed = asyncio.Event()
        self.seen: list[discord.Message] = []
        self.joins: list[discord.Member] = []
        self._arrived = asyncio.Condition()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """The default sleeps 5 s before a re-IDENTIFY; the stand-in has no identify rate limit."""

    async def on_socket_raw_receive(self, raw: str) -> None:
        frame = json.loads(raw)
        if frame.get("op") == 0:
            self.dispatches.append(frame)

    def frames(self, event: str) -> list[dict[str, Any]]:
        """The data of every raw dispatch of one event type received so far."""
        return [f["d"] for f in self.dispatches if f["t"] == event]

    async def on_ready(self) -> None:
        self.ready.set()

    async def on_resumed(self) -> None:
        self.resumed.set()

    async def on_member_join(self, member: discord.Member) -> None:
        self.joins.append(member)

    async def on_message(self, message: discord.Message) -> None:
        self.seen.append(message)
        async with self._arrived:
            self._arrived.notify_all()

    async def message(self, predicate: Callable[[discord.Message], bool], timeout: float = 5.0) -> discord.Message:
        """The first message on_message received that matches, once it has arrived."""
        async with asyncio.timeout(timeout), self._arrived:
            while not (found := next((m for m in self.seen if predicate(m)), None)):
                await self._arrived.wait()
            return found

    def text_channel(self, channel_id: int) -> discord.TextChannel:
        channel = self.get_channel(channel_id)
        assert isinstance(channel, discord.TextChannel)
        return channel


async def run_until_ready(client: PlainClient, token: str) -> asyncio.Task[None]:
    """Start the client; return its task once on_ready fired (or raise what stopped it)."""
    task = asyncio.create_task(client.start(token))
    ready = asyncio.create_task(client.ready.wait())
    done, _ = await asyncio.wait({task, ready}, timeout=5, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        ready.cancel()
        task.result()
    assert ready in done, "the client did not become ready within 5 s"
    return task


@pytest.fixture
async def connect(standin: StandIn) -> AsyncIterator[Connect]:
    """connect(client=None): log a PlainClient (full intents unless given one) into the stand-in."""
    running: list[tuple[PlainClient, asyncio.Task[None]]] = []

    async def connect(client: PlainClient | None = None) -> PlainClient:
        client = client or PlainClient()
        running.append((client, await run_until_ready(client, standin.token)))
        return client

    yield connect
    for client, task in running:
        await client.close()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)


def statuses(standin: StandIn, method: str, path: str) -> list[int]:
    """The status of every request the client made to one route, in order."""
    return [r.status for r in standin.requests if r.method == method and r.path == path]


# ---------------------------------------------------------------------------------------------- login


async def test_login_delivers_ready_and_the_whole_guild(standin: StandIn, sample: SampleServer, connect: Connect,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    chunk_requests: list[object] = []

    async def count_chunk_request(*args: object) -> None:
        chunk_requests.append(args)

    monkeypatch.setattr(standin, "_chunk", count_chunk_request)

    client = await connect()

    assert client.user is not None and client.user.id == standin.bot_user.id
    assert client.application_id == standin.application_id
    assert standin.identify_count == 1
    [ready] = client.frames("READY")
    assert ready["application"]["id"] == str(standin.application_id)
    assert ready["resume_gateway_url"] == standin.gateway_url
    guild = client.get_guild(sample.guild.id)
    assert guild is not None and guild.name == "GetReal Community"
    assert guild.chunked and chunk_requests == []  # GUILD_CREATE listed everyone: no op 8 needed
    assert {m.id for m in guild.members} == set(sample.guild.members)
    assert {c.name for c in guild.text_channels} == {c.name for c in sample.channels.values()}
    assert {r.name for r in guild.roles} == {r.name for r in sample.guild.roles.values()}
    assert guild.get_member(sample.admin.id).get_role(sample.roles["admins"].id) is not None


async def test_a_large_guild_arrives_with_few_members_and_the_rest_in_chunks_of_a_thousand(
        standin: StandIn, sample: SampleServer, connect: Connect) -> None:
    for n in range(2_400):
        standin.add_member(sample.guild, standin.add_user(f"member {n}"))

    client = await connect()

    [created] = client.frames("GUILD_CREATE")
    assert created["large"] is True and len(created["members"]) < 250
    chunks = client.frames("GUILD_MEMBERS_CHUNK")
    assert [(c["chunk_index"], c["chunk_count"]) for c in chunks] == [(0, 3), (1, 3), (2, 3)]
    assert max(len(c["members"]) for c in chunks) == 1000
    guild = client.get_guild(sample.guild.id)
    assert guild is not None and guild.chunked and {m.id for m in guild.members} == set(sample.guild.members)


# ---------------------------------------------------------------------------------------------- intents


async def test_message_content_is_blanked_without_the_intent(standin: StandIn, sample: SampleServer,
                                                             connect: Connect) -> None:
    client = await connect(PlainClient(discord.Intents.default()))
    chat = sample.channels["chat"]
    priya = sample.member("Priya")

    plain = await standin.say(priya, chat, "hello there")
    seen = await client.message(lambda m: m.id == plain.id)
    assert seen.author.id == priya.id and seen.content == ""

    mentioning = await standin.say(priya, chat, f"<@{standin.bot_user.id}> are you there?")
    seen = await client.message(lambda m: m.id == mentioning.id)
    assert seen.content == f"<@{standin.bot_user.id}> are you there?"

    sent = await client.text_channel(chat.id).send("my own words")
    seen = await client.message(lambda m: m.id == sent.id)
    assert seen.content == "my own words"


@pytest.mark.parametrize("members_intent", [True, False])
async def test_member_joins_need_the_members_intent(standin: StandIn, sample: SampleServer, connect: Connect,
                                                    members_intent: bool) -> None:
    intents = discord.Intents.default()
    intents.members = members_intent
    client = await connect(PlainClient(intents))
    guild = client.get_guild(sample.guild.id)
    assert guild is not None
    # Without the intent GUILD_CREATE carries only the bot itself.
    [created] = client.frames("GUILD_CREATE")
    expected = set(sample.guild.members) if members_intent else {standin.bot_user.id}
    assert {int(m["user"]["id"]) for m in created["members"]} == expected
    assert {m.id for m in guild.members} == expected

    newcomer = standin.add_user("Newcomer")
    await standin.join(sample.guild, newcomer)
    # Events arrive in order, so once a later message is in, a join that was sent has been handled.
    marker = await standin.say(sample.member("Lena"), sample.channels["chat"], "after the join")
    await client.message(lambda m: m.id == marker.id)

    assert [m.id for m in client.joins] == ([newcomer.id] if members_intent else [])


@pytest.mark.parametrize("privileged", ["members", "message_content"])
async def test_privileged_intent_not_enabled_is_refused(privileged: str) -> None:
    intents = discord.Intents.default()
    setattr(intents, privileged, True)
    async with StandIn(enabled_privileged_intents=0) as server:
        use_discord_at(server.url)
        client = PlainClient(intents)
        try:
            with pytest.raises(discord.PrivilegedIntentsRequired):
                await asyncio.wait_for(client.start(server.token), 5)
        finally:
            await client.close()
        assert server.identify_count == 0


# ---------------------------------------------------------------------------------------------- messages


async def test_own_messages_are_echoed_as_message_create(sample: SampleServer, connect: Connect) -> None:
    client = await connect()
    sent = await client.text_channel(sample.channels["general"].id).send("echo?")

    echoed = await client.message(lambda m: m.id == sent.id)

    assert echoed.author == client.user
    assert echoed.content == "echo?"
    assert echoed.channel.id == sample.channels["general"].id


async def test_events_queue_while_dropped_and_replay_on_resume(standin: StandIn, sample: SampleServer,
                                                               connect: Connect,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    client = await connect()
    chat, lena = sample.channels["chat"], sample.member("Lena")
    # Hold the RESUME until both messages are queued, so they are certainly sent while disconnected.
    release = asyncio.Event()
    resume = standin._resume

    async def held_resume(*args: object) -> object:
        await release.wait()
        return await resume(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(standin, "_resume", held_resume)

    await standin.drop_gateway()
    first = await standin.say(lena, chat, "first while away")
    second = await standin.say(lena, chat, "second while away")
    release.set()
    await asyncio.wait_for(client.resumed.wait(), 5)
    after = await standin.say(lena, chat, "back again")
    await client.message(lambda m: m.id == after.id)

    assert standin.resume_count == 1 and standin.identify_count == 1
    assert [m.id for m in client.seen] == [first.id, second.id, after.id]
    assert [m.content for m in client.seen] == ["first while away", "second while away", "back again"]
    sequences = [f["s"] for f in client.dispatches]
    assert sequences == list(range(1, len(sequences) + 1))  # every event once, none replayed twice
    assert client.frames("RESUMED")


async def test_a_session_that_cannot_resume_identifies_afresh_and_misses_what_happened_meanwhile(
        standin: StandIn, sample: SampleServer, connect: Connect, monkeypatch: pytest.MonkeyPatch) -> None:
    client = await connect()
    chat, lena = sample.channels["chat"], sample.member("Lena")
    # Hold the RESUME until the join and the message happened, so they certainly happen while disconnected.
    release = asyncio.Event()
    resume = standin._resume

    async def held_resume(*args: object) -> object:
        await release.wait()
        return await resume(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(standin, "_resume", held_resume)
    client.ready.clear()
    await standin.drop_gateway(resumable=False)
    newcomer = standin.add_user("Newcomer")
    await standin.join(sample.guild, newcomer)
    missed = await standin.say(lena, chat, "said while the session was gone")
    release.set()
    await asyncio.wait_for(client.ready.wait(), 5)
    after = await standin.say(lena, chat, "back again")
    await client.message(lambda m: m.id == after.id)

    assert standin.identify_count == 2 and standin.resume_count == 0 and not client.resumed.is_set()
    assert len(client.frames("READY")) == 2
    assert missed.id not in [m.id for m in client.seen] and client.joins == []
    guild = client.get_guild(sample.guild.id)
    assert guild is not None and guild.get_member(newcomer.id) is not None  # the fresh READY lists them


async def test_a_session_that_cannot_resume_identifies_again_and_misses_the_gap(standin: StandIn,
                                                                                sample: SampleServer,
                                                                                connect: Connect) -> None:
    client = await connect()
    chat, lena = sample.channels["chat"], sample.member("Lena")
    client.ready.clear()
    missed: list[Message] = []

    async def talk() -> None:
        missed.append(await standin.say(lena, chat, "said while cut off"))
    await standin.drop_gateway(resumable=False, meanwhile=talk)
    await asyncio.wait_for(client.ready.wait(), 5)  # refused the RESUME (op 9), it identified afresh
    after = await standin.say(lena, chat, "back again")
    await client.message(lambda m: m.id == after.id)

    assert (standin.identify_count, standin.resume_count) == (2, 0) and len(client.frames("READY")) == 2
    assert [m.id for m in client.seen] == [after.id]  # the gap is never delivered: only history has it
    assert missed[0].id in [m.id async for m in client.text_channel(chat.id).history(limit=5)]


async def test_held_member_lists_hold_on_ready_while_events_flow(standin: StandIn, sample: SampleServer) -> None:
    standin.hold_member_lists()
    client = PlainClient()
    task = asyncio.create_task(client.start(standin.token))
    try:
        await standin.wait_until(lambda: standin.held_member_requests)  # READY is in, the member list asked for
        [created] = client.frames("GUILD_CREATE")
        assert created["large"] and [m["user"]["id"] for m in created["members"]] == [str(standin.bot_user.id)]
        said = await standin.say(sample.member("Lena"), sample.channels["chat"], "hello, anyone back?")
        await client.message(lambda m: m.id == said.id)
        assert not client.ready.is_set()

        await standin.release_member_lists()
        await asyncio.wait_for(client.ready.wait(), 5)
        guild = client.get_guild(sample.guild.id)
        assert guild is not None and guild.chunked and {m.id for m in guild.members} == set(sample.guild.members)
        assert standin.held_member_requests is None  # the next IDENTIFY is an ordinary one
    finally:
        await client.close()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)


async def test_rate_limit_429_is_retried(standin: StandIn, sample: SampleServer, connect: Connect) -> None:
    client = await connect()
    chat = sample.channels["chat"]
    standin.fail_next("POST", r"channels/\d+/messages", 429, retry_after=0.05)

    sent = await client.text_channel(chat.id).send("x")

    assert [m.id for m in standin.bot_messages(chat)] == [sent.id]
    assert statuses(standin, "POST", f"channels/{chat.id}/messages") == [429, 200]


async def test_500_is_retried_by_discord_py(standin: StandIn, sample: SampleServer, connect: Connect) -> None:
    client = await connect()
    chat = sample.channels["chat"]
    standin.fail_next("POST", r"channels/\d+/messages", 500)

    sent = await client.text_channel(chat.id).send("after a 500")  # discord.py waits 1 s, then retries

    assert [m.content for m in standin.bot_messages(chat)] == ["after a 500"]
    assert standin.bot_messages(chat)[0].id == sent.id
    assert statuses(standin, "POST", f"channels/{chat.id}/messages") == [500, 200]


async def test_503_surfaces_as_discord_server_error(standin: StandIn, sample: SampleServer,
                                                    connect: Connect) -> None:
    client = await connect()
    chat = sample.channels["chat"]
    standin.fail_next("POST", r"channels/\d+/messages", 503)

    with pytest.raises(discord.DiscordServerError) as raised:
        await client.text_channel(chat.id).send("lost")

    assert raised.value.status == 503
    assert standin.bot_messages(chat) == []
    assert statuses(standin, "POST", f"channels/{chat.id}/messages") == [503]


async def test_posting_without_send_messages_is_forbidden(standin: StandIn, sample: SampleServer,
                                                          connect: Connect) -> None:
    client = await connect()
    rules = sample.channels["rules"]

    with pytest.raises(discord.Forbidden) as raised:
        await client.text_channel(rules.id).send("not allowed here")

    assert raised.value.code == 50013
    assert standin.bot_messages(rules) == []


async def test_allowed_mentions_decide_who_is_pinged(standin: StandIn, sample: SampleServer,
                                                     connect: Connect) -> None:
    client = await connect()
    chat = client.text_channel(sample.channels["chat"].id)
    priya, helpers = sample.member("Priya"), sample.roles["helpers"]  # a mentionable role
    text = f"@everyone <@&{helpers.id}> <@{priya.id}>"

    muted = await chat.send(text, allowed_mentions=discord.AllowedMentions.none())
    pinging = await chat.send(text)  # no allowed_mentions anywhere: Discord parses everything

    held = standin.messages[muted.id]
    assert held.content == text
    assert (held.pinged_everyone, held.pinged_roles, held.pinged_users) == (False, set(), set())
    held = standin.messages[pinging.id]
    assert held.pinged_users == {priya.id}
    assert held.pinged_roles == {helpers.id}
    assert held.pinged_everyone is False  # the sample bot role has no Mention Everyone, as the invite asks
    assert [u.id for u in pinging.mentions] == [priya.id]


async def test_history_pages_by_limit_before_and_after(standin: StandIn, sample: SampleServer,
                                                       connect: Connect) -> None:
    client = await connect()
    chat = sample.channels["general"]
    start = datetime.now(UTC) - timedelta(hours=1)
    posted: list[Message] = [await standin.say(sample.member("Mei"), chat, f"m{i}", at=start + timedelta(seconds=i))
                             for i in range(120)]
    channel = client.text_channel(chat.id)

    async def ids(**kwargs: object) -> list[int]:
        return [m.id async for m in channel.history(**kwargs)]  # type: ignore[arg-type]

    assert await ids(limit=3, after=posted[10], oldest_first=True) == [m.id for m in posted[11:14]]
    assert await ids(limit=3, before=posted[10]) == [m.id for m in reversed(posted[7:10])]
    assert await ids(limit=5) == [m.id for m in reversed(posted[-5:])]
    # More than one page of 100, in both directions.
    assert await ids(limit=None, oldest_first=True) == [m.id for m in posted]
    assert await ids(limit=110, after=posted[4], oldest_first=True) == [m.id for m in posted[5:115]]
    assert await ids(limit=None, before=posted[115]) == [m.id for m in reversed(posted[:115])]


async def test_a_history_page_outside_1_to_100_is_refused_and_a_channel_out_of_sight_is_missing_access(
        standin: StandIn, sample: SampleServer) -> None:
    chat = sample.channels["chat"]
    await standin.say(sample.member("Mei"), chat, "hello")
    for limit in (0, 101):
        status, error = await call(standin, "GET", f"channels/{chat.id}/messages?limit={limit}")
        assert (status, error["code"]) == (400, 50035) and "limit" in error["errors"]
    status, page = await call(standin, "GET", f"channels/{chat.id}/messages?limit=100")
    assert status == 200 and len(page) == 1
    chat.overwrites.append(Overwrite(sample.roles["heartbeat"].id, 0, deny=PERM_VIEW_CHANNEL))
    status, error = await call(standin, "GET", f"channels/{chat.id}/messages?limit=100")
    assert (status, error["code"]) == (403, 50001)


async def test_held_requests_wait_unanswered_after_those_let_through_until_released(
        standin: StandIn, sample: SampleServer) -> None:
    chat, general = sample.channels["chat"], sample.channels["general"]
    hold = standin.hold_requests("GET", rf"channels/{chat.id}/messages$", passes=1)
    assert (await call(standin, "GET", f"channels/{chat.id}/messages"))[0] == 200  # the one let through
    held = asyncio.ensure_future(call(standin, "GET", f"channels/{chat.id}/messages"))
    await standin.wait_until(lambda: hold.held == 1)
    assert (await call(standin, "GET", f"channels/{general.id}/messages"))[0] == 200  # others are answered
    assert not held.done()
    hold.release()
    assert (await held)[0] == 200 and hold.held == 0
    assert (await call(standin, "GET", f"channels/{chat.id}/messages"))[0] == 200  # released for good


# ---------------------------------------------------------------------------------------------- interactions


class PressView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Press", custom_id="press")
    async def press(self, interaction: discord.Interaction, button: discord.ui.Button[PressView]) -> None:
        await interaction.response.edit_message(content=f"pressed by {interaction.user.id}")


def client_with_commands(guild_id: int) -> tuple[PlainClient, app_commands.CommandTree[PlainClient]]:
    """A plain client with a tiny command tree: /ping text [secret] and /slow."""
    client = PlainClient()
    tree: app_commands.CommandTree[PlainClient] = app_commands.CommandTree(client)
    guild = discord.Object(guild_id)

    @tree.command(name="ping", description="Answer with the text", guild=guild)
    async def ping(interaction: discord.Interaction, text: str, secret: bool = False) -> None:
        await interaction.response.send_message(f"pong {text}", ephemeral=secret)

    @tree.command(name="slow", description="Defer, then follow up", guild=guild)
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.followup.send("done at last")

    return client, tree


@pytest.fixture
async def commands_client(standin: StandIn, sample: SampleServer, connect: Connect) -> PlainClient:
    client, tree = client_with_commands(sample.guild.id)
    await connect(client)
    await tree.sync(guild=discord.Object(sample.guild.id))
    return client


async def test_guild_commands_sync(standin: StandIn, sample: SampleServer, commands_client: PlainClient) -> None:
    synced = {c["name"]: c for c in standin.guild_commands[sample.guild.id]}
    assert sorted(synced) == ["ping", "slow"]
    assert [(o["name"], o["type"], o.get("required", False)) for o in synced["ping"]["options"]] == [
        ("text", 3, True), ("secret", 5, False)]


@pytest.mark.parametrize("secret", [False, True])
async def test_slash_command_reply_round_trips(standin: StandIn, sample: SampleServer, commands_client: PlainClient,
                                               secret: bool) -> None:
    chat = sample.channels["chat"]

    record = await standin.slash(sample.member("Priya"), chat, "ping", text="hi", secret=secret)
    reply = await record.reply()

    assert (reply.kind, reply.content, reply.ephemeral) == ("message", "pong hi", secret)
    assert [m.content for m in standin.bot_messages(chat)] == ([] if secret else ["pong hi"])


async def test_deferred_then_followup_is_the_first_reply(standin: StandIn, sample: SampleServer,
                                                         commands_client: PlainClient) -> None:
    record = await standin.slash(sample.member("Priya"), sample.channels["chat"], "slow")
    reply = await record.reply()

    assert (reply.kind, reply.content) == ("message", "done at last")
    assert record.deferred
    callback = await standin.wait_for_request(lambda r: r.path.startswith(f"interactions/{record.id}/"))
    assert callback.body["type"] == 5 and callback.status == 200


async def test_button_click_and_edit_message_update(standin: StandIn, sample: SampleServer, connect: Connect) -> None:
    client = await connect()
    sent = await client.text_channel(sample.channels["chat"].id).send("press me", view=PressView())
    held = standin.messages[sent.id]
    assert held.custom_ids() == ["press"]
    priya = sample.member("Priya")

    record = await standin.click(priya, held, "press")
    reply = await record.reply()

    assert (reply.kind, reply.content) == ("update", f"pressed by {priya.id}")
    assert held.content == f"pressed by {priya.id}" and held.edited_at is not None


# ---------------------------------------------------------------------------------------------- threads, events


async def test_thread_from_message(standin: StandIn, sample: SampleServer, connect: Connect) -> None:
    client = await connect()
    chat = sample.channels["chat"]
    starter = await client.text_channel(chat.id).send("let's talk")

    thread = await starter.create_thread(name="the talk")
    inside = await thread.send("in the thread")

    held = standin.channels[thread.id]
    assert thread.id == starter.id  # Discord gives the thread its starter message's id
    assert (held.type, held.name, held.parent_id) == (11, "the talk", chat.id)
    assert held.id in sample.guild.channels
    assert standin.messages[inside.id].channel_id == thread.id
    assert thread.parent_id == chat.id


async def test_scheduled_event_is_created_and_held(standin: StandIn, sample: SampleServer,
                                                   connect: Connect) -> None:
    client = await connect()
    guild = client.get_guild(sample.guild.id)
    assert guild is not None
    start = datetime.now(UTC) + timedelta(days=1)
    announced = client.wait_for("scheduled_event_create", timeout=5)

    event = await guild.create_scheduled_event(
        name="#GetRealChat", start_time=start, end_time=start + timedelta(hours=1),
        entity_type=discord.EntityType.external, location="This server",
        privacy_level=discord.PrivacyLevel.guild_only)

    held = sample.guild.scheduled_events[event.id]
    assert held["name"] == "#GetRealChat" and held["entity_metadata"] == {"location": "This server"}
    assert event.start_time == start
    assert event.location == "This server"
    assert (await announced).id == event.id
    assert [e.id for e in await guild.fetch_scheduled_events()] == [event.id]


# ---------------------------------------------------------------------------------------------- unknown routes


async def test_unknown_routes_are_recorded(standin: StandIn, sample: SampleServer, connect: Connect) -> None:
    client = await connect()
    guild = client.get_guild(sample.guild.id)
    assert guild is not None

    with pytest.raises(discord.NotFound):
        await client.text_channel(sample.channels["chat"].id).fetch_message(1)  # a known route, unknown id
    assert standin.unhandled == []
    with pytest.raises(discord.NotFound):
        await guild.fetch_roles()

    assert standin.unhandled == [f"GET guilds/{sample.guild.id}/roles"]
