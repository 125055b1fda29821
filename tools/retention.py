"""`./lotse cleanup`: delete what Lotse keeps about people once it is no longer needed.

Run daily from cron. Each kind of record has its own period (LOTSE_*_RETENTION_DAYS, defaults in
README.md's privacy section): conversations in Rasa's tracker store (their full message texts),
Telegram feedback, the gateway's per-chat state (answer language, an unanswered consent screen, rate-limit
counts: with the conversation's period), handover cases (closed ones, and ones that were never closed: a sent, unclaimed
case holds a chat id and the person's question), and the volunteers' inbox. Works on SQLite and
PostgreSQL alike (plain SQLAlchemy Core, no dialect-specific SQL).
"""

from __future__ import annotations

import datetime as dt
from typing import TextIO

from sqlalchemy import MetaData, Table, delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import NoSuchTableError

from core.config import Retention
from core.store.cases import Case
from core.store.database import engine, utcnow
from core.store.gateway_records import ChatState, Feedback, RateWindow, connect, first_counted_slot
from core.store.inbox import open_inbox


def expire_conversations(tracker: Engine, before: dt.datetime) -> int:
    """Delete every conversation (all its events) whose last event is older than `before`; returns events deleted.

    Whole conversations, not single old events: Rasa replays a conversation from its events, and a
    conversation cut in the middle would confuse it.
    """
    try:
        events = Table("events", MetaData(), autoload_with=tracker)
    except NoSuchTableError:  # Rasa has not stored any conversation yet
        return 0
    stale = (
        select(events.c.sender_id)
        .group_by(events.c.sender_id)
        .having(func.max(events.c.timestamp) < before.replace(tzinfo=dt.UTC).timestamp())
    )
    with tracker.begin() as connection:
        return connection.execute(delete(events).where(events.c.sender_id.in_(stale))).rowcount or 0


def expire_feedback(database: Engine, before: dt.datetime) -> int:
    with database.begin() as connection:
        return connection.execute(delete(Feedback).where(Feedback.created_at < before)).rowcount or 0


def expire_chat_states(database: Engine, before: dt.datetime, now: dt.datetime) -> int:
    """The gateway's state of chats quiet since `before`, and rate-limit slots the window has passed."""
    with database.begin() as connection:
        states = connection.execute(delete(ChatState).where(ChatState.updated_at < before))
        connection.execute(delete(RateWindow).where(RateWindow.slot < first_counted_slot(now)))
        return states.rowcount or 0


def expire_cases(database: Engine, closed_before: dt.datetime, consented_before: dt.datetime) -> int:
    """Closed cases after their period, and cases never closed after theirs (counted from the consent)."""
    with database.begin() as connection:
        closed = connection.execute(delete(Case).where(Case.state == "closed", Case.closed_at < closed_before))
        unclosed = connection.execute(delete(Case).where(Case.state != "closed", Case.consented_at < consented_before))
        return (closed.rowcount or 0) + (unclosed.rowcount or 0)


def cleanup(
    database_url: str, tracker_url: str, retention: Retention, out: TextIO, now: dt.datetime | None = None
) -> dict[str, int]:
    """Apply every retention period once; prints one line per kind and returns the counts."""
    now = now or utcnow()

    def cutoff(days: int) -> dt.datetime:
        return now - dt.timedelta(days=days)

    database = connect(database_url)
    counts = {
        "conversation events": expire_conversations(engine(tracker_url), cutoff(retention.conversations)),
        "feedback ratings": expire_feedback(database, cutoff(retention.feedback)),
        "chat states": expire_chat_states(database, cutoff(retention.conversations), now),
        "handover cases": expire_cases(database, cutoff(retention.closed_cases), cutoff(retention.unclosed_cases)),
        "inbox messages": open_inbox(database_url).delete_older_than(cutoff(retention.inbox)),
    }
    periods = {
        "conversation events": f"{retention.conversations} days after the last message",
        "feedback ratings": f"{retention.feedback} days",
        "chat states": f"{retention.conversations} days after the last message",
        "handover cases": f"{retention.closed_cases} days after closing, {retention.unclosed_cases} days "
        "after consent if never closed",
        "inbox messages": f"{retention.inbox} days",
    }
    for kind, count in counts.items():
        print(f"deleted {count} {kind} (kept {periods[kind]})", file=out)
    return counts
