"""Newcomers: welcomes on join (combined during bursts), greetings for first-time chatters, human greetings and
flags noticed in newcomers' messages, and the moderators' newcomer report with its review buttons.

What is waiting (a welcome, a greeting) lives in the database and is rebuilt into jobs at every start, so a
restart does not drop one; each is marked done the moment it is posted, and carries a nonce, so it is not repeated.

The parts are private modules: `_welcomes` (joins, bursts, welcome posts and DMs), `_roster` (joins and leaves
missed while the bot was away, read from the member list at every READY), `_readback` (who posted in the chat
channels before the bot came, read back once), `_greetings` (first-time chatters in a chat), `_observe` (what
members say), `_report` (the report and its posts), `_views` (its pages and buttons) and `_caches` (bounded
in-memory state); `_desk` puts them together as `Newcomers`.
"""

from bot.newcomers._desk import Newcomers
from bot.newcomers._report import newcomer_report
from bot.newcomers._views import ReportPage, Review, report_file, report_page

__all__ = ["Newcomers", "ReportPage", "Review", "newcomer_report", "report_file", "report_page"]
