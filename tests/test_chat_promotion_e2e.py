"""End to end: reminders before a chat, the opt-in notify role, and the Discord scheduled event kept in step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import Clock
from tests.helpers import move_to, slash

# Monday 9 March 2026, 20:00 in New York: a day and an hour before Tuesday's 21:00 chat (01:00 UTC on the 11th).
MONDAY = datetime(2026, 3, 10, 0, 0, tzinfo=UTC)
START = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock.frozen(MONDAY)


async def create(standin, sample, **options):
    await slash(standin, sample.admin, "config role", kind="host", role=sample.roles["hosts"])
    defaults = {"name": "GetRealChat", "hashtag": "GetRealChat", "channel": sample.channels["chat"],
                "weekday": "Tuesday", "time": "21:00", "zone": "America/New_York"}
    reply = await slash(standin, sample.host, "chat create", **{**defaults, **options})
    if reply.text.startswith("Created"):  # the reply comes first; the event follows once reminders are planned
        await standin.wait_until(lambda: sample.guild.scheduled_events)
    return reply


def starts(standin, sample):
    return [e["scheduled_start_time"][:16] for e in events(standin, sample)]


def reminders(standin, sample):
    return [m for m in standin.bot_messages(sample.channels["chat"]) if m.content.startswith("**#GetRealChat** starts")]


def events(standin, sample):
    return list(sample.guild.scheduled_events.values())


async def test_reminders_go_out_24h_and_1h_before_and_ping_only_the_notify_role(standin, sample, bot, clock):
    await slash(standin, sample.admin, "config role", kind="notify", role=sample.roles["notify"])
    await create(standin, sample)
    await slash(standin, sample.host, "chat questions add", text="What made you move?")
    move_to(clock, START - timedelta(hours=24))
    first = await standin.wait_for_message(lambda m: m.content.startswith("**#GetRealChat** starts"))
    stamp = int(START.timestamp())
    assert f"<t:{stamp}:R>, <t:{stamp}:F>" in first.content
    assert first.pinged_roles == {sample.roles["notify"].id} and not first.pinged_everyone
    assert "notify:" + str(sample.guild.id) in first.custom_ids()

    move_to(clock, START - timedelta(hours=1))
    await standin.wait_for_message(lambda m: m.content.startswith("**#GetRealChat** starts"), after=first.id)
    assert len(reminders(standin, sample)) == 2


async def test_the_notify_button_and_command_toggle_the_role(standin, sample, bot, clock):
    member = sample.members[3]
    no_role = await slash(standin, member, "chat notify")
    assert no_role.ephemeral and "no notify role" in no_role.text
    await slash(standin, sample.admin, "config role", kind="notify", role=sample.roles["notify"])
    await create(standin, sample)
    move_to(clock, START - timedelta(hours=24))
    reminder = await standin.wait_for_message(lambda m: m.content.startswith("**#GetRealChat** starts"))

    added = await (await standin.click(member, reminder, f"notify:{sample.guild.id}")).reply()
    assert added.ephemeral and "added @Chat Pings" in added.text
    assert sample.roles["notify"].id in sample.guild.members[member.id].roles
    removed = await slash(standin, member, "chat notify")
    assert "no longer be pinged" in removed.text
    assert sample.roles["notify"].id not in sample.guild.members[member.id].roles


async def test_a_skipped_session_gets_no_reminders(standin, sample, bot, clock):
    await create(standin, sample)
    skipped = await slash(standin, sample.host, "chat skip", date="2026-03-10")
    assert "Skipping" in skipped.text
    move_to(clock, START - timedelta(hours=1))
    assert reminders(standin, sample) == []
    # The next week's session is the one advertised now.
    week_later = (START + timedelta(days=7)).isoformat()[:16]
    await standin.wait_until(lambda: starts(standin, sample) == [week_later])


async def test_the_scheduled_event_follows_edits_pauses_and_deletion(standin, sample, bot, clock):
    await create(standin, sample)
    (event,) = events(standin, sample)
    assert event["name"] == "#GetRealChat" and event["scheduled_start_time"].startswith("2026-03-11T01:00")
    assert event["entity_type"] == 3 and event["scheduled_end_time"].startswith("2026-03-11T02:00")

    await slash(standin, sample.host, "chat edit", time="20:30")
    await standin.wait_until(lambda: starts(standin, sample) == ["2026-03-11T00:30"])
    assert events(standin, sample)[0]["id"] == event["id"]  # moved, not replaced

    await slash(standin, sample.host, "chat pause")
    await standin.wait_until(lambda: events(standin, sample) == [])
    await slash(standin, sample.host, "chat resume")
    await standin.wait_until(lambda: len(events(standin, sample)) == 1)

    record = await standin.slash(sample.host, sample.channels["general"], "chat delete")
    prompt = await record.reply()
    await (await standin.click(sample.host, prompt.message, "chat-delete-confirm")).reply()
    assert events(standin, sample) == []


async def test_the_event_of_a_chat_in_a_channel_with_the_longest_name_is_created(standin, sample, start_bot,
                                                                                   clock):
    long_named = standin.add_channel(sample.guild, "c" * 100)  # Discord allows 100 characters
    await start_bot(clock=clock)
    reply = await create(standin, sample, channel=long_named)
    assert reply.text.startswith("Created"), reply.text
    (event,) = sample.guild.scheduled_events.values()
    assert event["entity_metadata"]["location"] == "#" + "c" * 98 + "…"


async def test_bad_reminder_times_are_refused_and_nothing_is_stored(standin, sample, bot, clock):
    reply = await create(standin, sample, reminders="2 minutes")
    assert reply.ephemeral and "reminders" in reply.text.lower()
    assert await bot.storage.series.all(sample.guild.id) == []
    none = await create(standin, sample, reminders="none")
    assert none.text.startswith("Created")
    assert (await bot.storage.series.all(sample.guild.id))[0].reminders == ()
