"""Who counts as a host or a moderator on a server, from their permissions and roles."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass


@dataclass(frozen=True)
class MemberAccess:
    """The facts about a member that decide what they may do: permissions as Discord computed them, roles."""

    administrator: bool
    manage_guild: bool
    manage_events: bool
    moderate_members: bool
    role_ids: Collection[int]


def is_admin(member: MemberAccess) -> bool:
    """Server configuration is for those who can manage the server."""
    return member.administrator or member.manage_guild


def is_host(member: MemberAccess, host_role_id: int | None) -> bool:
    """A host has Manage Events, or the server's host role (admins always qualify)."""
    return (member.administrator or member.manage_events
            or (host_role_id is not None and host_role_id in member.role_ids))


def is_moderator(member: MemberAccess, moderator_role_id: int | None) -> bool:
    """A moderator has Moderate Members or Manage Server, or the server's moderator role."""
    return (member.administrator or member.moderate_members or member.manage_guild
            or (moderator_role_id is not None and moderator_role_id in member.role_ids))
