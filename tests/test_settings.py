"""Tests for bot.settings: defaults, validation messages, .env handling and keeping the token secret."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

import bot.settings as settings_module
from bot.settings import (
    DEFAULT_DEFAULTS_FILE,
    Defaults,
    Settings,
    SettingsError,
    config_file,
    load_defaults,
    load_settings,
    require_token,
)

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_defaults_with_empty_environment() -> None:
    """An empty environment gives the documented defaults and no token."""
    settings = load_settings({})
    assert settings.token is None
    assert settings.database_path == Path("./data/heartbeat.db")
    assert settings.log_level == "INFO"
    assert settings.sync_guild_id is None
    assert isinstance(settings.defaults, Defaults)


def test_shipped_defaults_file_matches_built_in_defaults() -> None:
    """config/defaults.toml documents the built-in values, so reading it changes nothing."""
    assert DEFAULT_DEFAULTS_FILE == REPO_ROOT / "config" / "defaults.toml"
    assert load_defaults(DEFAULT_DEFAULTS_FILE) == Defaults()


def test_env_example_lists_every_variable() -> None:
    """Every variable load_settings reads is documented in config/.env.example."""
    text = (REPO_ROOT / "config" / ".env.example").read_text(encoding="utf-8")
    for name in ("DISCORD_TOKEN", "DATABASE_PATH", "LOG_LEVEL", "SYNC_GUILD_ID", "HEARTBEAT_DEFAULTS"):
        assert f"{name}=" in text


def test_values_are_read_and_normalised() -> None:
    """Values are trimmed, unquoted and parsed; LOG_LEVEL is case-insensitive."""
    settings = load_settings(
        {
            "DISCORD_TOKEN": '  "abc.def-ghi_jkl"  ',
            "DATABASE_PATH": "/tmp/somewhere/hb.db",
            "LOG_LEVEL": "debug",
            "SYNC_GUILD_ID": " 123456789012345678 ",
        }
    )
    assert settings.token == "abc.def-ghi_jkl"
    assert require_token(settings) == "abc.def-ghi_jkl"
    assert settings.database_path == Path("/tmp/somewhere/hb.db")
    assert settings.log_level == "DEBUG"
    assert settings.sync_guild_id == 123456789012345678


def test_empty_values_mean_unset() -> None:
    """Empty strings (as left in a copied .env.example) fall back to the defaults."""
    settings = load_settings({"DISCORD_TOKEN": "", "SYNC_GUILD_ID": "", "LOG_LEVEL": "", "DATABASE_PATH": ""})
    assert settings.token is None
    assert settings.sync_guild_id is None
    assert settings.log_level == "INFO"
    assert settings.database_path == Path("./data/heartbeat.db")


def test_bad_log_level_names_variable_and_choices() -> None:
    """A bad LOG_LEVEL error names the variable, the allowed values and what was given."""
    with pytest.raises(SettingsError) as caught:
        load_settings({"LOG_LEVEL": "LOUD"})
    assert str(caught.value) == "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL (got 'LOUD')."


@pytest.mark.parametrize("value", ["abc", "12 34", "-5", "1.5", "0", "１２３"])
def test_bad_sync_guild_id_names_variable(value: str) -> None:
    """SYNC_GUILD_ID accepts plain ASCII digits only."""
    with pytest.raises(SettingsError, match="SYNC_GUILD_ID"):
        load_settings({"SYNC_GUILD_ID": value})


def test_missing_token_explains_how_to_fix() -> None:
    """Without a token, require_token says where to put one and how to run offline instead."""
    with pytest.raises(SettingsError) as caught:
        require_token(load_settings({}))
    message = str(caught.value)
    assert "DISCORD_TOKEN" in message
    assert "python -m bot demo" in message
    assert "config/.env.example" in message


@pytest.mark.parametrize("value", ["abc def.secret", "Bot abc.secret", "abc\tdef.secret", "abc\x00def.secret"])
def test_malformed_token_is_rejected_without_echoing_it(value: str) -> None:
    """A token with whitespace, control characters or a 'Bot ' prefix is refused, and never repeated back."""
    settings = load_settings({"DISCORD_TOKEN": value})
    with pytest.raises(SettingsError) as caught:
        require_token(settings)
    assert "DISCORD_TOKEN" in str(caught.value)
    assert "secret" not in str(caught.value)


def test_token_never_in_repr_or_str() -> None:
    """The token stays out of repr() and str() of Settings, so logging settings cannot leak it."""
    settings = load_settings({"DISCORD_TOKEN": "abc.supersecret.xyz"})
    assert settings.token == "abc.supersecret.xyz"
    assert "supersecret" not in repr(settings)
    assert "supersecret" not in str(settings)
    assert "database_path" in repr(settings)


def test_no_settings_error_ever_contains_the_token() -> None:
    """Whatever else is wrong, a SettingsError does not mention the token's value."""
    for environ in (
        {"DISCORD_TOKEN": "abc def.secret", "LOG_LEVEL": "LOUD"},
        {"DISCORD_TOKEN": "abc def.secret", "SYNC_GUILD_ID": "nope"},
        {"DISCORD_TOKEN": "abc def.secret", "HEARTBEAT_DEFAULTS": "/nonexistent/defaults.toml"},
    ):
        with pytest.raises(SettingsError) as caught:
            load_settings(environ)
        assert "secret" not in str(caught.value)


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    """Values in a .env file are used when the environment does not set them."""
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# comment\nDISCORD_TOKEN=from.dotenv.file\nLOG_LEVEL=warning\nSYNC_GUILD_ID='42'\n", encoding="utf-8"
    )
    settings = load_settings({}, env_file=env_file)
    assert settings.token == "from.dotenv.file"
    assert settings.log_level == "WARNING"
    assert settings.sync_guild_id == 42


def test_real_environment_overrides_dotenv(tmp_path: Path) -> None:
    """A variable set in the real environment wins over the same one in .env."""
    env_file = tmp_path / ".env"
    env_file.write_text("LOG_LEVEL=DEBUG\nDATABASE_PATH=/from/dotenv.db\n", encoding="utf-8")
    settings = load_settings({"LOG_LEVEL": "ERROR"}, env_file=env_file)
    assert settings.log_level == "ERROR"
    assert settings.database_path == Path("/from/dotenv.db")


def test_dotenv_values_are_literal(tmp_path: Path) -> None:
    """${VAR} in .env is not expanded, so nothing is pulled in from the process environment."""
    env_file = tmp_path / ".env"
    env_file.write_text("DATABASE_PATH=${HOME}/x.db\n", encoding="utf-8")
    assert load_settings({}, env_file=env_file).database_path == Path("${HOME}/x.db")


def test_missing_dotenv_file_is_fine(tmp_path: Path) -> None:
    """No .env file simply means no values from it."""
    assert load_settings({"LOG_LEVEL": "ERROR"}, env_file=tmp_path / "absent.env").log_level == "ERROR"


def test_process_environment_used_by_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without an explicit environ, the process environment and ./.env are read."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("LOG_LEVEL=DEBUG\nSYNC_GUILD_ID=7\n", encoding="utf-8")
    monkeypatch.setenv("LOG_LEVEL", "critical")
    monkeypatch.delenv("SYNC_GUILD_ID", raising=False)
    monkeypatch.delenv("HEARTBEAT_DEFAULTS", raising=False)
    settings = load_settings()
    assert settings.log_level == "CRITICAL"
    assert settings.sync_guild_id == 7


def test_defaults_file_values_are_used(tmp_path: Path) -> None:
    """A defaults file named by HEARTBEAT_DEFAULTS overrides only the keys it sets."""
    defaults_file = tmp_path / "defaults.toml"
    defaults_file.write_text('timezone = "Europe/London"\nmisfire_grace_seconds = 30\n', encoding="utf-8")
    settings = load_settings({"HEARTBEAT_DEFAULTS": str(defaults_file)})
    assert settings.defaults == Defaults(timezone="Europe/London", misfire_grace_seconds=30)


def test_defaults_file_argument_beats_variable(tmp_path: Path) -> None:
    """The defaults_file argument is used even when HEARTBEAT_DEFAULTS is set."""
    chosen = tmp_path / "chosen.toml"
    chosen.write_text("welcome_burst_joins = 9\n", encoding="utf-8")
    settings = load_settings({"HEARTBEAT_DEFAULTS": str(tmp_path / "ignored.toml")}, defaults_file=chosen)
    assert settings.defaults.welcome_burst_joins == 9


def test_defaults_file_unknown_key(tmp_path: Path) -> None:
    """An unknown key (a typo) in defaults.toml is an error naming it."""
    defaults_file = tmp_path / "defaults.toml"
    defaults_file.write_text("misfire_grace_secs = 30\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="misfire_grace_secs"):
        load_settings({}, defaults_file=defaults_file)


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ('misfire_grace_seconds = "300"', "misfire_grace_seconds"),
        ("welcome_burst_joins = true", "welcome_burst_joins"),
        ("welcome_burst_window_seconds = 1.5", "welcome_burst_window_seconds"),
        ("new_account_hours = 0", "new_account_hours"),
        ("timezone = 5", "timezone"),
        ('timezone = "Mars/Olympus_Mons"', "timezone"),
    ],
)
def test_defaults_file_bad_type(tmp_path: Path, line: str, key: str) -> None:
    """A value of the wrong type or range in defaults.toml is an error naming the key and the file."""
    defaults_file = tmp_path / "defaults.toml"
    defaults_file.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings({}, defaults_file=defaults_file)
    assert key in str(caught.value)
    assert str(defaults_file) in str(caught.value)


def test_defaults_file_invalid_toml(tmp_path: Path) -> None:
    """A defaults file that is not TOML is reported with its path."""
    defaults_file = tmp_path / "defaults.toml"
    defaults_file.write_text("timezone = \n", encoding="utf-8")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings({}, defaults_file=defaults_file)


def test_named_defaults_file_must_exist(tmp_path: Path) -> None:
    """A defaults file named explicitly but missing is an error, not a silent fallback."""
    with pytest.raises(SettingsError, match="HEARTBEAT_DEFAULTS"):
        load_settings({"HEARTBEAT_DEFAULTS": str(tmp_path / "missing.toml")})


def test_missing_repo_defaults_file_uses_built_ins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """When config/defaults.toml is absent (an installed package), the built-in defaults apply."""
    monkeypatch.setattr("bot.settings.DEFAULT_DEFAULTS_FILE", tmp_path / "absent.toml")
    assert load_settings({}).defaults == Defaults()


def test_defaults_built_in_code_are_validated() -> None:
    """Defaults constructed directly obey the same rules as the file."""
    with pytest.raises(SettingsError, match="misfire_grace_seconds"):
        Defaults(misfire_grace_seconds=0)


def test_settings_is_frozen() -> None:
    """Settings cannot be changed after loading."""
    settings = load_settings({})
    assert isinstance(settings, Settings)
    with pytest.raises(AttributeError):
        settings.log_level = "DEBUG"  # type: ignore[misc]


def test_config_files_come_from_the_checkout_or_where_pip_install_put_them(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    assert config_file("defaults.toml") == REPO_ROOT / "config" / "defaults.toml"
    installed = tmp_path / "share" / "heartbeat" / "config" / "questions"
    installed.mkdir(parents=True)
    (installed / "example.toml").write_text("questions = []\n", encoding="utf-8")
    monkeypatch.setattr(settings_module, "_REPO_ROOT", tmp_path / "site-packages")  # no config/ beside the code
    monkeypatch.setattr(settings_module.sys, "prefix", str(tmp_path))
    assert config_file("questions", "example.toml") == installed / "example.toml"


def test_every_config_file_is_installed_by_pip() -> None:
    data = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["data-files"]
    shipped = {Path(source) for sources in data.values() for source in sources}
    assert shipped == {path.relative_to(REPO_ROOT) for path in (REPO_ROOT / "config").rglob("*") if path.is_file()}
