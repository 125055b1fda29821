"""The custom Rasa action that answers every user message.

Every rule in data/rules ends in `action_reply`, so each message passes the
emergency layer, language handling and knowledge routing of core/routing/router.py,
whatever intent Rasa predicted. Tracker in, the core's decision and turn
(core/conversation.py), events out: nothing is decided here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.redelivery import earlier_answer
from core.conversation import SLOTS, take_turn
from core.i18n.messages import messages
from core.languages import language_from_code
from core.metrics import ACTION_ERRORS, ACTION_SECONDS, EMERGENCIES, MESSAGES
from core.routing.decision import Kind, Nlu
from core.runtime import router, warm_up_in_background
from core.store.inbox import open_inbox
from core.text_normalisation import clean

logger = logging.getLogger(__name__)


class ActionReply(Action):
    """Decide what the latest message needs and send it, in the user's language."""

    def name(self) -> str:
        return "action_reply"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        start = time.monotonic()
        try:
            return await self._reply(dispatcher, tracker)
        except Exception:
            ACTION_ERRORS.inc()
            raise
        finally:
            ACTION_SECONDS.observe(time.monotonic() - start)

    async def _reply(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        warm_up_in_background()  # no-op once started; starts the live reload where the import did not
        message = tracker.latest_message or {}
        # The app's language setting (sent by the Telegram gateway) is the first guess; the text decides
        # when it clearly disagrees (Router._language switches only on a confident detection).
        metadata = message.get("metadata") or {}
        if metadata.get("update_id") is not None:
            repeated = earlier_answer(tracker.events, metadata["update_id"])
            if repeated is not None:
                logger.info("redelivered message: the earlier answer again, no state change")
                for reply in repeated:
                    dispatcher.utter_message(**reply)
                return []
        current = tracker.get_slot("language") or language_from_code(metadata.get("language_code"))
        nlu = Nlu.from_parse(message)
        text = clean(message.get("text") or "")
        # In a thread: encoding the message with the embedding model runs in C without the GIL, so other users'
        # messages go on meanwhile instead of queueing in the event loop (docs/decisions/005-serving-performance.md).
        decision = await asyncio.to_thread(router().decide, text, nlu, current)
        # Routing outcome only; message text is never logged at INFO.
        logger.info(
            "reply kind=%s language=%s entry=%s confidence=%.2f",
            decision.kind,
            decision.language,
            decision.entry_id,
            decision.confidence,
        )
        MESSAGES.labels(decision.language, decision.kind).inc()
        if decision.kind == Kind.EMERGENCY:
            EMERGENCIES.labels(decision.language).inc()
        slots = {name: tracker.get_slot(name) for name in SLOTS}
        turn = take_turn(
            router().knowledge, messages(), decision, nlu, text, slots, tuple(metadata.get("warm_services") or ())
        )
        for reply in turn.replies:
            dispatcher.utter_message(**reply)
        try:
            for item in turn.unanswered:
                open_inbox().record(item.text, item.language, item.reason, item.candidates)
        except SQLAlchemyError as error:  # the answer matters more than the inbox
            logger.warning("inbox not written: %s", type(error).__name__)
        return [SlotSet(name, value) for name, value in turn.changed(slots).items()]
