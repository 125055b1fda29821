"""Telegram's side of a webhook, for the end-to-end tests: it POSTs updates to the bot until the bot takes them.

The gateway's delivery guarantee (at least once, deduplicated by update id) only holds against a sender
that behaves like Telegram, so this one does what Telegram documents and does: one chat's updates go out
one at a time in update_id order (the next only after the previous one was answered with a 2xx), different
chats concurrently up to `max_connections` (Telegram's default is 40), every update carries the
X-Telegram-Bot-Api-Secret-Token header, and anything but a 2xx (an error status, a timeout, a broken
connection) is retried after a growing pause until a deadline, after which the update is given up.
Every attempt is recorded, so a test can tell which faults cost retries and which update was dropped.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def chat_of(update: dict[str, Any]) -> int:
    """The chat an update belongs to: Telegram orders deliveries per chat."""
    if "callback_query" in update:
        return int(update["callback_query"]["message"]["chat"]["id"])
    return int(update["message"]["chat"]["id"])


@dataclass(frozen=True)
class Attempt:
    """One POST of an update; `status` None means no HTTP answer (timeout or broken connection, see `error`)."""

    update_id: int
    chat_id: int
    started: float  # time.monotonic()
    finished: float
    status: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class Delivery:
    """What became of one update: `pending` until a 2xx (`delivered`) or the deadline (`given_up`)."""

    update_id: int
    chat_id: int
    queued: float  # time.monotonic() when push() was called
    outcome: str = "pending"
    done: float | None = None
    attempts: int = 0


@dataclass
class _Chat:
    """One chat's queue and the thread that empties it in order."""

    updates: queue.Queue[dict[str, Any]] = field(default_factory=queue.Queue)
    thread: threading.Thread | None = None


class WebhookPusher:
    """Delivers updates to `url` like Telegram; use as a context manager.

    `timeout`: how long one attempt may wait for the answer; `deadline`: how long after its first attempt an
    update is retried before it is given up; the pause between attempts starts at `first_backoff` and
    doubles up to `max_backoff`.
    """

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        max_connections: int = 40,
        timeout: float = 60.0,
        deadline: float = 120.0,
        first_backoff: float = 0.5,
        max_backoff: float = 4.0,
    ) -> None:
        self.url, self.secret = url, secret
        self.timeout, self.deadline = timeout, deadline
        self.first_backoff, self.max_backoff = first_backoff, max_backoff
        self._connections = threading.Semaphore(max_connections)
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        )
        self._chats: dict[int, _Chat] = {}
        self._lock = threading.Condition()
        self._closing = threading.Event()
        self._in_flight = 0
        self.attempts: list[Attempt] = []
        self.deliveries: dict[int, Delivery] = {}

    def __enter__(self) -> WebhookPusher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop retrying; updates still queued stay `pending`."""
        self._closing.set()
        with self._lock:
            self._lock.notify_all()
            threads = [chat.thread for chat in self._chats.values() if chat.thread]
        for thread in threads:
            thread.join(timeout=self.timeout + 5)
        self._client.close()

    # -- the sender's side --------------------------------------------------------------------------

    def push(self, update: dict[str, Any]) -> Delivery:
        """Queue an update for delivery behind the earlier updates of its chat."""
        chat_id = chat_of(update)
        delivery = Delivery(int(update["update_id"]), chat_id, time.monotonic())
        with self._lock:
            self.deliveries[delivery.update_id] = delivery
            chat = self._chats.setdefault(chat_id, _Chat())
            chat.updates.put(update)
            if chat.thread is None:
                chat.thread = threading.Thread(target=self._drain, args=(chat,), daemon=True, name=f"chat {chat_id}")
                chat.thread.start()
        return delivery

    def wait_idle(self, timeout: float) -> bool:
        """True once no update is pending (all delivered or given up) within `timeout` seconds."""
        end = time.monotonic() + timeout
        with self._lock:
            while any(d.outcome == "pending" for d in self.deliveries.values()):
                if time.monotonic() >= end:
                    return False
                self._lock.wait(0.5)
            return True

    def in_flight(self) -> int:
        """Attempts waiting for the bot's answer right now."""
        with self._lock:
            return self._in_flight

    def given_up(self) -> list[Delivery]:
        with self._lock:
            return [d for d in self.deliveries.values() if d.outcome == "given_up"]

    # -- Telegram's side ----------------------------------------------------------------------------

    def _drain(self, chat: _Chat) -> None:
        while not self._closing.is_set():
            try:
                update = chat.updates.get(timeout=0.2)
            except queue.Empty:
                continue
            self._deliver(update)

    def _deliver(self, update: dict[str, Any]) -> None:
        body = json.dumps(update).encode()
        headers = {"Content-Type": "application/json", SECRET_HEADER: self.secret}
        delivery = self.deliveries[int(update["update_id"])]
        first = time.monotonic()
        pause = self.first_backoff
        while True:
            attempt = self._attempt(delivery, body, headers)
            with self._lock:
                self.attempts.append(attempt)
                delivery.attempts += 1
                if attempt.ok:
                    delivery.outcome, delivery.done = "delivered", attempt.finished
                elif attempt.finished + pause - first > self.deadline:
                    delivery.outcome, delivery.done = "given_up", attempt.finished
                self._lock.notify_all()
                if delivery.outcome != "pending" or self._closing.is_set():
                    return
            if self._closing.wait(pause):
                return
            pause = min(pause * 2, self.max_backoff)

    def _attempt(self, delivery: Delivery, body: bytes, headers: dict[str, str]) -> Attempt:
        with self._connections:
            with self._lock:
                self._in_flight += 1
            started = time.monotonic()
            status: int | None = None
            error: str | None = None
            try:
                status = self._client.post(self.url, content=body, headers=headers).status_code
            except httpx.HTTPError as failure:
                error = type(failure).__name__
            finally:
                with self._lock:
                    self._in_flight -= 1
            return Attempt(delivery.update_id, delivery.chat_id, started, time.monotonic(), status, error)
