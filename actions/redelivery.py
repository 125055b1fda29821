"""A message Telegram delivered again after Rasa had already answered and stored it (a gateway or Rasa server died
in between, docs/decisions/008-replicas.md): the earlier answer is given again and the conversation does not move
on a second time. Without this, a repeated city or consent step would derail the handover dialogue.

The gateway puts the Telegram update id into the message's metadata; Rasa keeps it with the user event.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def earlier_answer(events: Sequence[dict[str, Any]], update_id: int) -> list[dict[str, Any]] | None:
    """The replies the bot gave to an earlier delivery of `update_id` in this conversation, as `utter_message`
    arguments; None if there was none (the last user event is the message being answered now)."""
    users = [i for i, event in enumerate(events) if event.get("event") == "user"]
    for start in users[:-1]:
        if (events[start].get("metadata") or {}).get("update_id") != update_id:
            continue
        replies = []
        for event in events[start + 1 :]:
            if event.get("event") == "user":
                break
            if event.get("event") == "bot":
                data = event.get("data") or {}
                replies.append(
                    {
                        "text": event.get("text"),
                        "buttons": data.get("buttons") or [],
                        "json_message": data.get("custom"),
                    }
                )
        return replies or None
    return None
