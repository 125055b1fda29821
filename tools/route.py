"""`./lotse route`: the evaluation interface, one JSON line in, one JSON line out.

It parses each text with the same trained Rasa model (over the running Rasa
server's /model/parse) and applies the same Router as the live action, so
evaluation numbers describe the real bot.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Any, TextIO

import httpx

from core.model.rasa_api import RasaApi
from core.routing.router import Decision, Nlu, Router


def route_one(router: Router, client: httpx.Client, rasa: RasaApi, text: str) -> dict[str, Any]:
    """Route one text; the result has the fields of the interface (without id)."""
    return route_parsed(router, text, rasa.parse(client, text))


def route_parsed(router: Router, text: str, parse: dict[str, Any]) -> dict[str, Any]:
    """The interface's fields for `text`, given Rasa's parse of it."""
    return interface_fields(router.decide(text, Nlu.from_parse(parse)), parse)


def interface_fields(decision: Decision, parse: dict[str, Any]) -> dict[str, Any]:
    """The interface's fields of one decision (without id)."""
    return {
        "language": decision.language,
        "action": decision.route_action,
        "category": decision.category,
        "entry": decision.entry_id,
        "confidence": round(decision.confidence, 4),
        "intent": parse.get("intent", {}).get("name"),
        # The entries offered as buttons (clarify, or an emergency without a sure answer): what the user can pick.
        "candidates": [c.entry_id for c in decision.offered],
    }


def route_lines(router: Router, rasa: RasaApi, lines: Iterable[str], out: TextIO = sys.stdout) -> int:
    """Route every JSON line; a malformed line gets an error line, and the run goes on."""
    count = 0
    with httpx.Client(timeout=30) as client:
        for line in lines:
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                result = {"id": item.get("id"), **route_one(router, client, rasa, str(item.get("text") or ""))}
            except (json.JSONDecodeError, AttributeError) as error:
                result = {"id": None, "error": f"not a JSON object with 'id' and 'text': {error}"}
            out.write(json.dumps(result, ensure_ascii=False) + "\n")
            out.flush()
            count += 1
    return count
