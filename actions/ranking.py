"""Rank the knowledge entries for a message, and guess its category.

These signals are added up per entry (weights tuned on a held-out fold of the
entries' questions; `./lotse eval` reports another fold):
- the margin of a character-n-gram classifier trained on the entries'
  questions, titles and answer sentences (always there, no model needed);
- the margin of a category classifier (entries' examples plus the Integreat
  questions) for the entry's category, which keeps near-miss entries of the
  wrong topic down (+1.2 points on held-out questions);
- when an embedding model is on disk, the semantic similarity to the entry's
  nearest texts, standardised per message (models differ in how far their
  similarities spread), and the margin of a linear SVM over the embeddings of
  all the entry's texts; the category classifier gets both views too.
The category guess is what a question outside all entries still needs: the
right kind of counselling service.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from actions.knowledge_base import KnowledgeBase
from actions.semantic import Encoder, NearestTexts
from actions.text_classifier import CharNgramClassifier, LinearMargins
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
    """How much the category margin and the two semantic views add to the entry margin.

    Tuned on held-out folds 0 and 1 (not the fold `./lotse eval` reports) with the default
    multilingual-e5-small: the nearest texts' similarity at 0.2 took lexical 78.5 % to 80.9 %;
    from 0.4 on, Arabic and Persian lose more than the others gain. The linear SVM over the
    embeddings (`embedding`, margin scale like the lexical classifier) adds 1.5 points more
    (82.4 %); 0.3-0.8 are all within 0.3 points of each other. The category classifier gets
    the same kind of SVM over its texts' embeddings (`category_embedding`): grouped 5-fold
    cross-validation on the Integreat train split, 76.7 % -> 82.3 % category accuracy. The
    categories' nearest texts (`category_semantic`, standardised like the entries') catch the
    Integreat questions that paraphrase one another: 82.4 % -> 84.8 % in the same cross-validation
    (0.2-0.5 within 0.7 points). They name the category guess only: added to the entries' scores
    they cost 0.5 points of entry accuracy on the held-out folds.
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
    generalises where a few close texts belong to a neighbouring topic (gains in `Weights`).
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


class Ranker:
    """Built once per knowledge version; stateless per message.

    Building takes 3-13 s without a model; the embedding SVMs add about 35 s (./lotse bench:
    router rebuild after one changed question 14 -> 49 s).
    """

    def __init__(self, knowledge: KnowledgeBase, encoder: Encoder | None = None,
                 weights: Weights | None = None) -> None:
        self.weights = weights or Weights()
        self.encoder = encoder
        examples = list(entry_examples(knowledge))
        self._entries: CharNgramClassifier | None = None
        self._categories: CharNgramClassifier | None = None
        self._semantic: _SemanticViews | None = None
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
            vectors = encoder.encode_cached(embedded_texts(knowledge))  # the entries' texts first, then Integreat
            self._semantic = _SemanticViews(NearestTexts(vectors[:len(texts)], labels),
                                            LinearMargins(vectors[:len(texts)], labels, c=1.0),
                                            LinearMargins(vectors, categories, c=1.0, weights=weights),
                                            NearestTexts(vectors, categories), len(texts))

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
            cosines = views.nearest_categories.cosines(vector)  # once: the entries' texts are the first columns
            category_margins = category_margins + self.weights.category_embedding * views.categories.margins(vector)[0]
            guess_margins = category_margins + self.weights.category_semantic * _standardised(
                views.nearest_categories.from_cosines(cosines)[0])
            entry_margins = (entry_margins
                             + self.weights.semantic * _standardised(
                                 views.nearest.from_cosines(cosines[:, :views.entry_texts])[0])
                             + self.weights.embedding * views.entries.margins(vector)[0])
        scores = entry_margins + self.weights.category * category_margins[self._entry_category]
        best = np.argsort(-scores)[:limit]
        top_category = int(np.argmax(guess_margins))
        return Ranking(tuple(Candidate(self._entries.labels[i], float(scores[i])) for i in best),
                       self._categories.labels[top_category], float(guess_margins[top_category]))
