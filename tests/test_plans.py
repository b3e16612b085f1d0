"""Stored chats as hosts name them: the local day a chat ran on, and finding past chats by series and day."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.plans import chat_day, past_chats
from bot.storage import ChatSession


def chat(id: int, name: str, starts_at: datetime, started_at: datetime | None = None) -> ChatSession:
    return ChatSession(id=id, series_id=1, guild_id=1, channel_id=2, series_name=name, hashtag=name,
                       timezone="America/New_York", starts_at=starts_at, topic=None, guest=None, status="ended",
                       started_at=started_at, ended_at=None, event_id=None)


# Planned for 23:50 on Tuesday 10 March in New York (EDT), but started by hand at 00:10 on Wednesday.
LATE = chat(1, "GetRealChat", datetime(2026, 3, 11, 3, 50, tzinfo=UTC), datetime(2026, 3, 11, 4, 10, tzinfo=UTC))
EARLIER = chat(2, "GetRealChat", datetime(2026, 3, 4, 2, 0, tzinfo=UTC))  # 21:00 on Tuesday 3 March (EST)
OTHER = chat(3, "BookChat", datetime(2026, 3, 12, 0, 0, tzinfo=UTC))


def test_a_chat_is_called_by_the_local_day_it_actually_ran():
    assert chat_day(LATE) == date(2026, 3, 11)
    assert chat_day(EARLIER) == date(2026, 3, 3)


def test_past_chats_match_series_in_any_case_and_day_newest_first():
    everything = [EARLIER, OTHER, LATE]
    assert past_chats(everything, series=None, day=None) == [OTHER, LATE, EARLIER]
    assert past_chats(everything, series="  getrealchat ", day=None) == [LATE, EARLIER]
    assert past_chats(everything, series="GetRealChat", day=date(2026, 3, 11)) == [LATE]
    assert past_chats(everything, series="GetRealChat", day=date(2026, 3, 10)) == []
