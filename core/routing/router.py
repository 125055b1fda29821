"""The decision for one user message: emergency, answer, clarify, hand over, or chat.

This is the single place where Lotse decides what to do. The live bot
(actions/reply.py) and `./lotse route` both call `Router.decide` with the
same trained Rasa model's parse result, so what the evaluation measures is what
users get.
"""

from __future__ import annotations

from dataclasses import dataclass

from core import config
from core.knowledge.base import KnowledgeBase
from core.languages import LANGUAGES, named_languages, requested_language
from core.payloads import COMMAND_INTENTS
from core.routing.decision import CHAT_KINDS, COMMAND_KINDS, Decision, Kind, Nlu
from core.routing.emergency import is_emergency
from core.routing.language import detect
from core.routing.ranking import Candidate, Ranker, Ranking
from core.routing.triage import TriageModel
from core.routing.triage_corpus import EmergencyKind
from core.taxonomy import CATEGORIES, OUT_OF_SCOPE
from core.text_normalisation import clean, has_words

DEFAULT_LANGUAGE = "en"
# Rasa's confidence in a small-talk intent from which the learned emergency layer needs a clear margin.
SURE_SMALL_TALK = 0.9


@dataclass(frozen=True)
class Thresholds:
    """Where answer, clarify and no match part, on the ranker's margin scale (defaults: the lexical ranker).

    Tuned on held-out folds that `./lotse eval` does not report, with 25 questions per entry and language
    (docs/decisions/002-routing-thresholds.md).
    `intent` is the Rasa confidence at which a conversation intent wins, unless the ranker is `strong`ly sure
    of an entry.
    """

    answer: float = -0.3
    margin: float = 0.2
    clarify: float = -0.8
    intent: float = 0.50
    strong: float = 0.3
    # The category guess's margin from which a person request is taken to name its topic (tools/triage_tuning.py).
    person_topic: float = -0.1


LEXICAL_THRESHOLDS = Thresholds()
# Embedding scores spread wider: thresholds that keep the lexical precision (docs/decisions/002-routing-thresholds.md).
SEMANTIC_THRESHOLDS = Thresholds(answer=-0.2, margin=0.5, clarify=-0.9, strong=0.9, person_topic=0.2)


class Router:
    """Decides per message; holds the knowledge and the ranker, nothing per user."""

    def __init__(
        self,
        knowledge: KnowledgeBase,
        ranker: Ranker,
        thresholds: Thresholds | None = None,
        triage: TriageModel | None = None,
    ) -> None:
        self.knowledge = knowledge
        self.ranker = ranker
        self.thresholds = thresholds or (LEXICAL_THRESHOLDS if ranker.mode == "lexical" else SEMANTIC_THRESHOLDS)
        self.triage = triage or TriageModel(knowledge, ranker.encoder if ranker.mode != "lexical" else None)

    def _language(self, text: str, nlu: Nlu, current: str | None) -> str:
        explicit = nlu.entities.get("language")
        if explicit in LANGUAGES:
            return explicit
        if nlu.intent == "choose_language":
            named = requested_language(text)
            if named:
                return named
        detection = detect(text)
        if detection.language and (current is None or detection.confident):
            return detection.language
        return current or DEFAULT_LANGUAGE

    def _category_of(self, entry_id: str | None) -> str | None:
        entry = self.knowledge.entries.get(entry_id or "")
        return entry.category if entry else None

    def _sure(self, candidates: tuple[Candidate, ...]) -> Candidate | None:
        """The top entry when it is good enough and clearly ahead of the next: sure enough to answer with."""
        if not candidates:
            return None
        top, second = candidates[0], candidates[1].score if len(candidates) > 1 else 0.0
        return top if top.score >= self.thresholds.answer and top.score - second >= self.thresholds.margin else None

    def _topic(self, ranking: Ranking | None) -> tuple[str | None, str | None]:
        """The entry, else the category, that a message names besides its request, or (None, None)."""
        if ranking is None:
            return None, None
        sure = self._sure(ranking.candidates)
        if sure:
            return sure.entry_id, self._category_of(sure.entry_id)
        if ranking.category in CATEGORIES and ranking.category_score >= self.thresholds.person_topic:
            return None, ranking.category
        return None, None

    def decide(self, text: str, nlu: Nlu, current_language: str | None = None) -> Decision:
        """Decide what to do with `text`, given Rasa's parse and the conversation's language."""
        text = clean(text or "")
        command = COMMAND_INTENTS.get(text.split()[0].lower() if text.startswith("/") else "")
        if command:
            nlu = Nlu(command, 1.0, nlu.entities)
        truncated = len(text) > config.MAX_ROUTED_CHARS
        text = text[: config.MAX_ROUTED_CHARS]
        language = self._language(text, nlu, current_language)
        changed = language != current_language and current_language is not None
        t = self.thresholds

        def decision(
            kind: Kind,
            entry_id: str | None = None,
            category: str | None = None,
            confidence: float = 0.0,
            candidates: tuple[Candidate, ...] = (),
            emergency: EmergencyKind | None = None,
            about_other: bool = False,
            languages: tuple[str, ...] = (),
        ) -> Decision:
            return Decision(
                kind,
                language,
                changed,
                entry_id,
                category or self._category_of(entry_id),
                confidence,
                candidates,
                truncated,
                emergency,
                about_other,
                languages,
            )

        if not has_words(text):
            return decision(Kind.INVALID)
        # Button payloads ("/choose_entry{...}") are ids, not words a person typed.
        typed = not text.startswith("/")
        vector = self.ranker.embed(text) if typed else None  # once per message, for the ranker and triage
        ranking = self.ranker.rank(text, vector) if typed else None
        triage = self.triage.assess(text, vector) if typed else None
        candidates = ranking.candidates if ranking else ()
        guessed_category = ranking.category if ranking else None
        top = candidates[0] if candidates else None
        top_score = top.score if top else 0.0
        sure = self._sure(candidates)

        # Emergencies first, whatever the classifier says; the best answer follows if there is one, else the
        # nearest entries as buttons (a question about violence counselling taken for an emergency still reaches
        # its answer in one tap). Where Rasa is sure of small talk ("ja", "danke") only the patterns or a clear
        # margin count: short messages sit near the learned model's boundary, and a "yes" answered with 112
        # helps nobody.
        small_talk = nlu.intent in CHAT_KINDS and nlu.confidence >= SURE_SMALL_TALK
        learned = triage is not None and (triage.emergency and not small_talk or triage.sure_emergency)
        if triage and (learned or is_emergency(text)):
            entry_id = top.entry_id if top and top_score >= t.clarify else None
            offered = candidates if top and t.clarify <= top_score < t.answer else ()
            kind, about_other = self.triage.emergency_kind(text)
            return decision(
                Kind.EMERGENCY,
                entry_id,
                self._category_of(entry_id) or "protection",
                1.0,
                offered,
                emergency=kind,
                about_other=about_other,
            )

        # Buttons carry ids: they are exact, no guessing needed.
        if nlu.intent == "choose_entry" and nlu.entities.get("entry") in self.knowledge.entries:
            return decision(Kind.ANSWER, nlu.entities["entry"], confidence=1.0)
        if nlu.intent == "handover" and not typed:
            return decision(Kind.HANDOVER_STEP, confidence=1.0)
        if nlu.intent == "rate" and not typed:
            return decision(Kind.RATED, entry_id=nlu.entities.get("entry"), confidence=1.0)
        if nlu.intent == "choose_category" and nlu.entities.get("category") in CATEGORIES:
            return decision(Kind.CATEGORY_MENU, category=nlu.entities["category"], confidence=1.0)
        # A request for a person, also when it names a topic or a language ("someone who speaks Tigrinya
        # about my rent"): the topic and the languages go into matching, so nobody is asked twice.
        if (nlu.intent == "talk_to_person" and nlu.confidence >= t.intent) or (triage and triage.person):
            entry_id, category = self._topic(ranking)
            return decision(
                Kind.PERSON,
                entry_id,
                category,
                max(nlu.confidence, 0.9) if triage and triage.person else nlu.confidence,
                languages=named_languages(text),
            )
        confident_intent = nlu.confidence >= t.intent and top_score < t.strong
        if nlu.intent == "choose_language":
            if nlu.entities.get("language") in LANGUAGES or requested_language(text):
                return decision(Kind.LANGUAGE_SET, confidence=max(nlu.confidence, 0.9))
            if confident_intent:
                return decision(Kind.CHOOSE_LANGUAGE, confidence=nlu.confidence)
        if nlu.intent == "help" and confident_intent:
            return decision(Kind.MENU, confidence=nlu.confidence)

        if nlu.intent in COMMAND_KINDS and command:
            return decision(Kind(nlu.intent), confidence=1.0)
        if nlu.intent in CHAT_KINDS and confident_intent:
            return decision(Kind(nlu.intent), confidence=nlu.confidence)
        if triage and triage.off_topic and not sure:
            return decision(Kind.OUT_OF_SCOPE, category=OUT_OF_SCOPE, confidence=1.0)
        if nlu.intent == "out_of_scope" and confident_intent:
            return decision(Kind.OUT_OF_SCOPE, category=OUT_OF_SCOPE, confidence=nlu.confidence)

        if sure:
            return decision(Kind.ANSWER, sure.entry_id, confidence=sure.confidence, candidates=candidates)
        if top and top_score >= t.clarify:
            # Unsure between entries: the category classifier (trained on many more real questions) names
            # the topic better than the top entry's category (docs/decisions/002-routing-thresholds.md).
            return decision(
                Kind.CLARIFY, top.entry_id, category=guessed_category, confidence=top.confidence, candidates=candidates
            )
        if nlu.intent == "out_of_scope":
            return decision(Kind.OUT_OF_SCOPE, category=OUT_OF_SCOPE, confidence=nlu.confidence)
        # Nothing fits well enough to answer; the guessed category still guides the handover.
        return decision(
            Kind.NO_MATCH, category=guessed_category, confidence=top.confidence if top else 0.0, candidates=candidates
        )
