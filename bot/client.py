"""The Heartbeat bot: opens storage, loads the cogs, rebuilds jobs, and syncs commands only when they change."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import sys
from datetime import timedelta

import discord
import yarl
from discord.ext import commands

from bot import errors
from bot.chats import Chats, CheckIn, NotifyMe
from bot.clock import Clock
from bot.jobs import Jobs
from bot.newcomers import Newcomers, ReportPage, Review
from bot.posting import alert_hosts
from bot.progression import Progression, Recognition
from bot.reporting import ProgressionPage
from bot.settings import Settings
from bot.storage import Storage

log = logging.getLogger(__name__)

# Loaded in this order; an explicit list so a stray file in cogs/ never becomes a feature by accident.
COGS = (
    "cogs.config",
    "cogs.members",
    "cogs.about",
    "cogs.announce",
    "cogs.moderation",
    "cogs.welcome",
    "cogs.chat",
    "cogs.live",
)


def intents() -> discord.Intents:
    """Guilds, members (privileged), messages, message content (privileged), reactions."""
    chosen = discord.Intents.none()
    chosen.guilds = True
    chosen.members = True
    chosen.guild_messages = True
    chosen.dm_messages = True
    chosen.message_content = True
    chosen.guild_reactions = True
    return chosen


def use_discord_at(base_url: str) -> None:
    """Point discord.py's REST and gateway at another Discord, such as the local stand-in."""
    base = base_url.rstrip("/")
    discord.http.Route.BASE = f"{base}/api/v10"
    gateway = yarl.URL(base.replace("http://", "ws://", 1).replace("https://", "wss://", 1) + "/gateway")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway


# How soon a failed catch-up at READY is tried again.
READY_RETRY = timedelta(seconds=30)


class Heartbeat(commands.Bot):
    """The bot. Everything it remembers lives in `storage`; `jobs` is rebuilt from it at every start."""

    def __init__(self, settings: Settings, *, identify_delay: float = 5.0, guild_ready_timeout: float = 2.0,
                 clock: Clock | None = None) -> None:
        # Heartbeat has no voice features; don't warn about voice libraries at every start.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        super().__init__(
            command_prefix=commands.when_mentioned,  # slash commands only; no prefix commands are defined
            help_command=None,
            intents=intents(),
            # Nobody is pinged unless a post names them explicitly (see bot/domain and the cogs).
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=guild_ready_timeout,
            chunk_guilds_at_startup=True,
        )
        self.settings = settings
        self.identify_delay = identify_delay
        self.clock = clock or Clock()
        self.jobs = Jobs(self.clock)
        self._storage: Storage | None = None
        self._chats: Chats | None = None
        self._progression: Progression | None = None
        self.newcomers = Newcomers(self)
        self._restored = False
        self._closing = False
        self.troubles = errors.Troubles(alert=self._alert_hosts, clock=self.clock)
        # Set at READY: what tests and the demo wait on instead of polling.
        self.connected = asyncio.Event()
        self.tree.on_error = errors.report  # type: ignore[method-assign]

    @property
    def storage(self) -> Storage:
        """The one database connection, open from setup_hook until close."""
        if self._storage is None:
            raise RuntimeError("storage is not open yet")
        return self._storage

    @property
    def chats(self) -> Chats:
        """Running chats (scheduling, promotion, delivery, the live session, capture), made once storage is open."""
        if self._chats is None:
            raise RuntimeError("chats are not set up yet")
        return self._chats

    @property
    def progression(self) -> Progression:
        """Closing each server's months and refreshing the running one, made once storage is open."""
        if self._progression is None:
            raise RuntimeError("progression is not set up yet")
        return self._progression

    async def setup_hook(self) -> None:
        """Open and migrate storage, start the scheduler, load the cogs, sync commands if they changed."""
        self._storage = await Storage.open(self.settings.database_path)
        log.info("Database %s at schema version %d", self.settings.database_path,
                 await self._storage.schema_version())
        # Made here, not in __init__: every part is handed the open database.
        self._chats = Chats(client=self, storage=self._storage, clock=self.clock, jobs=self.jobs,
                            grace=timedelta(seconds=self.settings.defaults.misfire_grace_seconds),
                            newcomers=self.newcomers, trouble=self.troubles.storage_failed,
                            catch_up_later=self.catch_up_later)
        self._progression = Progression(self._storage, self.clock, self.jobs,
                                        default_zone=self.settings.defaults.timezone, flush=self._chats.ingest.flush,
                                        moved=Recognition(self._storage, self).moved)
        self.jobs.start()
        self.add_dynamic_items(CheckIn, NotifyMe, Review, ReportPage, ProgressionPage)
        for name in COGS:
            await self.load_extension(name)
        await self.sync_commands()

    def command_scope(self) -> discord.Object | None:
        """Where commands are synced: one development guild if SYNC_GUILD_ID is set, else globally."""
        return discord.Object(self.settings.sync_guild_id) if self.settings.sync_guild_id else None

    async def sync_commands(self) -> bool:
        """Sync slash commands only when the command set differs from the last sync (by hash); True if synced."""
        scope = self.command_scope()
        if scope is not None:
            self.tree.copy_global_to(guild=scope)
        payload = [command.to_dict(self.tree) for command in self.tree.get_commands(guild=scope)]
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        key = f"command_hash:{self.application_id}:{scope.id if scope else 'global'}"
        if await self.storage.meta.get(key) == digest:
            log.info("Slash commands unchanged; not syncing")
            return False
        await self.tree.sync(guild=scope)
        await self.storage.meta.set(key, digest)
        log.info("Synced %d slash commands (%s)", len(payload), f"guild {scope.id}" if scope else "global")
        return True

    async def on_message(self, message: discord.Message, /) -> None:
        """Heartbeat has slash commands only: no message is parsed for a prefix command (cogs listen for chats)."""

    async def on_ready(self) -> None:
        log.info("Connected as %s to %d server(s)", self.user, len(self.guilds))
        await self._catch_up()
        self.connected.set()

    async def _catch_up(self) -> None:
        """Rebuild the jobs (once a process) and read back what live chats said while the bot was away.

        READY comes again after a reconnect that could not resume: jobs are rebuilt once, but the read-back runs
        every time. A failure (a full disk, say) is tried again shortly rather than left until the next start.
        """
        try:
            if not self._restored:
                await self.chats.scheduling.restore()
                await self.newcomers.restore()
                self._restored = True  # only once it all went through: asking for the same jobs again is harmless
            await self.chats.listening.catch_up()
            await self.newcomers.catch_up()  # joins and leaves missed while away, from each server's member list
            await self.progression.catch_up([guild.id for guild in self.guilds])  # months that ended meanwhile
        except Exception:
            log.exception("Catching up at READY failed; trying again in %s", READY_RETRY)
            self.jobs.at("ready:catch-up", self.clock() + READY_RETRY, self._catch_up)

    def catch_up_later(self) -> None:
        """Read back live chats and reconcile members again shortly (writes failed, or were given up)."""
        if "ready:catch-up" not in self.jobs.pending():
            self.jobs.at("ready:catch-up", self.clock() + READY_RETRY, self._catch_up)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Discord allows one IDENTIFY per 5 s; the stand-in has no such limit, so tests set the delay to 0."""
        if not initial and self.identify_delay:
            await asyncio.sleep(self.identify_delay)

    async def _alert_hosts(self, guild_id: int, text: str) -> None:
        """Tell a server's hosts in its moderator channel (see bot/posting.py)."""
        await alert_hosts(self.storage, self, guild_id, text)

    async def on_error(self, event_method: str, /, *args: object, **kwargs: object) -> None:
        """A listener failed: log it with the event and a reference; during shutdown, quietly.

        Events still arriving while the bot stops may find the database closed; what they carried is read back
        from Discord at the next start, so they are not errors.
        """
        if self._closing:
            log.debug("%s was cut short by the shutdown", event_method, exc_info=True)
            return
        error = sys.exc_info()[1]
        cause = errors.storage_trouble(error) if error is not None else None
        if cause is not None:
            self.catch_up_later()  # what could not be saved is still in Discord: read it back once writes work
            event = args[0] if args else None
            guild_id = getattr(getattr(event, "guild", None), "id", None) or getattr(event, "guild_id", None)
            await self.troubles.storage_failed(guild_id, cause)
            return
        errors.log_unexpected(f"the {event_method} listener", error)

    async def close(self) -> None:
        """Stop the scheduler, disconnect, then flush and close the database."""
        self._closing = True
        await self.jobs.shutdown()
        await super().close()
        if self._storage is None:
            return  # it never got as far as its database: whoever stopped it says why
        if self._chats is not None:
            try:
                await self._chats.ingest.close()  # chat messages still in memory
            except Exception as error:  # the database refuses them: the next start reads them back
                log.warning("Could not store the last chat messages before stopping (%s); they are read back "
                            "from Discord at the next start", error)
        await self._storage.close()
        log.info("Heartbeat stopped cleanly")
