"""`python -m bot [run|demo|invite|transcript|report|import|purge|backup]`: parse the command line, run one."""

from __future__ import annotations

import argparse
import sys

import bot
from bot.cli import backup, demo, import_, invite, purge, report, run, transcript
from bot.settings import SettingsError, load_settings

# In the order `--help` lists them; `run` is also what a bare `python -m bot` does.
# A module named after a Python keyword ends in "_" ("import_"); the subcommand is the name without it.
SUBCOMMANDS = {module.__name__.rsplit(".", 1)[1].rstrip("_"): module
               for module in (run, demo, invite, transcript, report, import_, purge, backup)}


HELP_EPILOG = """\
what it reads (from the environment, or a .env file in the current folder):
  DISCORD_TOKEN          the bot's token (Developer Portal > Bot); needed by run only
  DATABASE_PATH          the SQLite file (default data/heartbeat.db)
  LOG_LEVEL              DEBUG, INFO (default), WARNING or ERROR
  SYNC_GUILD_ID          sync slash commands to this one server at once (testing); empty: globally
  HEARTBEAT_DEFAULTS     another defaults file instead of config/defaults.toml

examples:
  python -m bot demo                      rehearse a chat offline; output in demo-output/
  python -m bot                           go live with DISCORD_TOKEN from .env
  python -m bot invite                    the URL that adds the bot to a server
  python -m bot report progression --guild 123456789012345678 --months 6
  python -m bot import discordchatexporter --guild 123456789012345678 exports/*.json
  python -m bot purge --dry-run           what the retention setting would blank tonight
  python -m bot backup backups/heartbeat-2026-11-29.db
"""


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run one subcommand; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m bot", description="Heartbeat, the hashtag-chat Discord bot.",
                                     epilog=HELP_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"heartbeat {bot.__version__}")
    modes = parser.add_subparsers(dest="mode", metavar="{" + ",".join(SUBCOMMANDS) + "}")
    for module in SUBCOMMANDS.values():
        module.add_parser(modes)
    args = parser.parse_args(argv)
    try:
        return SUBCOMMANDS[args.mode or "run"].run(load_settings(), args)
    except SettingsError as error:
        print(f"heartbeat: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
