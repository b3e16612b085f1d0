"""Unit tests for chat plans, question times, closing time and adaptive pacing."""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo
from collections.abc import Callable

import pytest

from bot.domain.errors import UserError
from bot.domain.schedule import parse_duration
from bot.domain.timeline import (
    DEFAULT_QUIET_FOR,
    ChatPlan,
    adhoc_plan,
    closing_time,
    format_duration,
    next_question_due,
    parse_first_question,
    question_times,
    questions_that_fit,
    validate_plan,
)

UTC = dt.UTC
S = dt.timedelta(seconds=1)
M = dt.timedelta(minutes=1)
H = dt.timedelta(hours=1)
START = dt.datetime(2026, 3, 3, 2, 0, tzinfo=UTC)  # Tuesday 21:00 in New York
ADAPTIVE = ChatPlan(pacing="adaptive")  # spacing 10m, min 5m, max 15m


# --- format_duration ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("td", "text"),
    [
        (dt.timedelta(0), "0s"),
        (S, "1s"),
        (30 * S, "30s"),
        (90 * S, "1m30s"),
        (8 * M, "8m"),
        (H, "1h"),
        (90 * M, "1h30m"),
        (H + 5 * S, "1h5s"),
        (H + M + S, "1h1m1s"),
        (4 * H, "4h"),
        (dt.timedelta(days=1, hours=2), "1d2h"),
        (-5 * M, "-5m"),
        (29.9 * S, "29s"),  # truncated: never shows a value under a limit as the limit
        (dt.timedelta(milliseconds=400), "0s"),
    ],
)
def test_format_duration(td: dt.timedelta, text: str) -> None:
    assert format_duration(td) == text


@pytest.mark.parametrize("seconds", [1, 59, 60, 61, 599, 3_600, 3_601, 5_400, 86_399, 86_400, 90_061, 30 * 86_400])
def test_format_duration_round_trips_through_parse_duration(seconds: int) -> None:
    td = dt.timedelta(seconds=seconds)
    assert parse_duration(format_duration(td)) == td


# --- ChatPlan -------------------------------------------------------------------------------------


def test_defaults_follow_the_hashtag_chat_convention() -> None:
    assert DEFAULT_QUIET_FOR == 90 * S
    plan = ChatPlan()
    assert (plan.duration, plan.spacing, plan.first_question, plan.pacing) == (60 * M, 10 * M, 5 * M, "fixed")
    assert (plan.min_spacing, plan.max_spacing) == (5 * M, 15 * M)


@pytest.mark.parametrize(
    ("spacing", "duration", "min_spacing", "max_spacing"),
    [
        (10 * M, H, 5 * M, 15 * M),
        (8 * M, H, 4 * M, 12 * M),
        (15 * M, H, 7 * M + 30 * S, 22 * M + 30 * S),
        # Clamped: never below 30 seconds, never beyond the chat.
        (30 * S, H, 30 * S, 45 * S),
        (45 * S, H, 30 * S, 68 * S),  # 67.5s rounds to whole seconds
        (50 * M, H, 25 * M, H),
    ],
)
def test_adaptive_bounds_derive_from_spacing_and_are_clamped(
    spacing: dt.timedelta, duration: dt.timedelta, min_spacing: dt.timedelta, max_spacing: dt.timedelta
) -> None:
    plan = ChatPlan(duration=duration, spacing=spacing, pacing="adaptive")
    assert (plan.min_spacing, plan.max_spacing) == (min_spacing, max_spacing)


def test_explicit_bounds_are_kept() -> None:
    plan = ChatPlan(spacing=8 * M, pacing="adaptive", min_spacing=6 * M, max_spacing=20 * M)
    assert (plan.min_spacing, plan.max_spacing) == (6 * M, 20 * M)


@pytest.mark.parametrize("pacing", ["Adaptive", " adaptive ", "FIXED"])
def test_pacing_is_normalised(pacing: str) -> None:
    assert ChatPlan(pacing=pacing).pacing == pacing.strip().lower()


@pytest.mark.parametrize(
    ("duration", "spacing", "first"),
    [
        (10 * M, 30 * S, dt.timedelta(0)),  # every lower limit, exactly
        (4 * H, 4 * H - S, 4 * H - S),  # every upper limit, exactly
        (H, 10 * M, dt.timedelta(0)),
    ],
)
def test_plans_at_the_limits_are_valid(duration: dt.timedelta, spacing: dt.timedelta, first: dt.timedelta) -> None:
    ChatPlan(duration=duration, spacing=spacing, first_question=first, min_spacing=30 * S, max_spacing=duration)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"duration": 10 * M - S}, "A chat must last between 10 minutes and 4 hours (got 9m59s)."),
        ({"duration": 4 * H + S}, "A chat must last between 10 minutes and 4 hours (got 4h1s)."),
        ({"spacing": dt.timedelta(0)}, "Question spacing must be at least 30 seconds (got 0s)."),
        ({"spacing": 29 * S}, "Question spacing must be at least 30 seconds (got 29s)."),
        ({"spacing": H}, "Question spacing must be shorter than the chat (got 1h for a 1h chat)."),
        (
            {"first_question": -S},
            "The first question can't come before the chat starts (got -1s): use 0 or more.",
        ),
        ({"first_question": H}, "The first question must come before the chat ends (got 1h for a 1h chat)."),
        ({"pacing": "fast"}, "Pacing must be fixed or adaptive (got 'fast')."),
        ({"min_spacing": 29 * S}, "Minimum question spacing must be at least 30 seconds (got 29s)."),
        (
            {"min_spacing": 10 * M + S},
            "Minimum question spacing can't be longer than the question spacing (got 10m1s with spacing 10m).",
        ),
        (
            {"max_spacing": 10 * M - S},
            "Maximum question spacing can't be shorter than the question spacing (got 9m59s with spacing 10m).",
        ),
        (
            {"max_spacing": H + S},
            "Maximum question spacing can't be longer than the chat (got 1h1s for a 1h chat).",
        ),
    ],
)
def test_invalid_plans_are_refused_with_one_clear_sentence(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(UserError) as raised:
        ChatPlan(**kwargs)  # type: ignore[arg-type]
    assert str(raised.value) == message


def test_bounds_equal_to_spacing_are_valid() -> None:
    plan = ChatPlan(pacing="adaptive", min_spacing=10 * M, max_spacing=10 * M)
    assert plan.min_spacing == plan.max_spacing == plan.spacing


def test_plan_is_frozen_and_comparable() -> None:
    plan = ChatPlan()
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.spacing = M  # type: ignore[misc]
    assert plan == ChatPlan(min_spacing=5 * M, max_spacing=15 * M)
    assert hash(plan) == hash(ChatPlan())


def test_replace_validates_the_new_plan() -> None:
    plan = ChatPlan()
    assert dataclasses.replace(plan, first_question=2 * M).first_question == 2 * M
    with pytest.raises(UserError, match="at least 30 seconds"):
        dataclasses.replace(plan, spacing=10 * S)


# --- validate_plan --------------------------------------------------------------------------------


def test_validate_plan_parses_user_text() -> None:
    plan = validate_plan(duration="1h30m", spacing="8", first_question="2m", pacing="adaptive", max_spacing="20m")
    assert plan == ChatPlan(90 * M, 8 * M, 2 * M, "adaptive", 4 * M, 20 * M)


def test_validate_plan_defaults_match_the_constructor() -> None:
    assert validate_plan() == ChatPlan()


@pytest.mark.parametrize("zero", ["0", "0m", "0 min", "0s", " 00 "])
def test_validate_plan_accepts_a_first_question_right_at_the_start(zero: str) -> None:
    assert validate_plan(first_question=zero).first_question == dt.timedelta(0)


@pytest.mark.parametrize(("text", "delay"), [("0", dt.timedelta(0)), ("0 min", dt.timedelta(0)), ("5m", 5 * M),
                                             ("90s", 90 * S)])
def test_parse_first_question_reads_a_delay_that_may_be_zero(text: str, delay: dt.timedelta) -> None:
    assert parse_first_question(text) == delay


def test_parse_first_question_refuses_what_is_not_a_duration() -> None:
    with pytest.raises(UserError, match="'0x' is not a duration I understand"):
        parse_first_question("0x")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"spacing": "0"}, "A duration must be longer than zero"),
        ({"duration": "0m"}, "A duration must be longer than zero"),
        ({"spacing": "soon"}, "'soon' is not a duration I understand: use a duration like"),
        ({"first_question": "0x"}, "'0x' is not a duration I understand"),
        ({"duration": "5h"}, "A chat must last between 10 minutes and 4 hours (got 5h)."),
        ({"spacing": "20s"}, "Question spacing must be at least 30 seconds (got 20s)."),
        ({"min_spacing": "15s"}, "Minimum question spacing must be at least 30 seconds (got 15s)."),
    ],
)
def test_validate_plan_reports_bad_text(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(UserError) as raised:
        validate_plan(**kwargs)  # type: ignore[arg-type]
    assert str(raised.value).startswith(message)



# --- adhoc_plan -----------------------------------------------------------------------------------


def test_an_adhoc_chat_asks_at_the_start_and_every_ten_minutes() -> None:
    assert adhoc_plan(H) == ChatPlan(H, 10 * M, dt.timedelta(0), "fixed")


def test_a_short_adhoc_chat_spaces_its_questions_half_the_chat_apart() -> None:
    assert adhoc_plan(15 * M).spacing == 7 * M + 30 * S


@pytest.mark.parametrize("duration", [5 * M, 5 * H])
def test_an_adhoc_chat_keeps_to_the_usual_length_limits(duration: dt.timedelta) -> None:
    with pytest.raises(UserError, match="between 10 minutes and 4 hours"):
        adhoc_plan(duration)

# --- question_times and closing_time --------------------------------------------------------------


def test_question_times_follow_the_fixed_spacing() -> None:
    times = question_times(ChatPlan(), START, 6)
    assert times == [START + (5 + 10 * i) * M for i in range(6)]
    assert all(t.tzinfo is UTC for t in times)


def test_question_times_with_no_questions() -> None:
    assert question_times(ChatPlan(), START, 0) == []


@pytest.mark.parametrize(
    ("plan", "fit"),
    [
        (ChatPlan(), 6),  # 5, 15, ..., 55 (65 would be after the end)
        (ChatPlan(spacing=11 * M), 5),  # 5, 16, 27, 38, 49 (60 would be exactly at the end)
        (ChatPlan(spacing=11 * M - S), 6),  # the sixth lands one second before the end
        (ChatPlan(spacing=8 * M), 7),
        (ChatPlan(spacing=15 * M, first_question=dt.timedelta(0)), 4),
        (ChatPlan(duration=10 * M, spacing=30 * S, first_question=dt.timedelta(0)), 20),
        (ChatPlan(first_question=59 * M), 1),
    ],
)
def test_questions_that_fit_and_the_boundary(plan: ChatPlan, fit: int) -> None:
    assert questions_that_fit(plan) == fit
    times = question_times(plan, START, fit)
    assert times[-1] < closing_time(plan, START)
    with pytest.raises(UserError):
        question_times(plan, START, fit + 1)


def test_too_many_questions_says_how_many_fit_and_what_to_do() -> None:
    with pytest.raises(UserError) as raised:
        question_times(ChatPlan(), START, 7)
    assert str(raised.value) == (
        "Only 6 questions fit in a 1h chat with Q1 at 5m and one every 10m: "
        "use 6 or fewer, space them closer, or make the chat longer."
    )


def test_one_question_fits_is_singular() -> None:
    with pytest.raises(UserError, match=r"^Only 1 question fit in"):
        question_times(ChatPlan(first_question=59 * M), START, 2)


def test_times_are_real_time_across_a_daylight_saving_change() -> None:
    # 01:30 EDT on the night New York falls back: wall-clock arithmetic would make the hour 2 h long.
    ny = zoneinfo.ZoneInfo("America/New_York")
    start = dt.datetime(2026, 11, 1, 1, 30, tzinfo=ny)
    start_utc = dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert start.astimezone(UTC) == start_utc
    assert (start + H).astimezone(UTC) == start_utc + 2 * H  # the trap: aware arithmetic is wall-clock
    assert closing_time(ChatPlan(), start) == start_utc + H
    assert question_times(ChatPlan(), start, 6)[-1] == start_utc + 55 * M


def test_closing_time() -> None:
    assert closing_time(ChatPlan(duration=90 * M), START) == START + 90 * M
    assert closing_time(ChatPlan(), START).tzinfo is UTC


@pytest.mark.parametrize("call", [lambda s: question_times(ChatPlan(), s, 1), lambda s: closing_time(ChatPlan(), s)])
def test_naive_start_is_a_programming_error(call: Callable[[dt.datetime], object]) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call(dt.datetime(2026, 3, 3, 2, 0))  # noqa: DTZ001


def test_negative_count_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        question_times(ChatPlan(), START, -1)


# --- next_question_due ----------------------------------------------------------------------------

ASKED = START + 5 * M


def due(
    plan: ChatPlan,
    answer_after: dt.timedelta | None,
    now_after: dt.timedelta,
    quiet_for: dt.timedelta = DEFAULT_QUIET_FOR,
) -> dt.timedelta:
    """next_question_due for a question asked at ASKED, as an offset from ASKED."""
    answer = None if answer_after is None else ASKED + answer_after
    result = next_question_due(
        plan, last_question_at=ASKED, last_answer_at=answer, now=ASKED + now_after, quiet_for=quiet_for
    )
    assert result.tzinfo is UTC
    return result - ASKED


@pytest.mark.parametrize("answer_after", [None, S, 9 * M, 20 * M])
def test_fixed_pacing_ignores_answers(answer_after: dt.timedelta | None) -> None:
    assert due(ChatPlan(spacing=8 * M), answer_after, 2 * M) == 8 * M


@pytest.mark.parametrize(
    ("answer_after", "expected"),
    [
        (None, 5 * M),  # nobody answered: move on at the minimum spacing
        (M, 5 * M),  # answers died down early: still wait for the minimum
        (3 * M + 30 * S, 5 * M),  # quiet exactly at the minimum
        (3 * M + 31 * S, 5 * M + S),  # one second later: due one second later
        (7 * M, 8 * M + 30 * S),  # still lively: due 90 s after the last answer
        (13 * M + 30 * S, 15 * M),  # quiet exactly at the maximum
        (14 * M, 15 * M),  # answers keep coming: never later than the maximum
        (40 * M, 15 * M),
    ],
)
def test_adaptive_pacing_waits_for_quiet_within_the_bounds(
    answer_after: dt.timedelta | None, expected: dt.timedelta
) -> None:
    assert due(ADAPTIVE, answer_after, answer_after or dt.timedelta(0)) == expected


def test_adaptive_pacing_uses_the_plans_bounds_and_quiet_for() -> None:
    plan = ChatPlan(spacing=8 * M, pacing="adaptive", min_spacing=6 * M, max_spacing=12 * M)
    assert due(plan, None, dt.timedelta(0)) == 6 * M
    assert due(plan, 7 * M, 7 * M) == 8 * M + 30 * S
    assert due(plan, 7 * M, 7 * M, quiet_for=3 * M) == 10 * M
    assert due(plan, 11 * M, 11 * M) == 12 * M


def test_answer_before_the_question_counts_as_no_answer() -> None:
    # The latest answer was to the previous question, before this one was asked.
    assert due(ADAPTIVE, -2 * M, M) == 5 * M


def test_answer_stamped_after_now_counts_as_now() -> None:
    assert due(ADAPTIVE, 8 * M, 6 * M) == 7 * M + 30 * S


def test_overdue_question_is_reported_in_the_past() -> None:
    # After a restart long past the maximum: due time is in the past, so the caller posts now.
    assert due(ADAPTIVE, 3 * M, 40 * M) == 5 * M
    assert due(ChatPlan(), None, 40 * M) == 10 * M


def test_result_is_utc_whatever_zone_the_inputs_use() -> None:
    ny = zoneinfo.ZoneInfo("America/New_York")
    result = next_question_due(
        ADAPTIVE,
        last_question_at=ASKED.astimezone(ny),
        last_answer_at=(ASKED + 7 * M).astimezone(ny),
        now=(ASKED + 7 * M).astimezone(ny),
    )
    assert result == ASKED + 8 * M + 30 * S
    assert result.tzinfo is UTC


@pytest.mark.parametrize("field", ["last_question_at", "last_answer_at", "now"])
def test_next_question_due_refuses_naive_datetimes(field: str) -> None:
    kwargs = {"last_question_at": ASKED, "last_answer_at": ASKED + M, "now": ASKED + M}
    kwargs[field] = kwargs[field].replace(tzinfo=None)
    with pytest.raises(ValueError, match="timezone-aware"):
        next_question_due(ADAPTIVE, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("quiet_for", [dt.timedelta(0), -S])
def test_quiet_for_must_be_positive(quiet_for: dt.timedelta) -> None:
    with pytest.raises(ValueError):
        next_question_due(ADAPTIVE, last_question_at=ASKED, last_answer_at=None, now=ASKED, quiet_for=quiet_for)
