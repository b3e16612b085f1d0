"""A planned server for the progression report's tests: nine members over January to June 2026, and the monthly
rows their month closes would have written. Test modules share it from here."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.progression import MonthRow
from bot.domain.progression_report import MonthInput

GUILD = 111111111111111111
MONTHS = ("2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06")
KAI, MO, LIA, NOOR, ODE, PAT, QUIN, RAE, SOL = (900000000000000000 + n for n in range(1, 10))


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=UTC)


# The plan: each member's stage at each month's close (None: not a member then), when they joined and first
# answered, and in which months they answered or attended.
PLAN = {
    KAI: ("Kai", ["lurker", "participant", "participant", "regular", "regular", "helper"],
          at("2026-01-05"), at("2026-02-10"), {"2026-02": 2, "2026-03": 1, "2026-04": 2, "2026-06": 1}),
    MO: ("Mo", ["participant"] * 6, at("2025-06-01"), at("2025-07-01"), {"2026-01": 1}),
    LIA: ("Lia", ["participant", "participant", "regular", "regular", "regular", "participant"],
          at("2026-01-20"), at("2026-01-22"), {"2026-01": 1, "2026-03": 3}),
    NOOR: ("Noor", [None, "participant", "participant", "participant", "participant", "participant"],
           at("2026-02-03"), at("2026-02-04"), {"2026-02": 1}),
    ODE: ("Ode", [None, "lurker", "lurker", "lurker", "lurker", "lurker"], at("2026-02-15"), None, {}),
    PAT: ("Pat", [None, None, None, None, None, "lurker"], at("2026-06-02"), None, {}),
    QUIN: ("Quin", ["helper", "helper", "helper", "helper", "helper", "leader"], at("2024-01-01"),
           at("2024-02-01"), {"2026-01": 2, "2026-02": 2}),
    RAE: ("Rae", [None, None, "participant", "regular", "regular", "regular"], at("2026-03-10"), at("2026-03-12"),
          {"2026-03": 2, "2026-04": 3}),
    SOL: ("Sol", [None, None, None, None, "lurker", "participant"], at("2026-05-20"), at("2026-06-03"),
          {"2026-06": 1}),
}
PREVIOUS_BEFORE_RANGE = {KAI: "lurker", MO: "participant", LIA: None, QUIN: "helper"}


def rows_of(plan: dict, months: tuple[str, ...], before: dict[int, str | None]) -> dict[str, list[MonthRow]]:
    """The MonthRows the month closes would have written for the plan."""
    written: dict[str, list[MonthRow]] = {m: [] for m in months}
    for user_id, (name, stages, joined, first_answer, answered) in plan.items():
        previous = before.get(user_id)
        for month, stage in zip(months, stages, strict=True):
            if stage is None:
                continue
            answers = answered.get(month, 0)
            known_answer = first_answer if first_answer and first_answer.strftime("%Y-%m") <= month else None
            written[month].append(MonthRow(month, user_id, name, stage, previous, f"{stage}: planted", False, joined,
                                           known_answer, chats=1 if answers else 0, answers=answers))
            previous = stage
    return written


def inputs(plan: dict = PLAN, months: tuple[str, ...] = MONTHS, before: dict | None = None,
           provisional: str | None = "2026-06") -> list[MonthInput]:
    written = rows_of(plan, months, PREVIOUS_BEFORE_RANGE if before is None else before)
    return [MonthInput(m, m == provisional, tuple(written[m])) for m in months]
