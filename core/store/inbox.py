"""The unanswered-questions inbox: what the bot could not answer, kept anonymised for volunteers.

Messages routed as no-match, as out-of-scope with low confidence, clarify
questions the person abandoned, and questions whose answer was rated 👎 are
stored without any chat id, cut to MAX_CHARS and then anonymised
(core/privacy/anonymise.py), with only their language, the reason and the predicted
candidate entries. Volunteers see them grouped by similarity, newest first, and
turn them into questions or new entries (editor/). Retention: LOTSE_INBOX_RETENTION_DAYS (90), `./lotse cleanup`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import JSON, DateTime, Integer, String, delete, select
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from core import config
from core.privacy.anonymise import anonymise
from core.store.database import Base, engine, migrate, utcnow


class InboxReason(StrEnum):
    """Why a message is in the inbox."""

    NO_MATCH = "no_match"
    OUT_OF_SCOPE_LOW_CONFIDENCE = "out_of_scope_low_confidence"
    CLARIFY_ABANDONED = "clarify_abandoned"  # a clarify question the person did not resolve with its buttons
    RATED_UNHELPFUL = "rated_unhelpful"  # the question behind an answer rated 👎


MAX_CHARS = 500
GROUPING_WINDOW = 2000  # newest messages grouped per page view
SIMILAR = 0.5  # cosine similarity of character n-grams at which two messages count as the same question


class InboxMessage(Base):
    __tablename__ = "inbox_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(String(MAX_CHARS))
    language: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(32))
    candidates: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)


@dataclass(frozen=True)
class InboxGroup:
    """Similar messages shown as one line: an example, how many, in which languages, what the bot guessed."""

    representative: str
    count: int
    languages: tuple[str, ...]
    candidates: tuple[str, ...]
    newest: dt.datetime
    ids: tuple[int, ...]


def _today() -> dt.datetime:
    """Midnight UTC of today: an inbox row keeps only its day, so it cannot be matched to a tracker event's time."""
    return utcnow().replace(hour=0, minute=0, second=0, microsecond=0)


class Inbox:
    """Store and read the inbox; each method is one short transaction."""

    def __init__(self, engine: Engine) -> None:
        migrate(engine)
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def record(self, text: str, language: str, reason: InboxReason, candidates: Iterable[str]) -> None:
        reason = InboxReason(reason)  # a wrong reason fails here, not when a volunteer reads it
        cleaned = _cut(anonymise(_cut(text.strip(), MAX_CHARS)), MAX_CHARS)
        if not cleaned:
            return
        with self._sessions.begin() as session:
            session.add(
                InboxMessage(
                    text=cleaned, language=language, reason=reason, candidates=list(candidates)[:3], created_at=_today()
                )
            )

    def groups(self, limit: int = 100) -> list[InboxGroup]:
        """Groups of similar messages, the group with the newest message first."""
        with self._sessions() as session:
            messages = list(
                session.scalars(
                    select(InboxMessage)
                    .order_by(InboxMessage.created_at.desc(), InboxMessage.id.desc())
                    .limit(GROUPING_WINDOW)
                )
            )
        if not messages:
            return []
        from sklearn.feature_extraction.text import TfidfVectorizer  # only when a volunteer looks

        vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), lowercase=True).fit_transform(
            [m.text for m in messages]
        )
        similarity = (vectors @ vectors.T).tocsr()  # rows are L2-normalised: the products are cosines
        clusters: list[list[int]] = []
        for index in range(len(messages)):
            for cluster in clusters:
                if similarity[cluster[0], index] >= SIMILAR:
                    cluster.append(index)
                    break
            else:
                clusters.append([index])
        return [self._group([messages[i] for i in cluster]) for cluster in clusters[:limit]]

    @staticmethod
    def _group(members: list[InboxMessage]) -> InboxGroup:
        candidates: list[str] = []
        for member in members:
            candidates += [c for c in member.candidates if c not in candidates]
        return InboxGroup(
            members[0].text,
            len(members),
            tuple(sorted({m.language for m in members})),
            tuple(candidates[:3]),
            members[0].created_at,
            tuple(m.id for m in members),
        )

    def resolve(self, ids: Iterable[int]) -> int:
        """Remove messages a volunteer has dealt with."""
        with self._sessions.begin() as session:
            result = session.execute(delete(InboxMessage).where(InboxMessage.id.in_(list(ids))))
            return cast(CursorResult[Any], result).rowcount or 0  # a DELETE's result is a CursorResult

    def delete_older_than(self, cutoff: dt.datetime) -> int:
        with self._sessions.begin() as session:
            result = session.execute(delete(InboxMessage).where(InboxMessage.created_at < cutoff))
            return cast(CursorResult[Any], result).rowcount or 0


def _cut(text: str, limit: int) -> str:
    """At most `limit` characters, ending before the word that the limit would cut in half.

    Only what is kept is anonymised, so a long message costs no more than a short one; a half word
    ("ahmad.kar" of an e-mail address, "017612" of a phone number) would slip past the anonymiser,
    so it goes. After anonymising, the same cut keeps placeholders whole.
    """
    if len(text) <= limit:
        return text
    head = text[:limit]
    if text[limit].isspace() or head[-1:].isspace():
        return head.rstrip()
    whole_words = head.rsplit(None, 1)
    return whole_words[0] if len(whole_words) == 2 else ""


@lru_cache(maxsize=4)
def open_inbox(url: str | None = None) -> Inbox:
    """The inbox in the project's database (or `url`); the SQLite file's folder is created if needed."""
    return Inbox(engine(url or config.settings().database_url))
