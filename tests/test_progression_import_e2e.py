"""End to end: `/progression import` reads a chat channel's 20,000 past messages back from the stand-in page by page,
shows its progress, waits out 429s, survives being killed half-way without writing a row twice, and ends with a
summary; bad input gets one sentence."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.standin.model import User
from tests.helpers import set_channels, slash

NEW_YORK = ZoneInfo("America/New_York")
CHATS = [date(2025, 10, 7) + timedelta(weeks=n) for n in range(20)]  # Tuesdays, 21:00 New York
QUESTIONS = 3
SAID = 997  # members' messages per chat, each an answer: with three questions, 1,000 messages a chat


def past_chats(standin, sample) -> list[tuple[User, str, datetime]]:
    """Twenty weekly chats run by another bot before Heartbeat came: its Q posts, members' answers."""
    host = standin.add_user("ChatBot", bot=True)
    standin.add_member(sample.guild, host)
    said: list[tuple[User, str, datetime]] = []
    for day in CHATS:
        start = datetime.combine(day, time(21, 0), NEW_YORK)
        for number in range(1, QUESTIONS + 1):
            said.append((host, f"**Q{number}:** question {number} of {day}", start + timedelta(minutes=10 * number)))
            for n in range(number * SAID // QUESTIONS - (number - 1) * SAID // QUESTIONS):
                member = sample.members[n % len(sample.members)]
                said.append((member, f"A{number}: {member.name} on {day} ({n})",
                             start + timedelta(minutes=10 * number, seconds=1 + n)))
    return said


async def test_an_import_of_20000_messages_shows_progress_obeys_429s_and_survives_a_kill(standin, sample, start_bot,
                                                                                       clock):
    for user, text, at in past_chats(standin, sample):
        await standin.say(user, sample.channels["chat"], text, at=clock.to_real(at))
    assert len(standin._channel_ids[sample.channels["chat"].id]) == 20 * 1000
    run = await start_bot(clock=clock)
    await set_channels(standin, sample)
    await slash(standin, sample.admin, "config channel", kind="chat", channel=sample.channels["chat"])

    async def read_back() -> bool:  # choosing the chat channel reads back who posted there: let it finish first
        cursors = await run.bot.storage.meta.get(f"readback:{sample.guild.id}")
        return cursors is not None and all(c["state"] != "reading" for c in json.loads(cursors).values())
    await run.bot.newcomers.wait_for(read_back, timeout=30)
    run.bot.history.progress_every = 0  # every page edits the reply (Discord's own pace is every few seconds)
    standin.fail_next("GET", r"channels/\d+/messages", 429, times=3, retry_after=0.2)

    record = await standin.slash(sample.admin, sample.channels["general"], "progression import")
    started = await record.reply()
    assert started.ephemeral and started.text.startswith(f"Starting to read <#{sample.channels['chat'].id}> back")
    halfway = await record.nth_reply(60, timeout=30)  # the 60th edit: about 6,000 messages in
    assert "messages read" in halfway.text and "%" in halfway.text and "`█" in halfway.text
    await run.crash()  # killed mid-import: what was written stays, the rest is read again
    await run.bot.history.close()  # the import's own task dies with the process too

    second = (await start_bot(clock=clock)).bot
    await second.history.wait(sample.guild.id)
    state = await second.storage.imports.get(sample.guild.id)
    assert state is not None and state.status == "done"
    assert not [f for f in standin.faults if f.remaining > 0]  # the 429s were met and waited out

    async with second.storage.transaction() as conn:
        counts = {table: (await (await conn.execute(f"SELECT COUNT(*) FROM {table}")).fetchone())[0]
                  for table in ("chat_session", "question", "chat_message")}
        kinds = dict(await (await conn.execute(
            "SELECT kind, COUNT(*) FROM activity GROUP BY kind")).fetchall())
    assert counts == {"chat_session": 20, "question": 20 * QUESTIONS, "chat_message": 20 * SAID}  # none twice
    assert kinds == {"message": 20 * SAID, "answer": 20 * SAID}
    summary = await standin.wait_for_message(lambda m: m.channel_id == sample.channels["mod-log"].id
                                             and "Import of" in m.content)
    assert "chats found" in summary.content and "/report progression" in summary.content
    progress = [reply.text for reply in record.replies if "messages read" in reply.text]
    assert len(progress) >= 5


async def test_import_refuses_bad_input_with_one_sentence(standin, sample, bot):
    nowhere = await slash(standin, sample.admin, "progression import")
    assert nowhere.text.startswith("There is no chat channel yet: set one with `/config channel`")
    await set_channels(standin, sample)
    future = await slash(standin, sample.admin, "progression import", since="2099-01-01")
    assert future.ephemeral and future.text.startswith("2099-01-01 has not happened yet")
    not_a_date = await slash(standin, sample.admin, "progression import", since="last spring")
    assert "is not a date: write it as YYYY-MM-DD" in not_a_date.text
    junk = await slash(standin, sample.admin, "progression import", channels="general please")
    assert junk.text == "Name the channels by mentioning them, e.g. `#getreal-chat #help`."
    assert await bot.storage.imports.get(sample.guild.id) is None  # nothing started
