"""Contract tests for a server's progression settings, opted-in channels and named leaders."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain.progression import MonthRow, Thresholds
from bot.storage import MonthClose, ProgressionConfig, Storage

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


# -- monthly rollups ----------------------------------------------------------------------------------------

def month_row(month: str, user_id: int, stage: str = "participant", **figures: int) -> MonthRow:
    return MonthRow(month=month, user_id=user_id, name=f"member {user_id}", stage=stage, previous="lurker",
                    reasons=f"{stage}: because", below=False, joined_at=T0, first_answer_at=None, **figures)


async def test_a_closed_month_is_written_once_and_read_back_whole(storage: Storage) -> None:
    close = MonthClose(GUILD, "2026-03", False, "America/New_York", Thresholds(), T0)
    rows = [month_row("2026-03", KAI, "regular", chats=4, answers=9), month_row("2026-03", ADMIN, "lurker")]
    assert await storage.months.write(close, rows)
    assert await storage.months.rows(GUILD, "2026-03", "2026-03") == sorted(rows, key=lambda r: r.user_id)
    assert not await storage.months.write(close, [month_row("2026-03", KAI, "helper")])  # closed: never rewritten
    assert [r.stage for r in await storage.months.of_member(GUILD, KAI)] == ["regular"]
    assert await storage.months.closes(GUILD) == [close]
    assert await storage.months.rows(OTHER_GUILD, "2026-01", "2026-12") == []


async def test_a_provisional_month_is_replaced_until_it_closes(storage: Storage) -> None:
    later = Thresholds().changed(helper_acts=9)
    await storage.months.write(MonthClose(GUILD, "2026-04", True, "UTC", Thresholds(), T0), [month_row("2026-04", KAI)])
    await storage.months.write(MonthClose(GUILD, "2026-04", True, "UTC", later, T0), [month_row("2026-04", ADMIN)])
    assert [r.user_id for r in await storage.months.rows(GUILD, "2026-01", "2026-12")] == [ADMIN]
    assert await storage.months.write(MonthClose(GUILD, "2026-04", False, "UTC", later, T0),
                                      [month_row("2026-04", KAI, "regular")])
    closes = await storage.months.closes(GUILD)
    assert [(c.month, c.provisional, c.thresholds) for c in closes] == [("2026-04", False, later)]
    assert [r.stage for r in await storage.months.rows(GUILD, "2026-04", "2026-04")] == ["regular"]
