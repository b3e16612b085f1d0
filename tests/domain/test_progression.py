"""The stage engine: each stage's rule and its reasons, promotion at once, demotion only after a whole month below
75% of a stage's requirements, leaders, thresholds that validate, and months in the server's time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.domain.errors import UserError
from bot.domain.progression import (
    Figures,
    MonthRow,
    Prior,
    Someone,
    Tally,
    Thresholds,
    judge,
    month_bounds,
    month_of,
    month_rows,
    month_starts,
    months_between,
    needs,
    next_month,
    parse_month,
    previous_month,
    standing,
)

T = Thresholds()
NEW_YORK = ZoneInfo("America/New_York")
PARTICIPANT = Figures(answers=2, chats_answered=1, months_answered=1)
REGULAR = Figures(answers=9, chats_answered=5, months_answered=3)
HELPER = Figures(answers=9, chats_answered=5, months_answered=3, helpful_acts=5, people_helped=3, thanked_by=2)


@pytest.mark.parametrize(("figures", "stage"), [
    (Figures(), "lurker"),
    (PARTICIPANT, "participant"),
    (Figures(answers=4, chats_answered=4, months_answered=1), "participant"),  # 4 chats, but one month
    (Figures(answers=4, chats_answered=3, months_answered=2), "participant"),
    (REGULAR, "regular"),
    (Figures(**{**HELPER.__dict__, "people_helped": 2}), "regular"),
    (Figures(**{**HELPER.__dict__, "thanked_by": 1}), "regular"),
    (HELPER, "helper"),
    (Figures(hosted=1), "leader"),
])
def test_each_stage_has_its_rule(figures: Figures, stage: str) -> None:
    assert judge(figures, T, Prior()).stage == stage


def test_reasons_say_why_and_what_the_next_stage_needs() -> None:
    verdict = judge(Figures(answers=9, chats_answered=5, months_answered=3, helpful_acts=3, people_helped=2,
                            thanked_by=2), T, Prior())
    assert verdict.reasons == ("regular: answered in 5 chats over 3 months; helper needs 2 more helpful acts, "
                               "helping 1 more person")
    assert judge(Figures(), T, Prior()).reasons == "lurker: has not answered a question yet; participant needs " \
                                                   "1 more answer"
    assert judge(Figures(hosted=2), T, Prior()).reasons == "leader: hosted or co-hosted 2 chats"


def test_promotion_is_immediate_even_from_a_lower_prior() -> None:
    assert judge(HELPER, T, Prior("lurker")).stage == "helper"


def test_a_stage_is_kept_through_the_first_month_below_and_lost_after_a_whole_one() -> None:
    faded = Figures(answers=2, chats_answered=2, months_answered=1)  # under 75% of regular (3 chats, 2 months)
    first = judge(faded, T, Prior("regular"))
    assert (first.stage, first.below) == ("regular", True)
    assert "kept: a stage is lost only after a whole month under 75%" in first.reasons
    second = judge(faded, T, Prior("regular", below=first.below))
    assert (second.stage, second.below) == ("participant", False)


def test_at_75_percent_a_stage_is_kept_without_end() -> None:
    loose = Figures(answers=3, chats_answered=3, months_answered=2)  # 3 of 4 chats: 75%
    verdict = judge(loose, T, Prior("regular", below=False))
    assert (verdict.stage, verdict.below) == ("regular", False)
    assert judge(loose, T, Prior("regular", below=verdict.below)).stage == "regular"


def test_a_demoted_helper_keeps_the_highest_stage_still_held_at_75_percent() -> None:
    verdict = judge(Figures(answers=3, chats_answered=3, months_answered=2, helpful_acts=1), T,
                    Prior("helper", below=True))
    assert verdict.stage == "regular"


def test_three_months_meeting_helper_in_full_make_a_leader_who_stays_while_helping() -> None:
    months = []
    prior = Prior()
    for _ in range(3):
        verdict = judge(HELPER, T, prior)
        months.append(verdict.stage)
        prior = Prior(verdict.stage, verdict.below, verdict.helper_months)
    assert months == ["helper", "helper", "leader"]
    assert judge(HELPER, T, prior).reasons.startswith("leader: a helper 4 months in a row")
    kept = judge(Figures(**{**HELPER.__dict__, "helpful_acts": 4}), T, prior)  # under helper in full, over 75%
    assert (kept.stage, kept.helper_months) == ("leader", 0)
    gone = judge(PARTICIPANT, T, Prior("leader", below=True))
    assert gone.stage == "participant"


def test_a_kept_helper_month_does_not_count_towards_the_leader_streak() -> None:
    loose = Figures(**{**HELPER.__dict__, "helpful_acts": 4})
    assert judge(loose, T, Prior("helper", helper_months=2)).stage == "helper"


def test_a_named_leader_stays_a_leader_until_unnamed() -> None:
    assert judge(Figures(), T, Prior(named=True)).reasons == "leader: named by a moderator"
    unnamed = judge(Figures(), T, Prior("leader", named=False))  # then judged as anyone: a month's grace
    assert (unnamed.stage, unnamed.below) == ("leader", True)
    assert judge(Figures(), T, Prior("leader", below=True)).stage == "lurker"


def test_needs_lists_every_gap() -> None:
    assert needs("helper", PARTICIPANT, T) == ("answers in 3 more chats, answers in 1 more calendar month, "
                                               "5 more helpful acts, helping 3 more people, thanks from 2 more people")
    assert needs("regular", REGULAR, T) == ""


# -- thresholds ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("changes", "message"), [
    ({"helper_acts": -1}, "helper_acts must be between 1 and 1000 (you gave -1)."),
    ({"window_days": 7}, "window_days must be between 28 and 366 (you gave 7)."),
    ({"keep_percent": 101}, "keep_percent must be between 1 and 100 (you gave 101)."),
    ({"regular_chats": True}, "regular_chats must be a whole number."),
    ({"regular_months": 5}, "regular_months (5) cannot be met in a window of 90 days"),
    ({"helper_people": 6}, "helper_people (6) cannot exceed helper_acts (5)"),
])
def test_thresholds_refuse_what_cannot_work(changes: dict[str, object], message: str) -> None:
    with pytest.raises(UserError) as refused:
        T.changed(**changes)
    assert str(refused.value).startswith(message)


def test_thresholds_store_only_their_changes_and_read_back_whole() -> None:
    changed = T.changed(helper_acts=7, thanks_emoji=("🙌",), thanks_words=("merci",))
    assert changed.changes_json() == '{"helper_acts": 7, "thanks_emoji": ["🙌"], "thanks_words": ["merci"]}'
    assert Thresholds.from_json(changed.changes_json()) == changed
    assert Thresholds.from_json(changed.to_json()) == changed
    assert Thresholds.from_json('{"no_longer_known": 3}') == T
    assert T.changes_json() == "{}"


# -- months --------------------------------------------------------------------------------------------------

def test_months_follow_the_server_time_zone_across_the_clock_change() -> None:
    assert month_of(datetime(2026, 4, 1, 3, 59, tzinfo=UTC), NEW_YORK) == "2026-03"  # 23:59 EDT
    assert month_of(datetime(2026, 4, 1, 4, 0, tzinfo=UTC), NEW_YORK) == "2026-04"
    start, end = month_bounds("2026-03", NEW_YORK)
    assert (start.astimezone(UTC), end.astimezone(UTC)) == (datetime(2026, 3, 1, 5, tzinfo=UTC),  # EST
                                                            datetime(2026, 4, 1, 4, tzinfo=UTC))  # EDT
    assert month_starts(datetime(2026, 2, 15, tzinfo=UTC), datetime(2026, 4, 1, 4, tzinfo=UTC), NEW_YORK) == [
        month_bounds("2026-03", NEW_YORK)[0], month_bounds("2026-04", NEW_YORK)[0]]


def test_month_arithmetic_crosses_years() -> None:
    assert (next_month("2025-12"), previous_month("2026-01"), previous_month("2026-10")) == \
           ("2026-01", "2025-12", "2026-09")
    assert months_between("2025-11", "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert months_between("2026-02", "2026-01") == []
    assert parse_month(" 2026-3 ".replace("-3", "-03")) == "2026-03"
    with pytest.raises(UserError, match="write it as YYYY-MM"):
        parse_month("March")


# -- month rows and standing ---------------------------------------------------------------------------------

def row(month: str, stage: str, **fields: object) -> MonthRow:
    values: dict[str, object] = {"month": month, "user_id": 1, "name": "Kai", "stage": stage, "previous": None,
                                 "reasons": stage, "below": False, "joined_at": None, "first_answer_at": None}
    return MonthRow(**{**values, **fields})  # type: ignore[arg-type]


def test_month_rows_judge_every_listed_member_and_carry_the_first_answer_forward() -> None:
    first = datetime(2026, 2, 3, tzinfo=UTC)
    before = {1: row("2026-02", "participant", first_answer_at=first)}
    people = [Someone(1, "Kai", None), Someone(2, "Ana", first)]
    rows = month_rows("2026-03", people, {1: REGULAR}, {1: Tally(chats=2, answers=4,
                                                                       first_answer_at=first.replace(month=3))},
                      before, set(), T)
    assert [(r.user_id, r.stage, r.previous, r.answers, r.first_answer_at) for r in rows] == [
        (1, "regular", "participant", 4, first), (2, "lurker", None, 0, None)]


def test_standing_sums_the_months_and_judges_from_the_last_closed_one() -> None:
    months = [row("2026-02", "regular", below=True, answers=3, chats=2, helpful=1, thanks=2),
              row("2026-03", "regular", answers=1, chats=1)]  # provisional
    now = standing(PARTICIPANT, T, months, "2026-03", named=False, streak=2)
    assert (now.verdict.stage, now.answers, now.chats_attended, now.helpful_acts, now.thanks_received) == \
           ("participant", 4, 3, 1, 2)  # a whole month below regular: lost
    assert (now.next_stage, now.next_needs) == ("regular", "answers in 3 more chats, answers in 1 more calendar month")
    assert standing(HELPER, T, [], "2026-03", named=True, streak=0).next_stage is None
