"""Newcomers: the welcome template, join bursts, greetings for first-time chatters, the flags moderators see,
and the newcomer report in Markdown, CSV and JSON. Nothing here reads the clock or knows Discord's API.
"""

from __future__ import annotations

import csv
import io
import json
import re
import string
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.errors import UserError
from bot.domain.progression_render import spreadsheet_id
from bot.domain.text import excerpt, require_visible

WELCOME_MAX_LENGTH = 500
PLACEHOLDERS = ("member", "server", "next_chat", "hashtag", "channel")
DEFAULT_WELCOME = ("Welcome {member}! 👋 Our next chat, #{hashtag}, is {next_chat} in {channel}. "
                   "Drop in, say hi, and answer the questions with A1:, A2: …")
# The built-in welcome while a chat is running: the chat happening now, not next week's.
DEFAULT_LIVE_WELCOME = ("Welcome {member}! 👋 #{hashtag} is {next_chat} in {channel}. "
                        "Drop in, say hi, and answer the questions with A1:, A2: …")
# What {next_chat} becomes while a chat is running.
LIVE_NOW = "on right now"

# A welcome waits this long, so that people who join together get one post, not one each.
WELCOME_SETTLE = timedelta(seconds=10)
# During a burst, at most one combined welcome this often.
BURST_WELCOME_INTERVAL = timedelta(seconds=60)
# Someone who leaves and comes back within this long was already welcomed.
REJOIN_GRACE = timedelta(days=1)
# A welcome that could not go out for this long (the bot was down) is not sent at all.
WELCOME_TOO_LATE = timedelta(days=1)
# How many joiners a combined welcome names before "and N others".
NAMED_IN_COMBINED = 2

# First-time chatters are greeted in batches, one post at most this often.
GREETING_INTERVAL = timedelta(minutes=2)
# A reply or mention counts as a human greeting within this long of joining.
GREETING_WINDOW = timedelta(days=7)
# The report's default span: a newcomer is in their first 14 days.
NEWCOMER_DAYS = 14
# How far back a moderator may look in the join and newcomer reports, in days.
REPORT_DAYS = range(1, 91)

NEW_ACCOUNT_FLAG = timedelta(days=7)
MASS_MENTIONS = 5
REPEAT_CHANNELS = 3
REPEAT_WINDOW = timedelta(minutes=10)
FIRST_MESSAGE_CHARS = 200

REVIEW_STATUSES = ("reviewed", "follow_up", "watch")
#: What a report can be filtered by.
REPORT_STATUSES = ("all", "unreviewed", *REVIEW_STATUSES)
REVIEW_LABELS = {"reviewed": "Reviewed", "follow_up": "Follow up", "watch": "Watch", None: "Unreviewed"}

MESSAGE_LIMIT = 2000
# What a welcome may use of a message: the admin's preview puts a line above it in the same message.
PREVIEW_ROOM = 100
WELCOME_LIMIT = MESSAGE_LIMIT - PREVIEW_ROOM
# The longest each placeholder can become: three joiners named in full (longer than two and "99999 others"), a
# 100-character server name made of "@" (each one broken by a zero-width space, so twice as long), two
# timestamps, a 50-character hashtag, a channel mention. Mentions hold ids of up to 20 digits.
_LONGEST_MENTION = "<@12345678901234567890>"
_LONGEST_VALUES = {"member": f"{_LONGEST_MENTION}, {_LONGEST_MENTION} and {_LONGEST_MENTION}",
                   "server": "@\u200b" * 100, "next_chat": "<t:99999999999:F> (<t:99999999999:R>)",
                   "hashtag": "x" * 50, "channel": "<#12345678901234567890>"}
# A greeting names at most this many first-timers, then "and N others" (Discord allows 2000 characters).
NAMED_IN_GREETING = 20

_PING = re.compile(r"@(everyone|here)\b|<@&\d+>", re.IGNORECASE)
_LINK = re.compile(r"https?://|www\.|discord(?:app)?\.(?:gg|com/invite|me)/", re.IGNORECASE)


# -- the welcome ----------------------------------------------------------------------------------------

def check_template(text: str) -> str:
    """The template as it will be stored, or a UserError saying what to change."""
    template = text.strip()
    if not template:
        raise UserError("The welcome is empty: write a sentence or two, such as `Welcome {member}!`.")
    if len(template) > WELCOME_MAX_LENGTH:
        raise UserError(f"The welcome is {len(template)} characters; keep it to {WELCOME_MAX_LENGTH} "
                        "(short welcomes get read).")
    require_visible(template, "welcome")
    if _PING.search(template):
        raise UserError("A welcome can't ping @everyone, @here or a role: remove that mention.")
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError:
        raise UserError("The welcome has an unmatched `{` or `}`: placeholders look like `{member}`; "
                        "write `{{` or `}}` for a literal brace.") from None
    allowed = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
    for _, name, spec, conversion in fields:
        if name is None:
            continue
        if conversion or spec:
            written = excerpt(f"{{{name}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}}")
            raise UserError(f"`{written}` has a conversion or format after the name, which welcomes don't allow: "
                            f"write placeholders plainly, like `{{member}}`.")
        if name not in PLACEHOLDERS:
            raise UserError(f"`{{{excerpt(name)}}}` is not a placeholder I know; use {allowed}.")
    longest = len(template.format(**_LONGEST_VALUES))
    if longest > WELCOME_LIMIT:
        raise UserError(f"With long names filled in, this welcome could reach {longest} characters, past the "
                        f"{WELCOME_LIMIT} a welcome may use of Discord's {MESSAGE_LIMIT}: use fewer placeholders.")
    return template


def render_welcome(template: str | None, *, member: str, server: str, next_chat: datetime | None,
                   hashtag: str | None, channel_id: int | None, live: bool = False) -> str:
    """Fill a checked template (None: the built-in one): the next chat becomes a Discord timestamp each reader sees
    in their own zone, or, when `live` (that chat is running now), "on right now"."""
    if template is None:
        template = DEFAULT_LIVE_WELCOME if live else DEFAULT_WELCOME
    stamp = int(next_chat.timestamp()) if next_chat else None
    when = LIVE_NOW if live else f"<t:{stamp}:F> (<t:{stamp}:R>)" if stamp else "coming soon"
    return template.format(member=member, server=_no_pings(server), next_chat=when,
                           hashtag=hashtag or "our chat",
                           channel=f"<#{channel_id}>" if channel_id else "the chat channel")


def _no_pings(text: str) -> str:
    """Names people chose (a server's, a member's) must not ping anyone: break @ with a zero-width space."""
    return text.replace("@", "@\u200b")


def listing(names: list[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def welcome_names(mentions: list[str]) -> str:
    """"@a", "@a and @b", "@a, @b and 7 others": whom a combined welcome names."""
    if len(mentions) <= NAMED_IN_COMBINED + 1:
        return listing(mentions)
    others = len(mentions) - NAMED_IN_COMBINED
    return ", ".join(mentions[:NAMED_IN_COMBINED]) + f" and {others} others"


def arrival(*, previously_welcomed: bool, left_at: datetime | None, joined_at: datetime,
            account_created_at: datetime, new_account_age: timedelta, now: datetime | None = None) -> str:
    """What a join gets: 'waiting' (a welcome), 'repeat' (back within a day), 'held' (too new to ping) or, when it
    is noticed (`now`) more than WELCOME_TOO_LATE after it happened, 'missed'."""
    if previously_welcomed and left_at is not None and joined_at - left_at <= REJOIN_GRACE:
        return "repeat"
    if joined_at - account_created_at < new_account_age:
        return "held"
    if now is not None and now - joined_at > WELCOME_TOO_LATE:
        return "missed"
    return "waiting"


def in_burst(join_times: list[datetime], now: datetime, *, joins: int, window: timedelta) -> bool:
    """More than `joins` joins within the window that ends now."""
    return sum(1 for t in join_times if now - window < t <= now) > joins


def joined_in_burst(arrivals: list[datetime], join_times: list[datetime], *, joins: int,
                    window: timedelta) -> bool:
    """Whether any of these members joined while a burst was on, judged at their own join, not at posting time."""
    return any(in_burst(join_times, arrived, joins=joins, window=window) for arrived in arrivals)


def welcome_due(now: datetime, *, bursting: bool, last_welcome_at: datetime | None) -> datetime:
    """When the next welcome post goes out: after a short settle, and during a burst at most once a minute."""
    due = now + WELCOME_SETTLE
    if bursting and last_welcome_at is not None:
        due = max(due, last_welcome_at + BURST_WELCOME_INTERVAL)
    return due


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """"1 newcomer", "8 newcomers": a count with its noun in words."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"


def burst_alert_text(joins: int, held: int, *, since: datetime, window: timedelta, threshold: int) -> str:
    """The one moderator alert a join burst raises, counting every join of the burst since its first (it is edited
    as the burst goes on): `joins` in all, `held` of them too new to welcome publicly."""
    stamp = int(since.timestamp())
    held_note = f" ({plural(held, 'account')} too new to welcome publicly)" if held else ""
    return (f"⚠️ Join burst: {plural(joins, 'member')} joined since <t:{stamp}:f> (<t:{stamp}:R>){held_note}; "
            f"more than {threshold} within {int(window.total_seconds())} s is a burst. Welcomes are combined, one a "
            "minute, until it calms down; `/report newcomers` lists who joined.")


# -- first-time chatters ----------------------------------------------------------------------------------

def greeting_text(hashtag: str, mentions: list[str], helper_role_id: int | None) -> str:
    """The in-chat greeting for one batch of first-time chatters (the first 20 named, the rest counted)."""
    if len(mentions) > NAMED_IN_GREETING:
        mentions = [*mentions[:NAMED_IN_GREETING], f"{len(mentions) - NAMED_IN_GREETING} others"]
    helpers = f" <@&{helper_role_id}>, come say hello!" if helper_role_id else ""
    return (f"👋 A warm welcome to your first #{hashtag}, {listing(mentions)}! Answer any question with A1:, A2: … "
            f"and reply to others freely.{helpers}")


# -- what moderators are told -----------------------------------------------------------------------------

def has_link(text: str) -> bool:
    """A web link or a Discord invite."""
    return bool(_LINK.search(text))


def fingerprint(text: str) -> str:
    """Text compared for repeats: case and spacing do not matter."""
    return " ".join(text.casefold().split())


def repeated_across_channels(recent: list[tuple[int, str, datetime]], now: datetime) -> bool:
    """The same text in 3 or more channels within 10 minutes, given (channel, fingerprint, at) of recent posts."""
    channels: dict[str, set[int]] = {}
    for channel_id, text, at in recent:
        if text and now - at <= REPEAT_WINDOW:
            channels.setdefault(text, set()).add(channel_id)
    return any(len(found) >= REPEAT_CHANNELS for found in channels.values())


def first_message_excerpt(text: str) -> str:
    """At most 200 characters of a first message, on one line."""
    flat = " ".join(text.split())
    return flat if len(flat) <= FIRST_MESSAGE_CHARS else flat[:FIRST_MESSAGE_CHARS - 1] + "…"


@dataclass(frozen=True)
class NewcomerFacts:
    """What the bot knows about one newcomer, gathered from storage."""

    user_id: int
    name: str
    joined_at: datetime
    account_created_at: datetime
    join_count: int
    left_at: datetime | None
    first_message_at: datetime | None
    first_message_text: str | None
    first_message_url: str | None
    link_in_first: bool
    mass_mentions: bool
    repeated_text: bool
    first_chat: str | None
    chats_attended: int
    greeter_id: int | None
    greeter_name: str | None
    greeted_at: datetime | None
    stage: str
    review: str | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    first_chat_at: datetime | None = None  # when the first chat (named by `first_chat`) started
    zone: str = "UTC"  # the server's time zone: files give its local dates and times


@dataclass(frozen=True)
class NewcomerRow:
    """One line of the newcomer report, as moderators read it."""

    user_id: int
    name: str
    joined_at: str
    account_age_days: int
    first_message: str
    first_message_url: str
    first_chat: str
    greeted_by: str
    greeted_after: str
    came_back: bool
    stage: str
    flags: list[str]
    review: str
    reviewed_by: str
    reviewed_at: str
    # The instants behind joined_at, first_chat and reviewed_at, for Discord timestamps (each reader's own zone);
    # the text fields above give them in the server's zone, for files.
    joined: datetime | None = field(default=None, repr=False)
    first_chat_start: datetime | None = field(default=None, repr=False)
    first_chat_name: str = field(default="", repr=False)
    reviewed: datetime | None = field(default=None, repr=False)


def flags(facts: NewcomerFacts) -> list[str]:
    """What may deserve a moderator's look, in plain words."""
    found = []
    if facts.joined_at - facts.account_created_at < NEW_ACCOUNT_FLAG:
        found.append("account under 7 days old")
    if facts.link_in_first:
        found.append("link or invite in first message")
    if facts.mass_mentions:
        found.append(f"{MASS_MENTIONS}+ mentions in a message")
    if facts.repeated_text:
        found.append(f"same text in {REPEAT_CHANNELS}+ channels")
    if facts.join_count > 1 or facts.left_at is not None:
        found.append("left and rejoined" if facts.join_count > 1 else "left")
    return found


def join_flags(*, joined_at: datetime, account_created_at: datetime, join_count: int, present: bool,
               new_account_age: timedelta) -> list[str]:
    """What the joins report notes beside a join: a new account, joining more than once, having left."""
    found = []
    if joined_at - account_created_at < new_account_age:
        found.append("new account")
    if join_count > 1:
        found.append(f"joined {join_count} times")
    if not present:
        found.append("left")
    return found


def greeting_delay(facts: NewcomerFacts) -> timedelta | None:
    """How long after the newcomer's first message (or their join, if they had not spoken) a human greeted them."""
    if facts.greeted_at is None:
        return None
    since = facts.first_message_at if facts.first_message_at and facts.first_message_at <= facts.greeted_at \
        else facts.joined_at
    return facts.greeted_at - since


def describe_delay(delay: timedelta) -> str:
    """"45 s", "12 min", "3 h 5 min", "2 d 4 h"."""
    seconds = max(0, int(delay.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        hours, minutes = divmod(seconds // 60, 60)
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(seconds // 3600, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def report_row(facts: NewcomerFacts) -> NewcomerRow:
    """One newcomer as a report line: times and dates in the server's zone (so a join and a first chat on the same
    evening fall on the same day), with the instants kept for Discord timestamps."""
    delay = greeting_delay(facts)
    zone = ZoneInfo(facts.zone)
    first_chat = facts.first_chat or ""
    if first_chat and facts.first_chat_at is not None:
        first_chat = f"{first_chat} on {facts.first_chat_at.astimezone(zone).date().isoformat()}"
    return NewcomerRow(
        user_id=facts.user_id, name=facts.name, joined_at=_local(facts.joined_at, zone),
        account_age_days=(facts.joined_at - facts.account_created_at).days,
        first_message=facts.first_message_text or "", first_message_url=facts.first_message_url or "",
        first_chat=first_chat, greeted_by=facts.greeter_name or "",
        greeted_after=describe_delay(delay) if delay is not None else "", came_back=facts.chats_attended >= 2,
        stage=facts.stage, flags=flags(facts), review=REVIEW_LABELS[facts.review], reviewed_by=facts.reviewed_by or "",
        reviewed_at=_local(facts.reviewed_at, zone) if facts.reviewed_at else "",
        joined=facts.joined_at, first_chat_start=facts.first_chat_at, first_chat_name=facts.first_chat or "",
        reviewed=facts.reviewed_at)


def _local(at: datetime, zone: ZoneInfo) -> str:
    """An instant as the server's local time, with its offset: "2026-03-10T22:58:00-04:00"."""
    return at.astimezone(zone).isoformat(timespec="seconds")


def stamp(at: datetime, style: str = "f") -> str:
    """A Discord timestamp: each reader sees the instant in their own zone ("f": date and time; "R": how long ago)."""
    return f"<t:{int(at.timestamp())}:{style}>"


def report_order(newcomers: list[NewcomerFacts]) -> list[NewcomerFacts]:
    """Unreviewed first, then follow-up and watch, then reviewed; newest join first within each."""
    rank = {None: 0, "follow_up": 1, "watch": 2, "reviewed": 3}
    by_newest = sorted(newcomers, key=lambda facts: facts.joined_at, reverse=True)
    return sorted(by_newest, key=lambda facts: rank[facts.review])


def matches_status(facts: NewcomerFacts, status: str) -> bool:
    """Whether a newcomer belongs in a report filtered by status ('all', 'unreviewed' or a review status)."""
    return status == "all" or (facts.review or "unreviewed") == status


CSV_COLUMNS = ("user_id", "name", "joined_at", "account_age_days", "first_message", "first_message_url",
               "first_chat", "greeted_by", "greeted_after", "came_back", "stage", "flags", "review", "reviewed_by",
               "reviewed_at")


def report_csv(rows: list[NewcomerRow]) -> str:
    """The report as CSV, one newcomer per line, flags joined with '; ', ids as ="123…" (a spreadsheet reading an
    18-digit id as a number rounds its last digits away)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        values = {column: _inert(value) for column, value in asdict(row).items() if column in CSV_COLUMNS}
        values["user_id"] = spreadsheet_id(row.user_id)
        values["flags"] = _inert("; ".join(row.flags))
        values["came_back"] = "yes" if row.came_back else "no"
        writer.writerow([values[column] for column in CSV_COLUMNS])
    return out.getvalue()


def _inert(value: object) -> object:
    """A member's name or message could start with '=' and run as a formula in a spreadsheet: quote it."""
    return f"'{value}" if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def report_json(rows: list[NewcomerRow]) -> str:
    """The report as a JSON list, ids as strings (JavaScript and many JSON readers round integers past 2**53)."""
    return json.dumps([{column: str(row.user_id) if column == "user_id" else value
                        for column, value in asdict(row).items() if column in CSV_COLUMNS} for row in rows],
                      ensure_ascii=False, indent=2)


def report_markdown(rows: list[NewcomerRow], *, title: str) -> str:
    """The report as Markdown: one section per newcomer."""
    lines = [f"# {title}", ""]
    if not rows:
        lines.append("No newcomers in this period.")
    for row in rows:
        lines += [f"## {row.name} ({row.review})", "", *[f"- {line}" for line in describe_row(row)], ""]
    return "\n".join(lines).rstrip() + "\n"


def describe_row(row: NewcomerRow, *, in_discord: bool = False) -> list[str]:
    """A newcomer's facts as short lines (the Markdown report and the moderators' embeds share them).

    In Discord (`in_discord`), times are Discord timestamps, which each reader sees in their own zone; in a file,
    they are the server's local times.
    """
    first = f"\"{row.first_message}\"" + (f" ({row.first_message_url})" if row.first_message_url else "") \
        if row.first_message else "none yet"
    greeted = f"{row.greeted_by}, {row.greeted_after} later" if row.greeted_by else "not yet"
    joined, reviewed_at, first_chat = row.joined_at, row.reviewed_at, row.first_chat
    if in_discord:
        joined = f"{stamp(row.joined)} ({stamp(row.joined, 'R')})" if row.joined else joined
        reviewed_at = f"{stamp(row.reviewed)} ({stamp(row.reviewed, 'R')})" if row.reviewed else reviewed_at
        if row.first_chat_start is not None:
            first_chat = f"{row.first_chat_name}, {stamp(row.first_chat_start)}"
    reviewed = f"{row.review} by {row.reviewed_by} at {reviewed_at}" if row.reviewed_by else row.review
    return [f"Joined: {joined}, account {plural(row.account_age_days, 'day')} old",
            f"First message: {first}",
            f"First chat: {first_chat or 'none yet'}; came back to a second: {'yes' if row.came_back else 'no'}",
            f"Greeted by a human: {greeted}",
            f"Stage: {row.stage}",
            f"Flags: {', '.join(row.flags) if row.flags else 'none'}",
            f"Review: {reviewed}"]


_HEADER = re.compile(r"\*\*Newcomers, last [^*\n]+\*\*: [^·\n]*? unreviewed")


def report_header(days: int, total: int, unreviewed: int) -> str:
    """The report's first line: how many newcomers the period holds, and how many of them nobody reviewed yet."""
    return f"**Newcomers, last {plural(days, 'day')}**: {plural(total, 'newcomer')}, {unreviewed} unreviewed"


def with_header(content: str, header: str) -> str:
    """A report post with its `report_header` line brought up to date (the rest as it was)."""
    return _HEADER.sub(lambda _: header, content, count=1)


def report_counts(rows: list[NewcomerRow]) -> tuple[int, int]:
    """How many newcomers, and how many unreviewed, for `report_header`."""
    return len(rows), sum(1 for row in rows if row.review == REVIEW_LABELS[None])


def report_refused_text(channel_id: int, lacking: list[str]) -> str:
    """The alert when the moderator channel refuses the newcomer report (its embeds or its CSV)."""
    what = ", ".join(lacking) if lacking else "a permission it needs"
    return (f"⚠️ Heartbeat could not post the newcomer report in <#{channel_id}>: it lacks {what} there. "
            "Grant it in the channel's settings (`/config status` lists what is missing); "
            "`/report newcomers` shows the report meanwhile.")
