"""End to end: hosts create, list, edit, pause, skip and delete chat series, and manage their questions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.clock import Clock
from bot.standin import StandIn
from bot.standin.sample import SampleServer

# A Tuesday, five days before clocks spring forward in New York (2026-03-08).
NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
TUESDAYS_9PM_NEW_YORK = [datetime(2026, 3, 4, 2, 0, tzinfo=UTC),   # EST, UTC-5
                         datetime(2026, 3, 11, 1, 0, tzinfo=UTC),  # EDT, UTC-4: still 21:00 locally
                         datetime(2026, 3, 18, 1, 0, tzinfo=UTC)]


def stamp(instant: datetime) -> str:
    return f"<t:{int(instant.timestamp())}:F>"


@pytest.fixture
async def bot(start_bot):
    return (await start_bot(clock=Clock.frozen(NOW))).bot


async def create(standin: StandIn, sample: SampleServer, user=None, **options):
    defaults = {"name": "GetRealChat", "hashtag": "#GetRealChat", "channel": sample.channels["chat"],
                "weekday": "Tuesday", "time": "21:00", "zone": "America/New_York"}
    record = await standin.slash(user or sample.admin, sample.channels["general"], "chat create",
                                 **{**defaults, **options})
    return await record.reply()


async def run(standin: StandIn, sample: SampleServer, user, command: str, **options):
    return await (await standin.slash(user, sample.channels["general"], command, **options)).reply()


async def test_host_creates_a_series_and_everyone_sees_its_next_three_sessions_across_dst(standin, sample, bot):
    reply = await create(standin, sample)
    assert reply.ephemeral
    assert "**GetRealChat** · #GetRealChat · Tuesdays 21:00 America/New_York" in reply.text
    for start in TUESDAYS_9PM_NEW_YORK:
        assert stamp(start) in reply.text

    listing = await run(standin, sample, sample.members[0], "chat list")
    assert [stamp(s) in listing.text for s in TUESDAYS_9PM_NEW_YORK] == [True, True, True]
    stored = await bot.storage.series.find(sample.guild.id, "getrealchat")
    assert stored is not None and (stored.spacing_seconds, stored.first_question_seconds) == (600, 300)


async def test_zone_defaults_to_the_servers(standin, sample, bot):
    await run(standin, sample, sample.admin, "config timezone", zone="Europe/London")
    reply = await create(standin, sample, zone=None, weekday="Sunday", time="01:30")
    assert "Sundays 01:30 Europe/London" in reply.text


@pytest.mark.parametrize(("options", "expected"), [
    ({"zone": "Mars/Olympus"}, "Unknown time zone 'Mars/Olympus'"),
    ({"zone": "EST"}, "use the IANA zone America/New_York"),
    ({"zone": "PDT"}, "use the IANA zone America/Los_Angeles"),
    ({"time": "25:00"}, "25:00"),
    ({"spacing": "0m"}, "spacing"),
    ({"hashtag": "#1up"}, "not a usable hashtag"),
    ({"name": "x" * 51}, "keep it to 50"),
])
async def test_bad_series_input_gets_a_clear_error_and_stores_nothing(standin, sample, bot, options, expected):
    reply = await create(standin, sample, **options)
    assert reply.ephemeral
    assert expected.lower() in reply.text.lower()
    assert await bot.storage.series.all(sample.guild.id) == []


async def test_duplicate_name_is_refused(standin, sample, bot):
    await create(standin, sample)
    reply = await create(standin, sample, name="getrealchat", hashtag="Other")
    assert "already exists" in reply.text
    assert len(await bot.storage.series.all(sample.guild.id)) == 1



async def test_renaming_a_series_to_a_name_in_use_is_refused(standin, sample, bot):
    await create(standin, sample)
    await create(standin, sample, name="Night Owls", hashtag="#NightOwls", weekday="Friday")
    reply = await run(standin, sample, sample.admin, "chat edit", series="Night Owls", name="getrealchat")
    assert reply.text == "A series called 'getrealchat' already exists: pick another name."
    names = [s.name for s in await bot.storage.series.all(sample.guild.id)]
    assert names == ["GetRealChat", "Night Owls"]

async def test_non_host_cannot_create_or_change_a_series(standin, sample, bot):
    member = sample.members[4]
    reply = await create(standin, sample, user=member)
    assert reply.ephemeral and reply.text.startswith("Only hosts can do that")
    assert await bot.storage.series.all(sample.guild.id) == []
    await create(standin, sample)
    for command, options in [("chat pause", {}), ("chat questions add", {"text": "Sneaky?"}),
                             ("chat delete", {})]:
        refused = await run(standin, sample, member, command, **options)
        assert refused.text.startswith("Only hosts can do that"), command
    series = await bot.storage.series.find(sample.guild.id, "GetRealChat")
    assert series is not None and not series.paused


async def test_skip_pause_resume_and_edit(standin, sample, bot):
    await create(standin, sample)
    skipped = await run(standin, sample, sample.admin, "chat skip", date="2026-03-10")
    assert stamp(TUESDAYS_9PM_NEW_YORK[1]) in skipped.text.split("Tuesdays")[0]  # "Skipping <that session>"
    listing = await run(standin, sample, sample.members[0], "chat list")
    assert stamp(TUESDAYS_9PM_NEW_YORK[1]) not in listing.text
    assert stamp(TUESDAYS_9PM_NEW_YORK[2]) in listing.text

    wrong_day = await run(standin, sample, sample.admin, "chat skip", date="2026-03-12")
    assert "is a Thursday" in wrong_day.text
    past = await run(standin, sample, sample.admin, "chat skip", date="2026-02-24")
    assert "in the past" in past.text

    await run(standin, sample, sample.admin, "chat pause")
    assert "Paused" in (await run(standin, sample, sample.members[0], "chat list")).text
    resumed = await run(standin, sample, sample.admin, "chat resume")
    assert stamp(TUESDAYS_9PM_NEW_YORK[0]) in resumed.text

    edited = await run(standin, sample, sample.admin, "chat edit", time="20:00", spacing="8m")
    assert "Tuesdays 20:00 America/New_York" in edited.text
    series = await bot.storage.series.find(sample.guild.id, "GetRealChat")
    assert series is not None and series.spacing_seconds == 480



async def test_a_session_already_running_cannot_be_skipped(standin, sample, bot):
    await create(standin, sample)
    started = await run(standin, sample, sample.admin, "chat start")  # tonight's, early
    assert "Started **#GetRealChat**" in started.text
    refused = await run(standin, sample, sample.admin, "chat skip", date="2026-03-03")
    assert refused.ephemeral and refused.text == "The 2026-03-03 session is already running."
    (running,) = await bot.storage.sessions.with_status("running")
    assert running.starts_at == TUESDAYS_9PM_NEW_YORK[0]
    assert await bot.storage.sessions.skipped_starts(running.series_id) == []

async def test_delete_asks_for_confirmation_from_the_same_host(standin, sample, bot):
    await create(standin, sample)
    await run(standin, sample, sample.admin, "config role", kind="host", role=sample.roles["hosts"])
    record = await standin.slash(sample.admin, sample.channels["general"], "chat delete")
    prompt = (await record.reply()).message
    assert prompt is not None and prompt.custom_ids() == ["chat-delete-confirm", "chat-delete-cancel"]

    other_host = await (await standin.click(sample.host, prompt, "chat-delete-confirm")).reply()
    assert "Only the host who asked" in other_host.text
    assert len(await bot.storage.series.all(sample.guild.id)) == 1

    done = await (await standin.click(sample.admin, prompt, "chat-delete-confirm")).reply()
    assert done.kind == "update" and "Deleted **GetRealChat**" in done.text
    assert await bot.storage.series.all(sample.guild.id) == []


async def test_questions_are_added_edited_moved_removed_and_listed(standin, sample, bot):
    await create(standin, sample)
    await run(standin, sample, sample.admin, "chat questions add", text="What brought you here?")
    await run(standin, sample, sample.admin, "chat questions add", text="Q2: What are you learning?")
    await run(standin, sample, sample.admin, "chat questions add", text="Say hi!", position=1)
    await run(standin, sample, sample.admin, "chat questions edit", number=3, text="What are you learning now?")
    moved = await run(standin, sample, sample.admin, "chat questions move", number=1, to=3)
    assert "**Q1:** What brought you here?\n**Q2:** What are you learning now?\n**Q3:** Say hi!" in moved.text
    removed = await run(standin, sample, sample.admin, "chat questions remove", number=3)
    assert "Say hi!" not in removed.text

    out_of_range = await run(standin, sample, sample.admin, "chat questions remove", number=7)
    assert "There is no Q7" in out_of_range.text
    empty = await run(standin, sample, sample.admin, "chat questions add", text="   ")
    assert "can't be empty" in empty.text
    too_long = await run(standin, sample, sample.admin, "chat questions add", text="x" * 301)
    assert "300" in too_long.text

    listing = await run(standin, sample, sample.admin, "chat questions list")
    assert listing.text.endswith("**Q1:** What brought you here?\n**Q2:** What are you learning now?")
    assert stamp(TUESDAYS_9PM_NEW_YORK[0]) in listing.text  # they belong to the next session


async def test_questions_for_a_given_date_and_imported_from_files(standin, sample, bot):
    await create(standin, sample)
    text_file = b"# warm-up\nWhere are you joining from?\n\n- What did you try this week?\n"
    imported = await run(standin, sample, sample.admin, "chat questions import", file=("week.md", text_file),
                         date="2026-03-17")
    assert "**Q1:** Where are you joining from?\n**Q2:** What did you try this week?" in imported.text
    assert stamp(TUESDAYS_9PM_NEW_YORK[2]) in imported.text
    toml_file = b'topic = "Starting over"\nguest = "Dana"\nquestions = ["First?", "Second?"]\n'
    imported = await run(standin, sample, sample.admin, "chat questions import", file=("set.toml", toml_file))
    assert "Starting over" in imported.text and "**Q2:** Second?" in imported.text

    bad = await run(standin, sample, sample.admin, "chat questions import", file=("set.pdf", b"%PDF"))
    assert bad.ephemeral and ".pdf" in bad.text
    next_session = await run(standin, sample, sample.admin, "chat questions list")
    assert "**Q1:** First?" in next_session.text  # the failed import changed nothing


async def test_the_longest_question_list_is_shown_whole(standin, sample, bot):
    reply = await create(standin, sample, hashtag="#" + "H" * 50)  # the longest hashtag
    assert reply.text.startswith("Created"), reply.text
    questions = [f"{n:02d}" + "q" * 298 for n in range(12)]  # 300 characters each, the most a session holds
    toml_file = (f'topic = "{"t" * 200}"\nguest = "{"g" * 100}"\nquestions = {questions!r}\n').encode()
    imported = await run(standin, sample, sample.admin, "chat questions import", file=("max.toml", toml_file))
    assert imported.text.endswith(f"**Q12:** 11{'q' * 298}"), imported.text[:200]
    assert len(imported.text) > 4096
    listing = await run(standin, sample, sample.admin, "chat questions list")
    assert listing.text == imported.text
    assert all(len(e["description"]) <= 4096 for e in listing.embeds)


async def test_changing_the_weekly_slot_carries_questions_and_skips_along(standin, sample, bot):
    await create(standin, sample)
    await run(standin, sample, sample.admin, "chat questions add", text="What brought you here?")
    await run(standin, sample, sample.admin, "chat skip", date="2026-03-10")
    await run(standin, sample, sample.admin, "chat edit", weekday="Wednesday", time="20:00")

    listing = await run(standin, sample, sample.admin, "chat questions list")
    wednesday_8pm = datetime(2026, 3, 5, 1, 0, tzinfo=UTC)  # Wed 4 March, 20:00 EST
    assert stamp(wednesday_8pm) in listing.text and "**Q1:** What brought you here?" in listing.text
    upcoming = await run(standin, sample, sample.members[0], "chat list")
    assert stamp(datetime(2026, 3, 12, 0, 0, tzinfo=UTC)) not in upcoming.text  # Wed 11 March stays skipped
    assert stamp(datetime(2026, 3, 19, 0, 0, tzinfo=UTC)) in upcoming.text


async def test_a_full_list_of_long_questions_is_shown(standin, sample, bot):
    await create(standin, sample)
    for n in range(12):
        reply = await run(standin, sample, sample.admin, "chat questions add", text=f"{n:02d} " + "why " * 74)
    assert "**Q12:** 11 why" in reply.text
    full = await run(standin, sample, sample.admin, "chat questions add", text="One more?")
    assert "12" in full.text and full.ephemeral
    assert len(await bot.storage.sessions.questions((await bot.storage.series.all(sample.guild.id))[0].id)) <= 12


@pytest.mark.parametrize(("command", "options"), [
    ("chat edit", {"time": "20:00"}), ("chat resume", {}), ("chat skip", {"date": "2026-03-10"}),
    ("chat questions import", {"file": ("q.txt", b"Sneaky?\n")}), ("chat questions list", {}),
    ("chat questions edit", {"number": 1, "text": "x?"}), ("chat questions move", {"number": 1, "to": 1}),
    ("chat questions remove", {"number": 1}),
])
async def test_every_host_command_refuses_members(standin, sample, bot, command, options):
    await create(standin, sample)
    await run(standin, sample, sample.admin, "chat questions add", text="Kept?")
    refused = await run(standin, sample, sample.members[6], command, **options)
    assert refused.ephemeral and refused.text.startswith("Only hosts can do that"), command
    listing = await run(standin, sample, sample.admin, "chat questions list")
    assert listing.text.endswith("**Q1:** Kept?")
    series = await bot.storage.series.find(sample.guild.id, "GetRealChat")
    assert series is not None and series.local_time.hour == 21


async def test_manage_events_in_one_channel_does_not_make_a_host(standin, sample, bot):
    from bot.standin.model import PERM_MANAGE_EVENTS, Overwrite

    member = sample.members[7]
    stage = standin.add_channel(sample.guild, "stage-chat", overwrites=[Overwrite(member.id, 1,
                                                                                  allow=PERM_MANAGE_EVENTS)])
    record = await standin.slash(member, stage, "chat create", name="Mine", hashtag="Mine",
                                 channel=sample.channels["chat"], weekday="Friday", time="18:00", zone="UTC")
    assert (await record.reply()).text.startswith("Only hosts can do that")
    assert await bot.storage.series.all(sample.guild.id) == []


async def test_cancelling_a_delete_keeps_the_series(standin, sample, bot):
    await create(standin, sample)
    prompt = (await (await standin.slash(sample.admin, sample.channels["general"], "chat delete")).reply()).message
    assert prompt is not None
    kept = await (await standin.click(sample.admin, prompt, "chat-delete-cancel")).reply()
    assert kept.kind == "update" and kept.text == "Kept **GetRealChat**."
    assert [s.name for s in await bot.storage.series.all(sample.guild.id)] == ["GetRealChat"]
