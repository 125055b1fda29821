"""The learned triage layer: is a message an emergency, a request for a person, or off-topic?

The curated patterns (core/routing/emergency.py) catch the phrases their authors
thought of; this model generalises from the triage corpus (corpora/triage/, about
1,900 emergencies and three times as many hard negatives in eight languages)
plus the knowledge's own questions and Integreat's as ordinary messages. One
linear SVM over character n-grams of the folded text and, when the embedding
model is loaded, the message's sentence embedding (computed once per message and
shared with the ranker). Thresholds are tuned by cross-validation on the corpus
(`./lotse triage-tune`, decision record docs/decisions/001-triage.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import yaml
from numpy.typing import NDArray
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from core import config
from core.knowledge.base import KnowledgeBase
from core.knowledge.training_texts import integreat_examples
from core.routing.semantic import Encoder
from core.routing.text_classifier import CharNgramClassifier, LinearMargins
from core.routing.triage_corpus import EmergencyKind, Label, TriageExample, training_corpus
from core.text_normalisation import fold

NLU_DIR = config.ROOT / "data" / "nlu"
# Entries whose questions mix real emergencies ("our building is on fire") with questions about them:
# neither label fits all of them, so they teach nothing here.
SAFETY_ENTRIES = frozenset({"haeusliche_gewalt", "notruf", "medizinischer_notfall", "psychische_gesundheit"})
LABELS = tuple(Label)


@dataclass(frozen=True)
class TriageThresholds:
    """Margins above which a message counts as each label (tuned per feature set, see the module docstring)."""

    emergency: float
    person: float
    off_topic: float


# Five-fold cross-validation on the training data (`./lotse triage-tune`, docs/decisions/001-triage.md):
# emergencies at the most recall whose false alarms on ordinary questions stay within 2.5 %; a person and
# off-topic at the most recall with at most 0.5 % of other messages taken.
LEXICAL_THRESHOLDS = TriageThresholds(emergency=-0.25, person=0.15, off_topic=-0.1)
SEMANTIC_THRESHOLDS = TriageThresholds(emergency=-0.4, person=0.15, off_topic=-0.1)
# A margin on the emergency side of the boundary itself: the model is sure, whatever else is said.
SURE_MARGIN = 0.5
# How much the sentence embedding counts against the n-grams (tf-idf rows have unit length too).
EMBEDDING_WEIGHT = 1.0


@dataclass(frozen=True)
class Triage:
    """What the triage model says about one message."""

    margins: dict[Label, float]
    emergency: bool
    sure_emergency: bool  # far enough past the threshold to count even where Rasa hears small talk
    person: bool
    off_topic: bool


@dataclass(frozen=True)
class LabelledText:
    """A training text with its label, and where it comes from (a corpus set, "knowledge", "integreat", "nlu")."""

    text: str
    label: Label
    source: str
    language: str | None = None


# Rasa's conversation intents whose examples are ordinary messages here (neither a request for a person nor off-topic).
ORDINARY_INTENTS = ("greet", "goodbye", "thanks", "affirm", "deny", "bot_challenge", "help", "choose_language")


def _nlu_examples() -> dict[str, list[str]]:
    """The examples Rasa learns per intent (data/nlu/*.yml), so both layers agree on what each means.

    Read once per build, with libyaml's parser: the generated knowledge questions make these files large, and
    reading them in pure Python for each intent took most of a knowledge reload (docs/decisions/008-replicas.md).
    """
    examples: dict[str, list[str]] = {}
    for path in sorted(NLU_DIR.glob("*.yml")):
        for block in (yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader) or {}).get("nlu") or []:
            if "intent" in block:
                lines = block["examples"].splitlines()
                examples.setdefault(block["intent"], []).extend(
                    line[2:].strip() for line in lines if line.startswith("- ")
                )
    return examples


def training_texts(knowledge: KnowledgeBase, corpus: Sequence[TriageExample]) -> list[LabelledText]:
    """Corpus, Rasa's conversation examples, knowledge questions and Integreat questions, labelled, each text once."""
    nlu = _nlu_examples()
    texts = [LabelledText(e.text, e.label, e.set, e.language) for e in corpus]
    texts += [LabelledText(t, Label.PERSON, "nlu") for t in nlu.get("talk_to_person", [])]
    texts += [LabelledText(t, Label.OFF_TOPIC, "nlu") for t in nlu.get("out_of_scope", [])]
    texts += [LabelledText(t, Label.ORDINARY, "nlu") for intent in ORDINARY_INTENTS for t in nlu.get(intent, [])]
    texts += [
        LabelledText(q, Label.ORDINARY, "knowledge", lang)
        for entry_id, lang, q in knowledge.questions()
        if entry_id not in SAFETY_ENTRIES
    ]
    texts += [
        LabelledText(text, Label.OFF_TOPIC if category == "out_of_scope" else Label.ORDINARY, "integreat")
        for text, category, _ in integreat_examples()
    ]
    seen: set[str] = set()
    unique = []
    for item in texts:  # the first label wins: corpus before knowledge (e.g. a question that is also a hard negative)
        if item.text not in seen:
            seen.add(item.text)
            unique.append(item)
    return unique


def balanced_weights(labels: Sequence[Label]) -> NDArray[np.float64]:
    """Each label weighs as much in total as any other, whatever its count."""
    counts = {label: labels.count(label) for label in set(labels)}
    return np.array([len(labels) / (len(counts) * counts[label]) for label in labels])


class TriageFeatures:
    """Character n-grams of the folded text, plus the sentence embedding when there is a model."""

    def __init__(self, texts: Sequence[str]) -> None:
        self._vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)
        self._vectorizer.fit([fold(t) for t in texts])

    def transform(self, texts: Sequence[str], vectors: np.ndarray | None) -> sparse.csr_matrix:
        grams = self._vectorizer.transform([fold(t) for t in texts])
        if vectors is None:
            return grams.tocsr()
        return sparse.hstack([grams, sparse.csr_matrix(EMBEDDING_WEIGHT * vectors)], format="csr")


class TriageClassifier:
    """One linear SVM over `TriageFeatures`, each label weighted equally; margins in the order of LABELS."""

    def __init__(self, texts: Sequence[str], labels: Sequence[Label], vectors: np.ndarray | None) -> None:
        self._features = TriageFeatures(texts)
        self._semantic = vectors is not None
        self._model = LinearMargins(
            self._features.transform(texts, vectors),
            [str(x) for x in labels],
            c=0.5,
            weights=balanced_weights(list(labels)),
        )
        columns = {Label(name): i for i, name in enumerate(self._model.labels)}
        self._order = [columns[label] for label in LABELS]

    def margins(self, texts: Sequence[str], vectors: np.ndarray | None) -> np.ndarray:
        """Shape (len(texts), len(LABELS))."""
        return self._model.margins(self._features.transform(texts, vectors if self._semantic else None))[:, self._order]


class TriageModel:
    """Built with the router (seconds); `assess` is a sparse dot product per label (well under a millisecond)."""

    def __init__(
        self,
        knowledge: KnowledgeBase,
        encoder: Encoder | None = None,
        corpus: Sequence[TriageExample] | None = None,
        thresholds: TriageThresholds | None = None,
    ) -> None:
        corpus = list(training_corpus() if corpus is None else corpus)
        self.thresholds = thresholds or (SEMANTIC_THRESHOLDS if encoder else LEXICAL_THRESHOLDS)
        labelled = training_texts(knowledge, corpus)
        self.inputs = _inputs(labelled, encoder, corpus)
        texts = [item.text for item in labelled]
        self._classifier = TriageClassifier(
            texts, [item.label for item in labelled], encoder.encode_cached(texts) if encoder else None
        )
        emergencies = [e for e in corpus if e.emergency_kind]
        self._kinds = CharNgramClassifier([e.text for e in emergencies], [str(e.emergency_kind) for e in emergencies])
        self._who = CharNgramClassifier(
            [e.text for e in emergencies], ["other" if e.about_other else "self" for e in emergencies]
        )

    def trained_for(self, knowledge: KnowledgeBase, encoder: Encoder | None) -> bool:
        """True if a model built for `knowledge` now would be this one: a knowledge change that leaves the triage's
        inputs alone (an answer, a source) reuses it instead of training it again (decision 008: the rebuild must
        reach every replica within a minute)."""
        corpus = list(training_corpus())
        return self.inputs == _inputs(training_texts(knowledge, corpus), encoder, corpus)

    def emergency_kind(self, text: str) -> tuple[EmergencyKind, bool]:
        """Which first action fits an emergency message, and whether it is about another person.

        Asked only once a message is an emergency: two more n-gram transforms would double what triage
        costs every other message."""
        kinds = self._kinds.scores([text])[0]
        who = self._who.scores([text])[0]
        return EmergencyKind(self._kinds.labels[int(np.argmax(kinds))]), self._who.labels[
            int(np.argmax(who))
        ] == "other"

    def assess(self, text: str, vector: np.ndarray | None = None) -> Triage:
        """The triage of one message; `vector` is its embedding (shape (1, dim)) when the model is semantic."""
        row = self._classifier.margins([text], vector)[0]
        margins = dict(zip(LABELS, map(float, row)))
        t = self.thresholds
        return Triage(
            margins,
            margins[Label.EMERGENCY] >= t.emergency,
            margins[Label.EMERGENCY] >= SURE_MARGIN,
            margins[Label.PERSON] >= t.person,
            margins[Label.OFF_TOPIC] >= t.off_topic,
        )


def _inputs(labelled: Sequence[LabelledText], encoder: Encoder | None, corpus: Sequence[TriageExample]) -> str:
    """A digest of everything a TriageModel learns from: labelled texts, the emergency corpus, the embedding model."""
    digest = hashlib.sha256(repr(encoder.name if encoder else None).encode())
    for item in labelled:
        digest.update(f"{item.label}\0{item.text}\n".encode())
    for example in corpus:
        digest.update(f"{example.emergency_kind}\0{example.about_other}\0{example.text}\n".encode())
    return digest.hexdigest()


def triage_texts(knowledge: KnowledgeBase) -> list[str]:
    """Every text the triage model encodes with the embedding model (for the start-up cache check)."""
    return [item.text for item in training_texts(knowledge, training_corpus())]
