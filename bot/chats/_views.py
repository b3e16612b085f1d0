"""The chat's two persistent buttons: "I'm here" on an opening post and "Notify me" on a reminder."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from bot.domain.errors import UserError
from bot.errors import answering

if TYPE_CHECKING:
    from bot.client import Heartbeat

CHECKIN_PREFIX = "checkin:"


class CheckIn(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"checkin:(?P<session>[0-9]+)"):
    """The "I'm here" button on an opening post; its id carries the session, so it works after a restart."""

    def __init__(self, session_id: int) -> None:
        super().__init__(discord.ui.Button(label="I'm here", emoji="👋", style=discord.ButtonStyle.primary,
                                           custom_id=f"{CHECKIN_PREFIX}{session_id}"))
        self.session_id = session_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: Any) -> CheckIn:
        return cls(int(match["session"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await answering(interaction, lambda: self._pressed(interaction))

    async def _pressed(self, interaction: discord.Interaction) -> None:
        bot: Heartbeat = interaction.client  # type: ignore[assignment]
        answer = await bot.chats.capture.check_in(self.session_id, interaction.user, interaction.guild_id)
        await interaction.response.send_message(answer, ephemeral=True)


class NotifyMe(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"notify:(?P<guild>[0-9]+)"):
    """The "Notify me" button on a reminder: toggles the server's opt-in notify role, also after a restart."""

    def __init__(self, guild_id: int) -> None:
        super().__init__(discord.ui.Button(label="Notify me", emoji="🔔", style=discord.ButtonStyle.secondary,
                                           custom_id=f"notify:{guild_id}"))
        self.guild_id = guild_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: Any) -> NotifyMe:
        return cls(int(match["guild"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await answering(interaction, lambda: self._pressed(interaction))

    async def _pressed(self, interaction: discord.Interaction) -> None:
        bot: Heartbeat = interaction.client  # type: ignore[assignment]
        if interaction.guild_id != self.guild_id:  # an id copied or forged from another server's reminder
            raise UserError("This button belongs to another server's reminder.")
        await interaction.response.send_message(await bot.chats.promotion.toggle_notify(interaction.user),
                                                ephemeral=True)
