"""End to end: /report progression through the stand-in, for moderators only, paged, with its four files."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import pytest
from matplotlib.image import imread

from bot.domain.progression import Thresholds
from bot.domain.progression_report import MonthInput
from bot.reporting import FILE_NAMES
from tests.domain.progression_plan import PLAN, inputs
from tests.helpers import record_months, slash


def attached(standin, reply) -> dict[str, bytes]:
    return {a["filename"]: standin.attachments[int(a["id"])] for a in reply.message.attachments}


async def test_a_moderator_gets_the_report_and_its_four_files(standin, sample, bot):
    await record_months(bot.storage, sample.guild.id, inputs())
    reply = await slash(standin, sample.moderator, "report progression")
    assert reply.ephemeral
    assert reply.embeds[0]["title"] == f"Progression in server {sample.guild.id}, Jan 2026 – Jun 2026"
    assert "Kai: lurker Jan → participant Feb → regular Apr → helper Jun" in reply.text
    assert reply.message.custom_ids() == []  # one page: no paging buttons
    files = attached(standin, reply)
    assert sorted(files) == sorted([*FILE_NAMES["png"], "progression.csv", "progression.json"])
    report = json.loads(files["progression.json"])
    assert report["guild_id"] == str(sample.guild.id)
    assert [m["month"] for m in report["months"]] == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05",
                                                      "2026-06"]
    assert report["months"][-1]["provisional"] is True
    assert {m["user_id"] for m in report["months"][-1]["members"]} == {str(u) for u in PLAN}
    assert report["thresholds"] == json.loads(Thresholds().to_json()) | {"thanks_words": []}
    assert files["progression.csv"].decode().startswith("month,provisional,user_id,name,stage")
    for name in FILE_NAMES["png"]:
        assert imread(io.BytesIO(files[name]), format="png").shape[:2] == (540, 960)

    shorter = await slash(standin, sample.moderator, "report progression", months=2)
    assert shorter.embeds[0]["title"].endswith("May 2026 – Jun 2026")


async def test_a_long_report_pages_with_previous_and_next(standin, sample, bot):
    # 150 members on Kai's path: 150 journeys and 150 moves up in June need several pages.
    planned = inputs()
    kai = [next(r for r in month.rows if r.name == "Kai") for month in planned]
    await record_months(bot.storage, sample.guild.id, [
        MonthInput(month.month, month.provisional, tuple(replace(row, user_id=5000 + n, name=f"Member {n}")
                                                         for n in range(150)))
        for month, row in zip(planned, kai, strict=True)])
    reply = await slash(standin, sample.moderator, "report progression")
    assert reply.text.startswith("Page 1 of ")
    pages = int(reply.content.split(" of ")[1])
    assert pages > 1 and "progression:6:1" in reply.message.custom_ids()
    assert len(attached(standin, reply)) == 4

    turned = await (await standin.click(sample.moderator, reply.message, "progression:6:1")).reply()
    assert turned.kind == "update" and turned.text.startswith("Page 2 of ")
    assert all(len(e.get("description", "")) <= 4096 for e in turned.embeds)

    back = await (await standin.click(sample.moderator, reply.message, "progression:6:0")).reply()
    assert back.text.startswith("Page 1 of ")
    refused = await (await standin.click(sample.members[0], reply.message, "progression:6:1")).reply()
    assert refused.ephemeral and refused.text.startswith("Only moderators")


async def test_a_member_without_the_moderator_role_is_refused_on_the_server_side(standin, sample, bot):
    await record_months(bot.storage, sample.guild.id, inputs())
    refused = await slash(standin, sample.members[0], "report progression")
    assert refused.ephemeral and refused.text.startswith("Only moderators")
    assert not refused.message.attachments and not refused.embeds and "Kai" not in refused.text


@pytest.mark.parametrize("months", [0, 99])
async def test_months_out_of_range_get_one_sentence_and_nothing_else(standin, sample, bot, months):
    await record_months(bot.storage, sample.guild.id, inputs())
    reply = await slash(standin, sample.moderator, "report progression", months=months)
    assert reply.ephemeral
    assert reply.text == f"Choose between 1 and 36 months (you asked for {months})."
    assert not reply.message.attachments and not reply.embeds and not reply.message.custom_ids()


async def test_a_server_new_to_the_bot_gets_its_running_month_as_provisional(standin, sample, bot):
    reply = await slash(standin, sample.moderator, "report progression")
    assert reply.ephemeral
    report = json.loads(attached(standin, reply)["progression.json"])
    assert [(m["month"], m["provisional"]) for m in report["months"]] == [("2026-03", True)]
    assert report["months"][0]["stages"]["lurker"] == len(sample.guild.members) - 1  # everyone but the bot
