"""Chat ids never reach Rasa's tracker store or the logs in the clear.

Rasa sees a keyed hash of the chat id as sender id, logs see a shorter one. The
key lives in the data folder (created on first start, readable by the owner
only), so the pseudonyms are stable across restarts but cannot be recomputed
from a chat id by someone who only has the database.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from core.secret_file import secret_from_file

SENDER_PREFIX = "tg-"


def load_key(path: Path) -> bytes:
    """The pseudonym key, created once with owner-only permissions."""
    return bytes.fromhex(secret_from_file(path))


class Pseudonyms:
    """Stable, keyed pseudonyms for Telegram chat ids."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _digest(self, purpose: str, chat_id: int) -> str:
        return hmac.new(self._key, f"{purpose}:{chat_id}".encode(), hashlib.sha256).hexdigest()

    def sender(self, chat_id: int) -> str:
        """The sender id under which Rasa keeps this chat's conversation."""
        return SENDER_PREFIX + self._digest("sender", chat_id)[:32]

    def for_log(self, chat_id: int) -> str:
        """A short id that lets an operator follow one chat through the logs, and nothing more."""
        return self._digest("log", chat_id)[:10]
