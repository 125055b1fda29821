"""Rank the knowledge entries for a message, and guess its category.

Three signals are added up per entry (weights tuned on a held-out fold of the
entries' questions; `./lotse eval` reports another fold):
- the margin of a character-n-gram classifier trained on the entries'
  questions, titles and answer sentences (always there, no model needed);
- the margin of a category classifier (entries' examples plus the Integreat
  questions) for the entry's category, which keeps near-miss entries of the
  wrong topic down (+1.2 points on held-out questions);
- when an embedding model is on disk, the semantic similarity to the entry's
  texts, standardised per message (models differ in how far their similarities
  spread), so scores keep one scale with and without a model.
The category guess is what a question outside all entries still needs: the
right kind of counselling service.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from actions.knowledge_base import KnowledgeBase
from actions.semantic import Encoder, SemanticIndex
from actions.text_classifier import CharNgramClassifier
from actions.training_texts import category_examples, entry_examples


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
    """How much the category margin and the semantic similarity add to the entry margin.

    Tuned on held-out fold 0 (not the fold `./lotse eval` reports) with the default
    multilingual-e5-small: lexical 79.8 % -> 81.8 % entry accuracy at 0.2; from 0.4
    on, Arabic and Persian lose more than the others gain.
    """

    category: float = 0.25
    semantic: float = 0.2


class Ranker:
    """Built once per knowledge version (3-13 s without a model, measured); stateless per message."""

    def __init__(self, knowledge: KnowledgeBase, encoder: Encoder | None = None,
                 weights: Weights | None = None) -> None:
        self.weights = weights or Weights()
        self.encoder = encoder
        examples = list(entry_examples(knowledge))
        self._entries: CharNgramClassifier | None = None
        self._categories: CharNgramClassifier | None = None
        self._semantic: SemanticIndex | None = None
        self._entry_category: np.ndarray = np.zeros(0, dtype=int)
        if len({entry_id for _, entry_id in examples}) < 2:
            return  # too little knowledge to rank: every message becomes a no-match (with a person)
        texts, labels = zip(*examples)
        self._entries = CharNgramClassifier(texts, labels)
        category_texts, categories, weights = zip(*category_examples(knowledge))
        self._categories = CharNgramClassifier(category_texts, categories, weights=weights)
        category_index = {c: i for i, c in enumerate(self._categories.labels)}
        self._entry_category = np.array([category_index[knowledge.entries[e].category]
                                         for e in self._entries.labels])
        if encoder is not None:
            self._semantic = SemanticIndex(encoder, texts, labels)

    @property
    def mode(self) -> str:
        """'semantic:<model>' or 'lexical', for logs and the evaluation table."""
        return f"semantic:{self.encoder.name}" if self._semantic and self.encoder else "lexical"

    def rank(self, text: str, limit: int = 5) -> Ranking:
        """The `limit` best entries for `text` and its category."""
        if self._entries is None or self._categories is None or not text.strip():
            return Ranking((), None, 0.0)
        category_margins = self._categories.scores([text])[0]
        scores = self._entries.scores([text])[0] + self.weights.category * category_margins[self._entry_category]
        if self._semantic is not None:
            similarity = self._semantic.scores([text])[0]
            spread = float(similarity.std()) or 1.0
            scores = scores + self.weights.semantic * (similarity - similarity.mean()) / spread
        best = np.argsort(-scores)[:limit]
        top_category = int(np.argmax(category_margins))
        return Ranking(tuple(Candidate(self._entries.labels[i], float(scores[i])) for i in best),
                       self._categories.labels[top_category], float(category_margins[top_category]))
