"""The README's pictures: Discord-like HTML of the demo's posts (no browser needed) and, with Chromium, the PNGs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from bot.cli._discord_html import Names, Shown, discord_time, markup, render_page
from bot.cli._screenshots import browser, cut_below_content, write_pictures

ROOT = Path(__file__).resolve().parent.parent
NEW_YORK = ZoneInfo("America/New_York")
CHAT = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)  # Tuesday 10 March 2026, 21:00 in New York
NAMES = Names(users={1: "Kai", 2: "Jonah"}, roles={10: "Helpers"}, channels={20: "getreal-chat"})
PICTURES = ("question.png", "recap.png", "welcome.png", "newcomer-card.png", "transcript.png")


def run_demo(tmp_path: Path, *args: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "HEARTBEAT_", "DATABASE_", "LOG_"))}
    env["PYTHONPATH"] = str(ROOT)
    if path is not None:
        env["PATH"] = path
    return subprocess.run([sys.executable, "-m", "bot", "demo", "--quiet", "--output", str(tmp_path / "out"), *args],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)


def test_a_question_with_its_answers_renders_authors_times_mentions_and_escaped_text():
    question = Shown(author="Heartbeat", bot=True, at=CHAT + timedelta(minutes=13),
                     content="**Q2:** What surprised you most?\n#GetRealChat · answer with **A2:**")
    answer = Shown(author="Jonah", at=CHAT + timedelta(minutes=13, seconds=40), edited=True,
                   content="A2: <script>alert('dark')</script> & 4:30pm!", reactions=[("🔥", 2)])
    reply = Shown(author="Kai", at=CHAT + timedelta(minutes=15), content="same <@2>!", reply_to=answer)
    greeting = Shown(author="Heartbeat", bot=True, at=CHAT + timedelta(minutes=16),
                     content="👋 Welcome <@1> to <#20>, <@&10> say hi! Next: <t:1773795600:F> (<t:1773795600:R>)")
    page = render_page("getreal-chat", [question, answer, reply, greeting], NAMES, NEW_YORK)

    assert page.startswith("<!DOCTYPE html>") and "#</span>getreal-chat" in page
    for author in ("Heartbeat", "Jonah", "Kai"):
        assert f'<span class="name">{author}</span>' in page
    assert '<span class="badge">APP</span>' in page  # the bot is marked as an app, as Discord does
    assert "<strong>Q2:</strong> What surprised you most?" in page
    assert "03/10/2026 9:13 PM" in page and "03/10/2026 9:15 PM" in page  # New York's evening, not UTC's night
    assert "&lt;script&gt;alert('dark')&lt;/script&gt; &amp; 4:30pm!" in page and "<script>" not in page
    assert "(edited)" in page and '🔥 <b>2</b>' in page
    assert '<span class="reply-name">@Jonah</span>' in page  # Kai's reply shows what it answers
    for mention in ("@Kai", "#getreal-chat", "@Helpers", "@Jonah"):
        assert f'<span class="mention">{mention}</span>' in page
    assert "Tuesday, March 17, 2026 at 9:00 PM" in page and "in 7 days" in page
    assert not re.search(r"<(t:|@|#)\d", page) and "&lt;t:" not in page  # no raw Discord markup left


def test_embeds_buttons_and_attachments_render_as_cards():
    card = Shown(author="Heartbeat", bot=True, at=CHAT + timedelta(hours=1), content="After #GetRealChat: review",
                 embeds=[{"title": "Raider 6 · <b>Watch</b>", "description": "Stage: lurker\nFlags: **new**",
                          "fields": [{"name": "Joined", "value": "<t:1773190800:d>", "inline": True}],
                          "footer": {"text": "user 42"}, "color": 0xED4245}],
                 components=[{"type": 1, "components": [
                     {"type": 2, "style": 3, "label": "Reviewed", "custom_id": "a"},
                     {"type": 2, "style": 4, "label": "Watch", "custom_id": "b", "emoji": {"name": "👀"}}]}],
                 attachments=["newcomers-14d.csv"])
    page = render_page("mod-log", [card], NAMES, NEW_YORK)
    assert 'class="embed" style="border-left-color:#ed4245"' in page
    assert "Raider 6 · &lt;b&gt;Watch&lt;/b&gt;" in page and "<strong>new</strong>" in page
    assert "03/10/2026" in page and "user 42" in page
    assert '<span class="button success">Reviewed</span>' in page
    assert '<span class="button danger">👀 Watch</span>' in page
    assert "newcomers-14d.csv" in page


def test_messages_close_together_share_one_header_as_on_discord():
    first = Shown(author="Mei", at=CHAT, content="A1: one")
    second = Shown(author="Mei", at=CHAT + timedelta(minutes=2), content="A2: two")
    later = Shown(author="Mei", at=CHAT + timedelta(minutes=30), content="A3: three")
    page = render_page("getreal-chat", [first, second, later], NAMES, NEW_YORK)
    assert page.count('<span class="name">Mei</span>') == 2 and page.count('class="message grouped"') == 1


@pytest.mark.parametrize(("style", "shown"), [
    ("t", "9:00 PM"), ("T", "9:00:00 PM"), ("d", "03/10/2026"), ("D", "March 10, 2026"),
    ("f", "March 10, 2026 at 9:00 PM"), ("F", "Tuesday, March 10, 2026 at 9:00 PM"), ("R", "in 10 minutes"),
])
def test_discord_timestamps_read_as_in_new_york(style: str, shown: str):
    assert discord_time(CHAT, style, NEW_YORK, CHAT - timedelta(minutes=10)) == shown
    assert markup(f"<t:{int(CHAT.timestamp())}:{style}>", NAMES, NEW_YORK, CHAT - timedelta(minutes=10)) \
        == f'<span class="stamp">{shown}</span>'


def test_markdown_stays_inside_code_and_unknown_mentions_say_so():
    html = markup("`**not bold** <@1>` and <@99> in <#98>", NAMES, NEW_YORK, CHAT)
    assert "<code>**not bold** &lt;@1&gt;</code>" in html
    assert "@unknown-user" in html and "#unknown" in html


def test_a_picture_is_cut_just_below_what_it_shows(tmp_path: Path):
    picture = Image.new("RGB", (100, 400), (49, 51, 56))
    picture.paste((255, 255, 255), (10, 10, 90, 120))
    picture.save(tmp_path / "shot.png")
    cut_below_content(tmp_path / "shot.png")
    with Image.open(tmp_path / "shot.png") as cut:
        assert cut.size == (100, 136)


def test_without_chromium_nothing_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert write_pictures(tmp_path, {"question": "<p>hi</p>"}, tmp_path / "images") == 2
    assert "apt-get install chromium" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_the_demo_refuses_screenshots_at_once_without_chromium(tmp_path: Path):
    empty = tmp_path / "bin"
    empty.mkdir()
    result = run_demo(tmp_path, "--screenshots", str(tmp_path / "images"), path=str(empty))
    assert result.returncode == 2
    assert result.stderr.strip() == ("heartbeat: the screenshots need headless Chromium, which is not installed: "
                                     "install it with `apt-get install chromium` (Debian or Ubuntu) and run the "
                                     "demo again.")
    assert not (tmp_path / "out").exists() and not (tmp_path / "images").exists()  # the scene never ran


@pytest.mark.skipif(browser() is None, reason="needs headless Chromium (apt-get install chromium)")
def test_the_demo_shoots_the_readme_pictures(tmp_path: Path):
    result = run_demo(tmp_path, "--screenshots", str(tmp_path / "images"))
    assert result.returncode == 0, result.stderr
    shots = tmp_path / "out" / "screenshots"
    for name in PICTURES:
        with Image.open(shots / name) as picture, Image.open(tmp_path / "images" / name) as copy:
            assert picture.format == "PNG" and picture.width == 880 and 150 < picture.height <= 2400
            assert picture.tobytes() == copy.tobytes()
            assert picture.getpixel((5, picture.height - 5))[:3] in ((49, 51, 56), (255, 255, 255))
    question = (shots / "question.html").read_text(encoding="utf-8")
    for expected in ("<strong>Q2:</strong>", "Jonah", "A2: the subway map, honestly", "Kai", "(edited)",
                     "03/10/2026 9:13 PM"):
        assert expected in question
    assert "<strong>Q3:</strong>" not in question
    welcome = (shots / "welcome.html").read_text(encoding="utf-8")
    assert '<span class="mention">@Kai</span>' in welcome and "Tuesday, March 10, 2026 at 9:00 PM" in welcome
    assert "in 10 minutes" in welcome
    assert "#GetRealChat recap" in (shots / "recap.html").read_text(encoding="utf-8")
    assert "Reviewed" in (shots / "newcomer-card.html").read_text(encoding="utf-8")
    for page in shots.glob("*.html"):
        assert not re.search(r"<(t:|@|#)\d", page.read_text(encoding="utf-8")), page.name
