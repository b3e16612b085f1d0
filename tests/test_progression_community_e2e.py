"""End to end: a scripted community of 34 members plays 22 weekly chats from February to June 2026 (New York
moves its clocks on 8 March) through the stand-in, with journeys planted in it, and the progression report
recovers the stages, movers, journeys and cohorts the script implies.

The expected values are worked out from the script by hand, with the README's rules, not read back from the bot:

- Priya answers every week, from March in two calendar months (regular), and helps in June: six replies to
  the answers of Aisha, Jonah and Mei, thanked by Aisha (in words) and Mei (🙏) → helper in June.
- Marcus answers every week in February and March and helps the same three then, thanked by Aisha and Jonah (❤️)
  → helper in March. He stops for April and May: at May's close his window (from 3 March) holds five chats in one
  month, under 75% of regular, so he keeps helper for that month only; he answers once on 2 June, and June's
  close demotes him to participant.
- Lena answers the first two weeks and fades: participant until May's window no longer holds her answers; kept
  through May (a month below), lurker in June.
- Tomás answers once and is named a leader by a moderator in March.
- Aisha, Jonah and Mei answer every week: participant in February (four chats in one month), regular from March.
- Nia and Otto join on 2 March: Nia answers three times in March and once in April (regular in April, kept
  through June); Otto answers once on 3 March and never comes back. Pia joins on 6 April and only reads.
- Everyone else (23 members and the four staff) only reads: lurkers throughout.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.clock import Clock
from bot.standin.model import Message, User
from tests.helpers import create_series, move_to, play_weekly_chat, set_channels, slash

NEW_YORK = ZoneInfo("America/New_York")
MONTHS = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
CHATS = [date(2026, 2, 3) + timedelta(weeks=n) for n in range(22)]  # Tuesdays, 3 February to 30 June
JUNE_ENDS = datetime(2026, 7, 1, 4, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def clock() -> Clock:
    return Clock.frozen(datetime(2026, 1, 28, 17, 0, tzinfo=UTC))


def starts(day: date) -> datetime:
    return datetime.combine(day, time(21, 0), NEW_YORK).astimezone(UTC)


def script() -> dict[date, list[tuple]]:
    """What happens in each chat: ("answer", who), ("help", who, whom), ("thank", who, helper), ("react", who,
    helper, emoji). Help is a reply to whom's answer; thanks and reactions go on the helper's reply to `who`."""
    every = ["Priya", "Aisha", "Jonah", "Mei"]
    plan: dict[date, list[tuple]] = {day: [("answer", name) for name in every] for day in CHATS}
    for day in CHATS[:9]:  # February and March
        plan[day].append(("answer", "Marcus"))
    plan[CHATS[0]] += [("answer", "Lena"), ("answer", "Tomás")]
    plan[CHATS[1]] += [("answer", "Lena"), ("help", "Marcus", "Aisha"), ("help", "Marcus", "Jonah"),
                       ("thank", "Aisha", "Marcus"), ("react", "Jonah", "Marcus", "❤️")]
    plan[CHATS[2]] += [("help", "Marcus", "Mei")]
    plan[CHATS[4]] += [("answer", "Nia"), ("answer", "Otto"), ("help", "Marcus", "Aisha")]  # 3 March
    plan[CHATS[5]] += [("answer", "Nia"), ("help", "Marcus", "Jonah"), ("help", "Marcus", "Mei")]
    plan[CHATS[6]] += [("answer", "Nia")]
    plan[CHATS[9]] += [("answer", "Nia")]  # 7 April
    plan[CHATS[17]] += [("answer", "Marcus"), ("help", "Priya", "Aisha"), ("help", "Priya", "Jonah"),  # 2 June
                        ("thank", "Aisha", "Priya")]
    plan[CHATS[18]] += [("help", "Priya", "Mei"), ("help", "Priya", "Aisha"), ("react", "Mei", "Priya", "🙏")]
    plan[CHATS[19]] += [("help", "Priya", "Jonah"), ("help", "Priya", "Mei")]
    return plan


# Each planted member's stage at each month's close, January to June (None: not a member yet).
PLANTED = {
    "Priya": ["lurker", "participant", "regular", "regular", "regular", "helper"],
    "Marcus": ["lurker", "participant", "helper", "helper", "helper", "participant"],
    "Lena": ["lurker", "participant", "participant", "participant", "participant", "lurker"],
    "Tomás": ["lurker", "participant", "leader", "leader", "leader", "leader"],
    "Aisha": ["lurker", "participant", "regular", "regular", "regular", "regular"],
    "Jonah": ["lurker", "participant", "regular", "regular", "regular", "regular"],
    "Mei": ["lurker", "participant", "regular", "regular", "regular", "regular"],
    "Nia": [None, None, "participant", "regular", "regular", "regular"],
    "Otto": [None, None, "participant", "participant", "participant", "participant"],
    "Pia": [None, None, None, "lurker", "lurker", "lurker"],
}
# What the stage counts per month must be: the planted members plus 27 who only read (23 members, 4 staff).
READERS = 27


def expected_counts(month_index: int) -> dict[str, int]:
    counts = {stage: 0 for stage in ("lurker", "participant", "regular", "helper", "leader")}
    counts["lurker"] = READERS
    for stages in PLANTED.values():
        if stages[month_index] is not None:
            counts[stages[month_index]] += 1
    return counts


async def joined(standin, sample, bot, user: User) -> None:
    """A newcomer joins now; returns once the bot has recorded the join (at this moment, not the next one)."""
    await standin.join(sample.guild, user)
    await bot.newcomers.wait_for(lambda: bot.storage.newcomers.get(sample.guild.id, user.id))


async def members_say(standin, chat, people: dict[str, User], actions: list[tuple], day: date) -> list[Message]:
    """What members do in one week's chat, as the script says; returns their messages."""
    answers: dict[str, Message] = {}
    helps: dict[tuple[str, str], Message] = {}
    said: list[Message] = []
    for action in actions:
        who = people[action[1]]
        if action[0] == "answer":
            answers[action[1]] = message = await standin.say(who, chat, f"A1: {who.name}'s answer on {day}")
        elif action[0] == "help":
            whom = action[2]
            helps[(action[1], whom)] = message = await standin.say(
                who, chat, f"Same here, {whom}. It took me months too.", reply_to=answers[whom])
        elif action[0] == "thank":
            message = await standin.say(who, chat, f"thanks {action[2]}, that helps!",
                                        reply_to=helps[(action[2], action[1])])
        else:
            await standin.react(who, helps[(action[2], action[1])], action[3])
            continue
        said.append(message)
    return said


async def play(standin, sample, bot, clock, people: dict[str, User]) -> None:
    """Every chat of the script, each through its scheduled posts; newcomers join and a leader is named on the way."""
    chat = sample.channels["chat"]
    plan = script()
    last = 0
    for day in CHATS:
        if day == date(2026, 3, 3):
            move_to(clock, starts(date(2026, 3, 2)))  # Nia and Otto join the evening before
            for name in ("Nia", "Otto"):
                await joined(standin, sample, bot, people[name])
        if day == date(2026, 3, 17):
            move_to(clock, starts(date(2026, 3, 15)))
            named = await slash(standin, sample.moderator, "progression name", member=people["Tomás"])
            assert "leader" in named.text, named.text
        if day == date(2026, 4, 7):
            move_to(clock, starts(date(2026, 4, 6)))
            await joined(standin, sample, bot, people["Pia"])
        last = await play_weekly_chat(standin, sample, bot, clock, starts(day), after=last,
                                      say=lambda _, day=day: members_say(standin, chat, people, plan[day], day))


async def test_a_scripted_community_gets_the_planted_stages_movers_journeys_and_cohorts(
        standin, sample, start_bot, clock, settings):
    people = {user.name: user for user in sample.members}
    people.update((name, standin.add_user(name)) for name in ("Nia", "Otto", "Pia"))
    run = await start_bot(clock=clock)
    bot = run.bot
    await set_channels(standin, sample)
    await create_series(standin, sample)
    await play(standin, sample, bot, clock, people)
    move_to(clock, JUNE_ENDS)

    async def june_closed():
        return any(c.month == "2026-06" and not c.provisional for c in await bot.storage.months.closes(sample.guild.id))
    await bot.progression.wait_for(june_closed, timeout=10)

    reply = await slash(standin, sample.moderator, "report progression", months=7)
    attachment = next(a for a in reply.message.attachments if a["filename"] == "progression.json")
    live = json.loads(standin.attachments[int(attachment["id"])])
    assert [(m["month"], m["provisional"]) for m in live["months"]] == [(m, False) for m in MONTHS] + [
        ("2026-07", True)]
    for index, month in enumerate(live["months"][:6]):
        assert month["stages"] == expected_counts(index), month["month"]
        by_name = {member["name"]: member["stage"] for member in month["members"]}
        for name, stages in PLANTED.items():
            assert by_name.get(name) == stages[index], (month["month"], name)
        assert sum(month["stages"].values()) == len(month["members"])
    await run.stop()

    # The same report for January to June, as a moderator prints it from the database without a token.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DISCORD_", "HEARTBEAT_", "DATABASE_", "LOG_", "SYNC_"))}
    env.update(PYTHONPATH=str(ROOT), DATABASE_PATH=str(settings.database_path))
    printing = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "report", "progression", "--guild", str(sample.guild.id), "--from", "2026-01",
        "--to", "2026-06", "--format", "json", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env=env, cwd=ROOT)
    out, err = await printing.communicate()
    assert printing.returncode == 0, err.decode()
    report = json.loads(out)
    assert [m["month"] for m in report["months"]] == MONTHS
    assert report["timezone"] == "America/New_York"
    moved = {(m["name"], m["previous"], m["stage"]) for m in report["moved_up"] + report["moved_down"]}
    assert moved == {("Priya", "regular", "helper"), ("Marcus", "helper", "participant"),
                     ("Lena", "participant", "lurker")}
    assert next(m for m in report["moved_down"] if m["name"] == "Marcus")["reasons"].startswith("participant:")
    journeys = {j["name"]: [(s["month"], s["stage"]) for s in j["steps"]] for j in report["journeys"]}
    assert journeys["Priya"] == [("2026-01", "lurker"), ("2026-02", "participant"), ("2026-03", "regular"),
                                 ("2026-06", "helper")]
    assert journeys["Marcus"] == [("2026-01", "lurker"), ("2026-02", "participant"), ("2026-03", "helper"),
                                  ("2026-06", "participant")]
    assert journeys["Tomás"] == [("2026-01", "lurker"), ("2026-02", "participant"), ("2026-03", "leader")]
    assert journeys["Nia"] == [("2026-03", "participant"), ("2026-04", "regular")]
    cohorts = {c["month"]: c for c in report["cohorts"]}
    assert set(cohorts) == {"2026-03", "2026-04"}
    march = cohorts["2026-03"]
    assert march["joined"] == 2 and march["by_end"] == {"participant": 2, "regular": 1, "helper": 0}
    assert [(cell["months"], cell["reached"]) for cell in march["within"]] == [
        (1, {"participant": 2, "regular": 0, "helper": 0}), (2, {"participant": 2, "regular": 1, "helper": 0}),
        (3, {"participant": 2, "regular": 1, "helper": 0}), (6, None)]  # six months from March: not over yet
    assert cohorts["2026-04"]["joined"] == 1 and cohorts["2026-04"]["by_end"]["participant"] == 0
    assert [r["name"] for r in report["answered_once"]] == ["Otto"]
    medians = report["medians"]
    # Helper or above: Marcus (February → March) and Tomás (February → named in March) 1, Priya (February → June) 4.
    assert medians["months_first_answer_to_helper"] == {"value": 1, "members": 3}
    days = medians["days_to_first_answer"]  # Nia and Otto: joined 2 March 21:00, answered 3 March 21:02
    assert days == {"value": 1.0, "members": 2}
