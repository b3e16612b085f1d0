"""`python -m bot [run|demo|invite|transcript|report|purge]`: parse the command line and hand over to one subcommand."""

from __future__ import annotations

import argparse
import sys

from bot.cli import demo, invite, purge, report, run, transcript
from bot.settings import SettingsError, load_settings

# In the order `--help` lists them; `run` is also what a bare `python -m bot` does.
SUBCOMMANDS = {module.__name__.rsplit(".", 1)[1]: module for module in (run, demo, invite, transcript, report, purge)}


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run one subcommand; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m bot", description="Heartbeat, the hashtag-chat Discord bot.")
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
