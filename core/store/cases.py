"""Handover cases: stored only after the person's consent, moved through their states by atomic updates.

States: proposed -> consented -> sent -> claimed -> answered -> closed. "proposed"
is the consent screen, which exists only in the chat (nothing is stored before
the person confirms); the row is written at consent with both timestamps. Every
transition is one `UPDATE ... WHERE state = <expected>`, committed before anyone
is told, so a restart between two steps loses nothing and two counsellors
cannot claim the same case. The ids of the messages Lotse posts about a case in
the counsellors' group are kept with it, so /delete can remove them there too.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, cast

from sqlalchemy import JSON, BigInteger, DateTime, Integer, String, delete, func, select, update
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from core.store.database import Base, utcnow

OPEN_STATES = ("consented", "sent", "claimed", "answered")
STATES = (*OPEN_STATES, "closed")
TALKING_STATES = ("claimed", "answered")  # the person's messages go to the counsellor
DEFAULT_RESPONSE_TIME = dt.timedelta(days=3)
DELIVERY_GRACE = dt.timedelta(seconds=10)
_DURATION = re.compile(r"(\d+)\s*(working days?|business days?|days?|hours?|h\b|minutes?)", re.IGNORECASE)


class Case(Base):
    __tablename__ = "handover_cases"
    # Case numbers are never given twice (SQLite would reuse a deleted one): counsellors must not mistake
    # a new "Anfrage #3" for the withdrawn one.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat: Mapped[str] = mapped_column(String(64), index=True)  # the chat's pseudonym, for /delete
    chat_id: Mapped[int] = mapped_column(BigInteger)  # where the counsellor's answer goes (consented)
    service: Mapped[str] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(8))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), index=True)
    proposed_at: Mapped[dt.datetime] = mapped_column(DateTime)
    consented_at: Mapped[dt.datetime] = mapped_column(DateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    deadline_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    overdue_notified_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    group_chat_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    group_message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    counsellor_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    counsellor_name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # The Telegram update of the consent press: a press delivered twice stores one case.
    consent_update: Mapped[int | None] = mapped_column(BigInteger, nullable=True, unique=True, index=True)


class CaseMessage(Base):
    """A message Lotse posted about a case in its counsellors' group (the case, notes, the person's words)."""

    __tablename__ = "handover_case_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(Integer, index=True)
    message_id: Mapped[int] = mapped_column(BigInteger)


def response_deadline(promise: str) -> dt.timedelta:
    """How long a service's promised response time ("within 2 working days") allows; 3 days if unclear."""
    match = _DURATION.search(promise or "")
    if not match:
        return dt.timedelta(hours=12) if "same day" in (promise or "").lower() else DEFAULT_RESPONSE_TIME
    amount, unit = int(match.group(1)), match.group(2).lower()
    if unit.startswith(("working", "business")):
        return dt.timedelta(days=amount * 7 / 5)  # weekends in between
    if unit.startswith("day"):
        return dt.timedelta(days=amount)
    if unit.startswith("h"):
        return dt.timedelta(hours=amount)
    return dt.timedelta(minutes=amount)


class CaseStore:
    """Reads and transitions of handover cases; each method is one transaction."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def create(
        self, chat: str, chat_id: int, summary: dict[str, Any], proposed_at: dt.datetime, consent_update: int
    ) -> tuple[Case, bool]:
        """The person confirmed: store the case (state consented). True if new; False: the case this consent
        press stored before (the press was delivered again), as it is now."""
        with self._sessions() as session:
            earlier = session.scalar(select(Case).where(Case.consent_update == consent_update))
        if earlier is not None:
            return earlier, False
        case = Case(
            chat=chat,
            chat_id=chat_id,
            service=summary["service"],
            language=summary["language"],
            summary=summary,
            state="consented",
            proposed_at=proposed_at,
            consented_at=utcnow(),
            consent_update=consent_update,
        )
        with self._sessions.begin() as session:
            session.add(case)
        return case, True

    def get(self, case_id: int) -> Case | None:
        with self._sessions() as session:
            return session.get(Case, case_id)

    def _move(self, case_id: int, from_states: tuple[str, ...], **values: Any) -> Case | None:
        """Apply a transition if the case is in one of `from_states`; None if it was not (or is gone)."""
        with self._sessions.begin() as session:
            result = session.execute(
                update(Case).where(Case.id == case_id, Case.state.in_(from_states)).values(**values)
            )
            moved = cast(CursorResult[Any], result).rowcount  # an UPDATE's result is a CursorResult
        return self.get(case_id) if moved else None

    def mark_sent(self, case_id: int, group_chat_id: int, group_message_id: int) -> Case | None:
        """consented -> sent, and the case message recorded in the same transaction: a /delete that reads
        the case as sent also finds the message to remove."""
        case = self.get(case_id)
        if case is None:
            return None
        now = utcnow()
        with self._sessions.begin() as session:
            result = session.execute(
                update(Case)
                .where(Case.id == case_id, Case.state == "consented")
                .values(
                    state="sent",
                    sent_at=now,
                    group_chat_id=group_chat_id,
                    group_message_id=group_message_id,
                    deadline_at=now + response_deadline(case.summary.get("response_time", "")),
                )
            )
            moved = cast(CursorResult[Any], result).rowcount
            if moved:
                session.add(CaseMessage(case_id=case_id, message_id=group_message_id))
        return self.get(case_id) if moved else None

    def record_message(self, case_id: int, message_id: int) -> None:
        """Another message posted about the case in its group (a note, the person's words)."""
        with self._sessions.begin() as session:
            session.add(CaseMessage(case_id=case_id, message_id=message_id))

    def claim(self, case_id: int, counsellor_id: int, counsellor_name: str) -> Case | None:
        return self._move(
            case_id,
            ("sent",),
            state="claimed",
            claimed_at=utcnow(),
            counsellor_id=counsellor_id,
            counsellor_name=counsellor_name[:128],
        )

    def mark_answered(self, case_id: int) -> Case | None:
        """The first counsellor reply moves claimed -> answered; later ones change nothing."""
        return self._move(case_id, ("claimed",), state="answered", answered_at=utcnow())

    def close(self, case_id: int) -> Case | None:
        return self._move(case_id, OPEN_STATES, state="closed", closed_at=utcnow())

    def mark_overdue_notified(self, case_id: int) -> Case | None:
        return self._move(case_id, ("sent",), overdue_notified_at=utcnow())

    def count_by_state(self) -> dict[str, int]:
        with self._sessions() as session:
            rows = session.execute(select(Case.state, func.count()).group_by(Case.state)).all()
        return {state: count for state, count in rows}

    def awaiting_delivery(self, now: dt.datetime) -> list[Case]:
        """Consented cases not delivered yet, left alone for DELIVERY_GRACE after the consent: the gateway that took
        the consent is delivering them then, and a second gateway's check would post the case twice."""
        with self._sessions() as session:
            waiting = select(Case).where(Case.state == "consented", Case.consented_at < now - DELIVERY_GRACE)
            return list(session.scalars(waiting.order_by(Case.id)))

    def overdue(self, now: dt.datetime) -> list[Case]:
        """Sent, unclaimed past the promised response time, and the person not told yet."""
        with self._sessions() as session:
            return list(
                session.scalars(
                    select(Case).where(Case.state == "sent", Case.deadline_at < now, Case.overdue_notified_at.is_(None))
                )
            )

    def talking(self, chat_id: int) -> Case | None:
        """The case whose counsellor this chat is talking to, if any."""
        with self._sessions() as session:
            return session.scalars(
                select(Case).where(Case.chat_id == chat_id, Case.state.in_(TALKING_STATES)).order_by(Case.id.desc())
            ).first()

    def by_group_message(self, group_chat_id: int, message_id: int) -> Case | None:
        with self._sessions() as session:
            return session.scalars(
                select(Case).where(Case.group_chat_id == group_chat_id, Case.group_message_id == message_id)
            ).first()

    def of_chat(self, chat: str) -> list[Case]:
        """Every case of a chat, by its pseudonym (/delete)."""
        with self._sessions() as session:
            return list(session.scalars(select(Case).where(Case.chat == chat).order_by(Case.id)))

    def messages(self, case_id: int) -> list[int]:
        """Ids of Lotse's messages about the case still in its group."""
        with self._sessions() as session:
            return list(
                session.scalars(
                    select(CaseMessage.message_id).where(CaseMessage.case_id == case_id).order_by(CaseMessage.id)
                )
            )

    def forget_message(self, case_id: int, message_id: int) -> None:
        """The message is gone from the group (deleted or overwritten)."""
        with self._sessions.begin() as session:
            session.execute(
                delete(CaseMessage).where(CaseMessage.case_id == case_id, CaseMessage.message_id == message_id)
            )

    def delete(self, case_id: int) -> None:
        """Delete a case and what is recorded about its messages."""
        with self._sessions.begin() as session:
            session.execute(delete(CaseMessage).where(CaseMessage.case_id == case_id))
            session.execute(delete(Case).where(Case.id == case_id))
