"""A linear classifier over character n-grams: the lexical core of routing.

Character n-grams (2-5, within words, on folded text) survive typos, missing
umlauts and German office words inside other languages, in all eight languages
at once, and need no model download. A linear SVM trains fast enough (far faster than
logistic regression: docs/decisions/005-serving-performance.md) for the action server
to train at start-up and after every knowledge change.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from core.text_normalisation import fold

SampleWeights = Sequence[float] | NDArray[np.float64]  # one per example


class LinearMargins:
    """One-vs-rest linear SVM over given features; `margins` gives one per label (> 0: on the label's side)."""

    def __init__(self, features: Any, labels: Sequence[str], c: float, weights: SampleWeights | None = None) -> None:
        if len(set(labels)) < 2:
            raise ValueError("a classifier needs examples of at least two labels")
        self._model = LinearSVC(C=c).fit(
            features, list(labels), sample_weight=None if weights is None else np.asarray(weights, dtype=float)
        )
        self.labels: list[str] = [str(label) for label in self._model.classes_]

    def margins(self, features: Any) -> np.ndarray:
        """Shape (rows of `features`, len(self.labels))."""
        margins = self._model.decision_function(features)
        return margins.reshape(margins.shape[0], -1) if len(self.labels) > 2 else np.c_[-margins, margins]


class CharNgramClassifier:
    """Linear SVM over character n-grams of folded text; `scores` gives a margin per label."""

    def __init__(
        self, texts: Sequence[str], labels: Sequence[str], c: float = 0.5, weights: SampleWeights | None = None
    ) -> None:
        self._vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
        self._model = LinearMargins(self._vectorizer.fit_transform([fold(t) for t in texts]), labels, c, weights)
        self.labels = self._model.labels

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """Margins, shape (len(texts), len(self.labels))."""
        return self._model.margins(self._vectorizer.transform([fold(t) for t in texts]))
