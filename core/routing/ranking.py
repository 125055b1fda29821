"""Rank the knowledge entries for a message, and guess its category.

These signals are added up per entry (weights tuned on tuning folds of the entries'
questions, docs/decisions/004-ranking-weights.md; `./lotse eval` reports another fold):
- the margin of a character-n-gram classifier trained on the entries'
  questions, titles and answer sentences (always there, no model needed);
- the margin of a category classifier (entries' examples plus the Integreat
  questions) for the entry's category, which keeps near-miss entries of the
  wrong topic down;
- when an embedding model is on disk, the semantic similarity to the entry's
  nearest texts, standardised per message (models differ in how far their
  similarities spread), and the margin of a linear SVM over the embeddings of
  all the entry's texts; the category classifier gets both views too.
The category guess is what a question outside all entries still needs: the
right kind of counselling service.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from core.knowledge.base import KnowledgeBase
from core.knowledge.training_texts import category_examples, entry_examples
from core.routing.semantic import Encoder, NearestTexts
from core.routing.text_classifier import CharNgramClassifier, LinearMargins


@dataclass(frozen=True)
class Candidate:
    """An entry and its combined score (classifier margin scale: > 0 is a likely match)."""

    entry_id: str
    score: float

    @property
    def confidence(self) -> float:
        """The score squashed to 0..1 (0.5 at margin 0) for interfaces that expect a probability-like value."""
        return 1.0 / (1.0 + math.exp(-3.0 * self.score))


@dataclass(frozen=True)
class Ranking:
    """Best entries first, and the most likely category of the message."""

    candidates: tuple[Candidate, ...]
    category: str | None
    category_score: float


@dataclass(frozen=True)
class Weights:
    """How much the category margin and the two semantic views add to the entry margin.

    Tuned with the default multilingual-e5-small on held-out tuning folds and, for the categories, by
    cross-validation on the Integreat train split (docs/decisions/004-ranking-weights.md). `embedding` is
    on the lexical classifier's margin scale; the categories' nearest texts (`category_semantic`,
    standardised like the entries') catch Integreat questions that paraphrase one another and count for the
    category guess only: in the entries' scores they lowered entry accuracy.
    """

    category: float = 0.25
    semantic: float = 0.2
    embedding: float = 0.5
    category_embedding: float = 0.35
    category_semantic: float = 0.3


@dataclass(frozen=True)
class _SemanticViews:
    """What the embedding model adds: nearest entry texts, and linear SVMs for entries and categories.

    The nearest texts catch a near-paraphrase; an SVM weighs everything a label's texts share, so it
    generalises where a few close texts belong to a neighbouring topic (docs/decisions/004-ranking-weights.md).
    """

    nearest: NearestTexts
    entries: LinearMargins
    categories: LinearMargins
    nearest_categories: NearestTexts  # over every embedded text; the entries' texts are its first `entry_texts`
    entry_texts: int


def _standardised(similarities: np.ndarray) -> np.ndarray:
    """Similarities as z-scores within one message: models differ in how far their similarities spread."""
    return (similarities - similarities.mean()) / (float(similarities.std()) or 1.0)


def embedded_texts(knowledge: KnowledgeBase) -> list[str]:
    """Every text the ranker encodes with the embedding model: the entries' examples, then Integreat's."""
    return [text for text, _, _ in category_examples(knowledge)]


def can_rank(knowledge: KnowledgeBase) -> bool:
    """At least two entries with examples: with fewer there is nothing to choose between."""
    return len({entry_id for _, entry_id in entry_examples(knowledge)}) >= 2


class Ranker:
    """Built once per knowledge version; stateless per message.

    Building takes seconds without a model and much longer with the embedding SVMs
    (docs/decisions/005-serving-performance.md).
    """

    def __init__(
        self, knowledge: KnowledgeBase, encoder: Encoder | None = None, weights: Weights | None = None
    ) -> None:
        self.weights = weights or Weights()
        self.encoder = encoder
        self._entries: CharNgramClassifier | None = None
        self._categories: CharNgramClassifier | None = None
        self._semantic: _SemanticViews | None = None
        self._entry_category: np.ndarray = np.zeros(0, dtype=int)
        if not can_rank(knowledge):
            return  # too little knowledge to rank: every message becomes a no-match (with a person)
        texts, labels = zip(*entry_examples(knowledge))
        category_texts, categories, example_weights = zip(*category_examples(knowledge))
        with ThreadPoolExecutor(2) as pool:  # the SVMs' training releases the GIL: the two overlap on two cores
            entries = pool.submit(CharNgramClassifier, texts, labels)
            by_category = pool.submit(CharNgramClassifier, category_texts, categories, weights=example_weights)
            self._entries, self._categories = entries.result(), by_category.result()
        category_index = {c: i for i, c in enumerate(self._categories.labels)}
        self._entry_category = np.array([category_index[knowledge.entries[e].category] for e in self._entries.labels])
        if encoder is not None:
            vectors = encoder.encode_cached(embedded_texts(knowledge))  # the entries' texts first, then Integreat
            self._semantic = _SemanticViews(
                NearestTexts(vectors[: len(texts)], labels),
                LinearMargins(vectors[: len(texts)], labels, c=1.0),
                LinearMargins(vectors, categories, c=1.0, weights=example_weights),
                NearestTexts(vectors, categories),
                len(texts),
            )

    @property
    def mode(self) -> str:
        """'semantic:<model>' or 'lexical', for logs and the evaluation table."""
        return f"semantic:{self.encoder.name}" if self._semantic and self.encoder else "lexical"

    def embed(self, text: str) -> np.ndarray | None:
        """The message's embedding, shape (1, dim), when the ranker is semantic: computed once, shared with triage."""
        return self.encoder.encode([text]) if self._semantic is not None and self.encoder is not None else None

    def rank(self, text: str, vector: np.ndarray | None = None, limit: int = 5) -> Ranking:
        """The `limit` best entries for `text` and its category (`vector`: its embedding, else computed here)."""
        if self._entries is None or self._categories is None or not text.strip():
            return Ranking((), None, 0.0)
        category_margins = self._categories.scores([text])[0]
        guess_margins = category_margins
        entry_margins = self._entries.scores([text])[0]
        if self._semantic is not None and self.encoder is not None:
            views = self._semantic
            vector = self.embed(text) if vector is None else vector
            assert vector is not None  # the ranker is semantic here, so `embed` gave one
            cosines = views.nearest_categories.cosines(vector)  # once: the entries' texts are the first columns
            category_margins = category_margins + self.weights.category_embedding * views.categories.margins(vector)[0]
            guess_margins = category_margins + self.weights.category_semantic * _standardised(
                views.nearest_categories.from_cosines(cosines)[0]
            )
            entry_margins = (
                entry_margins
                + self.weights.semantic * _standardised(views.nearest.from_cosines(cosines[:, : views.entry_texts])[0])
                + self.weights.embedding * views.entries.margins(vector)[0]
            )
        scores = entry_margins + self.weights.category * category_margins[self._entry_category]
        best = np.argsort(-scores)[:limit]
        top_category = int(np.argmax(guess_margins))
        return Ranking(
            tuple(Candidate(self._entries.labels[i], float(scores[i])) for i in best),
            self._categories.labels[top_category],
            float(guess_margins[top_category]),
        )
