"""Each update handled to the end once, each chat's updates one at a time, across every gateway replica.

The guarantee (docs/decisions/008-replicas.md): at least once, with deduplication by update id. In webhook
mode an update is acknowledged (HTTP 200) only after every reply to it was sent; a replica killed on the
way, or Rasa or the database unavailable, means no 200, so Telegram delivers the update again, to any
replica. A redelivery of a finished update is only acknowledged. Duplicates remain possible in one
window: an attempt that got Rasa's answer (so Rasa stored the turn) and was cut off before it recorded
the update as finished is answered again by the next attempt.

One chat at a time: a lock per chat, in this process (first come, first served) and, on PostgreSQL, an
advisory lock held by a database connection, which PostgreSQL releases by itself when the replica
holding it dies. On SQLite (one machine, one gateway) the process's lock is all there is.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections.abc import AsyncIterator, Awaitable
from enum import StrEnum
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.error import NetworkError
from telegram.ext import BaseUpdateProcessor

from core.metrics import UPDATE_SECONDS, UPDATES
from core.store.gateway_records import Delivery, GatewayStore

logger = logging.getLogger(__name__)

LOCK_POLL_S = 0.05  # how often a waiting update asks PostgreSQL for its chat's lock
# Updates handled at once by one replica (each waits mostly for Rasa). Each holds a PostgreSQL connection for its
# chat's lock: replicas x this must stay below the server's max_connections (100 by default).
MAX_CONCURRENT_UPDATES = 32
# The two-key advisory lock space does not overlap the one-key space the chats use.
HANDOVER_CHECKS_LOCK = (1, 1)


class Redeliver(Exception):
    """This attempt must not be acknowledged: Telegram is to deliver the update again (webhook mode)."""


# Failures after which a later attempt can succeed; any other exception is a bug, which a retry would repeat.
RETRYABLE = (Redeliver, SQLAlchemyError, NetworkError)


class Outcome(StrEnum):
    HANDLED = "handled"
    DUPLICATE = "duplicate"  # finished before: acknowledged, nothing done
    REDELIVER = "redeliver"  # not acknowledged: Telegram retries


class ChatLocks:
    """One chat's updates one at a time: in this process, and on PostgreSQL across processes."""

    def __init__(self, engine: Engine) -> None:
        self._shared = engine.dialect.name == "postgresql"
        # Connections of their own, one per update in flight (UpdateDelivery admits at most that many): a lock
        # waiting for a pooled connection would block the event loop.
        self._engine = (
            create_engine(engine.url, pool_size=MAX_CONCURRENT_UPDATES + 1, max_overflow=0, pool_pre_ping=True)
            if self._shared
            else engine  # not used: one process, its asyncio locks
        )
        self._local: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    @contextlib.asynccontextmanager
    async def hold(self, chat_id: int) -> AsyncIterator[None]:
        lock = self._local.get(chat_id)
        if lock is None:
            lock = self._local[chat_id] = asyncio.Lock()
        async with lock:
            if not self._shared:
                yield
                return
            async with self._advisory("pg_try_advisory_lock(:a)", "pg_advisory_unlock(:a)", {"a": chat_id}, True):
                yield

    @contextlib.asynccontextmanager
    async def once_across_replicas(self, key: tuple[int, int]) -> AsyncIterator[bool]:
        """True if this replica holds `key` for the block, False if another one does (then skip the work)."""
        if not self._shared:
            yield True
            return
        arguments = {"a": key[0], "b": key[1]}
        async with self._advisory(
            "pg_try_advisory_lock(:a, :b)", "pg_advisory_unlock(:a, :b)", arguments, False
        ) as got:
            yield got

    @contextlib.asynccontextmanager
    async def _advisory(self, take: str, release: str, arguments: dict[str, Any], wait: bool) -> AsyncIterator[bool]:
        """An advisory lock on a connection of its own, kept for the block: the lock lives as long as it does."""
        connection: Connection = self._engine.connect()
        got = False
        try:
            got = bool(connection.execute(text(f"SELECT {take}"), arguments).scalar())
            while wait and not got:
                await asyncio.sleep(LOCK_POLL_S)
                got = bool(connection.execute(text(f"SELECT {take}"), arguments).scalar())
            connection.commit()
            yield got
        finally:
            with contextlib.suppress(SQLAlchemyError):  # a dead connection's locks are gone with it
                if got:
                    connection.execute(text(f"SELECT {release}"), arguments)
                    connection.commit()
            connection.close()


class UpdateDelivery(BaseUpdateProcessor):
    """python-telegram-bot's update processor: every update passes `handle`, in polling and in webhook mode."""

    def __init__(self, store: GatewayStore, locks: ChatLocks) -> None:
        super().__init__(MAX_CONCURRENT_UPDATES)
        self.store = store
        self.locks = locks
        self._admitted = asyncio.Semaphore(MAX_CONCURRENT_UPDATES)  # webhook requests do not pass PTB's semaphore
        self._attempts: dict[int, Delivery] = {}  # updates being handled here, and what earlier attempts did
        self._failed: set[int] = set()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if isinstance(update, Update):
            await self.handle(update, coroutine)
        else:
            await coroutine

    async def initialize(self) -> None:
        """Nothing to set up: the store and the locks exist already."""

    async def shutdown(self) -> None:
        """Nothing to release: each lock ends with its update."""

    def attempt(self, update_id: int) -> Delivery:
        """What earlier deliveries of an update being handled did (a retry? was the person told to wait?)."""
        return self._attempts.get(update_id, Delivery())

    def failed(self, update_id: int) -> None:
        """A handler could not finish the update: it is not acknowledged (the gateway's error handler calls it)."""
        self._failed.add(update_id)

    async def handle(self, update: Update, coroutine: Awaitable[Any]) -> Outcome:
        """Run the update's handlers (`coroutine`) unless it was finished before; the outcome says whether to
        acknowledge it."""
        start = time.monotonic()
        chat_id = update.effective_chat.id if update.effective_chat else 0
        started = False
        try:
            async with self._admitted, self.locks.hold(chat_id):
                attempt = self.store.take(update.update_id)
                if attempt.done:
                    logger.info("update %s: handled before, acknowledged again", update.update_id)
                    return self._outcome(Outcome.DUPLICATE, start)
                self._attempts[update.update_id] = attempt
                try:
                    started = True
                    await coroutine
                finally:
                    self._attempts.pop(update.update_id, None)
                if update.update_id in self._failed:
                    self._failed.discard(update.update_id)
                    return self._outcome(Outcome.REDELIVER, start)
                self.store.finish(update.update_id)
        except SQLAlchemyError as error:  # the database is unavailable: another attempt later
            logger.warning("update %s not handled: %s", update.update_id, type(error).__name__)
            return self._outcome(Outcome.REDELIVER, start)
        finally:
            if not started and asyncio.iscoroutine(coroutine):
                coroutine.close()  # never awaited: no "coroutine was never awaited" warning
        return self._outcome(Outcome.HANDLED, start)

    @staticmethod
    def _outcome(outcome: Outcome, start: float) -> Outcome:
        UPDATES.labels(outcome).inc()
        if outcome == Outcome.HANDLED:
            UPDATE_SECONDS.observe(time.monotonic() - start)
        return outcome
