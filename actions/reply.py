"""The custom Rasa action that answers every user message.

Every rule in data/rules ends in `action_reply`, so each message passes the
emergency layer, language handling and knowledge routing of actions/routing.py,
whatever intent Rasa predicted.
"""
from __future__ import annotations

import logging
import os
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.messages import messages
from actions.replies import ReplyBuilder
from actions.routing import Nlu
from actions.runtime import router, warm_up_in_background

logger = logging.getLogger(__name__)


class ActionReply(Action):
    """Decide what the latest message needs and send it, in the user's language."""

    def name(self) -> str:
        return "action_reply"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        message = tracker.latest_message or {}
        decision = router().decide(message.get("text") or "", Nlu.from_parse(message), tracker.get_slot("language"))
        # Routing outcome only; message text is never logged at INFO.
        logger.info("reply kind=%s language=%s entry=%s confidence=%.2f", decision.kind, decision.language,
                    decision.entry_id, decision.confidence)
        builder = ReplyBuilder(router().knowledge, messages())
        for reply in builder.build(decision, last_entry=tracker.get_slot("last_entry")):
            dispatcher.utter_message(**reply)
        events: list[EventType] = [SlotSet("language", decision.language)]
        if decision.kind in ("answer", "emergency") and decision.entry_id:
            events.append(SlotSet("last_entry", decision.entry_id))
        return events


# Build the router while the server starts, not on the first message, and only in Sanic's worker
# (SANIC_WORKER_NAME is set there): the main process only registers the action, so building there
# would double the memory, and loading an embedding model there fixes multiprocessing's start
# method to fork before Sanic can spawn its worker.
if os.environ.get("SANIC_WORKER_NAME"):
    warm_up_in_background()
