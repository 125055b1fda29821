"""Talks to Rasa's REST channel: one POST per user message, Rasa's replies back.

The REST channel (not a custom input channel) is enough: it forwards the
`metadata` field to the tracker, which is how the app's language_code reaches
the action server, and it keeps Rasa free of Telegram code. The gateway owns
everything Telegram-specific; Rasa listens on 127.0.0.1 only.
"""

from __future__ import annotations

from typing import Any

import httpx


class RasaUnavailable(Exception):
    """Rasa (or the action server behind it) did not answer in time or failed."""


# How long a reply may take in all before the gateway stops waiting: Rasa's own limit for an action call (5 min).
# Only the person is told earlier (`patience_s`) that the answer is late.
FINISH_S = 300.0


class RasaClient:
    """An HTTP client with one connection pool for all chats."""

    def __init__(self, rasa_url: str, patience_s: float, finish_s: float = FINISH_S) -> None:
        self._url = f"{rasa_url.rstrip('/')}/webhooks/rest/webhook"
        self._client = httpx.AsyncClient(timeout=max(finish_s, patience_s))
        self.patience_s = patience_s

    async def send(
        self, sender: str, text: str, metadata: dict[str, Any], expect_reply: bool = True
    ) -> list[dict[str, Any]]:
        """Rasa's replies to one message; raises RasaUnavailable instead of leaving the user without answer.

        metadata: the app's language_code and the services with a warm channel (read by actions/reply.py).
        """
        body = {"sender": sender, "message": text, "metadata": metadata}
        try:
            response = await self._client.post(self._url, json=body)
            response.raise_for_status()
            replies = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise RasaUnavailable(type(error).__name__) from error
        if not isinstance(replies, list) or (expect_reply and not replies):
            raise RasaUnavailable("no reply")
        return replies

    async def close(self) -> None:
        await self._client.aclose()
