"""The other end of a benchmark, as its own process on the stand-in, set up by the environment `python -m bot` reads.

    python benches/_child.py sink       a raw gateway reader: reads every frame, parses none (the stand-in's ceiling)
    python benches/_child.py bare       a discord.Client with Heartbeat's intents that does nothing with what it gets
    python benches/_child.py heartbeat --start ISO --epoch SECONDS --speed X
                                        Heartbeat itself, on a clock that showed ISO at the epoch instant SECONDS
                                        and runs X times faster than real time

`sink` and `bare` answer the message SENTINEL by posting DONE in its channel: gateway events arrive in order, so
by then every earlier one has been read (sink) or parsed into discord.py's objects and dispatched (bare).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
from datetime import UTC, datetime

import aiohttp
import discord

from bot.client import Heartbeat, intents, use_discord_at
from bot.clock import Clock
from bot.settings import load_settings, require_token

SENTINEL = "that's all, folks"
DONE = "done"


async def sink(url: str, token: str) -> None:
    """Identify, then read gateway frames without parsing them; answer the sentinel through REST."""
    async with aiohttp.ClientSession() as http, http.ws_connect(f"{url.replace('http', 'ws', 1)}/gateway",
                                                                 max_msg_size=0) as socket:
        await socket.receive_json()  # HELLO
        await socket.send_json({"op": 2, "d": {"token": token, "intents": intents().value,
                                               "properties": {"os": "linux", "browser": "sink", "device": "sink"}}})
        async for frame in socket:
            if frame.type != aiohttp.WSMsgType.TEXT:
                break
            if SENTINEL in frame.data and '"MESSAGE_CREATE"' in frame.data:
                channel = json.loads(frame.data)["d"]["channel_id"]
                async with http.post(f"{url}/api/v10/channels/{channel}/messages", json={"content": DONE},
                                     headers={"Authorization": f"Bot {token}"}) as response:
                    response.raise_for_status()


class Bare(discord.Client):
    """Heartbeat's intents and nothing else: the cost of discord.py itself."""

    async def on_message(self, message: discord.Message) -> None:
        if message.content == SENTINEL:
            await message.channel.send(DONE)


async def heartbeat(bot: Heartbeat, token: str) -> None:
    """Run the bot until SIGTERM, then close it cleanly (as `python -m bot` does)."""
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    runner = asyncio.create_task(bot.start(token))
    await asyncio.wait({runner, asyncio.create_task(stop.wait())}, return_when=asyncio.FIRST_COMPLETED)
    await bot.close()
    if runner.done():
        runner.result()


def main() -> None:
    """Run one kind of child until it is stopped."""
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=("sink", "bare", "heartbeat"))
    parser.add_argument("--start", type=datetime.fromisoformat)
    parser.add_argument("--epoch", type=float)
    parser.add_argument("--speed", type=float, default=1.0)
    args = parser.parse_args()
    settings = load_settings()
    token = require_token(settings)
    assert settings.discord_url, "HEARTBEAT_DISCORD_URL must point at the stand-in"
    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
    use_discord_at(settings.discord_url)
    if args.kind == "sink":
        asyncio.run(sink(settings.discord_url, token))
    elif args.kind == "bare":
        Bare(intents=intents()).run(token, log_handler=None)
    else:
        # The bot's clock shows args.start at the real instant args.epoch, and runs at args.speed from there.
        start = args.start + (datetime.now(UTC) - datetime.fromtimestamp(args.epoch, UTC)) * args.speed
        asyncio.run(heartbeat(Heartbeat(settings, identify_delay=0, guild_ready_timeout=0.01,
                                        clock=Clock(start, speed=args.speed)), token))


if __name__ == "__main__":
    main()
