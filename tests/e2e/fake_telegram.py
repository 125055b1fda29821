"""A local stand-in for Telegram's Bot API, for driving the real gateway in tests.

python-telegram-bot is pointed at it through its base URL setting. It records
every API call (sendMessage, answerCallbackQuery, ...), serves injected updates
to getUpdates (long polling), and answers like Telegram does, so whole
conversations run through the gateway, Rasa and the action server unchanged.
It also keeps what the bot's messages in each chat say now (after edits and
deletions), with Telegram's rule that a message can be deleted for 48 hours.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

BOT_USER = {
    "id": 4242,
    "is_bot": True,
    "first_name": "Lotse",
    "username": "lotse_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
TOKEN = "4242:TEST-token"
DELETABLE_S = 48 * 3600
# Telegram marks "/word" (Latin letters, digits, _) at the start of a message as a command; "/привет" is text.
COMMAND = re.compile(r"/[A-Za-z0-9_]{1,64}(@[A-Za-z0-9_]+)?")


@dataclass(frozen=True)
class Call:
    """One Bot API request the gateway made."""

    method: str
    params: dict[str, Any]
    index: int

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def buttons(self) -> list[dict[str, Any]]:
        markup = self.params.get("reply_markup") or {}
        return [button for row in markup.get("inline_keyboard", []) for button in row]


class JsonHandler(BaseHTTPRequestHandler):
    """A request handler that answers JSON and keeps the test output quiet."""

    def send_json(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up waiting
            self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


def serve(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    """An HTTP server on a free local port, running in a daemon thread; call shutdown() when done."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class ApiError(Exception):
    """A refused Bot API call, answered with Telegram's status and description."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status, self.description = status, description


@dataclass
class Posted:
    """One of the bot's messages as the chat shows it now."""

    text: str
    sent_at: float


def _value(raw: str) -> Any:
    """Bot API form values: JSON for objects and lists, numbers and booleans as such, text as text."""
    if raw[:1] in "{[":
        return json.loads(raw)
    if re.fullmatch(r"-?\d+", raw):
        return int(raw)
    return {"true": True, "false": False}.get(raw, raw)


@dataclass
class FakeBotApi:
    """The server; use as a context manager. `url` is what the gateway's LOTSE_TELEGRAM_API_URL gets."""

    calls: list[Call] = field(default_factory=list)
    # group chat id -> user ids that are members (getChatMember)
    members: dict[int, set[int]] = field(default_factory=dict)
    # chat ids where sending, editing and deleting fail, as when the bot was removed from a group
    unreachable: set[int] = field(default_factory=set)
    # chat id -> message id -> the bot's message as shown now (deleteMessage removes it, editMessageText changes it)
    chats: dict[int, dict[int, Posted]] = field(default_factory=dict)
    _hours_passed: float = 0.0
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _changed: threading.Condition = field(default_factory=threading.Condition)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1000))
    _closing: bool = False

    def __enter__(self) -> FakeBotApi:
        api = self

        class Handler(JsonHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                self._answer()

            def do_GET(self) -> None:  # noqa: N802
                self._answer()

            def _answer(self) -> None:
                match = re.fullmatch(r"/bot([^/]+)/(\w+)", self.path.split("?")[0])
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    params = json.loads(body or "{}")
                else:
                    params = {k: _value(v) for k, v in parse_qsl(body)}
                try:
                    if not match or match.group(1) != TOKEN:
                        raise ApiError(404, "Not Found")
                    self.send_json(200, {"ok": True, "result": api._handle(match.group(2), params)})
                except ApiError as error:
                    self.send_json(
                        error.status, {"ok": False, "error_code": error.status, "description": error.description}
                    )

        self._server = serve(Handler)
        return self

    def __exit__(self, *exc: object) -> None:
        with self._changed:
            self._closing = True
            self._changed.notify_all()
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- the Bot API --------------------------------------------------------------------------

    def _handle(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getUpdates":
            return self._get_updates(params)
        with self._changed:
            self.calls.append(Call(method, params, len(self.calls)))
            self._changed.notify_all()
        if method == "getMe":
            return BOT_USER
        if method == "getChatMember":
            user_id = int(params["user_id"])
            member = user_id in self.members.get(int(params["chat_id"]), set())
            return {
                "status": "member" if member else "left",
                "user": {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"},
            }
        if method in ("sendMessage", "editMessageText", "deleteMessage"):
            return self._message_method(method, params)
        return True

    def _message_method(self, method: str, params: dict[str, Any]) -> Any:
        chat_id = int(params["chat_id"])
        if chat_id in self.unreachable:
            raise ApiError(400, "Bad Request: chat not found")
        with self._changed:
            chat = self.chats.setdefault(chat_id, {})
            if method == "sendMessage":
                message_id = next(self._ids)
                chat[message_id] = Posted(str(params.get("text", "")), self._now())
                return self._message(chat_id, message_id, chat[message_id].text)
            message_id = int(params["message_id"])
            posted = chat.get(message_id)
            if posted is None:
                raise ApiError(
                    400, f"Bad Request: message to {'edit' if method == 'editMessageText' else 'delete'} not found"
                )
            if method == "editMessageText":
                posted.text = str(params.get("text", ""))
                return self._message(chat_id, message_id, posted.text)
            if self._now() - posted.sent_at >= DELETABLE_S:
                raise ApiError(400, "Bad Request: message can't be deleted for everyone")
            del chat[message_id]
            return True

    @staticmethod
    def _message(chat_id: int, message_id: int, text: str) -> dict[str, Any]:
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "from": BOT_USER,
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "text": text,
        }

    def _now(self) -> float:
        return time.time() + self._hours_passed * 3600

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 5.0)
        with self._changed:
            while True:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                if self._updates or self._closing or time.monotonic() >= deadline:
                    return list(self._updates)
                self._changed.wait(max(0.0, deadline - time.monotonic()))

    # -- test side ----------------------------------------------------------------------------

    def inject(self, update: dict[str, Any]) -> None:
        """Make an update available to getUpdates (long polling)."""
        with self._changed:
            self._updates.append(update)
            self._changed.notify_all()

    def pass_time(self, hours: float) -> None:
        """Let time pass for the messages already sent (Telegram deletes messages younger than 48 hours only)."""
        with self._changed:
            self._hours_passed += hours

    def shown(self, chat_id: int) -> list[str]:
        """The texts of the bot's messages that a chat shows now, oldest first."""
        with self._changed:
            return [posted.text for _, posted in sorted(self.chats.get(chat_id, {}).items())]

    def mark(self) -> int:
        """Position in the call log; `calls_since(mark)` returns what came after."""
        with self._changed:
            return len(self.calls)

    def calls_since(self, mark: int, method: str | None = None) -> list[Call]:
        with self._changed:
            return [c for c in self.calls[mark:] if method is None or c.method == method]

    def wait_for(self, mark: int, predicate: Any, timeout: float = 40.0, quiet: float = 0.0) -> list[Call]:
        """Wait until a call after `mark` matches `predicate`, then until no call came for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not any(predicate(c) for c in self.calls[mark:]):
                if time.monotonic() >= deadline:
                    raise TimeoutError(f"no matching Bot API call; calls since: {self.calls[mark:]}")
                self._changed.wait(0.1)
            while quiet:
                seen = len(self.calls)
                self._changed.wait(quiet)
                if len(self.calls) == seen:
                    break
            return list(self.calls[mark:])


class TelegramUser:
    """A person in a private chat with the bot; builds updates the way Telegram does."""

    _update_ids = itertools.count(1)
    _message_ids = itertools.count(1)

    def __init__(self, api: FakeBotApi, chat_id: int, language_code: str | None = "en") -> None:
        self.api = api
        self.chat_id = chat_id
        self.language_code = language_code

    def next_update_id(self) -> int:
        """Update ids rise across all users, as getUpdates' offset needs."""
        return next(self._update_ids)

    @property
    def user(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.chat_id, "is_bot": False, "first_name": "Test"}
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def message_update(self, text: str | None = None, **content: Any) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": self.chat_id, "type": "private", "first_name": "Test"},
            "from": self.user,
            **content,
        }
        if text is not None:
            message["text"] = text
            command = COMMAND.match(text)
            if command:
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": command.end()}]
        return {"update_id": self.next_update_id(), "message": message}

    def callback_update(self, data: str, message_id: int = 1) -> dict[str, Any]:
        update_id = self.next_update_id()
        return {
            "update_id": update_id,
            "callback_query": {
                "id": f"cb{update_id}",
                "from": self.user,
                "chat_instance": "ci",
                "data": data,
                "message": {
                    "message_id": message_id,
                    "date": int(time.time()),
                    "from": BOT_USER,
                    "chat": {"id": self.chat_id, "type": "private"},
                    "text": "…",
                },
            },
        }

    def _replies(self, update: dict[str, Any]) -> list[Call]:
        mark = self.api.mark()
        self.api.inject(update)
        calls = self.api.wait_for(mark, lambda c: c.method == "sendMessage" and c.chat_id == self.chat_id, quiet=0.7)
        return [c for c in calls if c.method == "sendMessage" and c.chat_id == self.chat_id]

    def say(self, text: str) -> list[Call]:
        """Send a text message; returns the bot's messages to this chat."""
        return self._replies(self.message_update(text))

    def send(self, **content: Any) -> list[Call]:
        """Send a non-text message (photo=..., sticker=...)."""
        return self._replies(self.message_update(**content))

    def press(self, data: str) -> list[Call]:
        """Press an inline button; returns the bot's messages to this chat."""
        return self._replies(self.callback_update(data))
