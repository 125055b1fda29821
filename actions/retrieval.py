"""Find the knowledge entries a message is most likely about.

The lexical retriever compares character n-grams of the message with every
question (and title) of every entry, in all languages at once. Character
n-grams survive typos, missing umlauts and German office words inside other
languages, and need no model download.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from actions.knowledge_base import KnowledgeBase
from actions.text_normalisation import fold


@dataclass(frozen=True)
class Candidate:
    """An entry with the similarity of its best-matching question (0..1)."""

    entry_id: str
    score: float


class Retriever(Protocol):
    """Anything that ranks entries for a message."""

    def search(self, text: str, limit: int = 5) -> list[Candidate]: ...


class LexicalRetriever:
    """TF-IDF over character n-grams (2-4, within words) of all entries' questions and titles.

    An entry scores the mean similarity of its three best-matching questions: one
    accidental look-alike question does not win, several similar ones do
    (measured on held-out questions: 57 % top-1 against 44 % for the single best match).
    """

    TOP_QUESTIONS = 3

    def __init__(self, knowledge: KnowledgeBase) -> None:
        texts: list[str] = []
        owners: list[str] = []
        for entry in knowledge.entries.values():
            for items in (*entry.questions.values(), tuple(entry.title.values())):
                for text in items:
                    texts.append(fold(text))
                    owners.append(entry.id)
        self._entry_ids = sorted(set(owners))
        index = {entry_id: i for i, entry_id in enumerate(self._entry_ids)}
        self._owner_index = np.array([index[o] for o in owners])
        self._vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=1)
        self._matrix = self._vectorizer.fit_transform(texts) if texts else None

    def search(self, text: str, limit: int = 5) -> list[Candidate]:
        if self._matrix is None or not text.strip():
            return []
        similarities = (self._matrix @ self._vectorizer.transform([fold(text)]).T).toarray().ravel()
        # Per entry, the mean of its TOP_QUESTIONS best similarities (fewer if it has fewer questions).
        order = np.lexsort((-similarities, self._owner_index))
        owners, sims = self._owner_index[order], similarities[order]
        starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
        ends = np.r_[starts[1:], len(owners)]
        scores = np.array([sims[a:min(b, a + self.TOP_QUESTIONS)].mean() for a, b in zip(starts, ends)])
        best = np.argsort(-scores)[:limit]
        return [Candidate(self._entry_ids[owners[starts[i]]], float(scores[i])) for i in best]
