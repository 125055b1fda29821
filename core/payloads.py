"""Every button payload and slash command, built and parsed in one place.

Two kinds of payload, told apart by their first character:
- Rasa payloads ("/intent{json}") go to Rasa, which parses them without NLU; the router trusts only those
  a client marked as a button press.
- Gateway callbacks ("#...") never reach Rasa: feedback, /delete's confirmation, consent to a handover, and
  the counsellors' claim and close buttons.
Telegram carries at most 64 bytes of callback data, so buttons carry ids, never text.

Each bot message also carries a `json_message` for rich clients, whose `type` is a `MessageType`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum


class MessageType(StrEnum):
    """What a bot message is, for rich clients (the Telegram gateway adds sources and feedback to answers)."""

    ANSWER = "answer"
    CLARIFY = "clarify"  # buttons to choose from
    EMERGENCY = "emergency"
    FALLBACK = "fallback"  # nothing fitted, or the input was not usable
    HANDOVER = "handover"  # a step of the handover dialogue
    HANDOVER_CONSENT = "handover_consent"  # the summary the person consents to before anything leaves the bot


CALLBACK_DATA_LIMIT = 64
GATEWAY_CALLBACK = "#"

# Slash commands people type (and Telegram's menu sends), mapped to the intents they mean in Rasa.
COMMAND_INTENTS: dict[str, str] = {
    "/start": "start",
    "/language": "choose_language",
    "/help": "about",
    "/menu": "help",
    "/person": "talk_to_person",
}
# The commands the gateway forwards to Rasa as they are (the others, /delete and /bot, it handles itself).
RASA_COMMANDS: tuple[str, ...] = tuple(command.lstrip("/") for command in COMMAND_INTENTS)


def payload(intent: str, **entities: str) -> str:
    """A Rasa payload, e.g. /choose_entry{"entry":"kita"}: an intent and its entities, no NLU needed."""
    return f"/{intent}{json.dumps(entities, separators=(',', ':'), ensure_ascii=False)}" if entities else f"/{intent}"


# The "Topics" button: the menu of categories (/menu). Not /help, which says what Lotse can and cannot do.
TOPICS_PAYLOAD = "/menu"


def handover_payload(**entities: str) -> str:
    """A step of the handover dialogue: a language, a city, an age group or a service."""
    return payload("handover", **entities)


def rate_payload(entry: str) -> str:
    """A 👎 on an answer, forwarded to Rasa so the question behind it reaches the volunteers' inbox."""
    return payload("rate", entry=entry)


# -- the gateway's own buttons -------------------------------------------------------------------------------

DELETE_YES, DELETE_NO = f"{GATEWAY_CALLBACK}del:yes", f"{GATEWAY_CALLBACK}del:no"
CONSENT_SEND = f"{GATEWAY_CALLBACK}consent:send"
CONSENT_REMOVE_QUESTION = f"{GATEWAY_CALLBACK}consent:noq"
CONSENT_CANCEL = f"{GATEWAY_CALLBACK}consent:cancel"
# Patterns for python-telegram-bot's CallbackQueryHandler, one per kind of gateway button.
FEEDBACK_PATTERN = rf"^{GATEWAY_CALLBACK}fb:"
DELETE_PATTERN = rf"^{GATEWAY_CALLBACK}del:"
CONSENT_PATTERN = rf"^{GATEWAY_CALLBACK}consent:"
CASE_PATTERN = rf"^{GATEWAY_CALLBACK}(claim|close):"


@dataclass(frozen=True)
class Feedback:
    """A 👍 or 👎 on one answer."""

    entry: str
    helpful: bool

    @property
    def data(self) -> str:
        return f"{GATEWAY_CALLBACK}fb:{self.entry}:{int(self.helpful)}"

    @classmethod
    def parse(cls, data: str) -> Feedback:
        _, entry, helpful = data.split(":", 2)
        return cls(entry, helpful == "1")


@dataclass(frozen=True)
class CaseAction:
    """A counsellor's claim or close button on a handover case in their group."""

    action: str  # "claim" or "close"
    case_id: int

    @property
    def data(self) -> str:
        return f"{GATEWAY_CALLBACK}{self.action}:{self.case_id}"

    @classmethod
    def parse(cls, data: str) -> CaseAction | None:
        """None for anything else, or a damaged id."""
        action, _, raw_id = data.removeprefix(GATEWAY_CALLBACK).partition(":")
        if action not in ("claim", "close") or not (raw_id.isascii() and raw_id.isdigit()):
            return None
        return cls(action, int(raw_id))
