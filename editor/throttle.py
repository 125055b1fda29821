"""Sign-in attempts per client address: after MAX_ATTEMPTS wrong codes in WINDOW_SECONDS, wait.

Access codes are long random strings, so guessing one is hopeless anyway; the
limit keeps a script from spending the editor's CPU on scrypt and keeps the
log readable. Every attempt counts from the moment it starts and is forgiven
only when its code proves right, so a burst of parallel guesses gets no more
tries than a patient one. An IPv6 client counts per /64 network, which one
connection usually owns whole. Kept in memory: a restart forgets it, and at
most MAX_ADDRESSES are remembered, the longest unused going first.
"""

from __future__ import annotations

import ipaddress

MAX_ATTEMPTS = 5
WINDOW_SECONDS = 15 * 60
MAX_ADDRESSES = 10_000


def _counted_as(address: str) -> str:
    """The unit attempts are counted for: the address itself, or its /64 network for IPv6."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False)) if parsed.version == 6 else address


class SignInThrottle:
    """The attempts of the last WINDOW_SECONDS per address; times are monotonic seconds given by the caller."""

    def __init__(self) -> None:
        self._attempts: dict[str, list[float]] = {}

    def attempt(self, address: str, now: float) -> float:
        """Count a sign-in attempt and return 0, or return how many seconds to wait (not counted)."""
        unit = _counted_as(address)
        recent = [time for time in self._attempts.pop(unit, []) if now - time < WINDOW_SECONDS]
        wait = WINDOW_SECONDS - (now - recent[0]) if len(recent) >= MAX_ATTEMPTS else 0.0
        if not wait:
            recent.append(now)
        if len(self._attempts) >= MAX_ADDRESSES:
            del self._attempts[next(iter(self._attempts))]
        self._attempts[unit] = recent  # re-inserted: the dictionary's order is the order of last use
        return wait

    def forgive(self, address: str) -> None:
        """The latest attempt from this address was right: it does not count."""
        recent = self._attempts.get(_counted_as(address))
        if recent:
            recent.pop()
