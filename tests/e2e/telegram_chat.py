"""A chat with the real gateway over the fake Bot API, and what the stores keep of it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.telegram.pseudonyms import Pseudonyms, load_key
from tests.e2e.fake_telegram import Call, FakeBotApi, TelegramUser
from tools.servers import Servers


class Telegram:
    """A running gateway with its fake Bot API, for one test module."""

    def __init__(self, api: FakeBotApi, state: Path, log: Path) -> None:
        self.api, self.state, self.log = api, state, log
        self._chats = iter(range(500_000_001, 600_000_000, 7))

    def user(self, language_code: str | None = "en") -> TelegramUser:
        return TelegramUser(self.api, next(self._chats), language_code)

    def sender(self, user: TelegramUser) -> str:
        return Pseudonyms(load_key(self.state / "pseudonym.key")).sender(user.chat_id)


def texts(calls: list[Call]) -> str:
    return "\n".join(c.text for c in calls)


def callbacks(calls: list[Call]) -> list[str]:
    return [b["callback_data"] for c in calls for b in c.buttons if "callback_data" in b]


def tracker_events(servers: Servers, sender: str) -> int:
    with sqlite3.connect(servers.tracker_db) as db:  # type: ignore[arg-type]
        return int(db.execute("SELECT count(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[0])
