"""Heartbeat: a Discord bot that hosts weekly hashtag chats."""

__version__ = "0.2.0"  # as pyproject.toml says (tests/test_cli.py checks)
