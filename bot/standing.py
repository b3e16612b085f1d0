"""Where members stand now: the live verdict of the stage engine for one member (/profile) or a few (the newcomer
report), read from the ledger's window and the member's closed months."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain import progression as domain
from bot.storage import Storage


async def zone_of(storage: Storage, guild_id: int, default: str) -> ZoneInfo:
    """The server's time zone, where its months begin and end: set by /config timezone, else its first chat
    series' zone (most servers only ever give that one), else the bot's default."""
    zone = (await storage.config.get(guild_id)).timezone
    if zone is None:
        series = await storage.series.all(guild_id)
        zone = min(series, key=lambda s: s.id).timezone if series else default
    return ZoneInfo(zone)


async def window(storage: Storage, guild_id: int, now: datetime, zone: ZoneInfo, t: domain.Thresholds,
                 members: Collection[int] | None = None) -> dict[int, domain.Figures]:
    """Each member's figures over the window that ends at `now` (only `members` if given)."""
    start = domain.window_start(now, t)
    tallies = await storage.figures.tally(guild_id, start, now, months=domain.month_starts(start, now, zone),
                                          thanks_emoji=t.thanks_emoji, members=members)
    return {user_id: tally.figures() for user_id, tally in tallies.items()}


async def standing(storage: Storage, guild_id: int, user_id: int, now: datetime, zone: ZoneInfo) -> domain.Standing:
    """One member's standing now: promotion shows at once, demotion waits for a month's close."""
    t = (await storage.progression.config(guild_id)).thresholds
    figures = (await window(storage, guild_id, now, zone, t, [user_id])).get(user_id, domain.Figures())
    return domain.standing(figures, t, await storage.months.of_member(guild_id, user_id), domain.month_of(now, zone),
                           named=user_id in await storage.progression.named(guild_id),
                           streak=await storage.figures.streak(guild_id, user_id))


async def stages(storage: Storage, guild_id: int, user_ids: Collection[int], now: datetime,
                 zone: ZoneInfo) -> dict[int, domain.Verdict]:
    """The live verdict for each of a few members (the newcomer report's "stage now")."""
    t = (await storage.progression.config(guild_id)).thresholds
    figures = await window(storage, guild_id, now, zone, t, user_ids)
    named = set(await storage.progression.named(guild_id))
    closed = await storage.months.latest(guild_id, user_ids, before=domain.month_of(now, zone))
    return {user_id: domain.judge(figures.get(user_id, domain.Figures()), t,
                                  domain.prior_of(closed.get(user_id), named=user_id in named))
            for user_id in user_ids}
