"""The gateway's shared records on SQLite and PostgreSQL: what lets any replica take a chat's next update."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.engine import Engine

from core.store.gateway_records import Delivery, GatewayStore, Proposal, RateWindow
from tools.retention import expire_chat_states


def test_an_update_is_new_then_unfinished_then_done(database: Engine) -> None:
    store = GatewayStore(database)
    assert store.take(41) == Delivery()
    assert store.take(41) == Delivery(retry=True)  # the first attempt was cut off
    store.notified(41)
    assert store.take(41) == Delivery(retry=True, notified=True)
    store.finish(41)
    assert store.take(41).done
    assert store.take(42) == Delivery()  # others are not affected


def test_the_rate_limit_counts_per_chat_and_notifies_once(database: Engine) -> None:
    store = GatewayStore(database)
    now = dt.datetime(2026, 12, 7, 12, 0, 5)
    verdicts = [store.count("chat-a", 3, now) for _ in range(5)]
    assert [v.allowed for v in verdicts] == [True, True, True, False, False]
    assert [v.notify for v in verdicts] == [False, False, False, True, False]
    assert store.count("chat-b", 3, now).allowed  # chats are limited separately
    assert store.count("chat-a", 3, now + dt.timedelta(seconds=61)).allowed  # a minute later


def test_the_rate_limit_counts_a_burst_across_a_minute_boundary(database: Engine) -> None:
    store = GatewayStore(database)
    start = dt.datetime(2026, 12, 7, 12, 0, 55)  # 23 messages in 10 s, 12 before 12:01 and 11 after
    verdicts = [store.count("chat-a", 20, start + dt.timedelta(seconds=i * 10 / 23)) for i in range(23)]
    assert [v.allowed for v in verdicts] == [True] * 20 + [False] * 3
    assert [v.notify for v in verdicts].count(True) == 1


def test_the_rate_limit_forgets_messages_older_than_a_minute(database: Engine) -> None:
    store = GatewayStore(database)
    start = dt.datetime(2026, 12, 7, 12, 0, 0)
    assert all(store.count("chat-a", 3, start + dt.timedelta(seconds=s)).allowed for s in (0, 20, 40))
    assert not store.count("chat-a", 3, start + dt.timedelta(seconds=50)).allowed  # 4 within 60 s
    # At 81 s the messages of 0 s and 20 s have left the window; the refused one of 50 s counts too (a flood).
    assert store.count("chat-a", 3, start + dt.timedelta(seconds=81)).allowed


def test_retention_deletes_only_the_slots_the_rate_limit_no_longer_sums(database: Engine) -> None:
    store = GatewayStore(database)
    start = dt.datetime(2026, 12, 7, 12, 0, 0)
    long_ago = start - dt.timedelta(days=30)
    for _ in range(3):
        store.count("chat-a", 3, start)
    store.count("chat-a", 3, start + dt.timedelta(seconds=50))
    expire_chat_states(database, long_ago, start + dt.timedelta(seconds=55))
    assert not store.count("chat-a", 3, start + dt.timedelta(seconds=55)).allowed  # all of the minute still counts
    expire_chat_states(database, long_ago, start + dt.timedelta(seconds=61))
    with database.connect() as connection:
        left = connection.execute(select(RateWindow.count).where(RateWindow.chat == "chat-a")).scalars().all()
    assert sorted(left) == [2]  # the slot of 50 and 55 s; the one of 0 s has left the window


def test_language_and_proposal_are_kept_per_chat_and_deleted_with_it(database: Engine) -> None:
    store = GatewayStore(database)
    shown = dt.datetime(2026, 12, 7, 12, 0)
    store.remember_language("chat-a", "uk")
    store.keep_proposal("chat-a", Proposal({"service": "mbe", "question": "Диплом"}, shown))
    store.count("chat-a", 20)
    assert store.language("chat-a") == "uk"
    assert store.proposal("chat-a") == Proposal({"service": "mbe", "question": "Диплом"}, shown)
    assert store.language("chat-b") is None and store.proposal("chat-b") is None
    store.keep_proposal("chat-a", None)  # answered
    assert store.proposal("chat-a") is None and store.language("chat-a") == "uk"
    store.keep_proposal("chat-a", Proposal({"service": "mbe"}, shown))
    assert store.delete_chat("chat-a") == 2  # the chat's state and its rate window
    assert store.language("chat-a") is None and store.proposal("chat-a") is None
