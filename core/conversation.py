"""One turn of a conversation: from a message's decision and the conversation's state to what the bot says,
the state afterwards and what goes to the volunteers' inbox.

The conversation's state is Rasa's slots (`Slots`); the Rasa action (actions/reply.py) only reads them from
the tracker and writes the changes back as events, so everything decided here runs without Rasa.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core import config
from core.handover.flow import HandoverFlow, State
from core.i18n.messages import Messages
from core.knowledge.base import KnowledgeBase
from core.replies import Message, ReplyBuilder
from core.routing.decision import QUESTION_KINDS, Decision, Kind, Nlu
from core.store.inbox import InboxReason

# The slots a turn reads and writes (domain.yml declares them).
SLOTS = ("language", "handover", "open_clarify", "last_entry", "last_question")
Slots = Mapping[str, Any]


@dataclass(frozen=True)
class Unanswered:
    """A question for the volunteers' inbox: the bot could not answer it well."""

    text: str
    language: str
    reason: InboxReason
    candidates: list[str]


@dataclass
class Turn:
    """What one message leads to."""

    replies: list[Message]
    slots: dict[str, Any]  # every slot of SLOTS as it is after this turn
    unanswered: list[Unanswered] = field(default_factory=list)

    def changed(self, before: Slots) -> dict[str, Any]:
        """Only the slots this turn changed: every event is stored and replayed by Rasa on each message, so
        unchanged slots would make every later message slower (docs/decisions/005-serving-performance.md)."""
        return {name: value for name, value in self.slots.items() if before.get(name) != value}


def languages_with(decision: Decision) -> tuple[str, ...]:
    """The languages a person request named, and the conversation's language (which they evidently read)."""
    return tuple(dict.fromkeys((*decision.languages, decision.language))) if decision.languages else ()


def take_turn(
    knowledge: KnowledgeBase,
    messages: Messages,
    decision: Decision,
    nlu: Nlu,
    text: str,
    slots: Slots,
    warm_services: tuple[str, ...] = (),
) -> Turn:
    """The replies, the slots afterwards and the inbox items for one message routed as `decision`."""
    flow = HandoverFlow(knowledge, messages)
    handover = handover_state(flow, slots, decision, nlu, text)
    if handover is None:
        replies = ReplyBuilder(knowledge, messages).build(decision)
        unanswered, open_clarify = keep_unanswered(slots, decision, nlu, text)
    else:  # the handover dialogue took the message
        replies, handover = flow.step(handover, decision.language, warm_services)
        unanswered, open_clarify = keep_unanswered(slots, decision, nlu, text, in_dialogue=True)
    after = {name: slots.get(name) for name in SLOTS}
    after.update(language=decision.language, handover=handover, open_clarify=open_clarify)
    if decision.kind in (Kind.ANSWER, Kind.EMERGENCY) and decision.entry_id and not decision.offered:
        after["last_entry"] = decision.entry_id
    if decision.kind in QUESTION_KINDS and not text.startswith("/"):
        after["last_question"] = text[: config.MAX_ROUTED_CHARS]
    return Turn(replies, after, unanswered)


def keep_unanswered(
    slots: Slots, decision: Decision, nlu: Nlu, text: str, in_dialogue: bool = False
) -> tuple[list[Unanswered], dict[str, Any] | None]:
    """What the bot could not answer, for the volunteers' inbox, and the new open clarify question.

    Kept: no-match (unless the handover dialogue took the message, e.g. as the person's city), a clarify question
    the person did not resolve with one of its buttons, and the question behind an answer rated 👎.
    """
    typed = not text.startswith("/")
    candidates = [c.entry_id for c in decision.candidates[:3]]
    open_clarify = slots.get("open_clarify")
    kept: list[Unanswered] = []
    if typed and decision.kind == Kind.NO_MATCH and not in_dialogue:
        kept.append(Unanswered(text, decision.language, InboxReason.NO_MATCH, candidates))
    if isinstance(open_clarify, dict) and nlu.intent != "choose_entry":
        kept.append(
            Unanswered(
                open_clarify["text"],
                open_clarify["language"],
                InboxReason.CLARIFY_ABANDONED,
                open_clarify["candidates"],
            )
        )
    if decision.kind == Kind.RATED and slots.get("last_question"):
        kept.append(
            Unanswered(
                slots["last_question"], decision.language, InboxReason.RATED_UNHELPFUL, [decision.entry_id or ""]
            )
        )
    if typed and decision.kind == Kind.CLARIFY:
        return kept, {"text": text[: config.MAX_ROUTED_CHARS], "language": decision.language, "candidates": candidates}
    return kept, None


def handover_state(flow: HandoverFlow, slots: Slots, decision: Decision, nlu: Nlu, text: str) -> State | None:
    """The handover state after this message, or None when no handover is under way."""
    state = slots.get("handover")
    if decision.kind == Kind.EMERGENCY:
        return None
    if decision.kind == Kind.PERSON and (decision.entry_id or decision.category or decision.languages):
        # The request named its topic or languages: take them, and the message as the question.
        state = flow.start(
            decision.entry_id,
            text if decision.entry_id or decision.category else None,
            decision.category,
            languages_with(decision),
        )
    elif decision.kind == Kind.PERSON or (decision.kind == Kind.HANDOVER_STEP and not isinstance(state, dict)):
        state = flow.start(slots.get("last_entry"), slots.get("last_question"))
    if decision.kind == Kind.HANDOVER_STEP:
        assert isinstance(state, dict)  # started just above if it was not one
        state = flow.update(state, nlu.entities)
        return flow.choose(state, nlu.entities["service"]) if nlu.entities.get("service") else state
    if decision.kind == Kind.PERSON:
        return state
    if isinstance(state, dict) and flow.waits_for_place(state) and not text.startswith("/"):
        return flow.place_from_text(state, text, decision.language)  # None: they asked something else
    return None
