"""Autocomplete shared by several commands."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.domain.schedule import suggest_zones


async def zone_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """IANA time zones matching what the user has typed so far."""
    return [app_commands.Choice(name=name, value=name) for name in suggest_zones(current)]
