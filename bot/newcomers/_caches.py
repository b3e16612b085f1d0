"""What the newcomer desk keeps in memory: newcomers' recent posts, with a bound."""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Hashable
from datetime import datetime, timedelta

#: A newcomer's post as the repeat check sees it: (channel, fingerprint of the text, when).
Post = tuple[int, str, datetime]


class RecentPosts:
    """Each member's last posts, forgotten once they are older than `window` (nothing that old can count).

    At most `per_member` posts per member and `members` members are kept; past that, the member who posted
    least recently is forgotten first.
    """

    def __init__(self, window: timedelta, *, per_member: int = 50, members: int = 10_000) -> None:
        self._window = window
        self._per_member = per_member
        self._members = members
        # Kept in the order members last posted, so the stale ones are at the front.
        self._posts: OrderedDict[Hashable, deque[Post]] = OrderedDict()

    def add(self, key: Hashable, post: Post) -> list[Post]:
        """Remember a member's post; their recent posts, this one last."""
        self._forget_older_than(post[2] - self._window)
        posts = self._posts.pop(key, None) or deque(maxlen=self._per_member)
        posts.append(post)
        self._posts[key] = posts
        if len(self._posts) > self._members:
            self._posts.popitem(last=False)
        return list(posts)

    def _forget_older_than(self, cutoff: datetime) -> None:
        while self._posts:
            key, posts = next(iter(self._posts.items()))
            if posts[-1][2] >= cutoff:
                return
            del self._posts[key]

    def __len__(self) -> int:
        return len(self._posts)
