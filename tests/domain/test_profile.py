"""What /profile shows, from hand-built standings (the stage engine itself is tested on its own)."""

from __future__ import annotations

from bot.domain.profile import SHOWN_MONTHS, month_label, profile_parts
from bot.domain.progression import Figures, MonthRow, Standing, Thresholds, Verdict


def row(month: str, stage: str, previous: str | None, **figures: int) -> MonthRow:
    return MonthRow(month=month, user_id=7, name="Priya", stage=stage, previous=previous, reasons="", below=False,
                    joined_at=None, first_answer_at=None, **figures)


REGULAR = Standing(
    verdict=Verdict("regular", "regular: answered in 5 chats over 2 months; helper needs 3 more helpful acts, "
                               "thanks from 2 more people", below=False, helper_months=0),
    figures=Figures(answers=9, chats_answered=5, months_answered=2, helpful_acts=2, people_helped=2),
    thresholds=Thresholds(),
    months=[row("2026-01", "participant", None, chats=2, answers=3),
            row("2026-02", "regular", "participant", chats=3, answers=6, helpful=2, thanks=1),
            row("2026-03", "regular", "regular", chats=1, answers=1)],
    chats_attended=6, answers=10, helpful_acts=2, thanks_received=1, streak=3, next_stage="helper",
    next_needs="3 more helpful acts, thanks from 2 more people")


def fields(parts) -> dict[str, str]:
    return dict(parts.fields)


def test_a_regulars_profile_reads_stage_why_window_next_totals_streak_and_months():
    parts = profile_parts(REGULAR, "Priya", "2026-03")
    assert parts.title == "Priya's journey"
    assert parts.description == (
        "**Regular**: answered in 5 chats over 2 months\n"
        "Last 90 days: 9 answers in 5 chats over 2 months; 2 helpful acts towards 2 people, thanked by 0 people.")
    assert fields(parts) == {
        "Next": "**helper** needs 3 more helpful acts, thanks from 2 more people.",
        "All time": "6 chats attended · 10 answers · 2 helpful acts · 1 thanks received",
        "Streak": "Answered in each of the latest 3 chats.",
        "Month by month": "**Mar 2026** (so far) · regular · 1 chat, 1 answer\n"
                          "**Feb 2026** · participant → regular · 3 chats, 6 answers, 2 helpful acts, 1 thanks\n"
                          "**Jan 2026** · participant · 2 chats, 3 answers",
    }
    assert [name for name, _ in parts.fields] == ["Next", "All time", "Streak", "Month by month"]


def test_a_leader_has_no_next_stage_and_hosting_shows_in_the_window():
    leader = Standing(verdict=Verdict("leader", "leader: hosted or co-hosted 2 chats", below=False, helper_months=0),
                      figures=Figures(answers=1, chats_answered=1, months_answered=1, hosted=2),
                      thresholds=Thresholds(window_days=60), months=[], chats_attended=0, answers=0, helpful_acts=0,
                      thanks_received=0, streak=1, next_stage=None, next_needs="")
    parts = profile_parts(leader, "Jess")
    assert parts.description.startswith("**Leader**: hosted or co-hosted 2 chats\nLast 60 days: ")
    assert parts.description.endswith("; hosted or co-hosted 2 chats.")
    assert fields(parts)["Next"] == "Leader is the last stage: thank you for leading."
    assert fields(parts)["Streak"] == "Answered in the latest chat."
    assert fields(parts)["Month by month"] == "Nothing recorded yet: months are written as they go by."


def test_a_lurker_is_invited_to_start_a_streak():
    lurker = Standing(verdict=Verdict("lurker", "lurker: has not answered a question yet; participant needs 1 more "
                                                "answer", below=False, helper_months=0),
                      figures=Figures(), thresholds=Thresholds(), months=[], chats_attended=0, answers=0,
                      helpful_acts=0, thanks_received=0, streak=0, next_stage="participant", next_needs="1 more answer")
    parts = profile_parts(lurker, "Mei")
    assert parts.description.startswith("**Lurker**: has not answered a question yet\n")
    assert fields(parts)["Next"] == "**participant** needs 1 more answer."
    assert fields(parts)["Streak"] == "No streak yet: answer in the next chat to start one."


def test_a_stage_held_loosely_keeps_what_it_needs_to_stay():
    kept = Standing(verdict=Verdict("regular", "regular: answered in 2 chats over 1 month (kept: a stage is lost only "
                                               "after a whole month under 75% of its requirements); regular needs "
                                               "answers in 2 more chats", below=True, helper_months=0),
                    figures=Figures(answers=2, chats_answered=2, months_answered=1), thresholds=Thresholds(),
                    months=[], chats_attended=2, answers=2, helpful_acts=0, thanks_received=0, streak=0,
                    next_stage="helper", next_needs="answers in 2 more chats, 5 more helpful acts")
    parts = profile_parts(kept, "Lena")
    assert "(kept: a stage is lost only" in parts.description
    assert "regular needs answers in 2 more chats" in parts.description


def test_a_long_history_shows_the_latest_months_and_counts_the_rest():
    months = [row(f"{2020 + n // 12}-{n % 12 + 1:02d}", "participant", "participant", chats=1, answers=1)
              for n in range(30)]
    parts = profile_parts(Standing(REGULAR.verdict, REGULAR.figures, REGULAR.thresholds, months, 30, 30, 0, 0, 1,
                                   "helper", "x"), "Priya")
    journey = fields(parts)["Month by month"]
    assert journey.splitlines()[0].startswith("**Jun 2022** · participant")
    assert len(journey.splitlines()) == SHOWN_MONTHS + 1 and journey.endswith("…and 18 earlier months.")
    assert len(journey) <= 1024


def test_the_busiest_history_still_fits_an_embed_field():
    months = [row(f"2026-{n % 12 + 1:02d}", "regular" if n % 2 else "participant",
                  "participant" if n % 2 else "regular", chats=100, answers=1000, helpful=1000, thanks=1000)
              for n in range(12)]
    parts = profile_parts(Standing(REGULAR.verdict, REGULAR.figures, REGULAR.thresholds, months, 1, 1, 1, 1, 1,
                                   "helper", "x"), "Priya", "2026-12")
    journey = fields(parts)["Month by month"]
    assert len(journey) <= 1024 and journey.startswith("**Dec 2026** (so far) · participant → regular · 100 chats")
    shown = len(journey.splitlines()) - 1
    assert 8 <= shown < 12 and journey.endswith(f"…and {12 - shown} earlier months.")


def test_names_are_shown_as_typed_never_as_markdown():
    parts = profile_parts(REGULAR, "*Star*  _dust_ " + "x" * 40)
    assert parts.title.startswith("\\*Star\\* \\_dust\\_ x") and parts.title.endswith("'s journey")
    assert profile_parts(REGULAR, "   ").title == "A member's journey"


def test_month_labels():
    assert [month_label(m) for m in ("2026-01", "2026-12")] == ["Jan 2026", "Dec 2026"]
