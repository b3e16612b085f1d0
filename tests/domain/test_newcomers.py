"""Unit tests for newcomers: the welcome template, join bursts, greetings, moderator flags and the newcomer report."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.errors import UserError
from bot.domain.newcomers import (
    BURST_WELCOME_INTERVAL,
    CSV_COLUMNS,
    DEFAULT_WELCOME,
    FIRST_MESSAGE_CHARS,
    PLACEHOLDERS,
    REJOIN_GRACE,
    REPEAT_WINDOW,
    WELCOME_MAX_LENGTH,
    WELCOME_SETTLE,
    NewcomerFacts,
    arrival,
    burst_alert_text,
    check_template,
    describe_delay,
    fingerprint,
    first_message_excerpt,
    flags,
    greeting_delay,
    greeting_text,
    has_link,
    in_burst,
    joined_in_burst,
    listing,
    matches_status,
    plural,
    render_welcome,
    repeated_across_channels,
    report_csv,
    report_json,
    report_markdown,
    report_order,
    report_refused_text,
    report_row,
    welcome_due,
    welcome_names,
)

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
JOINED = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
OLD_ACCOUNT = datetime(2020, 1, 1, tzinfo=UTC)


def facts(**changes: object) -> NewcomerFacts:
    """A quiet newcomer with an old account and nothing flagged, changed only where a test says."""
    base = NewcomerFacts(
        user_id=42, name="Ann", joined_at=JOINED, account_created_at=OLD_ACCOUNT, join_count=1, left_at=None,
        first_message_at=None, first_message_text=None, first_message_url=None, link_in_first=False,
        mass_mentions=False, repeated_text=False, first_chat=None, chats_attended=0, greeter_id=None,
        greeter_name=None, greeted_at=None, stage="lurker", review=None, reviewed_by=None, reviewed_at=None)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


# -- check_template ---------------------------------------------------------------------------------------

def test_check_template_accepts_and_strips() -> None:
    assert check_template("  Welcome {member} to {server}!\n") == "Welcome {member} to {server}!"


def test_check_template_allows_every_placeholder() -> None:
    template = " ".join(f"{{{name}}}" for name in PLACEHOLDERS)
    assert check_template(template) == template


@pytest.mark.parametrize("name", PLACEHOLDERS)
def test_check_template_allows_each_placeholder(name: str) -> None:
    assert check_template(f"Hi {{{name}}}") == f"Hi {{{name}}}"


def test_check_template_allows_literal_braces() -> None:
    assert check_template("Use {{braces}} like }} and {{ — welcome {member}") == \
        "Use {{braces}} like }} and {{ — welcome {member}"


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_check_template_rejects_empty(text: str) -> None:
    with pytest.raises(UserError, match="empty"):
        check_template(text)


def test_check_template_length_limit() -> None:
    assert check_template("x" * WELCOME_MAX_LENGTH) == "x" * WELCOME_MAX_LENGTH
    with pytest.raises(UserError, match=f"is {WELCOME_MAX_LENGTH + 1} characters"):
        check_template("x" * (WELCOME_MAX_LENGTH + 1))


def test_check_template_length_counts_after_stripping() -> None:
    padded = "  " + "x" * WELCOME_MAX_LENGTH + "  "
    assert check_template(padded) == "x" * WELCOME_MAX_LENGTH


@pytest.mark.parametrize("text", [
    "Hey @everyone, welcome {member}",
    "Hey @here, welcome {member}",
    "Hey @EVERYONE welcome {member}",
    "Hey @Here welcome {member}",
    "Hey <@&123> welcome {member}",
    "<@&987654321098765432>, say hi to {member}",
])
def test_check_template_rejects_pings(text: str) -> None:
    with pytest.raises(UserError, match="can't ping"):
        check_template(text)


def test_check_template_allows_user_mention_and_plain_at() -> None:
    assert check_template("Ask <@123> or email me@example.org, {member}") == \
        "Ask <@123> or email me@example.org, {member}"


@pytest.mark.parametrize(("text", "shown"), [
    ("Hi {foo}", "`{foo}`"),
    ("Hi {Member}", "`{Member}`"),
    ("Hi {member.name}", "`{member.name}`"),
    ("Hi {member[0]}", "`{member[0]}`"),
    ("Hi {0}", "`{0}`"),
    ("Hi {}", "`{}`"),
])
def test_check_template_rejects_unknown_fields(text: str, shown: str) -> None:
    with pytest.raises(UserError, match="is not a placeholder I know") as caught:
        check_template(text)
    assert shown in str(caught.value)
    assert "{member}, {server}, {next_chat}, {hashtag}, {channel}" in str(caught.value)


@pytest.mark.parametrize(("text", "shown"), [
    ("Hi {member:>10}", "`{member:>10}`"),
    ("Hi {member!r}", "`{member!r}`"),
    ("Hi {member!s:^5}", "`{member!s:^5}`"),
    ("Hi {nobody!r}", "`{nobody!r}`"),
])
def test_check_template_says_conversions_and_formats_are_not_allowed(text: str, shown: str) -> None:
    with pytest.raises(UserError, match="conversion or format after the name") as caught:
        check_template(text)
    assert shown in str(caught.value)
    assert "`{member}`" in str(caught.value)


@pytest.mark.parametrize("text", ["Hi {member", "Hi member}", "Hi { member", "Welcome {member}}", "{"])
def test_check_template_rejects_unmatched_braces(text: str) -> None:
    with pytest.raises(UserError, match="unmatched"):
        check_template(text)


def test_default_welcome_is_valid_and_renders() -> None:
    assert check_template(DEFAULT_WELCOME) == DEFAULT_WELCOME
    text = render_welcome(DEFAULT_WELCOME, member="<@1>", server="Cafe", next_chat=NOW, hashtag="TeaChat",
                          channel_id=555)
    stamp = int(NOW.timestamp())
    assert text.startswith("Welcome <@1>! ")
    assert "#TeaChat" in text
    assert f"<t:{stamp}:F> (<t:{stamp}:R>)" in text
    assert "in <#555>." in text
    assert "{" not in text


# -- render_welcome ---------------------------------------------------------------------------------------

def test_render_welcome_next_chat_is_discord_timestamp() -> None:
    when = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)
    text = render_welcome("{next_chat}", member="m", server="s", next_chat=when, hashtag=None, channel_id=None)
    assert text == "<t:1772589600:F> (<t:1772589600:R>)"


def test_render_welcome_next_chat_uses_the_instant_not_the_wall_clock() -> None:
    evening_in_new_york = datetime(2026, 3, 3, 21, 0, tzinfo=ZoneInfo("America/New_York"))  # 02:00 UTC next day
    text = render_welcome("{next_chat}", member="m", server="s", next_chat=evening_in_new_york, hashtag=None,
                          channel_id=None)
    assert text == "<t:1772589600:F> (<t:1772589600:R>)"


def test_render_welcome_without_next_chat_or_channel_or_hashtag() -> None:
    text = render_welcome("{next_chat}|{channel}|{hashtag}", member="m", server="s", next_chat=None, hashtag=None,
                          channel_id=None)
    assert text == "coming soon|the chat channel|our chat"


def test_render_welcome_fills_every_placeholder() -> None:
    text = render_welcome("{member}|{server}|{hashtag}|{channel}", member="<@7>", server="Tea House",
                          next_chat=None, hashtag="TeaChat", channel_id=123456789)
    assert text == "<@7>|Tea House|TeaChat|<#123456789>"


def test_render_welcome_keeps_literal_braces() -> None:
    text = render_welcome("{{hi}} {member}", member="m", server="s", next_chat=None, hashtag=None, channel_id=None)
    assert text == "{hi} m"


@pytest.mark.parametrize(("server", "shown"), [
    ("@everyone fans", "@\u200beveryone fans"),
    ("We @here", "We @\u200bhere"),
    ("a@b@c", "a@\u200bb@\u200bc"),
    ("Plain", "Plain"),
])
def test_render_welcome_server_name_cannot_ping(server: str, shown: str) -> None:
    text = render_welcome("Welcome to {server}", member="m", server=server, next_chat=None, hashtag=None,
                          channel_id=None)
    assert text == f"Welcome to {shown}"
    assert "@everyone" not in text and "@here" not in text


# -- listing and welcome_names ----------------------------------------------------------------------------

@pytest.mark.parametrize(("names", "expected"), [
    (["a"], "a"),
    (["a", "b"], "a and b"),
    (["a", "b", "c"], "a, b and c"),
    (["a", "b", "c", "d"], "a, b, c and d"),
])
def test_listing(names: list[str], expected: str) -> None:
    assert listing(names) == expected


@pytest.mark.parametrize(("count", "expected"), [
    (1, "@a"),
    (2, "@a and @b"),
    (3, "@a, @b and @c"),
    (4, "@a, @b and 2 others"),
    (9, "@a, @b and 7 others"),
])
def test_welcome_names(count: int, expected: str) -> None:
    mentions = [f"@{letter}" for letter in "abcdefghi"[:count]]
    assert welcome_names(mentions) == expected


# -- arrival --------------------------------------------------------------------------------------------

def arrive(*, welcomed: bool = True, gone_for: timedelta | None = None, account_age: timedelta = timedelta(days=400),
           new_account_age: timedelta = timedelta(days=3)) -> str:
    """What a join at NOW gets, given how long ago they left and how old their account is."""
    return arrival(previously_welcomed=welcomed, left_at=NOW - gone_for if gone_for is not None else None,
                   joined_at=NOW, account_created_at=NOW - account_age, new_account_age=new_account_age)


def test_arrival_first_join_is_waiting() -> None:
    assert arrive(welcomed=False) == "waiting"


@pytest.mark.parametrize("gone_for", [timedelta(minutes=5), timedelta(hours=23), REJOIN_GRACE])
def test_arrival_quick_rejoin_after_welcome_is_repeat(gone_for: timedelta) -> None:
    assert arrive(gone_for=gone_for) == "repeat"


@pytest.mark.parametrize("gone_for", [REJOIN_GRACE + timedelta(seconds=1), timedelta(days=30)])
def test_arrival_late_rejoin_is_waiting(gone_for: timedelta) -> None:
    assert arrive(gone_for=gone_for) == "waiting"


def test_arrival_rejoin_without_welcome_is_waiting() -> None:
    assert arrive(welcomed=False, gone_for=timedelta(minutes=5)) == "waiting"


def test_arrival_welcomed_but_never_left_is_waiting() -> None:
    assert arrive(welcomed=True, gone_for=None) == "waiting"


def test_arrival_new_account_is_held() -> None:
    assert arrive(welcomed=False, account_age=timedelta(days=1)) == "held"
    assert arrive(welcomed=False, account_age=timedelta(days=3) - timedelta(seconds=1)) == "held"


def test_arrival_account_exactly_the_age_is_not_held() -> None:
    assert arrive(welcomed=False, account_age=timedelta(days=3)) == "waiting"


def test_arrival_zero_age_holds_nobody() -> None:
    assert arrive(welcomed=False, account_age=timedelta(0), new_account_age=timedelta(0)) == "waiting"


def test_arrival_repeat_wins_over_held() -> None:
    assert arrive(gone_for=timedelta(hours=1), account_age=timedelta(hours=2)) == "repeat"


def test_arrival_new_account_rejoining_late_is_held() -> None:
    assert arrive(gone_for=timedelta(days=2), account_age=timedelta(days=2, hours=1)) == "held"


# -- bursts and when welcomes go out ----------------------------------------------------------------------

WINDOW = timedelta(seconds=60)


def test_in_burst_more_than_joins_is_a_burst() -> None:
    times = [NOW - timedelta(seconds=s) for s in (0, 10, 20, 30, 40, 50)]
    assert in_burst(times, NOW, joins=5, window=WINDOW)


def test_in_burst_exactly_joins_is_not() -> None:
    times = [NOW - timedelta(seconds=s) for s in (0, 10, 20, 30, 40)]
    assert not in_burst(times, NOW, joins=5, window=WINDOW)


def test_joined_in_burst_is_judged_at_each_members_own_join() -> None:
    raid = [NOW - timedelta(seconds=s) for s in (0, 1, 2, 3, 4, 5)]
    assert joined_in_burst([NOW], raid, joins=5, window=WINDOW)  # the sixth join of a raid
    assert not joined_in_burst([NOW - timedelta(seconds=3)], raid, joins=5, window=WINDOW)  # only four before it
    later = NOW + timedelta(hours=1)
    assert not joined_in_burst([later], [*raid, later], joins=5, window=WINDOW)  # a quiet join long after


def test_in_burst_ignores_joins_outside_the_window() -> None:
    inside = [NOW - timedelta(seconds=s) for s in (1, 2, 3, 4, 5)]
    old = [NOW - WINDOW, NOW - WINDOW - timedelta(seconds=1), NOW - timedelta(hours=1)]
    future = [NOW + timedelta(seconds=1)]
    assert not in_burst(inside + old + future, NOW, joins=5, window=WINDOW)
    assert in_burst([*inside, NOW - WINDOW + timedelta(seconds=1)], NOW, joins=5, window=WINDOW)


def test_in_burst_no_joins() -> None:
    assert not in_burst([], NOW, joins=0, window=WINDOW)
    assert in_burst([NOW], NOW, joins=0, window=WINDOW)


def test_welcome_due_settles_when_quiet() -> None:
    assert welcome_due(NOW, bursting=False, last_welcome_at=None) == NOW + WELCOME_SETTLE
    assert welcome_due(NOW, bursting=False, last_welcome_at=NOW - timedelta(seconds=1)) == NOW + WELCOME_SETTLE


def test_welcome_due_in_a_burst_waits_for_the_interval() -> None:
    last = NOW - timedelta(seconds=5)
    assert welcome_due(NOW, bursting=True, last_welcome_at=last) == last + BURST_WELCOME_INTERVAL
    assert welcome_due(NOW, bursting=True, last_welcome_at=last) == NOW + timedelta(seconds=55)


def test_welcome_due_in_a_burst_settles_when_last_welcome_is_old() -> None:
    assert welcome_due(NOW, bursting=True, last_welcome_at=NOW - timedelta(minutes=5)) == NOW + WELCOME_SETTLE
    assert welcome_due(NOW, bursting=True, last_welcome_at=None) == NOW + WELCOME_SETTLE


# -- greeting first-time chatters -------------------------------------------------------------------------

def test_greeting_text_with_helpers() -> None:
    text = greeting_text("TeaChat", ["<@1>", "<@2>", "<@3>"], 999)
    assert "#TeaChat" in text
    assert "<@1>, <@2> and <@3>" in text
    assert text.endswith(" <@&999>, come say hello!")


def test_greeting_text_without_helpers() -> None:
    text = greeting_text("TeaChat", ["<@1>"], None)
    assert "your first #TeaChat, <@1>!" in text
    assert "<@&" not in text
    assert "come say hello" not in text


# -- what moderators are told -----------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "see http://example.org",
    "see https://example.org/page",
    "HTTPS://EXAMPLE.ORG",
    "go to www.example.org",
    "join discord.gg/abc",
    "join https://discord.gg/abc",
    "join discord.com/invite/abc",
    "join discordapp.com/invite/abc",
    "join discord.me/abc",
])
def test_has_link(text: str) -> None:
    assert has_link(text)


@pytest.mark.parametrize("text", [
    "hello there, I love tea",
    "A1: my site is down, http is hard",
    "discord is great",
    "email me at ann@example.org",
    "",
])
def test_has_no_link(text: str) -> None:
    assert not has_link(text)


def test_fingerprint_ignores_case_and_spacing() -> None:
    assert fingerprint("  Buy   CHEAP\tNitro\nnow ") == "buy cheap nitro now"
    assert fingerprint("Hello World") == fingerprint("hello    world")
    assert fingerprint("hello world") != fingerprint("helloworld")


SPAM = fingerprint("free nitro here")


def test_repeated_across_three_channels() -> None:
    recent = [(1, SPAM, NOW - timedelta(minutes=9)), (2, SPAM, NOW - timedelta(minutes=5)), (3, SPAM, NOW)]
    assert repeated_across_channels(recent, NOW)


def test_repeated_across_two_channels_is_not() -> None:
    recent = [(1, SPAM, NOW), (2, SPAM, NOW), (2, SPAM, NOW), (1, SPAM, NOW)]
    assert not repeated_across_channels(recent, NOW)


def test_repeated_in_one_channel_is_not() -> None:
    recent = [(1, SPAM, NOW), (1, SPAM, NOW - timedelta(minutes=1)), (1, SPAM, NOW - timedelta(minutes=2))]
    assert not repeated_across_channels(recent, NOW)


def test_repeated_spread_over_more_than_the_window_is_not() -> None:
    recent = [(1, SPAM, NOW - REPEAT_WINDOW - timedelta(seconds=1)), (2, SPAM, NOW - timedelta(minutes=5)),
              (3, SPAM, NOW)]
    assert not repeated_across_channels(recent, NOW)


def test_repeated_at_the_window_edge_counts() -> None:
    recent = [(1, SPAM, NOW - REPEAT_WINDOW), (2, SPAM, NOW), (3, SPAM, NOW)]
    assert repeated_across_channels(recent, NOW)


def test_repeated_needs_the_same_text() -> None:
    recent = [(1, SPAM, NOW), (2, SPAM, NOW), (3, fingerprint("something else"), NOW)]
    assert not repeated_across_channels(recent, NOW)


def test_repeated_ignores_empty_text() -> None:
    recent = [(1, "", NOW), (2, "", NOW), (3, "", NOW)]
    assert not repeated_across_channels(recent, NOW)


def test_first_message_excerpt_short_is_flattened() -> None:
    assert first_message_excerpt("  hello\n\n  there\tfriend ") == "hello there friend"


def test_first_message_excerpt_at_the_limit_is_kept_whole() -> None:
    text = "x" * FIRST_MESSAGE_CHARS
    assert first_message_excerpt(text) == text


def test_first_message_excerpt_long_is_cut_with_ellipsis() -> None:
    excerpt = first_message_excerpt("word\n" * 100)
    assert len(excerpt) == FIRST_MESSAGE_CHARS
    assert excerpt.endswith("…")
    assert "\n" not in excerpt
    assert excerpt[:-1] == ("word " * 100)[:FIRST_MESSAGE_CHARS - 1]


# -- flags ------------------------------------------------------------------------------------------------

def test_flags_none_for_a_quiet_newcomer() -> None:
    assert flags(facts()) == []


def test_flags_all_at_once_in_order() -> None:
    found = flags(facts(account_created_at=JOINED - timedelta(days=1), link_in_first=True, mass_mentions=True,
                        repeated_text=True, join_count=2))
    assert found == ["account under 7 days old", "link or invite in first message", "5+ mentions in a message",
                     "same text in 3+ channels", "left and rejoined"]


def test_flags_new_account_boundary() -> None:
    assert flags(facts(account_created_at=JOINED - timedelta(days=7) + timedelta(seconds=1))) == \
        ["account under 7 days old"]
    assert flags(facts(account_created_at=JOINED - timedelta(days=7))) == []


def test_flags_left() -> None:
    assert flags(facts(left_at=JOINED + timedelta(days=1))) == ["left"]


def test_flags_rejoined() -> None:
    assert flags(facts(join_count=3)) == ["left and rejoined"]
    assert flags(facts(join_count=2, left_at=JOINED + timedelta(days=1))) == ["left and rejoined"]


# -- greeting delay ---------------------------------------------------------------------------------------

def test_greeting_delay_none_when_not_greeted() -> None:
    assert greeting_delay(facts(first_message_at=JOINED + timedelta(minutes=1))) is None


def test_greeting_delay_from_first_message() -> None:
    spoke = JOINED + timedelta(hours=2)
    assert greeting_delay(facts(first_message_at=spoke, greeted_at=spoke + timedelta(minutes=3))) == \
        timedelta(minutes=3)


def test_greeting_delay_from_join_when_silent() -> None:
    assert greeting_delay(facts(greeted_at=JOINED + timedelta(minutes=10))) == timedelta(minutes=10)


def test_greeting_delay_from_join_when_greeted_before_speaking() -> None:
    greeted = JOINED + timedelta(minutes=10)
    assert greeting_delay(facts(greeted_at=greeted, first_message_at=JOINED + timedelta(hours=1))) == \
        timedelta(minutes=10)


def test_greeting_delay_zero_when_greeted_at_the_first_message() -> None:
    spoke = JOINED + timedelta(hours=1)
    assert greeting_delay(facts(first_message_at=spoke, greeted_at=spoke)) == timedelta(0)


@pytest.mark.parametrize(("delay", "expected"), [
    (timedelta(0), "0 s"),
    (timedelta(seconds=-5), "0 s"),
    (timedelta(seconds=45), "45 s"),
    (timedelta(seconds=59, milliseconds=999), "59 s"),
    (timedelta(seconds=60), "1 min"),
    (timedelta(minutes=12, seconds=59), "12 min"),
    (timedelta(minutes=59, seconds=59), "59 min"),
    (timedelta(hours=1), "1 h"),
    (timedelta(hours=3, minutes=5), "3 h 5 min"),
    (timedelta(hours=23, minutes=59), "23 h 59 min"),
    (timedelta(days=1), "1 d"),
    (timedelta(days=2, hours=4, minutes=30), "2 d 4 h"),
    (timedelta(days=10), "10 d"),
])
def test_describe_delay(delay: timedelta, expected: str) -> None:
    assert describe_delay(delay) == expected


# -- report rows ------------------------------------------------------------------------------------------

def test_report_row_for_a_quiet_newcomer() -> None:
    row = report_row(facts())
    assert row.user_id == 42
    assert row.name == "Ann"
    assert row.joined_at == "2026-03-01T09:30:00+00:00"
    assert row.account_age_days == (JOINED - OLD_ACCOUNT).days
    assert (row.first_message, row.first_message_url, row.first_chat) == ("", "", "")
    assert (row.greeted_by, row.greeted_after) == ("", "")
    assert row.came_back is False
    assert row.stage == "lurker"
    assert row.flags == []
    assert (row.review, row.reviewed_by, row.reviewed_at) == ("Unreviewed", "", "")


def test_report_row_for_a_busy_newcomer() -> None:
    spoke = JOINED + timedelta(minutes=30)
    row = report_row(facts(
        account_created_at=JOINED - timedelta(days=3, hours=5), first_message_at=spoke,
        first_message_text="hi all", first_message_url="https://discord.com/channels/1/2/3",
        link_in_first=True, first_chat="TeaChat 4 March", chats_attended=2, greeter_id=9, greeter_name="Bea",
        greeted_at=spoke + timedelta(hours=3, minutes=5), stage="participant", review="follow_up",
        reviewed_by="Mod", reviewed_at=datetime(2026, 3, 2, 8, 0, 0, 500, tzinfo=UTC)))
    assert row.account_age_days == 3
    assert row.first_message == "hi all"
    assert row.first_message_url == "https://discord.com/channels/1/2/3"
    assert row.first_chat == "TeaChat 4 March"
    assert (row.greeted_by, row.greeted_after) == ("Bea", "3 h 5 min")
    assert row.came_back is True
    assert row.stage == "participant"
    assert row.flags == ["account under 7 days old", "link or invite in first message"]
    assert (row.review, row.reviewed_by, row.reviewed_at) == ("Follow up", "Mod", "2026-03-02T08:00:00+00:00")


@pytest.mark.parametrize(("chats_attended", "came_back"), [(0, False), (1, False), (2, True), (5, True)])
def test_report_row_came_back(chats_attended: int, came_back: bool) -> None:
    assert report_row(facts(chats_attended=chats_attended)).came_back is came_back


@pytest.mark.parametrize(("review", "label"), [
    (None, "Unreviewed"), ("reviewed", "Reviewed"), ("follow_up", "Follow up"), ("watch", "Watch")])
def test_report_row_review_labels(review: str | None, label: str) -> None:
    assert report_row(facts(review=review)).review == label


def test_report_order() -> None:
    def at(day: int) -> datetime:
        return datetime(2026, 3, day, tzinfo=UTC)

    newcomers = [
        facts(name="reviewed old", review="reviewed", joined_at=at(1)),
        facts(name="unreviewed old", review=None, joined_at=at(2)),
        facts(name="watch new", review="watch", joined_at=at(9)),
        facts(name="follow old", review="follow_up", joined_at=at(3)),
        facts(name="reviewed new", review="reviewed", joined_at=at(8)),
        facts(name="unreviewed new", review=None, joined_at=at(7)),
        facts(name="follow new", review="follow_up", joined_at=at(6)),
        facts(name="watch old", review="watch", joined_at=at(4)),
    ]
    assert [n.name for n in report_order(newcomers)] == [
        "unreviewed new", "unreviewed old", "follow new", "follow old", "watch new", "watch old",
        "reviewed new", "reviewed old"]


def test_report_order_empty_and_input_untouched() -> None:
    assert report_order([]) == []
    newcomers = [facts(name="a", review="reviewed"), facts(name="b")]
    report_order(newcomers)
    assert [n.name for n in newcomers] == ["a", "b"]


@pytest.mark.parametrize(("review", "status", "expected"), [
    (None, "all", True),
    ("reviewed", "all", True),
    (None, "unreviewed", True),
    ("watch", "unreviewed", False),
    ("watch", "watch", True),
    ("follow_up", "follow_up", True),
    ("reviewed", "reviewed", True),
    (None, "reviewed", False),
    ("follow_up", "watch", False),
])
def test_matches_status(review: str | None, status: str, expected: bool) -> None:
    assert matches_status(facts(review=review), status) is expected


# -- report formats ---------------------------------------------------------------------------------------

def busy_row_facts() -> NewcomerFacts:
    return facts(user_id=7, name="Bob, \"the\" builder", account_created_at=JOINED - timedelta(days=2),
                 first_message_text="line one, with comma\nline two", join_count=2, link_in_first=True,
                 chats_attended=3, greeter_name="Bea", greeted_at=JOINED + timedelta(seconds=45), review="watch")


def test_report_csv_round_trips() -> None:
    rows = [report_row(busy_row_facts()), report_row(facts())]
    parsed = list(csv.reader(io.StringIO(report_csv(rows))))
    assert parsed[0] == list(CSV_COLUMNS)
    assert len(parsed) == 3
    busy = dict(zip(CSV_COLUMNS, parsed[1], strict=True))
    assert busy["user_id"] == '="7"'  # text to a spreadsheet: no digit rounded away
    assert busy["name"] == "Bob, \"the\" builder"
    assert busy["joined_at"] == "2026-03-01T09:30:00+00:00"
    assert busy["account_age_days"] == "2"
    assert busy["first_message"] == "line one, with comma\nline two"
    assert busy["greeted_by"] == "Bea"
    assert busy["greeted_after"] == "45 s"
    assert busy["came_back"] == "yes"
    assert busy["flags"] == "account under 7 days old; link or invite in first message; left and rejoined"
    assert busy["review"] == "Watch"
    quiet = dict(zip(CSV_COLUMNS, parsed[2], strict=True))
    assert quiet["came_back"] == "no"
    assert quiet["flags"] == ""
    assert quiet["review"] == "Unreviewed"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_report_csv_cells_that_a_spreadsheet_would_run_are_made_inert(start: str) -> None:
    row = report_row(facts(name=f"{start}HYPERLINK(\"x\")", first_message_text=f"{start}cmd|' /C calc'!A0"))
    parsed = dict(zip(CSV_COLUMNS, list(csv.reader(io.StringIO(report_csv([row]))))[1], strict=True))
    assert parsed["name"] == f"'{start}HYPERLINK(\"x\")"
    assert parsed["first_message"] == f"'{start}cmd|' /C calc'!A0"


def test_report_csv_empty_is_just_the_header() -> None:
    assert list(csv.reader(io.StringIO(report_csv([])))) == [list(CSV_COLUMNS)]


def test_report_json_round_trips() -> None:
    rows = [report_row(busy_row_facts()), report_row(facts(name="Zoë"))]
    text = report_json(rows)
    assert "Zoë" in text  # not escaped to \u sequences
    parsed = json.loads(text)
    assert len(parsed) == 2
    assert set(parsed[0]) == set(CSV_COLUMNS)
    assert parsed[0]["user_id"] == "7"
    assert parsed[0]["came_back"] is True
    assert parsed[0]["flags"] == ["account under 7 days old", "link or invite in first message", "left and rejoined"]
    assert parsed[0]["first_message"] == "line one, with comma\nline two"
    assert parsed[1]["name"] == "Zoë"
    assert parsed[1]["flags"] == []
    assert parsed[1]["came_back"] is False


def test_report_json_empty() -> None:
    assert json.loads(report_json([])) == []


def test_report_markdown_one_section_per_row() -> None:
    rows = [report_row(busy_row_facts()), report_row(facts(name="Ann"))]
    text = report_markdown(rows, title="Newcomers, last 14 days")
    lines = text.splitlines()
    assert lines[0] == "# Newcomers, last 14 days"
    headings = [line for line in lines if line.startswith("## ")]
    assert headings == ["## Bob, \"the\" builder (Watch)", "## Ann (Unreviewed)"]
    assert "- Greeted by a human: Bea, 45 s later" in lines
    assert "- Greeted by a human: not yet" in lines
    assert "- Flags: none" in lines
    assert "- Flags: account under 7 days old, link or invite in first message, left and rejoined" in lines
    assert "No newcomers in this period." not in text
    assert text.endswith("\n") and not text.endswith("\n\n")


def test_report_markdown_empty() -> None:
    assert report_markdown([], title="Newcomers") == "# Newcomers\n\nNo newcomers in this period.\n"


def test_a_template_that_could_render_past_discords_limit_is_refused() -> None:
    template = "{server} " * 40  # 360 characters, but 40 server names of up to 100 characters each
    with pytest.raises(UserError, match="past the 1900 a welcome may use of Discord's 2000"):
        check_template(template)
    assert check_template("{server} " * 9) == ("{server} " * 9).strip()


def test_a_welcome_that_passes_the_check_fits_discord_at_its_worst() -> None:
    # The worst case written by hand: three joiners with 20-digit ids, a 100-character server name of "@"
    # (each broken by a zero-width space), a 50-character hashtag; plus the preview's line above it.
    template = "Welcome {member} to {server}! " * 6 + "Next: #{hashtag} {next_chat} in {channel}"
    checked = check_template(template)
    three = welcome_names(["<@12345678901234567890>"] * 3)
    text = render_welcome(checked, member=three, server="@" * 100, next_chat=datetime(2286, 11, 20, tzinfo=UTC),
                          hashtag="h" * 50, channel_id=12345678901234567890)
    assert len("Saved. New members will get:\n\n" + text) <= 2000
    for bigger in ("Welcome {member} to {server}! " * 8, "{server}" * 10):
        with pytest.raises(UserError, match="could reach"):
            check_template(bigger)


def test_a_greeting_names_twenty_and_counts_the_rest() -> None:
    mentions = [f"<@{n}>" for n in range(1, 31)]
    text = greeting_text("GetRealChat", mentions, None)
    assert "<@20>" in text and "<@21>" not in text and "and 10 others!" in text


def test_the_report_refused_alert_names_what_to_grant_or_says_a_permission_when_unknown():
    assert "it lacks Embed Links, Attach Files there" in report_refused_text(5, ["Embed Links", "Attach Files"])
    assert report_refused_text(5, []).startswith(
        "⚠️ Heartbeat could not post the newcomer report in <#5>: it lacks a permission it needs there.")


def test_plurals_are_words() -> None:
    assert [plural(n, "newcomer") for n in (0, 1, 8)] == ["0 newcomers", "1 newcomer", "8 newcomers"]


def test_a_burst_alert_counts_every_join_and_names_its_start_as_a_discord_timestamp() -> None:
    since = datetime(2026, 3, 10, 22, 58, tzinfo=UTC)
    text = burst_alert_text(7, 1, since=since, window=timedelta(seconds=60), threshold=5)
    stamp = int(since.timestamp())
    assert text.startswith(f"⚠️ Join burst: 7 members joined since <t:{stamp}:f> (<t:{stamp}:R>) "
                           "(1 account too new to welcome publicly)")
