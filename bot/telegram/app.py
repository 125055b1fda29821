"""Build the python-telegram-bot application and run it by webhook (production) or long polling (local).

Both modes serve GET /health, /ready and /metrics on LOTSE_TELEGRAM_LISTEN:LOTSE_TELEGRAM_PORT
(bot/telegram/web.py); webhook mode also takes Telegram's POSTs there, each answered only once the update
is handled (bot/telegram/delivery.py). SIGTERM stops the gateway within a few seconds: no new update is
taken, and updates in flight get GRACE_S to finish (an unfinished one is delivered again by Telegram).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from urllib.parse import urlparse

from sqlalchemy import create_engine
from telegram import Update
from telegram.ext import ApplicationBuilder

from bot.telegram.delivery import HANDOVER_CHECKS_LOCK, ChatLocks, UpdateDelivery
from bot.telegram.handlers import Gateway
from bot.telegram.handover import HandoverDesk, load_groups
from bot.telegram.pseudonyms import Pseudonyms, load_key
from bot.telegram.rasa_client import RasaClient
from bot.telegram.web import WebServer
from core.config import Settings, TelegramSettings
from core.i18n.messages import messages
from core.store.cases import CaseStore
from core.store.gateway_records import GatewayStore, connect

logger = logging.getLogger(__name__)

# Edited messages, channel posts and the like are not even requested; handlers ignore them if they come anyway.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
GRACE_S = 5.0  # how long a stopping gateway lets updates in flight finish


class TelegramGateway:
    """The application, its update delivery and the handover desk of one gateway process."""

    def __init__(self, settings: TelegramSettings, common: Settings) -> None:
        self.settings = settings
        self.rasa = RasaClient(common.rasa_url, settings.rasa_timeout_s)
        database = connect(common.database_url)
        self.cases = CaseStore(database)
        store = GatewayStore(database)
        self.locks = ChatLocks(database)
        self.delivery = UpdateDelivery(store, self.locks)
        pseudonyms = Pseudonyms(load_key(settings.key_file))
        groups = load_groups(settings.counsellor_groups_file) if settings.counsellor_groups_file else {}
        self.desk = HandoverDesk(self.cases, groups, messages(), pseudonyms, common.retention.closed_cases)
        self.gateway = Gateway(
            self.rasa,
            store,
            create_engine(common.tracker_url, pool_pre_ping=True),
            pseudonyms,
            messages(),
            settings.rate_limit_per_minute,
            self.desk,
            self.delivery,
            redeliver=bool(settings.webhook_url),
        )
        builder = (
            ApplicationBuilder()
            .token(settings.token)
            .base_url(f"{settings.api_url}/bot")
            .base_file_url(f"{settings.api_url}/file/bot")
            .concurrent_updates(self.delivery)  # many chats at once; the delivery keeps each chat in order
        )
        if settings.webhook_url:
            builder = builder.updater(None)  # updates come to bot/telegram/web.py
        self.application = builder.build()
        self.gateway.register(self.application)
        self.web = WebServer(self, database)

    async def run(self) -> None:
        """Serve until SIGTERM or SIGINT."""
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stopping.set)
        application = self.application
        async with application:  # initialize ... shutdown
            await application.start()
            await self.gateway.set_commands(application)
            # Delivers cases consented before a restart, and tells people when a promised answer is late.
            checks = asyncio.create_task(
                self.desk.run_checks(
                    application.bot,
                    self.settings.handover_check_s,
                    lambda: self.locks.once_across_replicas(HANDOVER_CHECKS_LOCK),
                )
            )
            webhook_path = urlparse(self.settings.webhook_url).path if self.settings.webhook_url else None
            self.web.start(self.settings.listen, self.settings.port, webhook_path)
            if self.settings.webhook_url:
                logger.info("Telegram gateway: webhook on %s:%d", self.settings.listen, self.settings.port)
                await application.bot.set_webhook(
                    self.settings.webhook_url,
                    secret_token=self.settings.webhook_secret,
                    allowed_updates=ALLOWED_UPDATES,
                )
            else:
                logger.info("Telegram gateway: long polling")
                assert application.updater is not None
                await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)
            await stopping.wait()
            logger.info("Telegram gateway stopping")
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            await self.web.stop(GRACE_S)
            checks.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await checks
            await application.stop()
        await self.rasa.close()


def serve(settings: TelegramSettings, common: Settings) -> None:
    """Run until SIGTERM or SIGINT."""
    asyncio.run(TelegramGateway(settings, common).run())
