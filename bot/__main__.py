"""`python -m bot` (live), `python -m bot demo` (offline rehearsal), `python -m bot invite` (the invite URL)."""

from __future__ import annotations

import argparse
import asyncio
import base64
import logging
import signal
import sys
from pathlib import Path

import discord

from bot.settings import Settings, SettingsError, load_settings, require_token
from bot.storage import MigrationError

log = logging.getLogger("bot")


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run one mode; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m bot", description="Heartbeat, the hashtag-chat Discord bot.")
    modes = parser.add_subparsers(dest="mode", metavar="{run,demo,invite}")
    modes.add_parser("run", help="connect to Discord with DISCORD_TOKEN (the default)")
    demo = modes.add_parser("demo", help="rehearse a scene offline against a local Discord stand-in")
    demo.add_argument("--output", type=Path, default=Path("demo-output"), help="folder for what the demo produced")
    demo.add_argument("--quiet", action="store_true", help="print only the summary line")
    invite = modes.add_parser("invite", help="print the URL that adds the bot to a server")
    invite.add_argument("--client-id", type=int, help="the application id (read from DISCORD_TOKEN if omitted)")
    args = parser.parse_args(argv)

    try:
        settings = load_settings()
        if args.mode == "demo":
            from bot.demo import run_demo

            return asyncio.run(run_demo(settings, args.output, quiet=args.quiet))
        if args.mode == "invite":
            return print_invite(settings, args.client_id)
        return run_live(settings)
    except SettingsError as error:
        print(f"heartbeat: {error}", file=sys.stderr)
        return 2


def print_invite(settings: Settings, client_id: int | None) -> int:
    """Print the invite URL; the client id comes from --client-id or the token's first segment."""
    from bot.permissions import invite_url

    if client_id is None and settings.token:
        # A bot token begins with the bot's user id in base64, which is the application id.
        head = settings.token.split(".")[0]
        try:
            client_id = int(base64.b64decode(head + "=" * (-len(head) % 4)).decode())
        except (ValueError, UnicodeDecodeError):
            client_id = None
    if client_id is None:
        print("heartbeat: pass --client-id <application id> (General Information page of your Discord application),"
              " or set DISCORD_TOKEN so it can be read from there.", file=sys.stderr)
        return 2
    print(invite_url(client_id))
    return 0


def run_live(settings: Settings) -> int:
    """Connect to Discord and run until SIGINT or SIGTERM."""
    token = require_token(settings)
    discord.utils.setup_logging(level=getattr(logging, settings.log_level), root=True)
    if settings.discord_url:
        from bot.client import use_discord_at

        use_discord_at(settings.discord_url)
    try:
        asyncio.run(_serve(settings, token))
    except discord.LoginFailure:
        print("heartbeat: Discord rejected DISCORD_TOKEN: copy a fresh token from the Bot page of the "
              "Developer Portal into .env.", file=sys.stderr)
        return 1
    except (MigrationError, OSError) as error:
        print(f"heartbeat: could not open the database at {settings.database_path}: {error}", file=sys.stderr)
        return 1
    except discord.PrivilegedIntentsRequired:
        print("heartbeat: enable the Server Members and Message Content intents on the Bot page of the "
              "Developer Portal, then start again.", file=sys.stderr)
        return 1
    return 0


async def _serve(settings: Settings, token: str) -> None:
    """Run the bot; a signal closes it cleanly (scheduler stopped, database flushed and closed)."""
    from bot.client import Heartbeat

    bot = Heartbeat(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runner = asyncio.create_task(bot.start(token))
    stopper = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if runner in done:
            runner.result()
        else:
            log.info("Signal received; shutting down")
    finally:
        stopper.cancel()
        await bot.close()
        if not runner.done():
            runner.cancel()


if __name__ == "__main__":
    sys.exit(main())
