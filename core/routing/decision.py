"""The contract between routing and everything that acts on it: what Rasa understood, and the decision.

`Kind` is finer than the evaluation interface's `RouteAction` (`./lotse route`); both are string enums, so
they compare equal to, and serialise as, the words the interface and the logs have always used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from core.routing.ranking import Candidate
from core.routing.triage_corpus import EmergencyKind


class Kind(StrEnum):
    """What to do with one message."""

    EMERGENCY = "emergency"
    ANSWER = "answer"
    CLARIFY = "clarify"  # "did you mean one of these?"
    CATEGORY_MENU = "category_menu"  # a category's topics (a category button)
    MENU = "menu"  # the categories
    CHOOSE_LANGUAGE = "choose_language"
    LANGUAGE_SET = "language_set"
    INVALID = "invalid"  # no words at all (emoji only, empty)
    NO_MATCH = "no_match"
    PERSON = "person"  # a request for a person: starts the handover
    HANDOVER_STEP = "handover_step"  # a button of the handover dialogue
    RATED = "rated"  # a 👎 forwarded by a rich client
    OUT_OF_SCOPE = "out_of_scope"
    START = "start"  # /start
    ABOUT = "about"  # /help: what Lotse can and cannot do
    GREET = "greet"
    GOODBYE = "goodbye"
    THANKS = "thanks"
    AFFIRM = "affirm"
    DENY = "deny"
    BOT_CHALLENGE = "bot_challenge"


class RouteAction(StrEnum):
    """The coarse action of the evaluation interface (`./lotse route`, README)."""

    EMERGENCY = "emergency"
    ANSWER = "answer"
    CLARIFY = "clarify"
    HANDOVER = "handover"
    OUT_OF_SCOPE = "out_of_scope"


# Small talk Rasa recognises, each a kind of its own.
CHAT_KINDS = frozenset({Kind.GREET, Kind.GOODBYE, Kind.THANKS, Kind.AFFIRM, Kind.DENY, Kind.BOT_CHALLENGE})
# Commands with a reply of their own: /start greets and offers the languages, /help says what Lotse can and cannot do.
COMMAND_KINDS = frozenset({Kind.START, Kind.ABOUT})
# Kinds whose message is a question someone asked (kept for a later handover, or the inbox).
QUESTION_KINDS = frozenset({Kind.ANSWER, Kind.CLARIFY, Kind.NO_MATCH, Kind.EMERGENCY})

ROUTE_ACTIONS: dict[Kind, RouteAction] = {
    **{kind: RouteAction.CLARIFY for kind in Kind},
    Kind.EMERGENCY: RouteAction.EMERGENCY,
    Kind.ANSWER: RouteAction.ANSWER,
    Kind.NO_MATCH: RouteAction.HANDOVER,
    Kind.PERSON: RouteAction.HANDOVER,
    Kind.HANDOVER_STEP: RouteAction.HANDOVER,
    Kind.OUT_OF_SCOPE: RouteAction.OUT_OF_SCOPE,
}


@dataclass(frozen=True)
class Nlu:
    """What Rasa understood: the top intent, its confidence and the entities by name."""

    intent: str = "nlu_fallback"
    confidence: float = 0.0
    entities: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_parse(cls, parse: dict[str, Any]) -> Nlu:
        """Build from a Rasa parse result (tracker.latest_message or /model/parse)."""
        intent = parse.get("intent") or {}
        entities = {e["entity"]: str(e["value"]) for e in parse.get("entities") or [] if "entity" in e}
        return cls(str(intent.get("name") or "nlu_fallback"), float(intent.get("confidence") or 0.0), entities)


@dataclass(frozen=True)
class Decision:
    """What to do with one message; `kind` is finer than the route action."""

    kind: Kind
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
    def route_action(self) -> RouteAction:
        return ROUTE_ACTIONS[self.kind]

    @property
    def offered(self) -> tuple[Candidate, ...]:
        """The entries offered as buttons: a clarify question's, or an emergency's whose best answer is not
        sure enough to show after the numbers."""
        return self.candidates[:3] if self.kind in (Kind.CLARIFY, Kind.EMERGENCY) else ()
