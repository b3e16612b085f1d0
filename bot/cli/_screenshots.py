"""The README's pictures, taken from the demo: its posts as Discord-like pages, shot with headless Chromium.

Five pictures: a question with the answers under it, the recap, the welcomes, a newcomer card and the HTML
transcript. Each message is shown at the bot's own clock (what the bot stored: a chat message's time, a post's
posting time, a welcome's), so the pictures come out the same at every run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image, ImageChops

from bot.cli._discord_html import Names, Shown, render_page
from bot.cli._output import fail, refuse
from bot.standin import Message, StandIn
from bot.storage import Storage

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
NO_BROWSER = ("the screenshots need headless Chromium, which is not installed: install it with "
              "`apt-get install chromium` (Debian or Ubuntu) and run the demo again.")
WIDTH = 880  # pixels: a Discord window's message column
TALLEST = 2400  # the page is shot this tall, then cut just below its last message
TRANSCRIPT_HEIGHT = 1000  # the transcript is a long page: its top is shown
SHOT_TIMEOUT = 60  # seconds for one screenshot
EPHEMERAL = 64


class _ScreenshotsOption(argparse.Action):
    """--screenshots [FOLDER]: refused at once, before the scene plays, when there is no Chromium to shoot with."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        if browser() is None:
            parser.exit(2, f"heartbeat: {NO_BROWSER}\n")
        setattr(namespace, self.dest, values)


def add_option(demo: argparse.ArgumentParser) -> None:
    """Declare the demo's --screenshots option."""
    demo.add_argument("--screenshots", action=_ScreenshotsOption, nargs="?", const="", metavar="FOLDER",
                      help="also shoot the README's pictures into OUTPUT/screenshots/ with headless Chromium and "
                           "copy them to FOLDER if given: `--screenshots docs/images` regenerates the README's")


def browser() -> str | None:
    """The headless Chromium (or Chrome) to shoot with, or None when none is installed."""
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


async def capture(output: Path, standin: StandIn, database: Path, zone: ZoneInfo, copy_to: str | None) -> int:
    """Render the demo's pages and shoot them into output/screenshots/, copied to the folder `copy_to` names unless
    it is empty; nothing when it is None. 0 when done (or nothing was asked), else the exit code."""
    if copy_to is None:
        return 0
    pages = await demo_pages(standin, database, zone)
    return await asyncio.to_thread(write_pictures, output, pages, Path(copy_to) if copy_to else None)


def write_pictures(output: Path, pages: dict[str, str], copy_to: Path | None) -> int:
    """Shoot each page, and output/transcript.html, into output/screenshots/ and then `copy_to`, if given.

    The pictures are taken in a scratch folder first: without Chromium, or if it fails, neither folder is touched
    and 2 or 1 is returned after saying why.
    """
    chromium = browser()
    if chromium is None:
        return refuse(NO_BROWSER)
    target = output / "screenshots"
    with tempfile.TemporaryDirectory(dir=output, prefix=".screenshots-") as scratch:
        folder = Path(scratch)
        shots: list[Path] = []
        for name, page in pages.items():
            (folder / f"{name}.html").write_text(page, encoding="utf-8")
            shots.append(shoot(chromium, folder / f"{name}.html", folder / f"{name}.png", (WIDTH, TALLEST)))
        if (output / "transcript.html").exists():
            shutil.copyfile(output / "transcript.html", folder / "transcript.html")
            shots.append(shoot(chromium, folder / "transcript.html", folder / "transcript.png",
                               (WIDTH, TRANSCRIPT_HEIGHT), crop=False))
            (folder / "transcript.html").unlink()
        if not all(shot.exists() for shot in shots):
            missing = ", ".join(shot.name for shot in shots if not shot.exists())
            return fail(f"Chromium did not write {missing}; nothing was changed in {target}.")
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir()
        for made in sorted(folder.iterdir()):
            shutil.copyfile(made, target / made.name)
    if copy_to is not None:
        copy_to.mkdir(parents=True, exist_ok=True)
        for shot in shots:
            shutil.copyfile(target / shot.name, copy_to / shot.name)
        for chart in sorted(output.glob("progression-*.png")):  # the README shows the report's charts too
            shutil.copyfile(chart, copy_to / chart.name)
    where = f"{target}/" + (f" and {copy_to}/" if copy_to is not None else "")
    print(f"Screenshots: {', '.join(shot.name for shot in shots)} in {where}")
    return 0


def shoot(chromium: str, page: Path, png: Path, size: tuple[int, int], *, crop: bool = True) -> Path:
    """One headless screenshot of a local page; cut just below what it shows unless `crop` is False."""
    profile = png.parent / f".profile-{png.stem}"
    command = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--mute-audio",
               "--no-first-run", "--force-device-scale-factor=1", f"--user-data-dir={profile}",
               f"--window-size={size[0]},{size[1]}", f"--screenshot={png}", page.resolve().as_uri()]
    with contextlib.suppress(subprocess.TimeoutExpired, OSError):
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=SHOT_TIMEOUT,
                       check=False)
    shutil.rmtree(profile, ignore_errors=True)
    if crop and png.exists():
        cut_below_content(png)
    return png


def cut_below_content(png: Path, margin: int = 16) -> None:
    """Crop the picture just below the last row that differs from the page's background."""
    with Image.open(png) as picture:
        image = picture.convert("RGB")
    background = image.getpixel((image.width - 1, image.height - 1))
    box = ImageChops.difference(image, Image.new("RGB", image.size, background)).getbbox()
    bottom = min(image.height, (box[3] if box else image.height) + margin)
    image.crop((0, 0, image.width, bottom)).save(png, optimize=True)


async def demo_pages(standin: StandIn, database: Path, zone: ZoneInfo) -> dict[str, str]:
    """The demo's pages as HTML, by picture name: the Q2 question and its answers, the first recap, the welcomes
    and the first newcomer report after a chat."""
    guild = next(iter(standin.guilds.values()))
    names = Names(users={user.id: user.name for user in standin.users.values()},
                  roles={role.id: role.name for role in guild.roles.values()},
                  channels={channel.id: channel.name for channel in guild.channels.values()})
    messages = sorted((m for m in standin.messages.values() if m.guild_id == guild.id and not m.deleted
                       and not m.flags & EPHEMERAL), key=lambda m: m.id)
    times = await _bot_times(messages, database, guild.id)

    def shown(message: Message, *, reply: bool = True) -> Shown:
        replied = next((m for m in messages if m.id == message.reference_id), None) if reply else None
        return Shown(author=message.author.name, at=times[message.id], content=message.content,
                     bot=message.author.bot, embeds=message.embeds, components=message.components,
                     attachments=[a["filename"] for a in message.attachments],
                     reactions=[(emoji, len(users)) for emoji, users in message.reactions.items() if users],
                     edited=message.edited_at is not None,
                     reply_to=shown(replied, reply=False) if replied is not None else None)

    def first(starts: str) -> Message:
        return next(m for m in messages if m.author.bot and m.content.startswith(starts))

    def page(channel_id: int, chosen: list[Message]) -> str:
        return render_page(names.channels[channel_id], [shown(m) for m in chosen], names, zone)

    question, following = first("**Q2:**"), first("**Q3:**")
    recap, report = first("**#GetRealChat recap**"), first("After #GetRealChat")
    welcome = first("Welcome <@")
    return {
        "question": page(question.channel_id, [m for m in messages if m.channel_id == question.channel_id
                                               and question.id <= m.id < following.id]),
        "recap": page(recap.channel_id, [recap]),
        "welcome": page(welcome.channel_id, [m for m in messages if m.channel_id == welcome.channel_id
                                             and m.author.bot and m.id < recap.id]),
        "newcomer-card": page(report.channel_id, [report]),
    }


async def _bot_times(messages: list[Message], database: Path, guild_id: int) -> dict[int, datetime]:
    """Each message's time on the bot's clock, from what the bot stored (a chat message's time, a post's posting
    time, a welcome's). The clock only moves forward, so a message the bot kept no time for, or an earlier time,
    takes the time of the message before it (the clock stands still between the scene's steps)."""
    storage = await Storage.open_read_only(database)
    try:
        async def stored(message: Message) -> datetime | None:
            kept = await storage.messages.get(message.id)
            if kept is not None:
                return kept.created_at
            post = await storage.posts.for_message(message.id)
            if post is not None and post.posted_at is not None:
                return post.posted_at
            for user in sorted(message.pinged_users) if message.author.bot else []:
                newcomer = await storage.newcomers.get(guild_id, user)
                if newcomer is not None and newcomer.welcomed_at is not None:
                    return newcomer.welcomed_at
            return None
        found = {message.id: await stored(message) for message in messages}
    finally:
        await storage.close()
    known = [at for at in found.values() if at is not None]
    last = known[0] if known else datetime.fromtimestamp(0, UTC)
    times: dict[int, datetime] = {}
    for message in messages:
        at = found[message.id]
        last = max(last, at) if at is not None else last
        times[message.id] = last
    return times
