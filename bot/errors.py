"""One table from exceptions to the ephemeral sentence a user sees; anything unexpected gets a reference code."""

from __future__ import annotations

import logging
import secrets
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.errors import UserError
from bot.domain.text import excerpt
from bot.permissions import display_name

if TYPE_CHECKING:
    from bot.client import Heartbeat

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 2000
# How often hosts hear again about the same storage trouble.
TROUBLE_REPEAT = timedelta(hours=1)


def _missing_bot_permissions(error: Exception) -> str:
    assert isinstance(error, app_commands.BotMissingPermissions)
    names = ", ".join(map(display_name, error.missing_permissions))
    return f"I am missing the {names} permission here: ask an admin to grant it, then try again."


def _missing_permissions(error: Exception) -> str:
    assert isinstance(error, app_commands.MissingPermissions)
    names = ", ".join(map(display_name, error.missing_permissions))
    return f"You need the {names} permission for that."


def _forbidden(error: Exception) -> str:
    return "Discord refused: I lack a permission for that here. `/config status` lists what is missing."


# What SQLite says when the trouble is the machine's, not the bot's: the cause, as hosts should hear it.
STORAGE_TROUBLES = {"database or disk is full": "the bot's disk is full",
                    "readonly database": "the bot's database file is read-only",
                    "disk i/o error": "the bot's disk reported an input/output error"}


def storage_trouble(error: BaseException) -> str | None:
    """The cause, in words for hosts, if the error is the database's disk or file refusing writes."""
    if not isinstance(error, sqlite3.OperationalError):
        return None
    said = str(error).lower()
    return next((cause for clue, cause in STORAGE_TROUBLES.items() if clue in said), None)


def _storage_trouble(error: Exception) -> str | None:
    cause = storage_trouble(error)
    return None if cause is None else (f"I can't save anything right now: {cause}. The hosts have been told; "
                                       "nothing was changed, so please try again once it is fixed.")


# First match wins, so subclasses come before their parents; a row answering None lets later rows try.
ERROR_TABLE: list[tuple[type[BaseException], Callable[[Exception], str | None]]] = [
    (UserError, str),
    (app_commands.BotMissingPermissions, _missing_bot_permissions),
    (app_commands.MissingPermissions, _missing_permissions),
    (app_commands.CommandOnCooldown,
     lambda e: f"Slow down: try again in {getattr(e, 'retry_after', 0):.0f} seconds."),
    (app_commands.CheckFailure, lambda e: str(e) if str(e) else "You can't use that command here."),
    (app_commands.TransformerError,
     lambda e: f"'{excerpt(str(getattr(e, 'value', '')))}' is not something I can use there: pick one from the list."),
    (discord.Forbidden, _forbidden),
    (sqlite3.OperationalError, _storage_trouble),
]


class Troubles:
    """Tells a server's hosts once an hour at most about storage trouble, however many commands or messages hit it."""

    def __init__(self, alert: Callable[[int, str], Awaitable[None]], clock: Callable[[], datetime]) -> None:
        self._alert = alert
        self._clock = clock
        self._told: dict[tuple[int, str], datetime] = {}  # bounded by servers × the few causes

    async def storage_failed(self, guild_id: int | None, cause: str) -> None:
        """Log the cause and alert the server's hosts, unless they heard of it within the hour."""
        now = self._clock()
        key = (guild_id or 0, cause)
        if key in self._told and now - self._told[key] < TROUBLE_REPEAT:
            return
        self._told[key] = now
        log.error("Cannot save to the database: %s", cause)
        if guild_id is None:
            return
        try:
            await self._alert(guild_id, f"⚠️ I can't save anything: {cause}. Commands are refused with that "
                                        "sentence until it is fixed; answers in running chats are read back from "
                                        "Discord once it is.")
        except Exception:  # a disk that fails reads too cannot even look up the moderator channel
            log.exception("Could not tell the hosts of server %d about the database", guild_id)


def unwrap(error: BaseException) -> BaseException:
    """The exception that actually happened, beneath discord.py's invoke wrappers."""
    while isinstance(error, app_commands.CommandInvokeError | commands.CommandInvokeError):
        error = error.original
    return error


def user_message(error: BaseException) -> tuple[str, bool]:
    """The sentence for the user, and whether the error was expected (False means log it with a reference)."""
    error = unwrap(error)
    for kind, render in ERROR_TABLE:
        if isinstance(error, kind):
            sentence = render(error)  # type: ignore[arg-type]
            if sentence is not None:
                return sentence, True
    return "", False


def log_unexpected(where: str, error: BaseException | None) -> str:
    """Log an unexpected failure with a short reference code, and return the code for the person affected."""
    reference = secrets.token_hex(3).upper()
    log.error("Unexpected error [ref %s] in %s", reference, where, exc_info=error)
    return reference


async def report(interaction: discord.Interaction, error: BaseException) -> None:
    """Tell the user what went wrong, ephemerally; log the unexpected with a code they can quote."""
    message, expected = user_message(error)
    if not expected:
        reference = log_unexpected(_describe(interaction), unwrap(error))
        message = (f"Something went wrong on my side (reference {reference}). "
                   "Please check whether your change took effect, try again, or give an admin that reference.")
    # A reply past Discord's limit is refused outright, leaving the user with no answer at all.
    message = message if len(message) <= MESSAGE_LIMIT else message[: MESSAGE_LIMIT - 1] + "…"
    try:
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True)
        else:
            await interaction.response.send_message(message, ephemeral=True)
    except discord.HTTPException:
        log.warning("Could not deliver an error message for %s", _describe(interaction))
    cause = storage_trouble(unwrap(error))
    if cause is not None:  # told after the reply: the alert must not cost the user Discord's 3 seconds
        bot: Heartbeat = interaction.client  # type: ignore[assignment]
        await bot.troubles.storage_failed(interaction.guild_id, cause)


async def answering(interaction: discord.Interaction, pressed: Callable[[], Awaitable[None]]) -> None:
    """Run a button's work; a failure reaches the presser as report() puts it, never as "This interaction failed"."""
    try:
        await pressed()
    except Exception as error:
        await report(interaction, error)


def _describe(interaction: discord.Interaction) -> str:
    data: dict[str, object] = dict(interaction.data or {})
    command = interaction.command.qualified_name if interaction.command else data.get("custom_id")
    return f"/{command} by {interaction.user.id} in guild {interaction.guild_id}"
