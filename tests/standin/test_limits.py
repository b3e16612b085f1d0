"""The stand-in refuses what Discord refuses: message, embed, component, upload and scheduled-event limits.

Each case sends the body at Discord's limit (accepted) and one past it (refused with Discord's error), over
HTTP as the bot's discord.py does, so a lenient stand-in fails here before it lets the bot's tests lie.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from bot.standin import StandIn
from bot.standin.limits import MIB
from bot.standin.sample import SampleServer

START = datetime(2026, 3, 18, 1, 0, tzinfo=UTC)


class Rest:
    """A bot's REST calls to the stand-in, answering (status, JSON)."""

    def __init__(self, standin: StandIn, session: aiohttp.ClientSession) -> None:
        self.standin = standin
        self.session = session

    async def call(self, method: str, path: str, body: Any = None,
                   files: list[tuple[str, bytes]] | None = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bot {self.standin.token}"}
        if files:
            form = aiohttp.FormData()
            form.add_field("payload_json", json.dumps(body or {}), content_type="application/json")
            for n, (name, data) in enumerate(files):
                form.add_field(f"files[{n}]", data, filename=name, content_type="application/octet-stream")
            request = self.session.request(method, f"{self.standin.api_base}/{path}", data=form, headers=headers)
        else:
            request = self.session.request(method, f"{self.standin.api_base}/{path}", json=body, headers=headers)
        async with request as response:
            text = await response.text()
            return response.status, json.loads(text) if text else None


@pytest.fixture
async def rest(standin: StandIn) -> AsyncIterator[Rest]:
    async with aiohttp.ClientSession() as session:
        yield Rest(standin, session)


def button(custom_id: str, label: str = "Go") -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": label, "custom_id": custom_id}


def row(*buttons: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(buttons)}


def embed(**parts: Any) -> dict[str, Any]:
    return {"type": "rich", **parts}


def fields(count: int, name: str = "n", value: str = "v") -> list[dict[str, Any]]:
    return [{"name": name, "value": value, "inline": False} for _ in range(count)]


# (what, the body at Discord's limit, the body just past it, the field Discord names)
LIMITS: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    ("content", {"content": "x" * 2000}, {"content": "x" * 2001}, "content"),
    ("nonce", {"content": "hi", "nonce": "n" * 25}, {"content": "hi", "nonce": "n" * 26}, "nonce"),
    ("embed title", {"embeds": [embed(title="t" * 256)]}, {"embeds": [embed(title="t" * 257)]},
     "embeds.0.title"),
    ("embed description", {"embeds": [embed(description="d" * 4096)]},
     {"embeds": [embed(description="d" * 4097)]}, "embeds.0.description"),
    ("embed field count", {"embeds": [embed(fields=fields(25))]}, {"embeds": [embed(fields=fields(26))]},
     "embeds.0.fields"),
    ("embed field name", {"embeds": [embed(fields=fields(1, name="n" * 256))]},
     {"embeds": [embed(fields=fields(1, name="n" * 257))]}, "embeds.0.fields.0.name"),
    ("embed field value", {"embeds": [embed(fields=fields(1, value="v" * 1024))]},
     {"embeds": [embed(fields=fields(1, value="v" * 1025))]}, "embeds.0.fields.0.value"),
    ("embed footer", {"embeds": [embed(footer={"text": "f" * 2048})]},
     {"embeds": [embed(footer={"text": "f" * 2049})]}, "embeds.0.footer.text"),
    ("embed author", {"embeds": [embed(author={"name": "a" * 256})]},
     {"embeds": [embed(author={"name": "a" * 257})]}, "embeds.0.author.name"),
    ("all embeds together", {"embeds": [embed(description="d" * 3000), embed(description="d" * 3000)]},
     {"embeds": [embed(description="d" * 3000), embed(description="d" * 3001)]}, "embeds"),
    ("embed count", {"embeds": [embed(title="t")] * 10}, {"embeds": [embed(title="t")] * 11}, "embeds"),
    ("action rows", {"content": "hi", "components": [row(button(f"b{n}")) for n in range(5)]},
     {"content": "hi", "components": [row(button(f"b{n}")) for n in range(6)]}, "components"),
    ("buttons in a row", {"content": "hi", "components": [row(*(button(f"b{n}") for n in range(5)))]},
     {"content": "hi", "components": [row(*(button(f"b{n}") for n in range(6)))]}, "components.0.components"),
    ("custom id length", {"content": "hi", "components": [row(button("c" * 100))]},
     {"content": "hi", "components": [row(button("c" * 101))]}, "components.0.components.0.custom_id"),
    ("empty custom id", {"content": "hi", "components": [row(button("c"))]},
     {"content": "hi", "components": [row(button(""))]}, "components.0.components.0.custom_id"),
    ("duplicate custom id", {"content": "hi", "components": [row(button("a")), row(button("b"))]},
     {"content": "hi", "components": [row(button("a")), row(button("a"))]}, "components.1.components.0.custom_id"),
    ("button label", {"content": "hi", "components": [row(button("a", "l" * 80))]},
     {"content": "hi", "components": [row(button("a", "l" * 81))]}, "components.0.components.0.label"),
]
IDS = [case[0] for case in LIMITS]


def names_field(answer: Any, field: str) -> bool:
    """Whether a 50035 answer names `field` in its nested errors, as Discord's do."""
    errors = answer.get("errors", {})
    for part in field.split("."):
        if part not in errors:
            return False
        errors = errors[part]
    return "_errors" in errors


def assert_refused(status: int, answer: Any, field: str) -> None:
    assert status == 400, answer
    assert answer["code"] == 50035 and answer["message"] == "Invalid Form Body", answer
    assert names_field(answer, field), answer


@pytest.mark.parametrize(("what", "fits", "too_much", "field"), LIMITS, ids=IDS)
async def test_creating_a_message_past_a_limit_is_refused(standin: StandIn, sample: SampleServer, rest: Rest,
                                                          what: str, fits: dict[str, Any],
                                                          too_much: dict[str, Any], field: str) -> None:
    path = f"channels/{sample.channels['chat'].id}/messages"
    status, _ = await rest.call("POST", path, fits)
    assert status == 200, what
    status, answer = await rest.call("POST", path, too_much)
    assert_refused(status, answer, field)
    assert len(standin.bot_messages(sample.channels["chat"])) == 1  # the refused one was not posted


@pytest.mark.parametrize(("what", "fits", "too_much", "field"), LIMITS[:1] + LIMITS[2:], ids=IDS[:1] + IDS[2:])
async def test_editing_a_message_past_a_limit_is_refused_and_leaves_it_as_it_was(
        standin: StandIn, sample: SampleServer, rest: Rest, what: str, fits: dict[str, Any],
        too_much: dict[str, Any], field: str) -> None:
    channel = sample.channels["chat"]
    status, posted = await rest.call("POST", f"channels/{channel.id}/messages", {"content": "before"})
    assert status == 200
    path = f"channels/{channel.id}/messages/{posted['id']}"
    status, answer = await rest.call("PATCH", path, too_much)
    assert_refused(status, answer, field)
    assert standin.messages[int(posted["id"])].content == "before"
    assert (await rest.call("PATCH", path, fits))[0] == 200, what


async def interaction(standin: StandIn, sample: SampleServer) -> tuple[int, str]:
    """A member's button press the bot may answer: (interaction id, token)."""
    record = await standin.forge_click(sample.members[0], sample.channels["chat"], "press")
    return record.id, record.token


async def test_an_interaction_response_past_a_limit_is_refused(standin: StandIn, sample: SampleServer,
                                                               rest: Rest) -> None:
    interaction_id, token = await interaction(standin, sample)
    path = f"interactions/{interaction_id}/{token}/callback"
    status, answer = await rest.call("POST", path, {"type": 4, "data": {"content": "x" * 2001}})
    assert_refused(status, answer, "content")
    status, answer = await rest.call("POST", path, {"type": 4, "data": {"embeds": [embed(title="t" * 257)]}})
    assert_refused(status, answer, "embeds.0.title")
    assert (await rest.call("POST", path, {"type": 4, "data": {"content": "x" * 2000}}))[0] == 200


async def test_an_update_from_a_button_past_a_limit_is_refused(standin: StandIn, sample: SampleServer,
                                                               rest: Rest) -> None:
    channel = sample.channels["chat"]
    status, posted = await rest.call("POST", f"channels/{channel.id}/messages",
                                     {"content": "card", "components": [row(button("press"))]})
    assert status == 200
    record = await standin.click(sample.members[0], standin.messages[int(posted["id"])], "press")
    path = f"interactions/{record.id}/{record.token}/callback"
    status, answer = await rest.call("POST", path, {"type": 7, "data": {"components": [row(button("c" * 101))]}})
    assert_refused(status, answer, "components.0.components.0.custom_id")
    assert standin.messages[int(posted["id"])].custom_ids() == ["press"]


async def test_followups_and_their_edits_past_a_limit_are_refused(standin: StandIn, sample: SampleServer,
                                                                  rest: Rest) -> None:
    interaction_id, token = await interaction(standin, sample)
    assert (await rest.call("POST", f"interactions/{interaction_id}/{token}/callback", {"type": 5}))[0] == 200
    webhook = f"webhooks/{standin.application_id}/{token}"
    status, answer = await rest.call("POST", webhook, {"content": "x" * 2001})
    assert_refused(status, answer, "content")
    status, first = await rest.call("POST", webhook, {"content": "done"})
    assert status == 200
    status, answer = await rest.call("PATCH", f"{webhook}/messages/@original",
                                     {"embeds": [embed(description="d" * 4097)]})
    assert_refused(status, answer, "embeds.0.description")
    status, answer = await rest.call("PATCH", f"{webhook}/messages/{first['id']}",
                                     {"embeds": [embed(fields=fields(26))]})
    assert_refused(status, answer, "embeds.0.fields")
    assert standin.messages[int(first["id"])].embeds == []


@pytest.mark.parametrize(("sizes", "accepted"), [
    ([10 * MIB], True), ([10 * MIB + 1], False), ([9 * MIB, 9 * MIB], True), ([9 * MIB, 9 * MIB, 9 * MIB], False),
], ids=["one file at 10 MiB", "one file past 10 MiB", "18 MiB in two files", "27 MiB in three files"])
async def test_uploads_past_10_mib_a_file_or_25_mib_a_request_are_too_large(
        standin: StandIn, sample: SampleServer, rest: Rest, sizes: list[int], accepted: bool) -> None:
    files = [(f"part{n}.txt", b"x" * size) for n, size in enumerate(sizes)]
    status, answer = await rest.call("POST", f"channels/{sample.channels['chat'].id}/messages",
                                     {"content": "the transcript"}, files)
    if accepted:
        assert status == 200
        assert [a["size"] for a in answer["attachments"]] == sizes
    else:
        assert (status, answer["code"]) == (413, 40005), answer
        assert standin.bot_messages(sample.channels["chat"]) == []  # nothing posted, the text included


async def test_an_edit_that_attaches_too_large_a_file_is_refused(standin: StandIn, sample: SampleServer,
                                                                 rest: Rest) -> None:
    interaction_id, token = await interaction(standin, sample)
    assert (await rest.call("POST", f"interactions/{interaction_id}/{token}/callback", {"type": 5}))[0] == 200
    status, answer = await rest.call("PATCH", f"webhooks/{standin.application_id}/{token}/messages/@original",
                                     {"content": "report"}, [("report.csv", b"x" * (10 * MIB + 1))])
    assert (status, answer["code"]) == (413, 40005)


# ---------------------------------------------------------------------------------------------- scheduled events


def external(**changes: Any) -> dict[str, Any]:
    """An external event as the bot asks for one, with `changes`."""
    event = {"name": "#GetRealChat", "privacy_level": 2, "entity_type": 3,
             "scheduled_start_time": START.isoformat(), "scheduled_end_time": (START + timedelta(hours=1)).isoformat(),
             "entity_metadata": {"location": "#getreal-chat"}, "description": "Topic: rest"}
    return {**event, **changes}


@pytest.mark.parametrize(("changes", "field"), [
    ({"entity_metadata": None}, "entity_metadata.location"),
    ({"entity_metadata": {"location": ""}}, "entity_metadata.location"),
    ({"entity_metadata": {"location": "#" + "c" * 100}}, "entity_metadata.location"),
    ({"scheduled_end_time": None}, "scheduled_end_time"),
    ({"name": ""}, "name"),
    ({"name": "n" * 101}, "name"),
    ({"description": "d" * 1001}, "description"),
], ids=["no location", "empty location", "101-character location", "no end time", "empty name",
        "101-character name", "1001-character description"])
async def test_an_external_event_discord_would_refuse_is_not_created(standin: StandIn, sample: SampleServer,
                                                                     rest: Rest, changes: dict[str, Any],
                                                                     field: str) -> None:
    path = f"guilds/{sample.guild.id}/scheduled-events"
    status, answer = await rest.call("POST", path, external(**changes))
    assert_refused(status, answer, field)
    assert sample.guild.scheduled_events == {}
    fits = {"entity_metadata": {"location": "c" * 100}, "name": "n" * 100, "description": "d" * 1000}
    assert (await rest.call("POST", path, external(**fits)))[0] == 200


async def test_editing_an_event_past_a_limit_is_refused(standin: StandIn, sample: SampleServer, rest: Rest) -> None:
    path = f"guilds/{sample.guild.id}/scheduled-events"
    status, event = await rest.call("POST", path, external())
    assert status == 200
    status, answer = await rest.call("PATCH", f"{path}/{event['id']}",
                                     {"entity_metadata": {"location": "#" + "c" * 100}})
    assert_refused(status, answer, "entity_metadata.location")
    assert sample.guild.scheduled_events[int(event["id"])]["entity_metadata"] == {"location": "#getreal-chat"}


@pytest.mark.parametrize(("path_taken", "refused", "ends"), [
    ([2, 3], None, 3), ([4], None, 4), ([3], 3, 1), ([2, 4], 4, 2), ([2, 1], 1, 2),
], ids=["scheduled-active-completed", "scheduled-canceled", "scheduled-completed", "active-canceled",
        "active-scheduled"])
async def test_only_discords_status_moves_are_allowed(standin: StandIn, sample: SampleServer, rest: Rest,
                                                      path_taken: list[int], refused: int | None, ends: int) -> None:
    events = f"guilds/{sample.guild.id}/scheduled-events"
    status, event = await rest.call("POST", events, external())
    assert status == 200
    for step in path_taken:
        status, answer = await rest.call("PATCH", f"{events}/{event['id']}", {"status": step})
        if step == refused:
            assert_refused(status, answer, "status")
        else:
            assert status == 200, answer
    assert sample.guild.scheduled_events[int(event["id"])]["status"] == ends


@pytest.mark.parametrize("finished", [3, 4], ids=["completed", "canceled"])
async def test_a_finished_event_cannot_be_changed(standin: StandIn, sample: SampleServer, rest: Rest,
                                                  finished: int) -> None:
    events = f"guilds/{sample.guild.id}/scheduled-events"
    status, event = await rest.call("POST", events, external())
    assert status == 200
    for step in ([2, 3] if finished == 3 else [4]):
        assert (await rest.call("PATCH", f"{events}/{event['id']}", {"status": step}))[0] == 200
    status, answer = await rest.call("PATCH", f"{events}/{event['id']}",
                                     {"scheduled_end_time": (START + timedelta(hours=2)).isoformat()})
    assert (status, answer["code"]) == (400, 180000), answer
    assert sample.guild.scheduled_events[int(event["id"])]["scheduled_end_time"] == external()["scheduled_end_time"]


async def test_discord_starts_and_ends_an_external_event_at_its_times(standin: StandIn, sample: SampleServer,
                                                                      rest: Rest) -> None:
    status, event = await rest.call("POST", f"guilds/{sample.guild.id}/scheduled-events", external())
    assert status == 200
    held = sample.guild.scheduled_events[int(event["id"])]
    await standin.events_reach(START - timedelta(seconds=1))
    assert held["status"] == 1
    await standin.events_reach(START)
    assert held["status"] == 2
    await standin.events_reach(START + timedelta(hours=1))
    assert held["status"] == 3


async def test_an_event_whose_whole_time_passed_unseen_is_completed(standin: StandIn, sample: SampleServer,
                                                                      rest: Rest) -> None:
    status, event = await rest.call("POST", f"guilds/{sample.guild.id}/scheduled-events", external())
    assert status == 200
    await standin.events_reach(START + timedelta(days=1))
    assert sample.guild.scheduled_events[int(event["id"])]["status"] == 3


async def test_a_person_can_only_move_an_event_the_way_discord_allows(standin: StandIn, sample: SampleServer,
                                                                      rest: Rest) -> None:
    status, event = await rest.call("POST", f"guilds/{sample.guild.id}/scheduled-events", external())
    assert status == 200
    await standin.set_event_status(sample.guild, int(event["id"]), 2)
    with pytest.raises(AssertionError, match="would not allow"):
        await standin.set_event_status(sample.guild, int(event["id"]), 4)
