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
    """TF-IDF over character n-grams (2-4, within words) of all entries' questions and titles."""

    def __init__(self, knowledge: KnowledgeBase) -> None:
        texts: list[str] = []
        owners: list[str] = []
        for entry in knowledge.entries.values():
            for items in (*entry.questions.values(), tuple(entry.title.values())):
                for text in items:
                    texts.append(fold(text))
                    owners.append(entry.id)
        self._owners = np.array(owners)
        self._vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=1)
        self._matrix = self._vectorizer.fit_transform(texts) if texts else None

    def search(self, text: str, limit: int = 5) -> list[Candidate]:
        if self._matrix is None or not text.strip():
            return []
        scores = (self._matrix @ self._vectorizer.transform([fold(text)]).T).toarray().ravel()
        best: dict[str, float] = {}
        for index in np.argsort(-scores):
            owner = str(self._owners[index])
            if owner not in best:
                best[owner] = float(scores[index])
                if len(best) == limit:
                    break
        return [Candidate(entry_id, score) for entry_id, score in best.items()]
