"""`python -m bot` or `python -m bot run`: connect to Discord with DISCORD_TOKEN and serve until stopped."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sqlite3
from pathlib import Path

import aiohttp
import discord

from bot.cli._lock import AlreadyRunning, instance_lock
from bot.cli._output import database_failure, fail
from bot.cli._watch import DatabaseLost, refuse_if_lost, watch
from bot.client import Heartbeat, use_discord_at
from bot.settings import Settings, require_token
from bot.storage import MigrationError

log = logging.getLogger("bot")


class NoAnswer(Exception):
    """Discord (or whatever answers at its address) did not answer the login in time.

    Discord answers a login within seconds; past the defaults' connect_timeout_seconds, something on the way (a
    proxy, a firewall, a wrong HEARTBEAT_DISCORD_URL) holds the connection open without answering.
    """


def add_parser(modes: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare the subcommand."""
    modes.add_parser("run", help="connect to Discord with DISCORD_TOKEN (the default)")


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Connect to Discord and run until SIGINT or SIGTERM."""
    token = require_token(settings)
    # The database holds what members said: files the bot creates (database, journal, lock) are the owner's alone.
    os.umask(0o077)
    discord.utils.setup_logging(level=getattr(logging, settings.log_level), root=True)
    if settings.discord_url:
        use_discord_at(settings.discord_url)
    try:
        refuse_if_lost(settings.database_path)
        with instance_lock(settings.database_path):
            asyncio.run(_serve(settings, token))
    except (AlreadyRunning, DatabaseLost) as error:
        return fail(str(error))
    except (NoAnswer, TimeoutError):  # before OSError: TimeoutError is one, and says nothing of the database
        where = settings.discord_url or "discord.com"
        return fail(f"Discord did not answer within {settings.defaults.connect_timeout_seconds} s at {where}: "
                    "check the network connection (and any proxy or firewall), then start again.")
    except aiohttp.ClientError as error:  # before OSError: aiohttp's connection errors are OSErrors too
        return fail(f"could not reach Discord ({error}): check the network connection, then start again.")
    except discord.DiscordServerError as error:
        return fail(f"Discord answered {error.status} ({error.response.reason}): it is having trouble, not this "
                    "bot; see https://discordstatus.com and start again in a few minutes.")
    except discord.LoginFailure:
        return fail("Discord rejected DISCORD_TOKEN: copy a fresh token from the Bot page of the "
                    "Developer Portal into .env.")
    except (MigrationError, OSError, sqlite3.DatabaseError) as error:
        return fail(database_failure(settings.database_path, error))
    except discord.PrivilegedIntentsRequired:
        return fail("enable the Server Members and Message Content intents on the Bot page of the "
                    "Developer Portal, then start again.")
    return 0


async def _serve(settings: Settings, token: str) -> None:
    """Run the bot until a signal, or until its database file disappears; either way it closes cleanly."""
    bot = Heartbeat(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        # Windows has no add_signal_handler; Ctrl+C still stops the bot there (KeyboardInterrupt).
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    runner = asyncio.create_task(bot.start(token))
    try:
        await _logged_in(bot, runner)
    except BaseException:
        runner.cancel()
        await bot.close()
        raise
    stopper = asyncio.create_task(stop.wait())
    watcher = asyncio.create_task(_watch_database(bot, settings.database_path))
    try:
        done, _ = await asyncio.wait({runner, stopper, watcher}, return_when=asyncio.FIRST_COMPLETED)
        if runner in done:
            runner.result()
        elif watcher in done:
            log.error("%s", watcher.result())
            raise DatabaseLost(watcher.result())
        else:
            log.info("Signal received; shutting down")
    finally:
        stopper.cancel()
        watcher.cancel()
        await bot.close()
        if not runner.done():
            runner.cancel()


async def _logged_in(bot: Heartbeat, runner: asyncio.Task[None]) -> None:
    """Wait until Discord has answered the login, or the start failed (its error says why), or time is up."""
    answered = asyncio.create_task(bot.logged_in.wait())
    try:
        await asyncio.wait({runner, answered}, timeout=bot.settings.defaults.connect_timeout_seconds,
                           return_when=asyncio.FIRST_COMPLETED)
    finally:
        answered.cancel()
    if runner.done():
        runner.result()
    elif not bot.logged_in.is_set():
        raise NoAnswer


async def _watch_database(bot: Heartbeat, database: Path | str) -> str:
    """Watch the database file from the start; return a sentence if it goes away (an in-memory one never does)."""
    if str(database) == ":memory:":
        await asyncio.Event().wait()
    return await watch(database, opened=bot.connected.is_set)
