"""A per-chat sliding-window limit, so one flooding chat cannot slow the bot down for everyone."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Verdict:
    """`allowed`: handle the message. `notify`: first refusal in this window, tell the user once."""

    allowed: bool
    notify: bool = False


@dataclass
class RateLimiter:
    """At most `limit` messages per `window_s` seconds per key."""

    limit: int
    window_s: float = 60.0
    clock: Callable[[], float] = time.monotonic
    max_keys: int = 10_000  # chats remembered before quiet ones are dropped
    _seen: dict[object, deque[float]] = field(default_factory=dict)
    _notified: dict[object, float] = field(default_factory=dict)

    def check(self, key: object) -> Verdict:
        now = self.clock()
        if len(self._seen) > self.max_keys:
            self._prune(now)
        times = self._seen.setdefault(key, deque())
        while times and now - times[0] >= self.window_s:
            times.popleft()
        if len(times) < self.limit:
            times.append(now)
            self._notified.pop(key, None)
            return Verdict(True)
        first_refusal = key not in self._notified
        if first_refusal:
            self._notified[key] = now
        return Verdict(False, notify=first_refusal)

    def forget(self, key: object) -> None:
        """Drop what is kept about a chat (used by /delete)."""
        self._seen.pop(key, None)
        self._notified.pop(key, None)

    def _prune(self, now: float) -> None:
        for key in [k for k, times in self._seen.items() if not times or now - times[-1] >= self.window_s]:
            self.forget(key)
