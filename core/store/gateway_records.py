"""What the gateway stores, through SQLAlchemy: SQLite in the data folder by default, PostgreSQL in production.

Only what a feature needs, and everything every gateway replica must share (docs/decisions/008-replicas.md):
update ids and whether each was handled to the end (a Telegram retry is handled once, an interrupted one
again), the per-chat rate-limit windows, the chat's answer language and a consent screen not yet answered,
and 👍/👎 feedback per entry. All keyed by the chat's pseudonym, so /delete can remove them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    delete,
    false,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from core.store.database import Base, engine, migrate, utcnow

# Telegram stops retrying an update after about a day; older ids need not be remembered.
UPDATE_MEMORY = dt.timedelta(days=2)
# The rate limit counts in 10-second slots and sums the last six: any 60 seconds, not a calendar minute,
# whose boundary let a burst split into two halves under the limit.
RATE_SLOT_SECONDS = 10
RATE_WINDOW_SLOTS = 6


def rate_slot(moment: dt.datetime) -> int:
    """The rate-limit slot a moment falls in."""
    return int(moment.timestamp() // RATE_SLOT_SECONDS)


def first_counted_slot(moment: dt.datetime) -> int:
    """The oldest slot the rate limit still sums at `moment`; older ones can be deleted."""
    return rate_slot(moment) - RATE_WINDOW_SLOTS + 1


class ProcessedUpdate(Base):
    """An update seen by a gateway; `done_at` once every reply to it was sent (then Telegram may forget it)."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    # The person was told that the answer comes later.
    notified: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class ChatState(Base):
    """What a chat's next update needs from its earlier ones, whichever replica handled them."""

    __tablename__ = "gateway_chats"

    chat: Mapped[str] = mapped_column(String(64), primary_key=True)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)  # of the chat's last answer
    proposal: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # a consent screen shown
    proposal_shown_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)


class RateWindow(Base):
    """How many updates a chat sent in one slot of RATE_SLOT_SECONDS (the rate limit sums the recent slots)."""

    __tablename__ = "gateway_rate"

    chat: Mapped[str] = mapped_column(String(64), primary_key=True)
    slot: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(Integer)


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


@dataclass(frozen=True)
class Delivery:
    """What is known about an update when a gateway takes it: `done` (answer 200 again, do nothing), `retry`
    (an earlier attempt did not finish), `notified` (that attempt told the person the answer comes later)."""

    done: bool = False
    retry: bool = False
    notified: bool = False


@dataclass(frozen=True)
class Verdict:
    """`allowed`: handle the update. `notify`: the first one over the limit in this window, tell the user once."""

    allowed: bool
    notify: bool = False


@dataclass(frozen=True)
class Proposal:
    """A consent screen shown but not answered yet."""

    case: dict[str, Any]
    shown_at: dt.datetime


class GatewayStore:
    """The gateway's records; every method is one short transaction."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        # The upserts below: the same ON CONFLICT statement in both dialects, built by each dialect's insert().
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

    def take(self, update_id: int) -> Delivery:
        """Record that a gateway is handling `update_id`; what earlier deliveries of it did.

        Called under the chat's lock (bot/telegram/delivery.py), so no other replica handles the same update at
        the same time: a row without `done_at` is an attempt that was interrupted (a replica killed, Rasa down).
        """
        now = utcnow()
        recording = (
            self._insert(ProcessedUpdate)
            .values(update_id=update_id, received_at=now, notified=False)
            .on_conflict_do_nothing()  # not an error: PostgreSQL would log every redelivery as one
            .returning(ProcessedUpdate.update_id)
        )
        with self._sessions() as session:
            new = session.execute(recording).first() is not None
            session.commit()
            if not new:
                seen = session.get(ProcessedUpdate, update_id)
                if seen is None:  # forgotten between the insert and the read: a very old update
                    return Delivery(done=True)
                return Delivery(done=seen.done_at is not None, retry=True, notified=seen.notified)
            if update_id % 100 == 0:  # now and then, forget ids Telegram no longer retries
                session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.received_at < now - UPDATE_MEMORY))
                session.commit()
        return Delivery()

    def finish(self, update_id: int) -> None:
        """Every reply to the update was sent: a redelivery is only acknowledged."""
        with self._sessions.begin() as session:
            session.execute(
                update(ProcessedUpdate).where(ProcessedUpdate.update_id == update_id).values(done_at=utcnow())
            )

    def notified(self, update_id: int) -> None:
        """The person was told that the answer to this update comes later: a redelivery does not say it again."""
        with self._sessions.begin() as session:
            session.execute(update(ProcessedUpdate).where(ProcessedUpdate.update_id == update_id).values(notified=True))

    def count(self, chat: str, limit: int, now: dt.datetime | None = None) -> Verdict:
        """Count one update of `chat`; refused when the chat sent more than `limit` in the last minute.

        An atomic upsert of the current slot, then the sum of the window's slots, in one transaction: two
        replicas counting the same chat at once both count (the slot's row lock orders them). The sum grows
        by one per update, so the first update over the limit is exactly `limit + 1`: told once per flood.
        """
        now = now or utcnow()
        slot, first = rate_slot(now), first_counted_slot(now)
        counting = (
            self._insert(RateWindow)
            .values(chat=chat, slot=slot, count=1)
            .on_conflict_do_update(
                index_elements=[RateWindow.chat, RateWindow.slot], set_={"count": RateWindow.count + 1}
            )
            .returning(RateWindow.count)
        )
        recent = select(func.sum(RateWindow.count)).where(RateWindow.chat == chat, RateWindow.slot >= first)
        with self._sessions.begin() as session:
            counted = session.execute(counting).scalar_one()
            total = session.execute(recent).scalar_one()
            if counted == 1 and slot % 60 == 0:  # now and then, forget old slots
                session.execute(delete(RateWindow).where(RateWindow.slot < first))
        return Verdict(total <= limit, notify=total == limit + 1)

    def language(self, chat: str) -> str | None:
        with self._sessions() as session:
            return session.scalar(select(ChatState.language).where(ChatState.chat == chat))

    def remember_language(self, chat: str, language: str) -> None:
        self._upsert(chat, language=language)

    def proposal(self, chat: str) -> Proposal | None:
        with self._sessions() as session:
            state = session.get(ChatState, chat)
        if state is None or state.proposal is None or state.proposal_shown_at is None:
            return None
        return Proposal(state.proposal, state.proposal_shown_at)

    def keep_proposal(self, chat: str, proposal: Proposal | None) -> None:
        """Remember the consent screen shown to the chat (None: it was answered)."""
        if proposal is None:
            self._upsert(chat, proposal=None, proposal_shown_at=None)
        else:
            self._upsert(chat, proposal=proposal.case, proposal_shown_at=proposal.shown_at)

    def _upsert(self, chat: str, **values: Any) -> None:
        values["updated_at"] = utcnow()
        statement = self._insert(ChatState).values(chat=chat, **values)
        with self._sessions.begin() as session:
            session.execute(statement.on_conflict_do_update(index_elements=[ChatState.chat], set_=values))

    def record_feedback(self, chat: str, entry: str, language: str, helpful: bool) -> None:
        with self._sessions.begin() as session:
            session.execute(delete(Feedback).where(Feedback.chat == chat, Feedback.entry == entry))
            session.add(Feedback(chat=chat, entry=entry, language=language, helpful=helpful, created_at=utcnow()))

    def delete_chat(self, chat: str) -> int:
        """Remove everything stored under a chat's pseudonym; returns the number of rows deleted."""
        with self._sessions.begin() as session:
            deleted = 0
            for table in (Feedback, ChatState, RateWindow):
                result = session.execute(delete(table).where(table.chat == chat))
                deleted += cast(CursorResult[Any], result).rowcount or 0  # a DELETE's result is a CursorResult
            return deleted


def erase_conversation(tracker: Engine, sender_id: str) -> int:
    """Delete a conversation from Rasa's SQL tracker store (table `events`); Rasa's HTTP API cannot delete.

    Rasa creates the table when it starts, so a missing table means LOTSE_TRACKER_DB_URL names another
    database than Rasa's: NoSuchTableError, and /delete says it failed instead of "deleted".
    """
    events = Table("events", MetaData(), autoload_with=tracker)
    with tracker.begin() as connection:
        return connection.execute(events.delete().where(events.c.sender_id == sender_id)).rowcount or 0
