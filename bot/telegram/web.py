"""The gateway's HTTP side: Telegram's webhook, and /health, /ready and /metrics for operators.

The webhook answers 200 only once the update is handled to the end and 503 when Telegram is to deliver
it again (bot/telegram/delivery.py); Telegram retries anything but a 2xx. Requests without the secret
Telegram was given (X-Telegram-Bot-Api-Secret-Token) are refused: whoever could post here could make up
updates.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from tornado.httpserver import HTTPServer
from tornado.web import Application, RequestHandler

from bot.telegram.delivery import Outcome
from core.metrics import exposition, report_handover_cases
from core.store.cases import STATES

if TYPE_CHECKING:
    from bot.telegram.app import TelegramGateway

logger = logging.getLogger(__name__)

MAX_UPDATE_BYTES = 1_000_000  # a Telegram update is a few KB; anything near this is not one
READY_CACHE_S = 1.0  # a probe every second asks the database at most once a second


class WebServer:
    """Tornado, as python-telegram-bot's own webhook server uses, in the gateway's event loop."""

    def __init__(self, gateway: TelegramGateway, database: Engine) -> None:
        self.gateway = gateway
        self.database = database
        self.stopping = False
        self.in_flight = 0
        self._ready_at = (0.0, False)
        self._server: HTTPServer | None = None
        report_handover_cases(gateway.cases.count_by_state, STATES)

    def start(self, listen: str, port: int, webhook_path: str | None) -> None:
        routes: list[tuple[str, type[RequestHandler], dict[str, object]]] = [
            (r"/health", Health, {"web": self}),
            (r"/ready", Ready, {"web": self}),
            (r"/metrics", Metrics, {"web": self}),
        ]
        if webhook_path:
            routes.append((webhook_path, Webhook, {"web": self}))
        self._server = HTTPServer(Application(routes), max_body_size=MAX_UPDATE_BYTES, xheaders=True)
        self._server.listen(port, listen)

    async def stop(self, grace_s: float) -> None:
        """Take nothing new (503, the balancer sends it elsewhere) and let updates in flight finish."""
        self.stopping = True
        deadline = time.monotonic() + grace_s
        while self.in_flight and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()

    def ready(self) -> bool:
        """Not stopping, and the database (the shared state of every update) answers."""
        checked_at, answer = self._ready_at
        if time.monotonic() - checked_at > READY_CACHE_S:
            try:
                with self.database.connect() as connection:
                    connection.execute(text("SELECT 1"))
                answer = True
            except SQLAlchemyError:
                answer = False
            self._ready_at = (time.monotonic(), answer)
        return answer and not self.stopping


class _Handler(RequestHandler):
    def initialize(self, web: WebServer) -> None:  # tornado passes the route's kwargs
        self.web = web

    def log_exception(self, *args: object) -> None:
        """Tornado would log the request, and a webhook request's body is a person's message."""
        logger.error("request failed: %s", type(args[1]).__name__ if len(args) > 1 else "?")


class Health(_Handler):
    def get(self) -> None:
        self.write({"status": "ok"})


class Ready(_Handler):
    def get(self) -> None:
        ready = self.web.ready()
        self.set_status(200 if ready else 503)
        self.write({"ready": ready})


class Metrics(_Handler):
    def get(self) -> None:
        body, content_type = exposition()
        self.set_header("Content-Type", content_type)
        self.write(body)


class Webhook(_Handler):
    async def post(self) -> None:
        secret = self.request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        expected = self.web.gateway.settings.webhook_secret or ""
        if not hmac.compare_digest(secret.encode(), expected.encode()):
            self.set_status(403)
            return
        if self.web.stopping:
            self.set_status(503)
            return
        try:
            data = json.loads(self.request.body)
        except ValueError:
            self.set_status(400)
            return
        application = self.web.gateway.application
        update = Update.de_json(data, application.bot)
        self.web.in_flight += 1
        try:
            outcome = await self.web.gateway.delivery.handle(update, application.process_update(update))
        finally:
            self.web.in_flight -= 1
        self.set_status(503 if outcome == Outcome.REDELIVER else 200)
