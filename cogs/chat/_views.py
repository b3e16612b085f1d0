"""The buttons of `/chat delete`: the host who asked confirms or keeps the series."""

from __future__ import annotations

import contextlib

import discord

from bot.access import check_host
from bot.client import Heartbeat
from bot.domain.errors import UserError
from bot.errors import report
from bot.storage import Series


class ConfirmDelete(discord.ui.View):
    """Delete / Cancel buttons that only the host who asked can press."""

    def __init__(self, bot: Heartbeat, series: Series, asked: discord.Interaction) -> None:
        super().__init__(timeout=120)
        self.bot, self.series, self.asked = bot, series, asked
        self.host_id = asked.user.id

    async def on_timeout(self) -> None:
        # Dead buttons would answer "This interaction failed"; say what happened instead.
        with contextlib.suppress(discord.HTTPException):
            await self.asked.edit_original_response(content=f"Kept **{self.series.name}** (no answer in time).",
                                                    view=None)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.host_id:
            raise UserError("Only the host who asked to delete this series can confirm it.")
        return await check_host(interaction)  # still a host when pressing: a role can be taken away meanwhile

    async def on_error(self, interaction: discord.Interaction, error: Exception,
                       item: discord.ui.Item[ConfirmDelete]) -> None:
        await report(interaction, error)

    @discord.ui.button(label="Delete", style=discord.ButtonStyle.danger, custom_id="chat-delete-confirm")
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button[ConfirmDelete]) -> None:
        # Retiring the series cancels its Discord events: answer the click first (Discord allows 3 s).
        await interaction.response.defer()
        await self.bot.chats.scheduling.retire_series(self.series)
        await self.bot.storage.series.delete(self.series.id)
        self.stop()
        await interaction.edit_original_response(
            content=f"Deleted **{self.series.name}**. Transcripts of past sessions are kept.", view=None)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary, custom_id="chat-delete-cancel")
    async def cancel(self, interaction: discord.Interaction, button: discord.ui.Button[ConfirmDelete]) -> None:
        self.stop()
        await interaction.response.edit_message(content=f"Kept **{self.series.name}**.", view=None)
