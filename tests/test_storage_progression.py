"""Contract tests for a server's progression settings, opted-in channels and named leaders."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain.progression import Thresholds
from bot.storage import ProgressionConfig, Storage

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
GUILD, OTHER_GUILD = 111111111111111111, 555555555555555555
ADMIN, KAI = 333333333333333333, 222222222222222222


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    """A freshly migrated database in a temporary folder."""
    opened = await Storage.open(tmp_path / "hb.db")
    yield opened
    await opened.close()


async def test_a_server_without_settings_has_the_defaults(storage: Storage) -> None:
    assert await storage.progression.config(GUILD) == ProgressionConfig(GUILD, Thresholds(), None, False)


async def test_settings_are_stored_whole_and_per_server(storage: Storage) -> None:
    changed = ProgressionConfig(GUILD, Thresholds().changed(helper_acts=7, thanks_words=("merci",)), 42, True)
    await storage.progression.save_config(changed, by=ADMIN, at=T0)
    assert await storage.progression.config(GUILD) == changed
    assert await storage.progression.config(OTHER_GUILD) == ProgressionConfig(OTHER_GUILD)
    await storage.progression.save_config(ProgressionConfig(GUILD), by=ADMIN, at=T0)
    assert await storage.progression.config(GUILD) == ProgressionConfig(GUILD)


async def test_channels_are_opted_in_once_and_out_again(storage: Storage) -> None:
    assert await storage.progression.add_channel(GUILD, 7, by=ADMIN, at=T0)
    assert not await storage.progression.add_channel(GUILD, 7, by=ADMIN, at=T0)
    assert await storage.progression.add_channel(GUILD, 5, by=ADMIN, at=T0)
    assert await storage.progression.channels(GUILD) == [5, 7]
    assert await storage.progression.channels(OTHER_GUILD) == []
    assert await storage.progression.remove_channel(GUILD, 7)
    assert not await storage.progression.remove_channel(GUILD, 7)
    assert await storage.progression.channels(GUILD) == [5]


async def test_leaders_are_named_once_and_unnamed(storage: Storage) -> None:
    assert await storage.progression.name(GUILD, KAI, by=ADMIN, at=T0)
    assert not await storage.progression.name(GUILD, KAI, by=ADMIN, at=T0)
    assert await storage.progression.named(GUILD) == [KAI]
    assert await storage.progression.named(OTHER_GUILD) == []
    assert await storage.progression.unname(GUILD, KAI)
    assert not await storage.progression.unname(GUILD, KAI)
    assert await storage.progression.named(GUILD) == []
