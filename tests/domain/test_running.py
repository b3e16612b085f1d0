"""Which posts a chat makes and when, reminders, lateness and retries, and what the posts say."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from bot.domain.errors import UserError
from bot.domain.running import (
    RECAP_DELAY,
    announcement_text,
    chats_meant,
    closing_text,
    event_description,
    event_location,
    event_name,
    is_too_late,
    parse_reminders,
    plan_posts,
    plan_reminders,
    post_key,
    question_text,
    retry_delay,
    signature,
    skipped_text,
)
from bot.domain.timeline import ChatPlan

START = dt.datetime(2026, 3, 11, 1, 0, tzinfo=dt.UTC)
M = dt.timedelta(minutes=1)


def test_a_fixed_chat_plans_opening_questions_that_fit_closing_and_recap():
    plan = ChatPlan(duration=30 * M, spacing=10 * M, first_question=5 * M)
    posts = plan_posts(plan, 7, START, question_count=12)
    assert [(p.key, p.due_at - START) for p in posts] == [
        ("session:7:opening", dt.timedelta(0)), ("session:7:q1", 5 * M), ("session:7:q2", 15 * M),
        ("session:7:q3", 25 * M), ("session:7:closing", 30 * M), ("session:7:recap", 30 * M + RECAP_DELAY)]
    assert [p.question_number for p in posts if p.kind == "question"] == [1, 2, 3]


def test_an_adaptive_chat_plans_only_its_first_question():
    plan = ChatPlan(duration=30 * M, spacing=10 * M, first_question=5 * M, pacing="adaptive")
    assert [p.key for p in plan_posts(plan, 1, START, 5) if p.kind == "question"] == ["session:1:q1"]
    assert [p.kind for p in plan_posts(plan, 1, START, 0)] == ["opening", "closing", "recap"]


def test_post_keys_are_stable_and_distinct():
    assert post_key(3, "question", 2) == "session:3:q2"
    assert post_key(3, "announcement", 3600) == "session:3:announce:3600"
    with pytest.raises(ValueError):
        post_key(3, "tweet")


@pytest.mark.parametrize(("text", "expected"), [
    ("24h, 1h", (dt.timedelta(hours=24), dt.timedelta(hours=1))),
    ("1h 2d", (dt.timedelta(days=2), dt.timedelta(hours=1))),
    ("none", ()),
    ("30m", (30 * M,)),
])
def test_reminder_times_are_parsed_longest_first(text, expected):
    assert parse_reminders(text) == expected


@pytest.mark.parametrize("text", ["2m", "8d", "1h 2h 3h 4h", "soon", ""])
def test_bad_reminder_times_are_refused(text):
    with pytest.raises(UserError):
        parse_reminders(text)


def test_only_reminders_still_to_come_are_planned():
    leads = (dt.timedelta(hours=24), dt.timedelta(hours=1))
    two_hours_before = START - 2 * 60 * M
    assert [p.key for p in plan_reminders(9, START, leads, two_hours_before)] == ["session:9:announce:3600"]
    assert [p.due_at for p in plan_reminders(9, START, leads, START - dt.timedelta(days=3))] == [
        START - dt.timedelta(hours=24), START - dt.timedelta(hours=1)]


def test_lateness_is_judged_against_the_grace_period():
    grace = 5 * M
    assert not is_too_late(START, START + grace, grace)
    assert is_too_late(START, START + grace + dt.timedelta(seconds=1), grace)


def test_retries_back_off_then_give_up():
    assert [retry_delay(n) for n in (1, 2, 3, 4)] == [dt.timedelta(seconds=s) for s in (5, 15, 45, 90)]
    assert retry_delay(5) is None


def test_posts_say_what_readers_need():
    expected = "**Q2:** Coffee or tea?\n#GetRealChat · answer with **A2:**"
    assert question_text("GetRealChat", 2, "Coffee or tea?") == expected
    stamp = int(START.timestamp())
    assert f"<t:{stamp}:F>" in closing_text("GetRealChat", START, "Winter")
    assert "announced here" in closing_text("PopUp", None, None)
    reminder = announcement_text("GetRealChat", START, "Winter", "Dr. Ana", 55, 77)
    assert signature(reminder) == f"**#GetRealChat** starts <t:{stamp}:R>, <t:{stamp}:F>, in <#55>. <@&77>"
    assert "Notify me" in reminder and "<@&" not in announcement_text("G", START, None, None, 55, None)


@dataclass(frozen=True)
class Running:
    id: int
    channel_id: int
    started_at: dt.datetime | None


def test_a_command_means_the_chats_in_its_channel_started_last_first():
    early, late, elsewhere = Running(1, 10, START), Running(2, 10, START + M), Running(3, 20, START)
    assert chats_meant([early, elsewhere, late], 10) == [late, early]
    assert chats_meant([early, elsewhere], 20) == [elsewhere]
    # Started at the same instant: the later session first.
    assert chats_meant([Running(5, 10, START), Running(6, 10, START)], 10) == [Running(6, 10, START),
                                                                             Running(5, 10, START)]


def test_outside_a_chats_channel_a_command_means_the_servers_only_chat():
    only = Running(1, 10, START)
    assert chats_meant([only], 99) == [only]
    assert chats_meant([only], None) == [only]
    with pytest.raises(UserError, match="^2 chats are running: run this in the channel of the one you mean"):
        chats_meant([only, Running(2, 20, START)], 99)
    with pytest.raises(UserError, match="^No chat is running here"):
        chats_meant([], 10)


def test_a_scheduled_event_at_its_maxima_stays_within_discords_limits() -> None:
    # Discord: name and location 1-100 characters, description up to 1000 (Guild Scheduled Event docs).
    channel = "c" * 100  # Discord's longest channel name
    assert event_location(channel, "GetRealChat") == "#" + "c" * 98 + "…"
    assert len(event_location(channel, "GetRealChat")) == 100
    assert event_location("getreal-chat", "GetRealChat") == "#getreal-chat"
    assert event_location(None, "GetRealChat") == "GetRealChat"
    assert len(event_name("h" * 100)) == 100
    assert len(event_description("t" * 900, "g" * 200)) == 1000


def test_a_skipped_post_is_named_with_its_channel_and_lateness_and_offline_is_not_assumed():
    text = skipped_text("the opening post of #GetRealChat", 42, dt.timedelta(minutes=7))
    assert text.startswith("The opening post of #GetRealChat in <#42> was 7m overdue")
    assert "offline or too far behind" in text  # a flood makes the bot late as surely as an outage
