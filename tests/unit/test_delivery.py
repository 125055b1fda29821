"""Update delivery (bot/telegram/delivery.py): each update to the end once, one chat at a time, across replicas.

Two `ChatLocks` on one PostgreSQL database stand for two gateway replicas.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from telegram import Update

from bot.telegram.delivery import ChatLocks, Outcome, UpdateDelivery
from core.store.gateway_records import GatewayStore


def update(update_id: int, chat_id: int = 5) -> Update:
    message = {"message_id": 1, "date": 0, "chat": {"id": chat_id, "type": "private"}, "text": "hallo"}
    return Update.de_json({"update_id": update_id, "message": message}, None)  # type: ignore[arg-type]


async def noted(log: list[str], name: str, seconds: float = 0.0) -> None:
    log.append(f"{name} start")
    await asyncio.sleep(seconds)
    log.append(f"{name} end")


def test_an_update_is_handled_once_and_a_failed_one_again(database: Engine) -> None:
    delivery = UpdateDelivery(GatewayStore(database), ChatLocks(database))
    log: list[str] = []

    async def run() -> list[Outcome]:
        first = await delivery.handle(update(1), noted(log, "1"))
        again = await delivery.handle(update(1), noted(log, "1 again"))

        async def failing() -> None:
            delivery.failed(2)  # what the gateway's error handler does when Rasa is down

        failed = await delivery.handle(update(2), failing())
        retried = await delivery.handle(update(2), noted(log, "2 retried"))
        return [first, again, failed, retried]

    assert asyncio.run(run()) == [Outcome.HANDLED, Outcome.DUPLICATE, Outcome.REDELIVER, Outcome.HANDLED]
    assert log == ["1 start", "1 end", "2 retried start", "2 retried end"]


def test_one_chat_at_a_time_in_arrival_order_other_chats_beside_it(database: Engine) -> None:
    delivery = UpdateDelivery(GatewayStore(database), ChatLocks(database))
    log: list[str] = []

    async def run() -> None:
        await asyncio.gather(
            delivery.handle(update(11, chat_id=1), noted(log, "a1", 0.2)),
            delivery.handle(update(12, chat_id=1), noted(log, "a2")),
            delivery.handle(update(13, chat_id=2), noted(log, "b1")),
        )

    asyncio.run(run())
    assert log.index("a1 end") < log.index("a2 start")
    assert log.index("b1 end") < log.index("a1 end")  # another chat does not wait


def test_a_chat_held_by_one_replica_waits_and_a_dead_replica_s_lock_is_released(postgres: Engine) -> None:
    first, second = ChatLocks(postgres), ChatLocks(postgres)
    log: list[str] = []

    async def hold(locks: ChatLocks, name: str, seconds: float) -> None:
        async with locks.hold(77):
            await noted(log, name, seconds)

    async def run() -> None:
        await asyncio.gather(hold(first, "replica 1", 0.3), _after(0.05, hold(second, "replica 2", 0)))

    asyncio.run(run())
    assert log == ["replica 1 start", "replica 1 end", "replica 2 start", "replica 2 end"]

    async def dies() -> None:
        holder = first._engine.connect()  # a replica killed while it holds the chat: its connection closes
        holder.execute(text("SELECT pg_advisory_lock(77)"))
        with pytest.raises(TimeoutError):  # held: the other replica waits
            await asyncio.wait_for(hold(second, "while held", 0), timeout=0.5)
        holder.invalidate()  # the socket goes, as with kill -9
        await asyncio.wait_for(hold(second, "after the death", 0), timeout=5)

    asyncio.run(dies())
    assert log[-1] == "after the death end"


async def _after(seconds: float, coroutine: Any) -> None:
    await asyncio.sleep(seconds)
    await coroutine
