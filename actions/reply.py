"""The custom Rasa action that answers every user message.

Every rule in data/rules ends in `action_reply`, so each message passes the
emergency layer, language handling and knowledge routing of actions/routing.py,
whatever intent Rasa predicted.
"""
from __future__ import annotations

import asyncio
import logging
import multiprocessing
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions import settings
from actions.handover_flow import HandoverFlow
from actions.inbox import open_inbox
from actions.languages import language_from_code
from actions.messages import messages
from actions.replies import ReplyBuilder
from actions.routing import Decision, Nlu
from actions.runtime import router, warm_up_in_background
from actions.text_normalisation import clean

logger = logging.getLogger(__name__)
# Decisions about a question the person typed: its text may become part of a handover summary.
QUESTION_KINDS = frozenset({"answer", "clarify", "no_match", "emergency"})


def languages_with(decision: Decision) -> tuple[str, ...]:
    """The languages a person request named, and the conversation's language (which they evidently read)."""
    return tuple(dict.fromkeys((*decision.languages, decision.language))) if decision.languages else ()


class ActionReply(Action):
    """Decide what the latest message needs and send it, in the user's language."""

    def name(self) -> str:
        return "action_reply"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        warm_up_in_background()  # no-op once started; starts the live reload where the import did not
        message = tracker.latest_message or {}
        # The app's language setting (sent by the Telegram gateway) is the first guess; the text decides
        # when it clearly disagrees (Router._language switches only on a confident detection).
        metadata = message.get("metadata") or {}
        current = tracker.get_slot("language") or language_from_code(metadata.get("language_code"))
        nlu = Nlu.from_parse(message)
        text = clean(message.get("text") or "")
        # In a thread: encoding the message (~17 ms of CPU with the embedding model) runs in C without the
        # GIL, so other users' messages go on meanwhile instead of queueing behind it in the event loop.
        decision = await asyncio.to_thread(router().decide, text, nlu, current)
        # Routing outcome only; message text is never logged at INFO.
        logger.info("reply kind=%s language=%s entry=%s confidence=%.2f", decision.kind, decision.language,
                    decision.entry_id, decision.confidence)
        flow = HandoverFlow(router().knowledge, messages())
        handover = self._handover(flow, tracker, decision, nlu, text)
        if handover is not None:
            replies, handover = flow.step(handover, decision.language, tuple(metadata.get("warm_services") or ()))
        else:
            replies = ReplyBuilder(router().knowledge, messages()).build(decision)
        for reply in replies:
            dispatcher.utter_message(**reply)
        slots: dict[str, Any] = {"language": decision.language, "handover": handover,
                                 "open_clarify": self._keep_unanswered(tracker, decision, nlu, text)}
        if decision.kind in ("answer", "emergency") and decision.entry_id and not decision.offered:
            slots["last_entry"] = decision.entry_id
        if decision.kind in QUESTION_KINDS and not text.startswith("/"):
            slots["last_question"] = text[: settings.MAX_ROUTED_CHARS]
        # Only changes become events: every event is stored, and Rasa reloads and replays them all on each
        # message, so unchanged slots would make every later message slower (measured in ./lotse bench).
        return [SlotSet(name, value) for name, value in slots.items() if tracker.get_slot(name) != value]

    @staticmethod
    def _keep_unanswered(tracker: Tracker, decision: Decision, nlu: Nlu, text: str) -> dict[str, Any] | None:
        """Put what the bot could not answer into the volunteers' inbox; returns the new open clarify question.

        Kept: no-match, a clarify question the person did not
        resolve with one of its buttons, and the question behind an answer rated 👎.
        """
        typed = not text.startswith("/")
        candidates = [c.entry_id for c in decision.candidates[:3]]
        open_clarify = tracker.get_slot("open_clarify")
        kept: list[tuple[str, str, str, list[str]]] = []
        if typed and decision.kind == "no_match":
            kept.append((text, decision.language, "no_match", candidates))
        if isinstance(open_clarify, dict) and nlu.intent != "choose_entry":
            kept.append((open_clarify["text"], open_clarify["language"], "clarify_abandoned",
                         open_clarify["candidates"]))
        if decision.kind == "rated" and tracker.get_slot("last_question"):
            kept.append((tracker.get_slot("last_question"), decision.language, "rated_unhelpful",
                         [decision.entry_id or ""]))
        try:
            for item in kept:
                open_inbox().record(*item)
        except SQLAlchemyError as error:  # the answer matters more than the inbox
            logger.warning("inbox not written: %s", type(error).__name__)
        if typed and decision.kind == "clarify":
            return {"text": text[: settings.MAX_ROUTED_CHARS], "language": decision.language, "candidates": candidates}
        return None

    @staticmethod
    def _handover(flow: HandoverFlow, tracker: Tracker, decision: Decision, nlu: Nlu,
                  text: str) -> dict[str, Any] | None:
        """The handover state after this message, or None when no handover is under way."""
        state = tracker.get_slot("handover")
        if decision.kind == "emergency":
            return None
        if decision.kind == "person" and (decision.entry_id or decision.category or decision.languages):
            # The request named its topic or languages: take them, and the message as the question.
            state = flow.start(decision.entry_id, text if decision.entry_id or decision.category else None,
                               decision.category, languages_with(decision))
        elif decision.kind == "person" or (decision.kind == "handover_step" and not isinstance(state, dict)):
            state = flow.start(tracker.get_slot("last_entry"), tracker.get_slot("last_question"))
        if decision.kind == "handover_step":
            state = flow.update(state, nlu.entities)
            return flow.choose(state, nlu.entities["service"]) if nlu.entities.get("service") else state
        if decision.kind == "person":
            return state
        if isinstance(state, dict) and flow.waits_for_place(state) and not text.startswith("/"):
            return flow.place_from_text(state, text, decision.language)  # None: they asked something else
        return None


# Build the router while the server starts, not on the first message, and only in Sanic's worker process:
# the main process only registers the action (building there would double the memory, and loading an
# embedding model there fixes multiprocessing's start method to fork before Sanic can spawn its worker).
# The worker imports this module while unpickling the action, after multiprocessing has named the process.
if multiprocessing.current_process().name != "MainProcess":
    warm_up_in_background()
