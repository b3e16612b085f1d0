"""`/welcome`: the welcome new members get, previewed before it is saved, and whether it also goes by DM."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import check_admin
from bot.client import Heartbeat
from bot.domain.newcomers import DEFAULT_WELCOME, PLACEHOLDERS, check_template

PLACEHOLDER_HELP = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Welcome(commands.GroupCog, group_name="welcome", group_description="How Heartbeat welcomes new members"):
    """Admin commands, checked on the server side by interaction_check."""

    def __init__(self, bot: Heartbeat) -> None:
        self.bot = bot
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:  # type: ignore[override]
        return await check_admin(interaction)

    async def _show(self, interaction: discord.Interaction, template: str | None, note: str) -> None:
        assert interaction.guild_id is not None
        text = await self.bot.newcomers.welcome_text(interaction.guild_id, template, interaction.user.mention)
        await interaction.response.send_message(f"{note}\n\n{text}", ephemeral=True)

    @app_commands.command(name="preview", description="See the welcome as a new member would (yours, or a draft)")
    @app_commands.describe(template=f"A draft to try without saving; placeholders: {PLACEHOLDER_HELP}")
    async def preview(self, interaction: discord.Interaction, template: str | None = None) -> None:
        assert interaction.guild_id is not None
        if template is not None:
            await self._show(interaction, check_template(template), "A draft (not saved):")
            return
        config = await self.bot.storage.welcomes.config(interaction.guild_id)
        where = "the welcome channel" + (" and by DM" if config.dm else "")
        await self._show(interaction, config.template, f"New members get this in {where}:")

    @app_commands.command(name="set", description="Change the welcome new members get")
    @app_commands.describe(template=f"Up to 500 characters; placeholders: {PLACEHOLDER_HELP}")
    async def set_template(self, interaction: discord.Interaction, template: str) -> None:
        assert interaction.guild_id is not None
        checked = check_template(template)
        await self.bot.storage.welcomes.update_config(interaction.guild_id, template=checked,
                                                      updated_by=interaction.user.id, now=self.bot.clock())
        await self._show(interaction, checked, "Saved. New members will get:")

    @app_commands.command(name="reset", description="Go back to the built-in welcome")
    async def reset(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        await self.bot.storage.welcomes.update_config(interaction.guild_id, template=None,
                                                      updated_by=interaction.user.id, now=self.bot.clock())
        await self._show(interaction, DEFAULT_WELCOME, "Back to the built-in welcome:")

    @app_commands.command(name="dm", description="Also send the welcome by direct message (not during a join burst)")
    @app_commands.describe(enabled="True to send welcomes by DM as well")
    async def dm(self, interaction: discord.Interaction, enabled: bool) -> None:
        assert interaction.guild_id is not None
        await self.bot.storage.welcomes.update_config(interaction.guild_id, dm=int(enabled),
                                                      updated_by=interaction.user.id, now=self.bot.clock())
        state = "also get it by direct message" if enabled else "get it only in the welcome channel"
        await interaction.response.send_message(f"New members will {state}.", ephemeral=True)

    @app_commands.command(name="helpers", description="Ping the helper role when first-time chatters are greeted")
    @app_commands.describe(ping="True to ping the helper role in the greeting")
    async def helpers(self, interaction: discord.Interaction, ping: bool) -> None:
        assert interaction.guild_id is not None
        await self.bot.storage.welcomes.update_config(interaction.guild_id, ping_helpers=int(ping),
                                                      updated_by=interaction.user.id, now=self.bot.clock())
        state = "will ping" if ping else "won't ping"
        await interaction.response.send_message(
            f"Greetings for first-time chatters {state} the helper role (set it with `/config role kind:helper`).",
            ephemeral=True)


async def setup(bot: Heartbeat) -> None:
    await bot.add_cog(Welcome(bot))
