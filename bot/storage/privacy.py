"""Members' data as a whole (privacy_optout, privacy_audit, and every table holding a member's id): opting out,
exporting, forgetting, and purging old message text.

EXPORTS and ERASES below are the one list of where a member's id is stored. A new table (or column) that holds a
member's id needs a line in both, or a forgotten member stays in it: tests/test_privacy_e2e.py scans every table and
column of the database for the id after a forget, and fails if it finds it anywhere.

Reading a member's rows in one server goes through an index where the schema has one. Where it has none (reactions
a member gave, reviews they made, others' ledger rows towards them), a forget or an export reads the server's rows of
that table once: they run only when a member asks (see ALLOWED in tests/test_query_plans.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain.privacy import FORGOTTEN, PURGED_HTML, PURGED_TEXT, PurgeCounts
from bot.storage._database import Queries, from_text, required, to_text

# The chats of one server: how a member's rows in per-chat tables are found through their chat's index.
_SESSIONS = "SELECT id FROM chat_session WHERE guild_id = ?"
_OLD_SESSIONS = "SELECT id FROM chat_session WHERE guild_id = ? AND starts_at < ?"

# Section name → a statement selecting what it exports, with (guild_id, user_id) as its parameters. Others' ids are
# left out of rows about the member (who thanked, reacted or reviewed is theirs to export, not this member's).
EXPORTS: dict[str, str] = {
    "member": "SELECT display_name, account_created_at, first_joined_at, last_joined_at, left_at, join_count "
              "FROM members WHERE guild_id = ? AND user_id = ?",
    "newcomer": "SELECT welcome, welcomed_at, welcome_message_id, first_message_id, first_channel_id, "
                "first_message_at, first_message_text, link_in_first, mass_mentions, repeated_text, greeted_at "
                "FROM newcomer WHERE guild_id = ? AND user_id = ?",
    "newcomer_reviews": "SELECT status, reviewed_at FROM newcomer_review WHERE guild_id = ? AND user_id = ?",
    "reviews_made": "SELECT user_id, status, reviewed_at FROM newcomer_review WHERE guild_id = ? AND reviewer_id = ?",
    "greetings_given": "SELECT user_id, greeted_at, greeting_message_id FROM newcomer "
                       "WHERE guild_id = ? AND greeted_by = ?",
    "chat_messages": "SELECT message_id, session_id, author_name, content, created_at, edited_at, deleted, "
                     "reply_to_author_id, question_number, reactions FROM chat_message "
                     f"WHERE session_id IN ({_SESSIONS}) AND author_id = ?",
    "replies_to_you": "SELECT message_id, session_id, created_at FROM chat_message "
                      f"WHERE session_id IN ({_SESSIONS}) AND reply_to_author_id = ?",
    "activity": "SELECT kind, session_id, question_number, message_id, target_user_id, occurred_at FROM activity "
                "WHERE guild_id = ? AND user_id = ?",
    "activity_about_you": "SELECT kind, session_id, message_id, occurred_at FROM activity "
                          "WHERE guild_id = ? AND target_user_id = ?",
    "acts": "SELECT message_id, kind, target_user_id, channel_id, session_id, occurred_at FROM act "
            "WHERE guild_id = ? AND user_id = ?",
    "acts_received": "SELECT message_id, kind, channel_id, session_id, occurred_at FROM act "
                     "WHERE guild_id = ? AND target_user_id = ?",
    "reactions_given": "SELECT message_id, emoji, channel_id, author_id, reacted_at FROM reaction "
                       "WHERE guild_id = ? AND user_id = ?",
    "reactions_received": "SELECT message_id, emoji, channel_id, reacted_at FROM reaction "
                          "WHERE guild_id = ? AND author_id = ?",
    "chat_greetings": "SELECT session_id, first_message_id, first_at, status, greeted_at, message_id "
                      f"FROM chat_greeting WHERE session_id IN ({_SESSIONS}) AND user_id = ?",
    "cohosted": f"SELECT session_id FROM session_cohost WHERE session_id IN ({_SESSIONS}) AND user_id = ?",
    "chats_started": "SELECT id AS session_id, series_name, hashtag, starts_at FROM chat_session "
                     "WHERE guild_id = ? AND started_by = ?",
    "transcripts": "SELECT t.session_id, t.created_at FROM transcript t WHERE t.session_id IN (SELECT DISTINCT "
                   f"session_id FROM chat_message WHERE session_id IN ({_SESSIONS}) AND author_id = ?)",
    "progression_months": "SELECT month, name, stage, previous, reasons, below, helper_months, joined_at, "
                          "first_answer_at, chats, answers, replies, helpful, helped, thanks, checkins, hosted "
                          "FROM progression_month INDEXED BY progression_month_member "
                          "WHERE guild_id = ? AND user_id = ? ORDER BY month",
    "named_leader": "SELECT named_at FROM progression_named WHERE guild_id = ? AND user_id = ?",
    "leaders_named": "SELECT user_id, named_at FROM progression_named WHERE guild_id = ? AND named_by = ?",
    "channels_added": "SELECT channel_id, added_at FROM progression_channel WHERE guild_id = ? AND added_by = ?",
    "series_created": "SELECT id AS series_id, name, hashtag, created_at FROM chat_series "
                      "WHERE guild_id = ? AND created_by = ?",
    "settings_changed": "SELECT 'server settings' AS what, updated_at FROM guild_config "
                        "WHERE guild_id = ? AND updated_by = ?",
    "welcome_settings_changed": "SELECT 'welcome settings' AS what, updated_at FROM welcome_config "
                                "WHERE guild_id = ? AND updated_by = ?",
    "progression_settings_changed": "SELECT 'progression settings' AS what, updated_at FROM progression_config "
                                    "WHERE guild_id = ? AND updated_by = ?",
    "prior_poster": "SELECT last_posted_at FROM prior_poster WHERE guild_id = ? AND user_id = ?",
    "history_imports": "SELECT source, status, started_at FROM history_import WHERE guild_id = ? AND started_by = ?",
    "optout": "SELECT since FROM privacy_optout WHERE guild_id = ? AND user_id = ?",
}
# Sections shown under one name in the export file.
_MERGED = {"welcome_settings_changed": "settings_changed", "progression_settings_changed": "settings_changed"}

# What a forget does, in order: (the kind it is counted under, a statement taking (guild_id, user_id)). Rows of the
# member go; rows of others that name them keep their own facts and lose the member (NULL, or 0 where the column
# may not be empty). Messages stay as "a member who was forgotten", so chats keep their shape and counts.
ERASES: tuple[tuple[str, str], ...] = (
    ("messages", f"UPDATE chat_message SET author_id = 0, author_name = '{FORGOTTEN}', content = '', "
                 f"reply_to_author_id = NULL WHERE session_id IN ({_SESSIONS}) AND author_id = ?"),
    ("other", f"UPDATE chat_message SET reply_to_author_id = NULL WHERE session_id IN ({_SESSIONS}) "
              "AND reply_to_author_id = ?"),
    ("ledger", "DELETE FROM activity WHERE guild_id = ? AND user_id = ?"),
    ("other", "UPDATE activity SET target_user_id = NULL WHERE guild_id = ? AND target_user_id = ?"),
    ("acts", "DELETE FROM act WHERE guild_id = ? AND user_id = ?"),
    ("acts", "DELETE FROM act WHERE guild_id = ? AND target_user_id = ?"),
    ("reactions", "DELETE FROM reaction WHERE guild_id = ? AND user_id = ?"),
    ("reactions", "DELETE FROM reaction WHERE guild_id = ? AND author_id = ?"),
    ("greetings", f"DELETE FROM chat_greeting WHERE session_id IN ({_SESSIONS}) AND user_id = ?"),
    ("other", f"DELETE FROM session_cohost WHERE session_id IN ({_SESSIONS}) AND user_id = ?"),
    ("other", "UPDATE chat_session SET started_by = NULL WHERE guild_id = ? AND started_by = ?"),
    ("reviews", "DELETE FROM newcomer_review WHERE guild_id = ? AND user_id = ?"),
    ("other", "UPDATE newcomer_review SET reviewer_id = 0 WHERE guild_id = ? AND reviewer_id = ?"),
    ("greetings", "UPDATE newcomer SET greeted_by = NULL, greeted_at = NULL, greeting_message_id = NULL "
                  "WHERE guild_id = ? AND greeted_by = ?"),
    ("newcomer", "DELETE FROM newcomer WHERE guild_id = ? AND user_id = ?"),
    ("other", "DELETE FROM members WHERE guild_id = ? AND user_id = ?"),
    ("months", "DELETE FROM progression_month INDEXED BY progression_month_member "
               "WHERE guild_id = ? AND user_id = ?"),
    ("other", "DELETE FROM progression_named WHERE guild_id = ? AND user_id = ?"),
    ("other", "UPDATE progression_named SET named_by = 0 WHERE guild_id = ? AND named_by = ?"),
    ("other", "UPDATE progression_channel SET added_by = 0 WHERE guild_id = ? AND added_by = ?"),
    ("other", "UPDATE progression_config SET updated_by = NULL WHERE guild_id = ? AND updated_by = ?"),
    ("other", "UPDATE guild_config SET updated_by = NULL WHERE guild_id = ? AND updated_by = ?"),
    ("other", "UPDATE welcome_config SET updated_by = NULL WHERE guild_id = ? AND updated_by = ?"),
    ("other", "UPDATE chat_series SET created_by = 0 WHERE guild_id = ? AND created_by = ?"),
    ("other", "DELETE FROM prior_poster WHERE guild_id = ? AND user_id = ?"),
    ("other", "UPDATE history_import SET started_by = NULL WHERE guild_id = ? AND started_by = ?"),
)
# Others' text that names the member by id (a mention, or the id written out) has it replaced.
_MENTIONED = "replace(replace(replace({column}, ?, ?), ?, ?), ?, ?)"
_SCRUB_MESSAGES = (f"UPDATE chat_message SET content = {_MENTIONED.format(column='content')} "
                   f"WHERE session_id IN ({_SESSIONS}) AND instr(content, ?) > 0")
_SCRUB_FIRST = (f"UPDATE newcomer SET first_message_text = {_MENTIONED.format(column='first_message_text')} "
                "WHERE guild_id = ? AND instr(first_message_text, ?) > 0")


def _mention_parameters(user_id: int) -> tuple[str, ...]:
    """The replace() pairs: `<@!id>`, `<@id>`, then the bare id, each by "@a member who was forgotten"."""
    said = f"@{FORGOTTEN}"
    return f"<@!{user_id}>", said, f"<@{user_id}>", said, str(user_id), said


class PrivacyQueries(Queries):
    """Opt-outs, exports, forgetting and purging: storage.privacy."""

    async def opted_out(self, guild_id: int) -> frozenset[int]:
        """The members of a server who asked not to be recorded."""
        return frozenset(await self._db.ids("SELECT user_id FROM privacy_optout WHERE guild_id = ?", (guild_id,)))

    async def opt_out(self, guild_id: int, user_id: int, *, at: datetime) -> bool:
        """Stop recording a member from `at`; False if they had opted out already (their moment is kept)."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute("INSERT OR IGNORE INTO privacy_optout (guild_id, user_id, since) "
                                        "VALUES (?, ?, ?)", (guild_id, user_id, to_text(at, "at")))
            return cursor.rowcount == 1

    async def opt_in(self, guild_id: int, user_id: int) -> bool:
        """Record a member again; False if they had not opted out."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute("DELETE FROM privacy_optout WHERE guild_id = ? AND user_id = ?",
                                        (guild_id, user_id))
            return cursor.rowcount == 1

    async def export(self, guild_id: int, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """Everything stored about a member in one server, section by section, as plain values (ids as stored)."""
        sections: dict[str, list[dict[str, Any]]] = {}
        async with self._db.reading() as conn:
            for name, sql in EXPORTS.items():
                async with conn.execute(sql, (guild_id, user_id)) as cursor:
                    rows = [dict(row) for row in await cursor.fetchall()]
                sections.setdefault(_MERGED.get(name, name), []).extend(rows)
        return sections

    async def sessions_naming(self, guild_id: int, user_id: int) -> list[int]:
        """The chats with a stored transcript in which a member appears: said something, was mentioned or
        replied to, checked in, or was greeted as a first-timer."""
        return await self._db.ids(
            "SELECT session_id FROM transcript WHERE session_id IN ("
            f"SELECT session_id FROM chat_message WHERE session_id IN ({_SESSIONS}) AND (author_id = ? "
            "OR reply_to_author_id = ? OR instr(content, ?) > 0) "
            "UNION SELECT session_id FROM activity WHERE guild_id = ? AND user_id = ? "
            f"UNION SELECT session_id FROM chat_greeting WHERE session_id IN ({_SESSIONS}) AND user_id = ?) "
            "ORDER BY session_id",
            (guild_id, user_id, user_id, str(user_id), guild_id, user_id, guild_id, user_id))

    async def forget(self, guild_id: int, user_id: int, *, at: datetime, keep_optout: bool) -> dict[str, int]:
        """Erase a member from a server's records (their opt-out stays if `keep_optout`), note it in the audit
        without saying whose (if anything went), and return how many rows of each kind went. Call it inside the
        transaction that also rebuilds the transcripts naming them, so nobody reads a half-forgotten member."""
        counts: dict[str, int] = {}
        async with self._db.transaction() as conn:
            for sql, parameters in ((_SCRUB_MESSAGES, (*_mention_parameters(user_id), guild_id, str(user_id))),
                                    (_SCRUB_FIRST, (*_mention_parameters(user_id), guild_id, str(user_id)))):
                cursor = await conn.execute(sql, parameters)
                counts["mentions"] = counts.get("mentions", 0) + max(cursor.rowcount, 0)
            for kind, sql in ERASES:
                cursor = await conn.execute(sql, (guild_id, user_id))
                counts[kind] = counts.get(kind, 0) + max(cursor.rowcount, 0)
            if not keep_optout:
                cursor = await conn.execute("DELETE FROM privacy_optout WHERE guild_id = ? AND user_id = ?",
                                            (guild_id, user_id))
                counts["other"] += max(cursor.rowcount, 0)
            if any(counts.values()):  # a second press finds nothing: it forgets nobody, so notes nothing
                await self._audit(guild_id, "forget", "a member was forgotten", at)
        return counts

    async def _audit(self, guild_id: int, action: str, detail: str, at: datetime) -> None:
        async with self._db.transaction() as conn:
            await conn.execute("INSERT INTO privacy_audit (guild_id, action, detail, at) VALUES (?, ?, ?, ?)",
                               (guild_id, action, detail, to_text(at, "at")))

    async def audit(self, guild_id: int, *, since: datetime) -> list[tuple[str, str, datetime]]:
        """What was erased in a server since a moment: (action, detail, when), oldest first."""
        rows = await self._db.fetchall("SELECT action, detail, at FROM privacy_audit WHERE guild_id = ? AND at >= ? "
                                       "ORDER BY at, id", (guild_id, to_text(since, "since")))
        return [(str(row[0]), str(row[1]), required(from_text(row[2]))) for row in rows]

    async def purgeable(self, guild_id: int, before: datetime) -> PurgeCounts:
        """What a purge would blank in a server: message text written before `before`, still kept."""
        cutoff = to_text(before, "before")
        row = await self._db.fetchone(
            f"SELECT (SELECT COUNT(*) FROM chat_message WHERE session_id IN ({_OLD_SESSIONS}) AND created_at < ? "
            "AND content != ''), (SELECT COUNT(*) FROM newcomer WHERE guild_id = ? AND first_message_at < ? "
            f"AND first_message_text IS NOT NULL), (SELECT COUNT(*) FROM transcript WHERE session_id IN "
            f"({_OLD_SESSIONS}) AND markdown != ?)",
            (guild_id, cutoff, cutoff, guild_id, cutoff, guild_id, cutoff, PURGED_TEXT))
        assert row is not None
        return PurgeCounts(int(row[0]), int(row[1]), int(row[2]))

    async def purge(self, guild_id: int, before: datetime, *, at: datetime, days: int) -> PurgeCounts:
        """Blank message text written before `before` (chat messages, first messages, transcripts of those chats);
        counts, the ledger and monthly rollups stay. One audit row says what went."""
        cutoff = to_text(before, "before")
        async with self._db.transaction() as conn:
            messages = await conn.execute(
                f"UPDATE chat_message SET content = '' WHERE session_id IN ({_OLD_SESSIONS}) AND created_at < ? "
                "AND content != ''", (guild_id, cutoff, cutoff))
            firsts = await conn.execute(
                "UPDATE newcomer SET first_message_text = NULL WHERE guild_id = ? AND first_message_at < ? "
                "AND first_message_text IS NOT NULL", (guild_id, cutoff))
            transcripts = await conn.execute(
                f"UPDATE transcript SET recap = ?, markdown = ?, html = ? WHERE session_id IN ({_OLD_SESSIONS}) "
                "AND markdown != ?", (PURGED_TEXT, PURGED_TEXT, PURGED_HTML, guild_id, cutoff, PURGED_TEXT))
            counts = PurgeCounts(messages.rowcount, firsts.rowcount, transcripts.rowcount)
            await self._audit(guild_id, "purge", counts.describe(days), at)
        return counts

    async def purged_transcript(self, session_id: int) -> bool:
        """Whether a chat's transcript was purged (there is nothing left in it to rebuild)."""
        row = await self._db.fetchone("SELECT markdown = ? FROM transcript WHERE session_id = ?",
                                      (PURGED_TEXT, session_id))
        return row is not None and bool(row[0])

