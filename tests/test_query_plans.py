"""Every statement storage sends reads the tables that grow with history through an index, so its cost does not grow.

The statements are gathered by running the storage contract tests (tests/test_storage*.py) again in a child
process that notes each SQL text bot/storage hands to SQLite, and where it came from. Each one is then explained
(EXPLAIN QUERY PLAN, every ? bound to NULL) against a freshly migrated database. So that a query added later
cannot slip past unrun, every piece of SQL written in bot/storage must turn up among the statements gathered:
a new query needs its contract test, as docs/ARCHITECTURE.md asks anyway.

Run as a script (`python tests/test_query_plans.py OUT [pytest arguments]`), this module is that child process.
"""

from __future__ import annotations

import ast
import asyncio
import json
import os
import re
import sqlite3
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import pytest

from bot.storage import Storage
from tests.helpers import statements_sent

ROOT = Path(__file__).resolve().parent.parent
CONTRACT_TESTS = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "tests").glob("test_storage*.py"))

# Tables whose rows pile up as chats are held and members come and go. Every table of the schema is here or in
# SMALL, so a new table needs a decision.
GROWING = {"chat_message", "activity", "scheduled_post", "chat_session", "session_cohost", "question", "members",
           "newcomer", "newcomer_review", "chat_greeting", "transcript", "listening_checkpoint",
           "act", "reaction", "progression_month", "progression_close", "prior_poster", "privacy_audit"}
# Tables of a few rows per server: reading one whole costs nothing worth an index.
SMALL = {"guild_config", "bot_meta", "chat_series", "welcome_config", "progression_config", "progression_channel",
         "progression_named", "history_import", "privacy_optout"}
# Columns with a handful of values (the CHECK constraints in the migrations list them): one value covers a share
# of all history, so an index search on these alone still reads more as history grows.
ENUMERATED = {"kind", "status", "welcome"}
# Tables recording what happened: one server's share of them grows with every chat, so a search by server alone
# reads more each week too. (A server's members and chats are read whole in a few places, on purpose.)
RECORDS = {"chat_message", "activity", "scheduled_post", "newcomer_review", "chat_greeting", "transcript", "act",
           "reaction", "progression_month"}
# Statements that read a growing table more widely than one key, on purpose, and why that is acceptable.
ALLOWED = {
    # storage.sessions.with_status: asked for the 'running' chats (a handful) at start and by the live chat. Known:
    # Listening.catch_up also asks for every 'ended' chat at each READY, a read that grows with history.
    "SELECT * FROM chat_session WHERE status = ? ORDER BY starts_at":
        "the chats in one status",
    # storage.transcripts.sessions without a server: `python -m bot transcript` with no --guild lists every
    # server's finished chats (one small row each) to match a series and a local date; transcripts themselves
    # are then read one at a time.
    "SELECT s.* FROM chat_session s JOIN transcript t ON t.session_id = s.id ORDER BY s.started_at DESC":
        "every finished chat, for the command line",
    # storage.newcomers.latest_reviews: every review in a server. The bot reads reviews through for_report (the
    # newcomers it reports on); the tests still ask for all of a server's reviews.
    "SELECT user_id, status, reviewer_id, reviewed_at FROM newcomer_review r WHERE guild_id = ? AND id = (SELECT "
    "MAX(id) FROM newcomer_review WHERE guild_id = r.guild_id AND user_id = r.user_id)":
        "a server's reviews, for the tests",
    # storage.privacy.export and forget, run only when a member asks (/privacy export, forget, optout erasing): no
    # index holds who reviewed, who a ledger row is towards, or who reacted, so these read a server's rows of the
    # table once per request. An index on each would bound them (a migration for another day).
    "SELECT user_id, status, reviewed_at FROM newcomer_review WHERE guild_id = ? AND reviewer_id = ?":
        "reviews a member made, for their export",
    "UPDATE newcomer_review SET reviewer_id = 0 WHERE guild_id = ? AND reviewer_id = ?":
        "reviews a member made, when they are forgotten",
    "SELECT kind, session_id, message_id, occurred_at FROM activity WHERE guild_id = ? AND target_user_id = ?":
        "others' ledger rows towards a member, for their export",
    "UPDATE activity SET target_user_id = NULL WHERE guild_id = ? AND target_user_id = ?":
        "others' ledger rows towards a member, when they are forgotten",
    "SELECT message_id, emoji, channel_id, author_id, reacted_at FROM reaction WHERE guild_id = ? AND user_id = ?":
        "reactions a member gave, for their export",
    "DELETE FROM reaction WHERE guild_id = ? AND user_id = ?":
        "reactions a member gave, when they are forgotten",
}
_VERB = re.compile(r"\s*(SELECT|INSERT|UPDATE|DELETE|WITH|REPLACE)\b", re.IGNORECASE)
# The start of a statement or of a clause added to one: what counts as SQL text in bot/storage's source.
_SQL_TEXT = re.compile(r"\s*(SELECT|INSERT|UPDATE|DELETE|WITH|REPLACE|WHERE|AND|ORDER BY|GROUP BY|LIMIT)\b")
# A table (or its alias) after FROM, JOIN, UPDATE or INTO, and the alias if one follows.
_TABLE = re.compile(r"\b(?:FROM|JOIN|UPDATE|INTO)\s+(\w+)(?:\s+(?:AS\s+)?(\w+))?", re.IGNORECASE)
_NOT_ALIAS = {"WHERE", "JOIN", "LEFT", "INNER", "CROSS", "ON", "USING", "SET", "ORDER", "GROUP", "LIMIT", "VALUES",
              "SELECT", "AND", "OR", "AS", "NATURAL", "DEFAULT", "UNION"}


class StatementRecorder:
    """A pytest plugin for the child process: notes each statement bot/storage sends, with the method sending it."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.seen: dict[str, str] = {}
        self._noting = ExitStack()

    def pytest_configure(self) -> None:
        self._noting.enter_context(statements_sent(self.note))

    def note(self, sql: str, origin: str) -> None:
        if _VERB.match(sql):
            self.seen.setdefault(sql, origin)

    def pytest_sessionfinish(self) -> None:
        self._noting.close()
        self.out.write_text(json.dumps(self.seen, indent=1), encoding="utf-8")


@pytest.fixture(scope="module")
def statements(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Every distinct statement the storage contract tests made bot/storage send, with the method that sent it."""
    out = tmp_path_factory.mktemp("plans") / "statements.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.run([sys.executable, __file__, str(out), *CONTRACT_TESTS], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=300)
    assert child.returncode == 0, f"the storage contract tests failed in the child run:\n{child.stdout[-3000:]}"
    seen: dict[str, str] = json.loads(out.read_text(encoding="utf-8"))
    return seen


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    """A connection to a freshly migrated, empty database."""
    path = tmp_path_factory.mktemp("schema") / "fresh.db"

    async def migrate() -> None:
        await (await Storage.open(path)).close()

    asyncio.run(migrate())
    return sqlite3.connect(path)


def sql_in_storage() -> dict[str, str]:
    """Every piece of SQL text written in bot/storage's modules (docstrings aside), with its file and line."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "bot" / "storage").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                      and node.body and isinstance(node.body[0], ast.Expr)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings \
                    and _SQL_TEXT.match(node.value):
                found.setdefault(node.value, f"bot/storage/{path.name}:{node.lineno}")
    return found


def tables_of(sql: str) -> dict[str, str]:
    """The statement's tables by the name its query plan uses for them (an alias, if it gives one)."""
    names: dict[str, str] = {}
    for table, alias in _TABLE.findall(sql):
        names[table] = table
        if alias and alias.upper() not in _NOT_ALIAS:
            names[alias] = table
    return names


def plan(schema: sqlite3.Connection, sql: str) -> list[str]:
    """The statement's query plan, one step per line, with NULL for every parameter."""
    rows = schema.execute(f"EXPLAIN QUERY PLAN {sql}", [None] * sql.count("?")).fetchall()
    return [str(row[3]) for row in rows]


def state_indexes(schema: sqlite3.Connection) -> set[str]:
    """Partial indexes holding only the rows in one state (WHERE status = 'waiting', say): a bounded set."""
    return {name for name, sql in schema.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                                                 "AND sql IS NOT NULL")
            if re.search(r"\bWHERE\s+\w+\s*=\s*'", sql, re.IGNORECASE)}


def growing_reads(schema: sqlite3.Connection, sql: str) -> list[str]:
    """Each step of the statement's plan that reads a growing table more widely than the rows it is about."""
    tables = tables_of(sql)
    bounded = state_indexes(schema)
    found = []
    for step in plan(schema, sql):
        match = re.match(r"(SCAN|SEARCH) (\w+)", step)
        if match is None:
            continue
        how, name = match.groups()
        index = re.search(r"\bINDEX (\w+)", step)
        table = tables.get(name, name)
        if table not in GROWING or (index is not None and index[1] in bounded):
            continue
        constraints = re.search(r"\(([^()]*)\)", step)
        columns = set(re.findall(r"(\w+)\s*[=<>]", constraints[1] if constraints else ""))
        if how == "SCAN" or "AUTOMATIC" in step:
            # An automatic index is built by reading the whole table, every time the statement runs.
            found.append(f"reads all of {table} ({step})")
        elif columns and columns <= ENUMERATED | ({"guild_id"} if table in RECORDS else set()):
            # (A SEARCH with no constraint at all is a MIN or MAX: one step down the index.)
            found.append(f"reads {table} by {', '.join(sorted(columns))} alone, which grows with history ({step})")
    return found


def test_every_table_is_known_to_grow_or_stay_small(schema: sqlite3.Connection):
    tables = {row[0] for row in schema.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                               "AND name NOT LIKE 'sqlite_%'")}
    assert not GROWING & SMALL
    assert tables - GROWING - SMALL == set(), "new tables: add each to GROWING or SMALL in this test"
    assert tables >= GROWING | SMALL, "GROWING and SMALL name tables the schema no longer has"


def test_every_query_written_in_storage_is_among_the_statements_checked(statements: dict[str, str]):
    unsent = [f"{where}: {text.strip()!r}" for text, where in sql_in_storage().items()
              if not any(text in sql for sql in statements)]
    assert not unsent, ("SQL in bot/storage that the storage contract tests never sent, so its query plan is not "
                        "checked: give it a contract test in tests/test_storage*.py:\n" + "\n".join(unsent))


def test_no_statement_reads_a_growing_table_more_widely_than_it_needs(
        statements: dict[str, str], schema: sqlite3.Connection):
    offenders = []
    for sql, origin in sorted(statements.items(), key=lambda item: item[1]):
        if " ".join(sql.split()) in ALLOWED:
            continue
        offenders.extend(f"{origin}: {' '.join(sql.split())}\n    {read}" for read in growing_reads(schema, sql))
    assert not offenders, ("statements whose cost grows with history; add an index in a new migration, or "
                           "narrow the query:\n" + "\n".join(offenders))


def test_every_allowed_statement_is_still_sent_and_still_needs_allowing(
        statements: dict[str, str], schema: sqlite3.Connection):
    sent = {" ".join(sql.split()): sql for sql in statements}
    for allowed in ALLOWED:
        assert allowed in sent, f"ALLOWED lists a statement storage no longer sends: {allowed}"
        assert growing_reads(schema, sent[allowed]), f"ALLOWED lists a statement that now uses an index: {allowed}"


def test_the_check_catches_a_table_read_whole_or_by_kind_alone(schema: sqlite3.Connection):
    assert growing_reads(schema, "SELECT * FROM chat_message WHERE content = ?")
    assert growing_reads(schema, "SELECT COUNT(*) FROM activity a WHERE a.kind = 'answer'")
    assert growing_reads(schema, "SELECT user_id FROM activity WHERE guild_id = ? ORDER BY user_id")
    assert not growing_reads(schema, "SELECT user_id FROM members WHERE guild_id = ?")  # a server's roster
    assert not growing_reads(schema, "SELECT * FROM chat_message WHERE session_id = ?")
    assert not growing_reads(schema, "SELECT * FROM chat_series")  # small: read whole on purpose


if __name__ == "__main__":
    sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", *sys.argv[2:]],
                         plugins=[StatementRecorder(Path(sys.argv[1]))]))
