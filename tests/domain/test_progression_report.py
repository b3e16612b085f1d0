"""The progression report from hand-built monthly rows: counts, moves, journeys, medians, cohorts, renderers.

Every expected value below is worked out by hand from the plan of members, not computed by the code under test.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from bot.domain.errors import UserError
from bot.domain.progression import MonthRow, Thresholds
from bot.domain.progression_render import (
    CSV_COLUMNS,
    PAGE_LIMIT,
    escape,
    read_spreadsheet_id,
    report_csv,
    report_json,
    report_markdown,
    report_pages,
)
from bot.domain.progression_report import (
    Median,
    MonthInput,
    build_report,
    check_months,
    check_range,
    last_months,
)
from tests.domain.progression_plan import GUILD, KAI, MO, MONTHS, NOOR, PLAN, QUIN, at, inputs, rows_of


@pytest.fixture
def report():
    return build_report(GUILD, inputs(), timezone="UTC", thresholds=Thresholds())


def test_every_member_listed_in_a_month_counts_at_their_stage(report):
    counts = {m.month: [m.stages[s] for s in ("lurker", "participant", "regular", "helper", "leader")]
              for m in report.months}
    assert counts == {"2026-01": [1, 2, 0, 1, 0], "2026-02": [1, 4, 0, 1, 0], "2026-03": [1, 4, 1, 1, 0],
                      "2026-04": [1, 2, 3, 1, 0], "2026-05": [2, 2, 3, 1, 0], "2026-06": [2, 4, 1, 1, 1]}
    assert [len(m.members) for m in report.months] == [4, 6, 7, 7, 8, 9]
    assert [m.provisional for m in report.months] == [False] * 5 + [True]


def test_the_last_months_moves_up_and_down_with_their_reasons(report):
    assert [(m.name, m.previous, m.stage) for m in report.moved_up] == [
        ("Quin", "helper", "leader"), ("Kai", "regular", "helper"), ("Sol", "lurker", "participant")]
    assert [(m.name, m.previous, m.stage, m.reasons) for m in report.moved_down] == [
        ("Lia", "regular", "participant", "participant: planted")]  # Pat is new in June: no move


def test_journeys_list_stage_changes_only_for_members_who_climbed(report):
    assert {j.name: [s for _, s in j.steps] for j in report.journeys} == {
        "Kai": ["lurker", "participant", "regular", "helper"], "Lia": ["participant", "regular", "participant"],
        "Quin": ["helper", "leader"], "Rae": ["participant", "regular"], "Sol": ["lurker", "participant"]}
    text = report_markdown(report)
    assert "- Kai: lurker Jan → participant Feb → regular Apr → helper Jun" in text


def test_journeys_name_the_year_when_the_range_spans_two():
    plan = {KAI: ("Kai", ["lurker", "lurker", "participant", "regular"], at("2025-11-02"), at("2026-01-09"),
                  {"2026-01": 1, "2026-02": 4})}
    months = ("2025-11", "2025-12", "2026-01", "2026-02")
    report = build_report(GUILD, inputs(plan, months, {}, None), timezone="UTC", thresholds=Thresholds())
    assert json.loads(report_json(report))["journeys"][0]["text"] == \
        "Kai: lurker Nov 2025 → participant Jan 2026 → regular Feb 2026"
    assert report.span() == "Nov 2025 – Feb 2026"


def test_medians_of_days_to_a_first_answer_and_months_to_helper(report):
    # Days: Kai 36, Lia 2, Noor 1, Rae 2, Sol 14 (Mo and Quin answered first before the range) → median 2.
    assert report.days_to_first_answer == Median(2.0, 5)
    # Only Kai first reached helper in the range: first answer February, helper June → 4 months.
    # Quin was a helper before the range began, so is not counted.
    assert report.months_to_helper == Median(4.0, 1)


def test_cohorts_count_who_reached_each_stage_within_n_months_of_joining(report):
    cohorts = {c.month: (c.joined, [cell.reached for cell in c.cells]) for c in report.cohorts}
    none = {"participant": 0, "regular": 0, "helper": 0}
    assert cohorts == {
        "2026-01": (2, [{"participant": 1, "regular": 0, "helper": 0}, {"participant": 2, "regular": 0, "helper": 0},
                        {"participant": 2, "regular": 1, "helper": 0}, {"participant": 2, "regular": 2, "helper": 1}]),
        "2026-02": (2, [{"participant": 1, "regular": 0, "helper": 0}] * 3 + [None]),  # Feb-Jul is not over
        "2026-03": (1, [{"participant": 1, "regular": 0, "helper": 0}, {"participant": 1, "regular": 1, "helper": 0},
                        {"participant": 1, "regular": 1, "helper": 0}, None]),
        "2026-05": (1, [none, {"participant": 1, "regular": 0, "helper": 0}, None, None]),
        "2026-06": (1, [none, None, None, None]),
    }  # nobody joined in April; Mo and Quin joined before the range


def test_a_cohort_is_the_month_of_joining_in_server_time():
    plan = {KAI: ("Kai", ["participant", "participant"], at("2026-02-01", hour=3), at("2026-02-01", hour=4),
                  {"2026-02": 1})}
    months = ("2026-01", "2026-02")
    report = build_report(GUILD, inputs(plan, months, {}, None), timezone="America/New_York", thresholds=Thresholds())
    assert [c.month for c in report.cohorts] == ["2026-01"]  # 22:00 on 31 January in New York
    assert report.days_to_first_answer == Median(0.0, 1)


def test_newcomers_who_answered_once_and_never_came_back(report):
    # Noor answered in February only and attended nothing after. Sol answered only in June, the last month: no
    # chance to come back yet. Mo joined before the range.
    assert [(r.name, r.month) for r in report.answered_once] == [("Noor", "2026-02")]


def test_attending_later_without_answering_is_coming_back():
    plan = {NOOR: ("Noor", ["participant", "participant"], at("2026-02-03"), at("2026-02-04"), {"2026-02": 1})}
    written = rows_of(plan, ("2026-02", "2026-03"), {})
    came_back = [written["2026-02"][0], MonthRow("2026-03", NOOR, "Noor", "participant", "participant", "kept",
                                                  False, at("2026-02-03"), at("2026-02-04"), chats=1, checkins=1)]
    months = [MonthInput(r.month, False, (r,)) for r in came_back]
    assert build_report(GUILD, months, timezone="UTC", thresholds=Thresholds()).answered_once == ()


def test_the_range_checks_say_what_to_do_instead():
    assert check_months(1) == 1 and check_months(36) == 36
    for wrong in (0, 37, -1):
        with pytest.raises(UserError, match="Choose between 1 and 36 months"):
            check_months(wrong)
    with pytest.raises(UserError, match=r"starts \(2026-05\) after it ends \(2026-02\)"):
        check_range("2026-05", "2026-02")
    with pytest.raises(UserError, match="spans 37 months"):
        check_range("2023-01", "2026-01")
    check_range("2023-02", "2026-01")
    assert last_months(["2025-12", "2026-02"], 3) == ("2025-12", "2026-02")
    assert last_months(["2026-02"], 1) == ("2026-02", "2026-02")


def test_the_json_keeps_its_contract_and_round_trips(report):
    data = json.loads(report_json(report))
    assert data["guild_id"] == str(GUILD) and data["timezone"] == "UTC"
    assert data["thresholds"]["regular_chats"] == 4 and data["thresholds"]["thanks_emoji"] == ["🙏", "❤️", "💯"]
    assert [m["month"] for m in data["months"]] == list(MONTHS)
    june = data["months"][-1]
    assert june["provisional"] is True and data["months"][0]["provisional"] is False
    assert june["stages"] == {"lurker": 2, "participant": 4, "regular": 1, "helper": 1, "leader": 1}
    assert {m["user_id"] for m in june["members"]} == {str(u) for u in PLAN}
    kai = next(m for m in june["members"] if m["name"] == "Kai")
    assert (kai["user_id"], kai["stage"], kai["previous"], kai["reasons"]) == (str(KAI), "helper", "regular",
                                                                              "helper: planted")
    for month, built in zip(data["months"], report.months, strict=True):  # every member, as built
        assert [(int(m["user_id"]), m["stage"], m["previous"]) for m in month["members"]] == \
            [(r.user_id, r.stage, r.previous) for r in built.members]
    january = data["cohorts"][0]
    assert january["month"] == "2026-01" and january["joined"] == 2
    assert january["within"][3] == {"months": 6, "reached": {"participant": 2, "regular": 2, "helper": 1},
                                    "share": {"participant": 1.0, "regular": 1.0, "helper": 0.5}}
    assert data["cohorts"][1]["within"][3] == {"months": 6, "reached": None, "share": None}
    assert data["journeys"][0] == {"user_id": str(KAI), "name": "Kai", "text": "Kai: lurker Jan → participant Feb → "
                                   "regular Apr → helper Jun",
                                   "steps": [{"month": "2026-01", "stage": "lurker"},
                                             {"month": "2026-02", "stage": "participant"},
                                             {"month": "2026-04", "stage": "regular"},
                                             {"month": "2026-06", "stage": "helper"}]}


def test_the_csv_has_one_row_per_member_per_month_and_round_trips(report):
    rows = list(csv.reader(io.StringIO(report_csv(report), newline="")))
    assert tuple(rows[0]) == CSV_COLUMNS
    records = [dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]]
    assert len(records) == 4 + 6 + 7 + 7 + 8 + 9
    assert records[0]["user_id"] == f'="{QUIN}"'  # text to a spreadsheet: all 18 digits kept
    read_back = [(r["month"], read_spreadsheet_id(r["user_id"]), r["stage"], r["previous"] or None, r["provisional"])
                 for r in records]
    assert read_back == [(r.month, r.user_id, r.stage, r.previous, "yes" if m.provisional else "no")
                         for m in report.months for r in m.members]
    kai_june = next(r for r in records if r["month"] == "2026-06" and r["name"] == "Kai")
    assert (kai_june["answers"], kai_june["chats"], kai_june["joined_at"]) == ("1", "1", "2026-01-05T12:00:00+00:00")


def test_a_name_that_looks_like_a_formula_or_markdown_stays_text():
    plan = {KAI: ("=HYPERLINK(\"x\")", ["lurker", "participant"], at("2026-01-05"), at("2026-02-01"),
                  {"2026-02": 1}), MO: ("**[bold](https://x.example)**", ["lurker", "participant"], at("2026-01-05"),
                                        at("2026-02-01"), {"2026-02": 1})}
    months = ("2026-01", "2026-02")
    report = build_report(GUILD, inputs(plan, months, {}, None), timezone="UTC", thresholds=Thresholds())
    assert "'=HYPERLINK" in report_csv(report)
    assert "**[bold]" not in report_markdown(report)
    assert escape("**[bold](https://x.example)**") in report_markdown(report)


def test_markdown_pages_fit_an_embed_and_hold_everything():
    # 36 months and 150 members a month who all climb in the last one: the moves alone need several pages.
    months = tuple(f"{2023 + (n // 12)}-{n % 12 + 1:02d}" for n in range(36))
    plan = {n: (f"Member {n}", ["lurker"] * 35 + ["participant"], at("2022-06-01"), at(f"{months[-1]}-02"),
                {months[-1]: 1}) for n in range(1, 151)}
    report = build_report(GUILD, inputs(plan, months, {}, months[-1]), timezone="UTC", thresholds=Thresholds())
    pages = report_pages(report)
    assert len(pages) > 2
    assert all(len(page) <= PAGE_LIMIT for page in pages)
    joined = "\n".join(pages)
    assert all(f"**Member {n}**" in joined for n in range(1, 151))
    assert all(page.count("```") % 2 == 0 for page in pages)  # no code block left open across pages
    assert "Dec 2025*" in joined and "(continued)" in joined


def test_markdown_document_has_every_section(report):
    text = report_markdown(report)
    assert text.startswith(f"# Progression in server {GUILD}, Jan 2026 – Jun 2026\n")
    for heading in ("Members per stage", "Moved up in Jun", "Moved down in Jun", "Journeys", "Time to progress",
                    "Cohorts by month of joining", "Answered once and never came back"):
        assert f"\n## {heading}\n" in text
    assert "Jun* " in text and "Jun is still running" in text
    assert "From joining to a first answer: median 2 days (5 members)" in text
    assert "From a first answer to helper: median 4 months (1 member)" in text
    assert "- **Noor**: joined 2026-02-03, answered in Feb (1 answer), no chat since" in text
    assert "- **Lia**: regular → participant (participant: planted)" in text
    assert report_pages(report) == [report_pages(report)[0]]  # a small report is one page
