"""Heartbeat: a Discord bot that hosts weekly hashtag chats."""
