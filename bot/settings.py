"""Settings from the environment (.env via python-dotenv) plus non-secret defaults from defaults.toml."""

from __future__ import annotations

import logging
import os
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

log = logging.getLogger(__name__)

#: The repository root when running from a checkout; an installed package simply has no config/ there.
_REPO_ROOT = Path(__file__).resolve().parent.parent
def config_file(*parts: str) -> Path:
    """A file of the config/ folder: beside the code in a checkout, else where `pip install .` put it."""
    for root in (_REPO_ROOT / "config", Path(sys.prefix) / "share" / "heartbeat" / "config"):
        if root.joinpath(*parts).is_file():
            return root.joinpath(*parts)
    return _REPO_ROOT.joinpath("config", *parts)


DEFAULT_DEFAULTS_FILE = config_file("defaults.toml")
DEFAULT_DATABASE_PATH = Path("./data/heartbeat.db")
DEFAULT_ENV_FILE = Path(".env")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

_MISSING_TOKEN_MESSAGE = (
    "DISCORD_TOKEN is not set: put DISCORD_TOKEN=<your bot token> in a .env file "
    "(see config/.env.example), or run `python -m bot demo` to rehearse offline without a token."
)


class SettingsError(Exception):
    """A configuration value is missing or invalid; the message is one sentence naming it and what fits."""


@dataclass(frozen=True)
class Defaults:
    """Non-secret defaults, normally read from config/defaults.toml."""

    timezone: str = "UTC"
    misfire_grace_seconds: int = 300
    welcome_burst_joins: int = 5
    welcome_burst_window_seconds: int = 60
    new_account_hours: int = 24
    connect_timeout_seconds: int = 30

    def __post_init__(self) -> None:
        """Validate every field so a Defaults built in code obeys the same rules as one read from TOML."""
        for name in _DEFAULT_TYPES:
            _check_default(name, getattr(self, name), source=None)


# Spelled out rather than read from annotations, which are strings under `from __future__ import annotations`.
_DEFAULT_TYPES: dict[str, type] = {
    "timezone": str,
    "misfire_grace_seconds": int,
    "welcome_burst_joins": int,
    "welcome_burst_window_seconds": int,
    "new_account_hours": int,
    "connect_timeout_seconds": int,
}


@dataclass(frozen=True)
class Settings:
    """What the bot reads from its environment; the token is kept out of repr so it never reaches a log."""

    token: str | None = field(repr=False)
    database_path: Path
    log_level: str
    sync_guild_id: int | None
    defaults: Defaults
    #: Testing only: a Discord stand-in's base URL (REST under /api/v10, gateway at /gateway).
    discord_url: str | None = None


def _check_default(name: str, value: Any, *, source: Path | None) -> None:
    """Raise SettingsError unless `value` is acceptable for the default called `name`."""
    where = f"{name} in {source}" if source is not None else name
    expected = _DEFAULT_TYPES[name]
    if expected is int:
        # bool is a subclass of int, but `misfire_grace_seconds = true` is certainly a mistake.
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise SettingsError(f"{where} must be a whole number of at least 1 (got {value!r}).")
    elif name == "timezone" and not (isinstance(value, str) and _is_zone(value)):
        raise SettingsError(f"{where} must be an IANA time zone name such as 'UTC' or 'Europe/London' (got {value!r}).")


def _is_zone(name: str) -> bool:
    """Return True if `name` is a time zone that zoneinfo (backed by tzdata) knows."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def load_defaults(path: Path) -> Defaults:
    """Read and validate a defaults TOML file; every key is optional, unknown keys are an error."""
    try:
        with path.open("rb") as file:
            data = tomllib.load(file)
    except FileNotFoundError:
        raise SettingsError(
            f"The defaults file {path} does not exist: fix HEARTBEAT_DEFAULTS, "
            "or leave it empty to use the built-in defaults."
        ) from None
    except OSError as error:
        raise SettingsError(f"The defaults file {path} could not be read ({error.strerror}).") from None
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"The defaults file {path} is not valid TOML ({error}).") from None
    except UnicodeDecodeError:
        raise SettingsError(f"The defaults file {path} is not UTF-8 text: save it as UTF-8 (any editor's "
                            "\"Save with encoding\"), then start again.") from None
    for key, value in data.items():
        if key not in _DEFAULT_TYPES:
            allowed = ", ".join(_DEFAULT_TYPES)
            # Unknown keys fail loudly so a typo cannot silently leave a default unchanged.
            raise SettingsError(f"Unknown key {key!r} in {path}: the allowed keys are {allowed}.")
        _check_default(key, value, source=path)
    return Defaults(**data)


def _clean(value: str | None) -> str:
    """Strip whitespace and one pair of matching surrounding quotes, which people paste along with values."""
    text = (value or "").strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1].strip()
    return text


def _read_environment(environ: Mapping[str, str] | None, env_file: Path | None) -> dict[str, str]:
    """Merge the .env file under the real environment, so a real environment variable always wins."""
    if environ is None:
        environ = os.environ
        env_file = env_file if env_file is not None else DEFAULT_ENV_FILE
    merged: dict[str, str] = {}
    if env_file is not None:
        if env_file.is_file():
            # interpolate=False: values are literal, and ${VAR} never pulls in the process environment.
            file_values = dotenv_values(env_file, interpolate=False)
            merged.update({key: value for key, value in file_values.items() if value is not None})
            log.debug("Read %d setting(s) from %s", len(merged), env_file)
        else:
            log.debug("No .env file at %s; using the environment only", env_file)
    merged.update(environ)
    return merged


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    env_file: Path | None = None,
    defaults_file: Path | None = None,
) -> Settings:
    """Build Settings from `environ` (default: the process environment plus ./.env) and the defaults file.

    With an explicit `environ` (tests), neither the process environment nor ./.env is read; pass
    `env_file` to read a .env file as well. `defaults_file` beats HEARTBEAT_DEFAULTS, which beats
    config/defaults.toml in the repository; only that last one may be absent (built-in defaults then).
    """
    values = _read_environment(environ, env_file)

    token = _clean(values.get("DISCORD_TOKEN")) or None

    raw_path = _clean(values.get("DATABASE_PATH"))
    database_path = Path(raw_path).expanduser() if raw_path else DEFAULT_DATABASE_PATH

    raw_level = _clean(values.get("LOG_LEVEL")) or "INFO"
    log_level = raw_level.upper()
    if log_level not in LOG_LEVELS:
        raise SettingsError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)} (got {raw_level!r}).")

    raw_guild = _clean(values.get("SYNC_GUILD_ID"))
    sync_guild_id: int | None = None
    if raw_guild:
        # isdecimal rather than isdigit: int() rejects superscripts that isdigit accepts.
        if not (raw_guild.isascii() and raw_guild.isdecimal()) or int(raw_guild) == 0:
            raise SettingsError(
                f"SYNC_GUILD_ID must be a server ID made of digits only, or empty to sync globally (got {raw_guild!r})."
            )
        sync_guild_id = int(raw_guild)

    raw_defaults = _clean(values.get("HEARTBEAT_DEFAULTS"))
    if defaults_file is not None:
        defaults = load_defaults(defaults_file)
    elif raw_defaults:
        defaults = load_defaults(Path(raw_defaults).expanduser())
    elif DEFAULT_DEFAULTS_FILE.is_file():
        defaults = load_defaults(DEFAULT_DEFAULTS_FILE)
    else:
        log.debug("No %s; using built-in defaults", DEFAULT_DEFAULTS_FILE)
        defaults = Defaults()

    discord_url = _clean(values.get("HEARTBEAT_DISCORD_URL")) or None
    if discord_url and not discord_url.startswith(("http://", "https://")):
        raise SettingsError(f"HEARTBEAT_DISCORD_URL must start with http:// or https:// (got {discord_url!r}).")

    return Settings(
        token=token,
        database_path=database_path,
        log_level=log_level,
        sync_guild_id=sync_guild_id,
        defaults=defaults,
        discord_url=discord_url,
    )


def require_token(settings: Settings) -> str:
    """Return the bot token, or raise SettingsError explaining how to provide one; never echoes the token."""
    token = settings.token
    if not token:
        raise SettingsError(_MISSING_TOKEN_MESSAGE)
    if token.lower().startswith("bot "):
        raise SettingsError(
            "DISCORD_TOKEN must be the bare token without the 'Bot ' prefix: keep only the part after it."
        )
    # Deliberately loose: Discord promises no token format, so reject only what is surely a paste error.
    if not token.isascii() or not token.isprintable() or any(char.isspace() for char in token):
        raise SettingsError(
            "DISCORD_TOKEN does not look like a bot token: it must be one unbroken string without spaces "
            "(copy it again from the Bot page of the Discord Developer Portal)."
        )
    return token
