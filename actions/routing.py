"""The decision for one user message: emergency, answer, clarify, hand over, or chat.

This is the single place where Lotse decides what to do. The live bot
(actions/reply.py) and `./lotse route` both call `Router.decide` with the
same trained Rasa model's parse result, so what the evaluation measures is what
users get.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from actions import settings
from actions.emergency import is_emergency
from actions.knowledge_base import KnowledgeBase
from actions.language_detection import detect
from actions.languages import LANGUAGES, named_languages, requested_language
from actions.ranking import Candidate, Ranker, Ranking
from actions.taxonomy import CATEGORIES, OUT_OF_SCOPE
from actions.text_normalisation import clean, has_words
from actions.triage import TriageModel
from actions.triage_corpus import EmergencyKind

# Slash commands people type (and Telegram's menu sends), mapped to the intents they mean.
COMMAND_INTENTS: dict[str, str] = {
    "/start": "start", "/language": "choose_language", "/help": "about", "/menu": "help", "/person": "talk_to_person",
}
# Commands with a reply of their own: /start greets and offers the languages, /help says what Lotse can and cannot do.
COMMAND_KINDS = frozenset({"start", "about"})
CHAT_INTENTS = frozenset({"greet", "goodbye", "thanks", "affirm", "deny", "bot_challenge"})
DEFAULT_LANGUAGE = "en"
# Rasa's confidence in a small-talk intent from which the learned emergency layer needs a clear margin.
SURE_SMALL_TALK = 0.9

# Route actions of the evaluation interface (`./lotse route`) for each decision kind.
ROUTE_ACTIONS: dict[str, str] = {
    "emergency": "emergency",
    "answer": "answer",
    "clarify": "clarify",
    "category_menu": "clarify",
    "menu": "clarify",
    "choose_language": "clarify",
    "invalid": "clarify",
    "no_match": "handover",
    "person": "handover",
    "handover_step": "handover",
    "rated": "clarify",
    "out_of_scope": "out_of_scope",
    **{intent: "clarify" for intent in CHAT_INTENTS},
    "language_set": "clarify",
    **{kind: "clarify" for kind in COMMAND_KINDS},
}


@dataclass(frozen=True)
class Thresholds:
    """Where answer, clarify and no match part, on the ranker's margin scale (defaults: the lexical ranker).

    Tuned on held-out folds 0 and 1 of the entries' questions (`./lotse eval` reports
    fold 2), 25 questions per entry and language: at answer -0.3 / margin 0.2, 63 %
    of questions are answered directly with 92 % precision. Clarify from -0.8 (was
    -0.7 with half the questions) turns half of the no-matches into 3 topic buttons
    that hold the right entry (entry accuracy 75.2 % -> 77.0 %, no match 9.4 % -> 4.9 %),
    while 65 % of chit-chat Rasa does not catch still gets a no-match; -0.9 would
    give +1.2 more but buttons for most chit-chat. `intent` is the Rasa confidence at
    which a conversation intent wins, unless the ranker is `strong`ly sure of an entry.
    """

    answer: float = -0.3
    margin: float = 0.2
    clarify: float = -0.8
    intent: float = 0.50
    strong: float = 0.3
    # The category guess's margin from which a person request is taken to name its topic (tools/triage_tuning.py).
    person_topic: float = -0.1


LEXICAL_THRESHOLDS = Thresholds()
# With an embedding model the ranker adds two semantic terms and its scores spread wider, so the
# lexical thresholds answered too often (81.6 % of held-out questions at 87.6 % precision in the
# last `./lotse eval`). Tuned on folds 0 and 1 for multilingual-e5-small to keep the lexical
# precision: 71.2 % answered directly at 92.5 % precision (lexical: 62.8 % at 91.8 %), 26.0 %
# clarified (right entry among the buttons: 92.4 %), 2.9 % no match; of the chit-chat and
# out-of-scope examples, 59.5 % still get a no-match (lexical 55.5 %) and 0.2 % reach `strong`.
SEMANTIC_THRESHOLDS = Thresholds(answer=-0.2, margin=0.5, clarify=-0.9, strong=0.9, person_topic=0.2)


@dataclass(frozen=True)
class Nlu:
    """What Rasa understood: the top intent, its confidence and the entities by name."""

    intent: str = "nlu_fallback"
    confidence: float = 0.0
    entities: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_parse(cls, parse: dict[str, Any]) -> "Nlu":
        """Build from a Rasa parse result (tracker.latest_message or /model/parse)."""
        intent = parse.get("intent") or {}
        entities = {e["entity"]: str(e["value"]) for e in parse.get("entities") or [] if "entity" in e}
        return cls(str(intent.get("name") or "nlu_fallback"), float(intent.get("confidence") or 0.0), entities)


@dataclass(frozen=True)
class Decision:
    """What to do with one message; `kind` is finer than the route action."""

    kind: str
    language: str
    language_changed: bool = False
    entry_id: str | None = None
    category: str | None = None
    confidence: float = 0.0
    candidates: tuple[Candidate, ...] = ()
    truncated: bool = False
    emergency: EmergencyKind | None = None  # which first action the emergency reply names
    about_other: bool = False  # the emergency concerns someone else: the reply speaks to the helper
    languages: tuple[str, ...] = ()  # languages a request for a person names, for matching

    @property
    def route_action(self) -> str:
        return ROUTE_ACTIONS[self.kind]

    @property
    def offered(self) -> tuple[Candidate, ...]:
        """The entries offered as buttons: a clarify question's, or an emergency's whose best answer is not
        sure enough to show after the numbers."""
        return self.candidates[:3] if self.kind in ("clarify", "emergency") else ()


class Router:
    """Decides per message; holds the knowledge and the ranker, nothing per user."""

    def __init__(self, knowledge: KnowledgeBase, ranker: Ranker, thresholds: Thresholds | None = None,
                 triage: TriageModel | None = None) -> None:
        self.knowledge = knowledge
        self.ranker = ranker
        self.thresholds = thresholds or (LEXICAL_THRESHOLDS if ranker.mode == "lexical" else SEMANTIC_THRESHOLDS)
        self.triage = triage or TriageModel(knowledge, ranker.encoder if ranker.mode != "lexical" else None)

    def _language(self, text: str, nlu: Nlu, current: str | None) -> str:
        explicit = nlu.entities.get("language")
        if explicit in LANGUAGES:
            return explicit  # type: ignore[return-value]
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
        truncated = len(text) > settings.MAX_ROUTED_CHARS
        text = text[: settings.MAX_ROUTED_CHARS]
        language = self._language(text, nlu, current_language)
        changed = language != current_language and current_language is not None
        t = self.thresholds

        def decision(kind: str, entry_id: str | None = None, category: str | None = None,
                     confidence: float = 0.0, candidates: tuple[Candidate, ...] = (),
                     emergency: EmergencyKind | None = None, about_other: bool = False,
                     languages: tuple[str, ...] = ()) -> Decision:
            return Decision(kind, language, changed, entry_id, category or self._category_of(entry_id),
                            confidence, candidates, truncated, emergency, about_other, languages)

        if not has_words(text):
            return decision("invalid")
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
        small_talk = nlu.intent in CHAT_INTENTS and nlu.confidence >= SURE_SMALL_TALK
        learned = triage is not None and (triage.emergency and not small_talk or triage.sure_emergency)
        if triage and (learned or is_emergency(text)):
            entry_id = top.entry_id if top and top_score >= t.clarify else None
            offered = candidates if top and t.clarify <= top_score < t.answer else ()
            kind, about_other = self.triage.emergency_kind(text)
            return decision("emergency", entry_id, self._category_of(entry_id) or "protection", 1.0, offered,
                            emergency=kind, about_other=about_other)

        # Buttons carry ids: they are exact, no guessing needed.
        if nlu.intent == "choose_entry" and nlu.entities.get("entry") in self.knowledge.entries:
            return decision("answer", nlu.entities["entry"], confidence=1.0)
        if nlu.intent == "handover" and not typed:
            return decision("handover_step", confidence=1.0)
        if nlu.intent == "rate" and not typed:
            return decision("rated", entry_id=nlu.entities.get("entry"), confidence=1.0)
        if nlu.intent == "choose_category" and nlu.entities.get("category") in CATEGORIES:
            return decision("category_menu", category=nlu.entities["category"], confidence=1.0)
        # A request for a person, also when it names a topic or a language ("someone who speaks Tigrinya
        # about my rent"): the topic and the languages go into matching, so nobody is asked twice.
        if (nlu.intent == "talk_to_person" and nlu.confidence >= t.intent) or (triage and triage.person):
            entry_id, category = self._topic(ranking)
            return decision("person", entry_id, category, max(nlu.confidence, 0.9) if triage and triage.person
                            else nlu.confidence, languages=named_languages(text))
        confident_intent = nlu.confidence >= t.intent and top_score < t.strong
        if nlu.intent == "choose_language":
            if nlu.entities.get("language") in LANGUAGES or requested_language(text):
                return decision("language_set", confidence=max(nlu.confidence, 0.9))
            if confident_intent:
                return decision("choose_language", confidence=nlu.confidence)
        if nlu.intent == "help" and confident_intent:
            return decision("menu", confidence=nlu.confidence)

        if nlu.intent in COMMAND_KINDS and command:
            return decision(nlu.intent, confidence=1.0)
        if nlu.intent in CHAT_INTENTS and confident_intent:
            return decision(nlu.intent, confidence=nlu.confidence)
        if triage and triage.off_topic and not sure:
            return decision("out_of_scope", category=OUT_OF_SCOPE, confidence=1.0)
        if nlu.intent == "out_of_scope" and confident_intent:
            return decision("out_of_scope", category=OUT_OF_SCOPE, confidence=nlu.confidence)

        if sure:
            return decision("answer", sure.entry_id, confidence=sure.confidence, candidates=candidates)
        if top and top_score >= t.clarify:
            # Unsure between entries: the category classifier (trained on many more real questions) names
            # the topic better than the top entry's category (Integreat dev: 70.3 % -> 73.2 %).
            return decision("clarify", top.entry_id, category=guessed_category, confidence=top.confidence,
                            candidates=candidates)
        if nlu.intent == "out_of_scope":
            return decision("out_of_scope", category=OUT_OF_SCOPE, confidence=nlu.confidence)
        # Nothing fits well enough to answer; the guessed category still guides the handover.
        return decision("no_match", category=guessed_category, confidence=top.confidence if top else 0.0,
                        candidates=candidates)
