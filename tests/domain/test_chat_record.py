"""Unit tests for the chat record the recap and transcripts are made from."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from bot.domain.chat_record import ChatQuestion
from tests.domain.scripted_chat import ANN, RECORD, msg


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        dataclasses.replace(RECORD, starts_at=dt.datetime(2026, 3, 4, 2, 0))  # noqa: DTZ001
    with pytest.raises(ValueError, match="timezone-aware"):
        dataclasses.replace(RECORD, ended_at=dt.datetime(2026, 3, 4, 3, 0))  # noqa: DTZ001
    with pytest.raises(ValueError, match="timezone-aware"):
        msg(ANN, "Ann", "x", dt.datetime(2026, 3, 4, 2, 0))  # noqa: DTZ001
    with pytest.raises(ValueError, match="timezone-aware"):
        ChatQuestion(1, "x", dt.datetime(2026, 3, 4, 2, 0), None)  # noqa: DTZ001

