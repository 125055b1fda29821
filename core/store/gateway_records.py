"""What the gateway stores, through SQLAlchemy: SQLite in the data folder by default, PostgreSQL in production.

Only what a feature needs: update ids (so a Telegram retry is handled once) and
👍/👎 feedback per entry, keyed by the chat's pseudonym so /delete can remove it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import BigInteger, Boolean, DateTime, Integer, MetaData, String, Table, UniqueConstraint, delete
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from core.store.database import Base, engine, migrate, utcnow

# Telegram stops retrying an update after about a day; older ids need not be remembered.
UPDATE_MEMORY = dt.timedelta(days=2)


class ProcessedUpdate(Base):
    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)


class Feedback(Base):
    """One chat's latest rating of one entry (a second tap replaces the first)."""

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("chat", "entry"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat: Mapped[str] = mapped_column(String(64), index=True)
    entry: Mapped[str] = mapped_column(String(64), index=True)
    language: Mapped[str] = mapped_column(String(8))
    helpful: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


def connect(url: str) -> Engine:
    """An engine for `url`, creating the SQLite file's folder and migrating the tables if needed."""
    created = engine(url)
    migrate(created)
    return created


class GatewayStore:
    """The gateway's records; every method is one short transaction."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def first_delivery(self, update_id: int) -> bool:
        """True the first time an update id is seen; Telegram redelivers when an answer was slow."""
        now = utcnow()
        with self._sessions() as session:
            try:
                session.add(ProcessedUpdate(update_id=update_id, received_at=now))
                session.commit()
            except IntegrityError:
                return False
            if update_id % 100 == 0:  # now and then, forget ids Telegram no longer retries
                session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.received_at < now - UPDATE_MEMORY))
                session.commit()
        return True

    def record_feedback(self, chat: str, entry: str, language: str, helpful: bool) -> None:
        with self._sessions.begin() as session:
            session.execute(delete(Feedback).where(Feedback.chat == chat, Feedback.entry == entry))
            session.add(Feedback(chat=chat, entry=entry, language=language, helpful=helpful, created_at=utcnow()))

    def delete_chat(self, chat: str) -> int:
        """Remove everything stored under a chat's pseudonym; returns the number of rows deleted."""
        with self._sessions.begin() as session:
            result = session.execute(delete(Feedback).where(Feedback.chat == chat))
            return cast(CursorResult[Any], result).rowcount or 0  # a DELETE's result is a CursorResult


def erase_conversation(tracker: Engine, sender_id: str) -> int:
    """Delete a conversation from Rasa's SQL tracker store (table `events`); Rasa's HTTP API cannot delete.

    Rasa creates the table when it starts, so a missing table means LOTSE_TRACKER_DB_URL names another
    database than Rasa's: NoSuchTableError, and /delete says it failed instead of "deleted".
    """
    events = Table("events", MetaData(), autoload_with=tracker)
    with tracker.begin() as connection:
        return connection.execute(events.delete().where(events.c.sender_id == sender_id)).rowcount or 0
