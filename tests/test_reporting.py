"""The progression report gathered from storage: which months "the last N" and from/to pick, and the refusals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import reporting
from bot.domain.errors import UserError
from bot.domain.progression import Thresholds
from bot.reporting import FILE_NAMES, discord_files, progression_report, report_uploads
from bot.storage import MonthClose, Storage
from tests.domain.progression_plan import GUILD, inputs
from tests.helpers import record_months

OTHER_GUILD = 222


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    opened = await Storage.open(tmp_path / "hb.db")
    await record_months(opened, GUILD, inputs())
    yield opened
    await opened.close()


async def months_of(storage: Storage, **asked) -> list[str]:
    return [m.month for m in (await progression_report(storage, GUILD, **asked)).months]


async def test_the_last_n_months_end_with_the_latest_recorded(storage):
    assert await months_of(storage, months=3) == ["2026-04", "2026-05", "2026-06"]
    assert await months_of(storage, months=36) == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]


async def test_from_and_to_pick_their_months_and_either_may_be_left_out(storage):
    assert await months_of(storage, first="2026-02", last="2026-03") == ["2026-02", "2026-03"]
    assert await months_of(storage, first="2026-05") == ["2026-05", "2026-06"]
    assert await months_of(storage, last="2026-02") == ["2026-01", "2026-02"]
    assert await months_of(storage, first="2025-11", last="2026-01") == ["2026-01"]  # months not recorded: absent


async def test_the_time_zone_and_thresholds_are_the_latest_months(storage):
    later = Thresholds().changed(regular_chats=6)
    july = inputs()[-1]
    await storage.months.write(MonthClose(GUILD, "2026-07", True, "Europe/Paris", later,
                                          datetime(2026, 7, 2, tzinfo=UTC)),
                               [replace(r, month="2026-07") for r in july.rows])
    report = await progression_report(storage, GUILD, months=2)
    assert (report.timezone, report.thresholds.regular_chats) == ("Europe/Paris", 6)
    assert [(m.month, m.provisional) for m in report.months] == [("2026-06", True), ("2026-07", True)]
    earlier = await progression_report(storage, GUILD, last="2026-05")
    assert (earlier.timezone, earlier.thresholds.regular_chats) == ("UTC", 4)


@pytest.mark.parametrize(("asked", "says"), [
    ({"months": 0}, "Choose between 1 and 36 months (you asked for 0)."),
    ({"months": 37}, "Choose between 1 and 36 months (you asked for 37)."),
    ({"first": "2026-13"}, "'2026-13' is not a month; write it as YYYY-MM, e.g. 2026-03."),
    ({"first": "2026-04", "last": "2026-01"},
     "The range starts (2026-04) after it ends (2026-01): give the earlier month first."),
    ({"first": "2027-01"}, "The range starts (2027-01) after it ends (2026-06): give the earlier month first."),
    ({"first": "2020-01", "last": "2020-12"},
     "No progression months are recorded from 2020-01 to 2020-12; this server has 2026-01 to 2026-06."),
])
async def test_mistakes_raise_one_sentence(storage, asked, says):
    with pytest.raises(UserError) as raised:
        await progression_report(storage, GUILD, **asked)
    assert str(raised.value) == says


async def test_a_server_with_nothing_recorded_is_told_so(storage):
    with pytest.raises(UserError, match="^No progression months are recorded for server 222 yet: "):
        await progression_report(storage, OTHER_GUILD, server="server 222")


async def test_the_files_have_the_names_the_cli_and_discord_use(storage):
    report = await progression_report(storage, GUILD)
    uploads = report_uploads(report)
    assert [u.filename for u in uploads] == [name for kind in ("md", "csv", "json", "png") for name in FILE_NAMES[kind]]
    assert all(u.data for u in uploads)


async def test_a_report_too_big_for_discord_attaches_its_charts_and_says_where_the_rest_is(storage, monkeypatch):
    report = await progression_report(storage, GUILD, months=6)
    files, note = discord_files(report)
    assert sorted(f.filename for f in files) == sorted([*FILE_NAMES["png"], *FILE_NAMES["csv"], *FILE_NAMES["json"]])
    assert note == ""
    monkeypatch.setattr(reporting, "ATTACHED_ROWS_AT_MOST", 10)  # a server of a hundred thousand, in miniature
    files, note = discord_files(report)
    assert sorted(f.filename for f in files) == sorted(FILE_NAMES["png"])
    assert note.startswith("-# progression.csv, progression.json: too big to attach")
    assert "python -m bot report progression --out DIR" in note
