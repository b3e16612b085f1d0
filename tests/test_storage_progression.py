"""Contract tests for a server's progression settings, opted-in channels and named leaders."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.progression import MonthRow, Tally, Thresholds
from bot.storage import ListedMember, MonthClose, ProgressionConfig, Storage

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


# -- tallies of the ledger ----------------------------------------------------------------------------------

ANA, BO, CY = 444444444444444444, 666666666666666666, 777777777777777777
APR, MAY = datetime(2026, 4, 1, 4, 0, tzinfo=UTC), datetime(2026, 5, 1, 4, 0, tzinfo=UTC)  # New York midnights


def iso(at: datetime) -> str:
    """Time as storage writes it."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


async def ledger(storage: Storage, rows: list[tuple[str, int, int, int | None, int | None, datetime]]) -> None:
    """(kind, user, session, message, target, at) rows: activity kinds, or 'helpful'/'thanks' acts."""
    async with storage.transaction() as conn:
        for session in {row[2] for row in rows}:
            await conn.execute("INSERT OR IGNORE INTO chat_session (id, guild_id, channel_id, series_name, hashtag, "
                               "timezone, starts_at, started_at, status) VALUES (?, ?, 1, 'S', 's', 'UTC', ?, ?, "
                               "'ended')", (session, GUILD, iso(T0), iso(T0 + (session - 1) * (MAY - APR) / 4)))
        for kind, user, session, message, target, at in rows:
            if kind in ("helpful", "thanks"):
                await conn.execute("INSERT INTO act (message_id, kind, target_user_id, guild_id, channel_id, "
                                   "user_id, session_id, occurred_at) VALUES (?, ?, ?, ?, 1, ?, ?, ?)",
                                   (message, kind, target, GUILD, user, session, iso(at)))
            else:
                await conn.execute("INSERT INTO activity (guild_id, user_id, kind, session_id, message_id, "
                                   "target_user_id, occurred_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                   (GUILD, user, kind, session, message, target, iso(at)))


async def react(storage: Storage, giver: int, message: int, author: int, emoji: str, at: datetime) -> None:
    async with storage.transaction() as conn:
        await conn.execute("INSERT INTO reaction (message_id, user_id, emoji, guild_id, channel_id, author_id, "
                           "reacted_at) VALUES (?, ?, ?, ?, 1, ?, ?)", (message, giver, emoji, GUILD, author, iso(at)))


async def test_a_tally_counts_answers_chats_months_helping_and_thanks_in_its_stretch(storage: Storage) -> None:
    day = timedelta(days=1)
    await ledger(storage, [
        ("answer", KAI, 1, 11, None, APR - 2 * day), ("message", KAI, 1, 11, None, APR - 2 * day),  # March (NY)
        ("answer", KAI, 2, 12, None, APR + day), ("answer", KAI, 2, 13, None, APR + day),
        ("reply", KAI, 2, 13, ANA, APR + day), ("checkin", KAI, 3, None, None, APR + 8 * day),
        ("hosted", KAI, 3, None, None, APR + 8 * day),
        ("helpful", KAI, 2, 13, ANA, APR + day), ("greeting", KAI, 2, 13, ANA, APR + day),  # one act, not two
        ("helpful", KAI, 3, 14, BO, APR + 8 * day),
        ("thanks", ANA, 3, 15, KAI, APR + 8 * day), ("thanks", ANA, 3, 16, KAI, APR + 9 * day),
        ("answer", ANA, 1, 17, None, APR - 40 * day),  # before the stretch
    ])
    await react(storage, BO, 13, KAI, "🙏", APR + 2 * day)
    await react(storage, BO, 13, KAI, "❤️", APR + 2 * day)  # the same giver and message: one thanks
    await react(storage, CY, 13, KAI, "👍", APR + 2 * day)  # not a thanks emoji
    tallies = await storage.figures.tally(GUILD, APR - 30 * day, MAY, months=[APR], thanks_emoji=("🙏", "❤️"))
    assert tallies[KAI] == Tally(
        answers=3, chats_answered=2, months_answered=2, chats=3, replies=1, checkins=1, hosted=1, helpful=2,
        helped=2, thanks=3, thanked_by=2, first_answer_at=APR - 2 * day)
    assert set(tallies) == {KAI}  # Ana only gave thanks and answered before the stretch
    only = await storage.figures.tally(GUILD, APR, MAY, months=[], thanks_emoji=(), members=[ANA, BO])
    assert only == {}
    assert (await storage.figures.tally(GUILD, APR, MAY, months=[], thanks_emoji=(), members=[KAI]))[KAI].thanks == 2


async def test_a_streak_counts_the_latest_chats_answered_in_a_row(storage: Storage) -> None:
    await ledger(storage, [("answer", KAI, 1, 1, None, T0), ("answer", KAI, 3, 3, None, T0),
                           ("answer", KAI, 4, 4, None, T0), ("message", KAI, 2, 2, None, T0)])
    assert await storage.figures.streak(GUILD, KAI) == 2
    assert await storage.figures.streak(GUILD, ANA) == 0


async def test_members_present_in_a_stretch(storage: Storage) -> None:
    joined = [ListedMember(KAI, "Kai", T0, T0), ListedMember(ANA, "Ana", T0, T0 + timedelta(days=40))]
    await storage.members.record_existing(GUILD, joined)
    await storage.members.record_leave(GUILD, KAI, T0 + timedelta(days=10))
    present = await storage.members.present(GUILD, T0 + timedelta(days=20), T0 + timedelta(days=50))
    assert [m.user_id for m in present] == [ANA]
    assert [m.user_id for m in await storage.members.present(GUILD, T0, T0 + timedelta(days=5))] == [KAI]


async def test_the_latest_closed_row_of_each_member(storage: Storage) -> None:
    for month, stage in (("2026-01", "participant"), ("2026-02", "regular"), ("2026-03", "helper")):
        await storage.months.write(MonthClose(GUILD, month, False, "UTC", Thresholds(), T0),
                                   [month_row(month, KAI, stage), month_row(month, ADMIN, "lurker")])
    latest = await storage.months.latest(GUILD, [KAI, ANA], before="2026-03")
    assert {user: (row.month, row.stage) for user, row in latest.items()} == {KAI: ("2026-02", "regular")}
    assert await storage.months.latest(GUILD, [], before="2026-03") == {}


# -- imports from Discord -----------------------------------------------------------------------------------

async def test_one_import_runs_per_server_and_keeps_where_each_channel_got_to(storage: Storage) -> None:
    started = await storage.imports.begin(GUILD, [7, 8], since=T0, by=ADMIN, at=T0)
    assert started is not None and (started.status, started.channels, started.since) == ("running", (7, 8), T0)
    assert await storage.imports.begin(GUILD, [9], since=None, by=ADMIN, at=T0) is None
    await storage.imports.advance(GUILD, 7, 700, messages=100, chats=2, at=T0)
    await storage.imports.advance(GUILD, 7, 750, messages=50, chats=0, at=T0)
    await storage.imports.advance(GUILD, 8, 800, messages=100, chats=1, at=T0)
    assert [(s.guild_id, s.cursors, s.messages, s.chats) for s in await storage.imports.running()] == [
        (GUILD, {7: 750, 8: 800}, 250, 3)]
    await storage.imports.end(GUILD, at=T0, error="the bot is no longer in the server")
    ended = await storage.imports.get(GUILD)
    assert ended is not None and (ended.status, ended.error) == ("failed", "the bot is no longer in the server")
    assert await storage.imports.running() == []
    again = await storage.imports.begin(GUILD, [9], since=None, by=ADMIN, at=T0)
    assert again is not None and (again.channels, again.cursors, again.messages) == ((9,), {}, 0)
    assert await storage.imports.get(OTHER_GUILD) is None
