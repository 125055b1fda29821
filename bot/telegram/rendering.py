"""Rasa's REST replies -> Telegram messages.

Text goes out as plain text (no parse mode), so nothing in an answer can break
Telegram's formatting; Telegram links URLs by itself. Rasa buttons become
inline keyboards whose callback data is the button's payload (ids only, at most
64 bytes). An answer's `custom` payload adds a source link button and a 👍/👎 row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from core.payloads import CALLBACK_DATA_LIMIT, Feedback, MessageType

TELEGRAM_TEXT_LIMIT = 4096


@dataclass(frozen=True)
class Button:
    """An inline button: either `callback` data or a `url` to open."""

    title: str
    callback: str | None = None
    url: str | None = None


@dataclass
class Outgoing:
    """One Telegram message: text and keyboard rows."""

    text: str
    rows: list[list[Button]] = field(default_factory=list)
    language: str | None = None
    consent: dict[str, Any] | None = None  # a handover case awaiting the person's consent


def keyboard(rows: list[list[Button]]) -> InlineKeyboardMarkup | None:
    """The inline keyboard for button rows (None: no keyboard)."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.title, callback_data=b.callback, url=b.url) for b in row] for row in rows]
    )


def split_text(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Cut a long text into messages on paragraph boundaries, else on lines, else on spaces."""
    if len(text) <= limit:
        return [text]
    for separator in ("\n\n", "\n", " "):
        cut = text.rfind(separator, 0, limit + 1)
        if cut > 0:
            return [text[:cut].rstrip()] + split_text(text[cut + len(separator) :].lstrip("\n"), limit)
    return [text[:limit]] + split_text(text[limit:], limit)


def _payload_button(button: dict[str, Any]) -> Button:
    payload = str(button.get("payload") or "")
    if len(payload.encode()) > CALLBACK_DATA_LIMIT:
        raise ValueError(f"button payload longer than Telegram's {CALLBACK_DATA_LIMIT} bytes: {payload[:70]}")
    return Button(str(button.get("title") or payload), callback=payload)


def render(replies: list[dict[str, Any]], text_of: Callable[[str, str], str]) -> list[Outgoing]:
    """Telegram messages for Rasa's replies; `text_of(key, language)` gives the gateway's own texts."""
    outgoing: list[Outgoing] = []
    for reply in replies:
        if reply.get("text"):
            parts = split_text(str(reply["text"]))
            outgoing.extend(Outgoing(part) for part in parts[:-1])
            outgoing.append(Outgoing(parts[-1], [[_payload_button(b)] for b in reply.get("buttons") or []]))
        custom = reply.get("custom")
        if isinstance(custom, dict) and outgoing:
            _decorate(outgoing[-1], custom, text_of)
    return outgoing


def _decorate(message: Outgoing, custom: dict[str, Any], text_of: Callable[[str, str], str]) -> None:
    """Source link and feedback row under an answer; remember the answer's language."""
    language = str(custom.get("language") or "en")
    message.language = language
    if custom.get("type") == MessageType.HANDOVER_CONSENT and isinstance(custom.get("case"), dict):
        message.consent = custom["case"]
    entry = custom.get("entry")
    if custom.get("type") != MessageType.ANSWER or not entry:
        return
    extra: list[list[Button]] = []
    if custom.get("source"):
        extra.append([Button(f"📄 {text_of('button_source', language)}", url=str(custom["source"]))])
    extra.append(
        [Button("👍", callback=Feedback(entry, True).data), Button("👎", callback=Feedback(entry, False).data)]
    )
    message.rows[:0] = extra
