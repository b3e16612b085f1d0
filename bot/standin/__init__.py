"""A local Discord stand-in the real bot talks to over real sockets: used by the tests and `demo`."""

from bot.standin.model import Channel, Guild, Member, Message, Overwrite, Role, User
from bot.standin.permissions import CommandNotShown
from bot.standin.server import InteractionFailed, InteractionRecord, RecordedRequest, Reply, StandIn

__all__ = ["Channel", "CommandNotShown", "Guild", "InteractionFailed", "InteractionRecord", "Member", "Message",
           "Overwrite", "RecordedRequest", "Reply", "Role", "StandIn", "User"]
