"""History: bringing a community's past in. PastMessages (from a DiscordChatExporter file, or from Discord's own
history) are read channel by channel, oldest first; the chats in them are found from their "Q1:", "Q2:" … posts
(`_finding`), and the same ledger rows the live bot writes are written (`_importer`); then the past months are
closed so progression reports cover them.

Public:
- `Importer.start(storage, guild_id, default_zone=…)`, then per channel `importer.channel(channel_id, parent_id)`:
  `await feed.add(messages)` as many times as there are pages, `await feed.end()`; `feed.cursor` is where a
  resumed import starts again. `await importer.finish(now)` records the posters and closes the months.
- `read_export(stream, name)`: a DCE export's header and its messages; `BadExport` for a file that is not one.
- `DiscordImports` (`_discord`): `/progression import`, read back from Discord page by page and resumed after a
  restart.
"""

from bot.history._dce import BadExport, ExportHeader, read_export
from bot.history._discord import DiscordImports
from bot.history._finding import ChatFinder, FoundChat, Outside, Slot
from bot.history._importer import ChannelImport, Importer, Summary, close_months

__all__ = ["BadExport", "ChannelImport", "ChatFinder", "DiscordImports", "ExportHeader", "FoundChat", "Importer",
           "Outside", "Slot", "Summary", "close_months", "read_export"]
