"""End to end: input built to break replies (too long, invisible, nested, far-off dates) gets one clear sentence."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.clock import Clock
from bot.standin import StandIn
from bot.standin.sample import SampleServer

NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)


@pytest.fixture
async def bot(start_bot):
    return (await start_bot(clock=Clock.frozen(NOW))).bot


async def run(standin: StandIn, sample: SampleServer, command: str, **options):
    return await (await standin.slash(sample.admin, sample.channels["general"], command, **options)).reply()


async def create(standin: StandIn, sample: SampleServer, **options):
    defaults = {"name": "GetRealChat", "hashtag": "#GetRealChat", "channel": sample.channels["chat"],
                "weekday": "Tuesday", "time": "21:00", "zone": "America/New_York"}
    return await run(standin, sample, "chat create", **{**defaults, **options})


@pytest.mark.parametrize("option", ["zone", "time", "weekday", "hashtag"])
async def test_an_option_of_thousands_of_characters_gets_a_short_answer_quoting_a_clipped_excerpt(
        standin, sample, bot, option):
    reply = await create(standin, sample, **{option: "Z" * 3000})
    assert reply.ephemeral and len(reply.text) < 300
    assert "Z" * 30 in reply.text and "Z" * 100 not in reply.text and "…" in reply.text
    assert await bot.storage.series.all(sample.guild.id) == []


async def test_an_unknown_series_name_of_thousands_of_characters_gets_an_answer(standin, sample, bot):
    await create(standin, sample)
    reply = await run(standin, sample, "chat questions add", text="What brought you here?", series="S" * 3000)
    assert reply.ephemeral and len(reply.text) < 200
    assert "no series called 'SSSS" in reply.text and "…'" in reply.text


async def test_an_invisible_announcement_is_refused_and_nothing_is_posted(standin, sample, bot):
    await run(standin, sample, "config channel", kind="chat", channel=sample.channels["chat"])
    reply = await run(standin, sample, "announce", text="\u200e\u200b\u2060")
    assert reply.ephemeral and "only invisible characters" in reply.text
    assert standin.bot_messages(sample.channels["chat"]) == []


@pytest.mark.parametrize(("command", "options"), [
    ("chat create", {"name": "\u200b\u200e\u200b"}),
    ("chat questions add", {"text": "\u2066\u200b\u2069"}),
    ("chat questions add", {"text": "Q1: \u3164\u3164"}),
])
async def test_invisible_names_and_questions_are_refused(standin, sample, bot, command, options):
    if command != "chat create":
        await create(standin, sample)
    before = await bot.storage.series.all(sample.guild.id)
    reply = await (create(standin, sample, **options) if command == "chat create"
                   else run(standin, sample, command, **options))
    assert reply.ephemeral and "only invisible characters" in reply.text
    assert await bot.storage.series.all(sample.guild.id) == before
    if before:
        assert "No questions yet" in (await run(standin, sample, "chat questions list")).text


async def test_an_invisible_welcome_is_refused_and_a_conversion_is_named(standin, sample, bot):
    invisible = await run(standin, sample, "welcome set", template="\u200b\u200b")
    assert "only invisible characters" in invisible.text
    conversion = await run(standin, sample, "welcome set", template="Hi {member!r}!")
    assert "`{member!r}` has a conversion or format" in conversion.text
    assert (await bot.storage.welcomes.config(sample.guild.id)).template is None


async def test_a_question_file_nested_hundreds_deep_gets_a_sentence_and_changes_nothing(standin, sample, bot):
    await create(standin, sample)
    deep = ("questions = " + "[" * 5000 + "]" * 5000).encode()
    reply = await run(standin, sample, "chat questions import", file=("deep.toml", deep))
    assert reply.ephemeral and "nests lists or tables too deeply" in reply.text
    assert "No questions yet" in (await run(standin, sample, "chat questions list")).text


@pytest.mark.parametrize("date", ["9999-12-31", "9999-12-28"])
async def test_a_date_near_the_end_of_the_calendar_gets_a_sentence(standin, sample, bot, date):
    await create(standin, sample, weekday="Friday")
    reply = await run(standin, sample, "chat skip", date=date)
    assert reply.ephemeral and "more than a year away" in reply.text


async def test_a_greeter_named_like_a_link_shows_as_plain_text_in_the_moderators_report(standin, sample, bot):
    trickster = standin.add_user("[official help](https://evil.example)")
    newcomer = standin.add_user("Kai")
    for user in (trickster, newcomer):
        await standin.join(sample.guild, user)
        await bot.newcomers.wait_for(lambda user=user: bot.storage.newcomers.get(sample.guild.id, user.id))
    hello = await standin.say(newcomer, sample.channels["general"], "hi all")
    await standin.say(trickster, sample.channels["general"], "welcome!", reply_to=hello)

    async def greeted():
        found = await bot.storage.newcomers.get(sample.guild.id, newcomer.id)
        return found if found and found.greeted_by else None
    await bot.newcomers.wait_for(greeted)

    report = await (await standin.slash(sample.moderator, sample.channels["general"], "report newcomers")).reply()
    card = next(embed for embed in report.message.embeds if embed["title"].startswith("Kai"))
    # An escaped bracket is shown as itself, so Discord renders no masked link.
    assert "Greeted by a human: \\[official help](https://evil.example)" in card["description"]
