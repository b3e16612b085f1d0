"""Thin discord.py cogs: parse the interaction, call domain or storage, reply."""
