"""What members did over a stretch of time, tallied from the ledger (activity, act, reaction) in a few grouped
queries: the window a stage is judged on, and a month's own figures."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from bot.domain.progression import Tally
from bot.storage._database import Queries, from_text, to_text

# Past this many members, a tally reads the whole stretch rather than list them in the statement.
_LISTED_AT_MOST = 500


class FigureQueries(Queries):
    """Tallies of the ledger per member: storage.figures."""

    async def tally(self, guild_id: int, start: datetime, end: datetime, *, months: list[datetime],
                    thanks_emoji: Collection[str], members: Collection[int] | None = None) -> dict[int, Tally]:
        """Each member's tally from `start` (included) to `end` (excluded); only `members` if given.

        `months` are the instants where calendar months begin inside the stretch (in the server's time zone), so
        "answered in 2 calendar months" needs no time zone arithmetic in SQL. Members who did nothing are absent.
        """
        since, until = to_text(start, "start"), to_text(end, "end")
        month_of = "CASE " + " ".join("WHEN occurred_at < ? THEN ?" for _ in months) + " ELSE ? END" \
            if months else "0"
        month_parameters: tuple[object, ...] = tuple(
            value for index, moment in enumerate(months) for value in (to_text(moment, "month"), index)) \
            + ((len(months),) if months else ())
        listed = members is not None and len(members) <= _LISTED_AT_MOST
        wanted = set(members) if members is not None else None

        def only(column: str) -> tuple[str, tuple[object, ...]]:
            if not listed:
                return "", ()
            assert members is not None
            return f" AND {column} IN ({', '.join('?' for _ in members)})", tuple(members)

        def index(by_member: str, by_time: str) -> str:
            # Left to itself, SQLite may search by server alone; a few members are found by member, else by time.
            return f"INDEXED BY {by_member if listed else by_time}"

        tallies: dict[int, dict[str, object]] = {}

        def add(user_id: int, **counts: object) -> None:
            if wanted is None or user_id in wanted:
                tallies.setdefault(user_id, {}).update(counts)

        where, parameters = only("user_id")
        activity = f"activity {index('activity_member', 'activity_time')}"
        for row in await self._db.fetchall(
                "SELECT user_id, SUM(kind = 'answer'), COUNT(DISTINCT CASE WHEN kind = 'answer' THEN session_id END), "
                f"COUNT(DISTINCT CASE WHEN kind = 'answer' THEN {month_of} END), "
                "COUNT(DISTINCT CASE WHEN kind IN ('message', 'checkin', 'answer') THEN session_id END), "
                "SUM(kind = 'reply'), SUM(kind = 'checkin'), "
                "COUNT(DISTINCT CASE WHEN kind = 'hosted' THEN session_id END), "
                "MIN(CASE WHEN kind = 'answer' THEN occurred_at END) "
                f"FROM {activity} WHERE guild_id = ? AND occurred_at >= ? AND occurred_at < ?{where} GROUP BY user_id",
                (*month_parameters, guild_id, since, until, *parameters)):
            add(row[0], answers=row[1], chats_answered=row[2], months_answered=row[3], chats=row[4], replies=row[5],
                checkins=row[6], hosted=row[7], first_answer_at=from_text(row[8]))

        # A reply to a newcomer that also greets them is one helpful act: pairs are counted once across both kinds.
        for row in await self._db.fetchall(
                "SELECT user_id, COUNT(DISTINCT message_id || ':' || target_user_id), COUNT(DISTINCT target_user_id) "
                f"FROM (SELECT user_id, message_id, target_user_id FROM act {index('act_member', 'act_time')} "
                f"WHERE guild_id = ? AND occurred_at >= ? AND occurred_at < ? AND kind = 'helpful'{where} UNION ALL "
                f"SELECT user_id, COALESCE(message_id, -id), target_user_id FROM {activity} WHERE guild_id = ? "
                f"AND occurred_at >= ? AND occurred_at < ? AND kind = 'greeting'{where}) GROUP BY user_id",
                (guild_id, since, until, *parameters, guild_id, since, until, *parameters)):
            add(row[0], helpful=row[1], helped=row[2])

        # Thanks: said (act 'thanks', by the message that says it) or a reaction with one of the server's emoji on
        # the member's message; two thanks emoji from one person on one message are one thanks.
        emoji = tuple(thanks_emoji)
        said_where, said_parameters = only("target_user_id")
        thanks = ("SELECT target_user_id AS receiver, user_id AS giver, message_id FROM act "
                  f"{index('act_target', 'act_time')} WHERE guild_id = ? AND occurred_at >= ? AND occurred_at < ? "
                  f"AND kind = 'thanks'{said_where}")
        thanks_parameters: tuple[object, ...] = (guild_id, since, until, *said_parameters)
        if emoji:
            reacted_where, reacted_parameters = only("author_id")
            thanks += (f" UNION ALL SELECT author_id, user_id, message_id FROM reaction "
                       f"{index('reaction_author', 'reaction_time')} WHERE guild_id = ? AND reacted_at >= ? "
                       f"AND reacted_at < ? AND emoji IN ({', '.join('?' for _ in emoji)}){reacted_where}")
            thanks_parameters += (guild_id, since, until, *emoji, *reacted_parameters)
        for row in await self._db.fetchall(
                "SELECT receiver, COUNT(DISTINCT message_id || ':' || giver), COUNT(DISTINCT giver) "
                f"FROM ({thanks}) GROUP BY receiver", thanks_parameters):
            add(row[0], thanks=row[1], thanked_by=row[2])
        return {user_id: Tally(**counts) for user_id, counts in tallies.items()}  # type: ignore[arg-type]

    async def streak(self, guild_id: int, user_id: int, *, looked_at: int = 100) -> int:
        """How many of the server's latest chats (started ones, newest first) the member answered in, in a row."""
        rows = await self._db.fetchall(
            "SELECT EXISTS (SELECT 1 FROM activity a WHERE a.kind = 'answer' AND a.session_id = s.id "
            "AND a.user_id = ?) FROM chat_session s WHERE s.guild_id = ? AND s.started_at IS NOT NULL "
            "ORDER BY s.started_at DESC LIMIT ?", (user_id, guild_id, looked_at))
        streak = 0
        for row in rows:
            if not row[0]:
                break
            streak += 1
        return streak
