"""`python -m bot invite`: print the URL that adds the bot to a server, with the permissions it needs."""

from __future__ import annotations

import argparse
import base64

from bot.cli._output import refuse
from bot.permissions import invite_url
from bot.settings import Settings


def add_parser(modes: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare the subcommand and its options."""
    invite = modes.add_parser("invite", help="print the URL that adds the bot to a server")
    invite.add_argument("--client-id", type=int, help="the application id (read from DISCORD_TOKEN if omitted)")


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Print the invite URL; the client id comes from --client-id or the token's first segment."""
    client_id = args.client_id if args.client_id is not None else _client_id_of(settings.token)
    if client_id is None:
        return refuse("pass --client-id <application id> (General Information page of your Discord application),"
                      " or set DISCORD_TOKEN so it can be read from there.")
    print(invite_url(client_id))
    return 0


def _client_id_of(token: str | None) -> int | None:
    """A bot token begins with the bot's user id in base64, which is the application id."""
    if not token:
        return None
    head = token.split(".")[0]
    try:
        return int(base64.b64decode(head + "=" * (-len(head) % 4)).decode())
    except (ValueError, UnicodeDecodeError):
        return None
