"""Build the python-telegram-bot application and run it by webhook (production) or long polling (local)."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlparse

from sqlalchemy import create_engine
from telegram import Update
from telegram.ext import Application, ApplicationBuilder

from bot.telegram.handlers import Gateway
from bot.telegram.handover import HandoverDesk, load_groups
from bot.telegram.pseudonyms import Pseudonyms, load_key
from bot.telegram.rasa_client import RasaClient
from core.config import Settings, TelegramSettings
from core.i18n.messages import messages
from core.store.cases import CaseStore
from core.store.gateway_records import GatewayStore, connect

logger = logging.getLogger(__name__)

# Edited messages, channel posts and the like are not even requested; handlers ignore them if they come anyway.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]


def build_application(settings: TelegramSettings, common: Settings) -> Application:
    rasa = RasaClient(common.rasa_url, settings.rasa_timeout_s)
    database = connect(common.database_url)
    pseudonyms = Pseudonyms(load_key(settings.key_file))
    groups = load_groups(settings.counsellor_groups_file) if settings.counsellor_groups_file else {}
    desk = HandoverDesk(CaseStore(database), groups, messages(), pseudonyms, common.retention.closed_cases)
    gateway = Gateway(
        rasa,
        GatewayStore(database),
        create_engine(common.tracker_url),
        pseudonyms,
        messages(),
        settings.rate_limit_per_minute,
        desk,
    )
    tasks: list[asyncio.Task[None]] = []

    async def start(application: Application) -> None:
        await gateway.set_commands(application)
        # Delivers cases consented before a restart, and tells people when a promised answer is late.
        tasks.append(asyncio.create_task(desk.run_checks(application.bot, settings.handover_check_s)))

    async def shutdown(_: Application) -> None:
        for task in tasks:
            task.cancel()
        await rasa.close()

    application = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(f"{settings.api_url}/bot")
        .base_file_url(f"{settings.api_url}/file/bot")
        .concurrent_updates(True)  # many chats at once; Gateway keeps each chat in order
        .post_init(start)
        .post_shutdown(shutdown)
        .build()
    )
    gateway.register(application)
    return application


def serve(settings: TelegramSettings, common: Settings) -> None:
    """Run until interrupted."""
    application = build_application(settings, common)
    if settings.webhook_url:
        logger.info("Telegram gateway: webhook on %s:%d", settings.listen, settings.port)
        application.run_webhook(
            listen=settings.listen,
            port=settings.port,
            url_path=urlparse(settings.webhook_url).path.lstrip("/"),
            webhook_url=settings.webhook_url,
            secret_token=settings.webhook_secret,
            allowed_updates=ALLOWED_UPDATES,
        )
    else:
        logger.info("Telegram gateway: long polling")
        application.run_polling(allowed_updates=ALLOWED_UPDATES)
