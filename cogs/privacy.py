"""`/privacy`: a member sees everything stored about them, stops (or resumes) being recorded, or is forgotten."""

from __future__ import annotations

import io
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import Heartbeat
from bot.domain.errors import UserError
from bot.domain.privacy import erased_summary
from bot.domain.uploads import note_left_out
from bot.errors import answering

Existing = Literal["keep", "erase"]
ERASE_LABELS = {"forget": "Forget me", "erase": "Erase what is stored"}


class Erase(discord.ui.DynamicItem[discord.ui.Button[Any]],
            template=r"privacy-(?P<action>forget|erase):(?P<guild>[0-9]+):(?P<user>[0-9]+)"):
    """The confirmation of a forget (or of erasing at opt-out): only the member it belongs to may press it, and the
    id says whose it is, so it works after a restart and a copied or forged one is refused."""

    def __init__(self, action: str, guild_id: int, user_id: int) -> None:
        super().__init__(discord.ui.Button(label=ERASE_LABELS[action], style=discord.ButtonStyle.danger,
                                           custom_id=f"privacy-{action}:{guild_id}:{user_id}"))
        self.action, self.guild_id, self.user_id = action, guild_id, user_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],  # type: ignore[override]
                             match: Any) -> Erase:
        return cls(match["action"], int(match["guild"]), int(match["user"]))

    async def callback(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        await answering(interaction, lambda: self._pressed(interaction))

    async def _pressed(self, interaction: discord.Interaction) -> None:
        # Checked here, not only by who saw the button: nobody erases someone else's data with a forged id.
        if interaction.guild_id != self.guild_id or interaction.user.id != self.user_id:
            raise UserError("Only the member whose data this is can erase it.")
        bot: Heartbeat = interaction.client  # type: ignore[assignment]
        await interaction.response.defer(ephemeral=True, thinking=True)
        counts = await bot.privacy.forget(self.guild_id, self.user_id, keep_optout=self.action == "erase")
        after = ("Nothing new is recorded about you until `/privacy optin`." if self.action == "erase"
                 else "If you take part again, you are recorded again: `/privacy optout` stops that.")
        await interaction.followup.send(f"Erased from this server's records: {erased_summary(counts)}. {after}",
                                        ephemeral=True)


@app_commands.guild_only()
class Privacy(commands.GroupCog, group_name="privacy", group_description="What Heartbeat stores about you, and your "
                                                                         "control of it"):
    """Every member's own data, in the server they ask in; nobody acts for anyone else here."""

    def __init__(self, bot: Heartbeat) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="export", description="Everything Heartbeat stores about you here, as a JSON file")
    async def export(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        fitted = await self.bot.privacy.export(interaction.guild_id, interaction.user.id)
        files = [discord.File(io.BytesIO(upload.data), filename=upload.filename) for upload in fitted.uploads]
        text = ("Everything Heartbeat stores about you in this server (ids are written as text). "
                "`/privacy optout` stops recording you; `/privacy forget` erases it.")
        await interaction.followup.send(note_left_out(text, fitted.left_out), files=files, ephemeral=True)

    @app_commands.command(name="optout", description="Stop being recorded here from now on")
    @app_commands.describe(existing="What to do with what is already stored: keep it, or erase it (asks first)")
    async def optout(self, interaction: discord.Interaction, existing: Existing = "keep") -> None:
        assert interaction.guild_id is not None
        fresh, _ = await self.bot.privacy.opt_out(interaction.guild_id, interaction.user.id, erase=False)
        said = ("From now on nothing new is recorded about you here: your messages, check-ins, reactions, thanks "
                "and greetings are not kept, and you appear in no report. `/privacy optin` undoes it."
                if fresh else "You had already opted out: nothing new is recorded about you here.")
        if existing == "keep":
            await interaction.response.send_message(f"{said} What was stored before is kept.", ephemeral=True)
            return
        view = discord.ui.View(timeout=None)
        view.add_item(Erase("erase", interaction.guild_id, interaction.user.id))
        await interaction.response.send_message(
            f"{said}\nTo erase what was stored before, press the button: it cannot be undone.", view=view,
            ephemeral=True)

    @app_commands.command(name="optin", description="Be recorded here again")
    async def optin(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        if not await self.bot.privacy.opt_in(interaction.guild_id, interaction.user.id):
            raise UserError("You had not opted out: Heartbeat records you as it does everyone here.")
        await interaction.response.send_message(
            "You are recorded again from now on: what you do here counts towards your progression.", ephemeral=True)

    @app_commands.command(name="forget", description="Erase everything Heartbeat stores about you here (asks first)")
    async def forget(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        view = discord.ui.View(timeout=None)
        view.add_item(Erase("forget", interaction.guild_id, interaction.user.id))
        await interaction.response.send_message(
            "This erases everything Heartbeat stores about you in this server: your messages in chats (shown as "
            "\"a member who was forgotten\" in transcripts), your activity, thanks, reactions, progression months "
            "and newcomer record. It cannot be undone. Press the button to go ahead, or dismiss this message.",
            view=view, ephemeral=True)


async def setup(bot: Heartbeat) -> None:
    bot.add_dynamic_items(Erase)
    await bot.add_cog(Privacy(bot))
