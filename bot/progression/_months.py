"""Judging one month of a server: every member's stage and figures at its end (or now, for the running month)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot import standing
from bot.domain import progression as domain
from bot.storage import Storage


async def judge_month(storage: Storage, guild_id: int, month: str, zone: ZoneInfo, now: datetime,
                      t: domain.Thresholds) -> list[domain.MonthRow]:
    """Every member's row for `month`, judged by thresholds `t` from the ledger and the month before's rows."""
    start, end = domain.month_bounds(month, zone)
    judged_at = min(end, now)
    # Members who opted out are left out of the month (their earlier months stay, unless they were forgotten).
    hidden = await storage.privacy.opted_out(guild_id)
    people = {m.user_id: domain.Someone(m.user_id, m.display_name, m.first_joined_at if m.join_count else None)
              for m in await storage.members.present(guild_id, start, end) if m.user_id not in hidden}
    window = await standing.window(storage, guild_id, judged_at, zone, t)
    own = await storage.figures.tally(guild_id, start, judged_at, months=[], thanks_emoji=t.thanks_emoji)
    for user_id in own.keys() - people.keys() - hidden:  # active here, though the bot never saw them join
        people[user_id] = domain.Someone(user_id, f"member {user_id}", None)
    previous = domain.previous_month(month)
    before = {row.user_id: row for row in await storage.months.rows(guild_id, previous, previous)}
    return domain.month_rows(month, sorted(people.values(), key=lambda p: p.user_id), window, own, before,
                             set(await storage.progression.named(guild_id)), t)
