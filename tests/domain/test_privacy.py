"""Retention, the nightly purge's time, an export's files and the words standing in for members (bot/domain/privacy)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.domain.errors import UserError
from bot.domain.privacy import (
    FORGOTTEN,
    OPTED_OUT,
    SECTIONS,
    PurgeCounts,
    check_retention,
    erased_summary,
    export_files,
    export_rows,
    next_purge,
    purge_cutoff,
    retention_of,
    unnamed,
)

NEW_YORK = ZoneInfo("America/New_York")


def test_retention_is_a_week_to_ten_years_and_180_days_by_default():
    assert check_retention(7) == 7 and check_retention(3650) == 3650
    for bad in (0, 6, 3651, -1):
        with pytest.raises(UserError, match=rf"^Keep message text for 7 to 3650 days \(180 is the default\), "
                                            rf"not {bad}\.$"):
            check_retention(bad)
    assert retention_of(None) == 180 and retention_of(30) == 30
    assert purge_cutoff(datetime(2026, 7, 1, tzinfo=UTC), None) == datetime(2026, 1, 2, tzinfo=UTC)


def test_the_purge_runs_at_three_in_the_morning_local_time_each_night():
    # 8 March 2026: New York springs forward at 02:00 (EST, UTC-5, to EDT, UTC-4).
    evening = datetime(2026, 3, 7, 23, 0, tzinfo=UTC)  # 18:00 EST on the 7th
    assert next_purge(None, evening, NEW_YORK) == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # 03:00 EDT
    after = datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    assert next_purge(after, after, NEW_YORK) == datetime(2026, 3, 9, 7, 0, tzinfo=UTC)
    # A night missed while the bot was down is due at once, not skipped.
    later = datetime(2026, 3, 12, 15, 0, tzinfo=UTC)
    assert next_purge(after, later, NEW_YORK) == later


def test_an_export_writes_ids_as_text_and_explains_every_section():
    rows = export_rows([{"message_id": 1234567890123456789, "user_id": 5, "named_by": 6, "id": 7, "count": 8,
                         "deleted": True, "content": "hi"}])
    assert rows == [{"message_id": "1234567890123456789", "user_id": "5", "named_by": "6", "id": "7", "count": 8,
                     "deleted": True, "content": "hi"}]
    [(name, data)] = export_files(1, 2, datetime(2026, 3, 1, tzinfo=UTC), {"chat_messages": rows})
    document = json.loads(data)
    assert name == "heartbeat-data.json" and document["server_id"] == "1" and document["user_id"] == "2"
    assert document["sections"]["chat_messages"] == rows and document["sections"]["optout"] == []
    assert set(document["explained"]) == set(SECTIONS) == set(document["sections"])


def test_a_large_export_is_split_into_parts_each_within_the_limit():
    rows = [{"message_id": str(n), "content": "x" * 900} for n in range(300)]
    files = export_files(1, 2, datetime(2026, 3, 1, tzinfo=UTC), {"chat_messages": rows, "acts": rows[:5]},
                         limit=64_000)
    assert len(files) > 2 and all(len(data) <= 64_000 for _, data in files)
    parts = [json.loads(data) for _, data in files]
    assert [name for name, _ in files] == [f"heartbeat-data-{n}.json" for n in range(1, len(files) + 1)]
    assert parts[0]["part"] == f"1 of {len(files)}"
    assert [row for part in parts for row in part["sections"].get("chat_messages", [])] == rows
    assert [row for part in parts for row in part["sections"].get("acts", [])] == rows[:5]


def test_mentions_of_members_are_replaced_without_touching_others():
    assert unnamed("thanks <@5> and <@!5>, and <@6>", frozenset({5})) == (
        f"thanks @{OPTED_OUT} and @{OPTED_OUT}, and <@6>")
    assert unnamed("no mention of 5", frozenset({5}), FORGOTTEN) == "no mention of 5"


def test_what_was_erased_is_told_kind_by_kind():
    assert erased_summary({"messages": 2, "ledger": 1, "acts": 0, "transcripts": 1}) == (
        "2 chat messages, 1 ledger row, 1 transcript")
    assert erased_summary({}) == "nothing was stored about you"
    assert PurgeCounts(1, 0, 2).describe(30) == (
        "text older than 30 days: 1 chat message, 0 first messages, 2 transcripts")
