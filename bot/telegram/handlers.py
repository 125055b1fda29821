"""What the gateway does with each Telegram update.

Each update reaches these handlers through bot/telegram/delivery.py: once to the end, one at a time per
chat, across replicas. Here: ignore anything that is not a private chat, apply the per-chat rate limit,
then handle the command, text, button or non-text message. Every failure ends in a message the user can
act on, in their language; nothing of the message text is logged. The chat's state (its answer language,
a consent screen not yet answered) is in the shared store, so any replica can take the chat's next update.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from telegram import BotCommand, CallbackQuery, LinkPreviewOptions, Update, User
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.telegram.delivery import RETRYABLE, Redeliver, UpdateDelivery
from bot.telegram.handover import HandoverDesk
from bot.telegram.pseudonyms import Pseudonyms
from bot.telegram.rasa_client import RasaClient, RasaUnavailable
from bot.telegram.rendering import Button, Outgoing, keyboard, render
from core.i18n.messages import Messages
from core.languages import LANGUAGES, language_from_code
from core.metrics import RASA_ERRORS
from core.payloads import (
    CASE_PATTERN,
    CONSENT_PATTERN,
    DELETE_NO,
    DELETE_PATTERN,
    DELETE_YES,
    FEEDBACK_PATTERN,
    RASA_COMMANDS,
    TOPICS_PAYLOAD,
    Feedback,
    rate_payload,
)
from core.store.database import utcnow
from core.store.gateway_records import GatewayStore, Proposal, erase_conversation
from core.text_normalisation import clean

logger = logging.getLogger(__name__)

# The commands in Telegram's menu. RASA_COMMANDS (core/payloads.py) go to Rasa as typed; /delete and /bot are
# the gateway's own. Only these and button presses reach Rasa starting with "/".
MENU_COMMANDS = ("start", "language", "help", "person", "delete")
PRIVATE = filters.ChatType.PRIVATE
NEW_MESSAGE = filters.UpdateType.MESSAGE
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)  # cheap phones, metered data


def as_typed(text: str) -> str:
    """A typed message as Rasa gets it: never a button payload or a Rasa intent ("/handover{...}").

    Rasa strips white space, and the action server also format characters (core/text_normalisation.py),
    before they look for a leading "/": "\u3000/handover{...}" would act as a button, "/привет, мой номер …"
    would be an intent to Rasa (which warns with the whole text) and skip the action server's emergency
    check. So a message whose words start with "/" goes without the slashes and what hides them.
    """
    start = 0
    while start < len(text) and (text[start] == "/" or not clean(text[start])):
        start += 1
    return text[start:] if "/" in text[:start] else text


@dataclass(frozen=True)
class Press:
    """A button pressed in a private chat."""

    query: CallbackQuery
    chat_id: int
    data: str
    language: str
    update_id: int


class Gateway:
    """Handlers for one bot; holds no message text, only pseudonymous per-chat state."""

    def __init__(
        self,
        rasa: RasaClient,
        store: GatewayStore,
        tracker: Engine,
        pseudonyms: Pseudonyms,
        texts: Messages,
        rate_limit_per_minute: int,
        desk: HandoverDesk,
        delivery: UpdateDelivery,
        redeliver: bool,
    ) -> None:
        """redeliver: webhook mode, where an update not acknowledged comes again; with long polling it does not,
        so the person is asked to try again instead."""
        self.rasa = rasa
        self.store = store
        self.desk = desk
        self.tracker = tracker
        self.pseudonyms = pseudonyms
        self.texts = texts
        self.rate_limit_per_minute = rate_limit_per_minute
        self.delivery = delivery
        self.redeliver = redeliver

    def register(self, application: Application) -> None:
        application.add_handler(TypeHandler(Update, self.limit_rate), group=-1)
        application.add_handler(
            CommandHandler(list(RASA_COMMANDS), self.on_command, PRIVATE & NEW_MESSAGE, has_args=False)
        )
        application.add_handler(CommandHandler("delete", self.on_delete, PRIVATE & NEW_MESSAGE))
        application.add_handler(CommandHandler("bot", self.on_back_to_bot, PRIVATE & NEW_MESSAGE))
        application.add_handler(MessageHandler(PRIVATE & NEW_MESSAGE & filters.COMMAND, self.on_unknown_command))
        application.add_handler(MessageHandler(PRIVATE & NEW_MESSAGE & filters.TEXT, self.on_text))
        application.add_handler(MessageHandler(PRIVATE & NEW_MESSAGE & ~filters.TEXT, self.on_non_text))
        groups = filters.Chat(chat_id=list(self.desk.groups.values()))
        application.add_handler(
            MessageHandler(groups & NEW_MESSAGE & filters.REPLY & filters.TEXT, self.on_group_reply)
        )
        application.add_handler(CallbackQueryHandler(self.on_group_button, pattern=CASE_PATTERN))
        application.add_handler(CallbackQueryHandler(self.on_feedback, pattern=FEEDBACK_PATTERN))
        application.add_handler(CallbackQueryHandler(self.on_consent, pattern=CONSENT_PATTERN))
        application.add_handler(CallbackQueryHandler(self.on_delete_button, pattern=DELETE_PATTERN))
        application.add_handler(CallbackQueryHandler(self.on_button))  # Rasa payloads
        application.add_error_handler(self.on_error)

    # -- guards ---------------------------------------------------------------------------------

    async def limit_rate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        if chat is None or chat.type != ChatType.PRIVATE or not (update.message or update.callback_query):
            return
        if self.delivery.attempt(update.update_id).retry:  # counted at its first delivery
            return
        verdict = self.store.count(self.pseudonyms.sender(chat.id), self.rate_limit_per_minute)
        if verdict.allowed:
            return
        logger.info("rate limit chat=%s", self.pseudonyms.for_log(chat.id))
        if update.callback_query:
            await update.callback_query.answer()
        if verdict.notify:
            await self._say(
                context, chat.id, self.texts.text("rate_limited", self._language(chat.id, update.effective_user))
            )
        raise ApplicationHandlerStop

    # -- messages -------------------------------------------------------------------------------

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        command = (update.message.text or "").split()[0].lstrip("/").split("@")[0].lower()  # type: ignore[union-attr]
        await self._converse(context, update, f"/{command}")

    async def on_unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A command the bot does not have, or one followed by words: the words are read as a message
        ("/help my husband hits me" must reach the emergency check); a bare unknown command gets the help."""
        if len((update.message.text or "").split(maxsplit=1)) > 1:  # type: ignore[union-attr]
            await self.on_text(update, context)
            return
        await self._converse(context, update, "/help")

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id, text = update.effective_chat.id, update.message.text or ""  # type: ignore[union-attr]
        if await self.desk.relay_from_person(context.bot, chat_id, text):  # a counsellor is talking to them
            logger.info("message chat=%s relayed to counsellor", self.pseudonyms.for_log(chat_id))
            return
        await self._converse(context, update, as_typed(text))

    async def on_back_to_bot(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id = update.effective_chat.id  # type: ignore[union-attr]
        case = await self.desk.back_to_bot(context.bot, chat_id)
        if case is None:
            await self._converse(context, update, "/help")
            return
        language = self._language(chat_id, update.effective_user)
        await self._say(
            context, chat_id, self.texts.text("handover_left", language, service=case.summary["service_name"])
        )

    async def on_group_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.callback_query:
            await self.desk.on_group_button(context.bot, update.callback_query)

    async def on_group_reply(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.message:
            await self.desk.on_group_reply(context.bot, update.message)

    async def on_non_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id = update.effective_chat.id  # type: ignore[union-attr]
        language = self._language(chat_id, update.effective_user)
        logger.info("non-text message chat=%s", self.pseudonyms.for_log(chat_id))
        rows = [
            [Button(self.texts.text("button_person", language), callback="/talk_to_person")],
            [Button(self.texts.text("button_topics", language), callback=TOPICS_PAYLOAD)],
        ]
        await self._say(context, chat_id, self.texts.text("non_text", language), rows)

    async def on_delete(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id = update.effective_chat.id  # type: ignore[union-attr]
        language = self._language(chat_id, update.effective_user)
        rows = [
            [
                Button(self.texts.text("button_delete_yes", language), callback=DELETE_YES),
                Button(self.texts.text("button_delete_no", language), callback=DELETE_NO),
            ]
        ]
        await self._say(context, chat_id, self.texts.text("delete_confirm", language), rows)

    async def on_feedback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """👍 or 👎: stored before anything is awaited, so in the order of the chat's updates; a 👎 also sends the
        question behind the answer to the volunteers' inbox."""
        press = await self._press(update, context)
        if press is None:
            return
        rating = Feedback.parse(press.data)
        self.store.record_feedback(self.pseudonyms.sender(press.chat_id), rating.entry, press.language, rating.helpful)
        async with self._in_turn(press, self.texts.text("feedback_thanks", press.language)):
            if not rating.helpful:
                await self._forward_rating(press.chat_id, rating.entry)

    async def on_consent(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        press = await self._press(update, context)
        if press is None:
            return
        async with self._in_turn(press):
            chat = self.pseudonyms.sender(press.chat_id)
            text, rows, still_open = await self.desk.on_consent(
                context.bot, press.chat_id, self.store.proposal(chat), press.data, press.language, press.update_id
            )
            self.store.keep_proposal(chat, still_open)
            if text:
                await self._say(context, press.chat_id, text, rows)

    async def on_delete_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        press = await self._press(update, context)
        if press is None:
            return
        async with self._in_turn(press):
            await self._delete(
                context, press.query, press.chat_id, confirmed=press.data == DELETE_YES, language=press.language
            )

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A button of Rasa's replies: its payload goes to Rasa, marked as a press."""
        press = await self._press(update, context)
        if press is None:
            return
        async with self._in_turn(press):
            await self._converse(context, update, press.data, button=True)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A handler failed. Retryable (Rasa or the database unavailable, Telegram unreachable): the update is not
        acknowledged, so Telegram delivers it again. Anything else is logged and the update counts as handled: a
        bug would fail every retry the same way."""
        if isinstance(update, Update) and isinstance(context.error, RETRYABLE):
            self.delivery.failed(update.update_id)
            logger.warning("update %s to be delivered again: %s", update.update_id, type(context.error).__name__)
            return
        # The exception type only: its text could quote a message.
        logger.error("update failed: %s", type(context.error).__name__)

    # -- helpers --------------------------------------------------------------------------------

    async def _press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> Press | None:
        """The press of a button in a private chat; None (the press answered) for anything else.

        Awaits nothing for a private chat, so the press keeps its place in the chat's order."""
        query, chat = update.callback_query, update.effective_chat
        if query is None or chat is None or chat.type != ChatType.PRIVATE:
            if query:
                await query.answer()
            return None
        language = self._language(chat.id, update.effective_user)
        return Press(query, chat.id, query.data or "", language, update.update_id)

    @contextlib.asynccontextmanager
    async def _in_turn(self, press: Press, notice: str | None = None) -> AsyncIterator[None]:
        """The press answered beside its handling: that stops the button's spinner, and Telegram refuses answers to
        old presses. The chat's order is kept by bot/telegram/delivery.py: a 👎 pressed before "delete" is
        forwarded before the deletion, not after it (Rasa writes back the whole conversation it loaded once a
        reply is done, so a /delete that ran while a reply was computed would be undone)."""
        answered = asyncio.ensure_future(press.query.answer(notice))
        try:
            yield
        finally:
            with contextlib.suppress(TelegramError):  # an old press: Telegram refuses the answer, nothing is lost
                await answered

    async def _converse(
        self, context: ContextTypes.DEFAULT_TYPE, update: Update, text: str, button: bool = False
    ) -> None:
        """Send one message to Rasa and its replies to the chat.

        `button`: a press of one of the bot's buttons, whose payload the action server may act on; typed
        text is never marked so.
        """
        chat_id, user = update.effective_chat.id, update.effective_user  # type: ignore[union-attr]
        logger.info("message chat=%s chars=%d", self.pseudonyms.for_log(chat_id), len(text))
        metadata = {
            "language_code": user.language_code if user else None,
            "warm_services": self.desk.warm_services,
            "button": button,
            "update_id": update.update_id,  # a redelivery after Rasa stored the turn is answered as before
        }
        sender = self.pseudonyms.sender(chat_id)
        request = asyncio.ensure_future(self.rasa.send(sender, text, metadata))
        replies: list[dict[str, Any]] | None
        try:
            replies = await asyncio.wait_for(asyncio.shield(request), self.rasa.patience_s)
        except (TimeoutError, RasaUnavailable) as error:
            reason = "timeout" if isinstance(error, TimeoutError) else str(error)
            RASA_ERRORS.labels(reason).inc()
            logger.warning("rasa unavailable (%s) chat=%s", reason, self.pseudonyms.for_log(chat_id))
            replies = await self._after_rasa_failed(context, update, request)
            if replies is None:
                return
        messages = render(replies, self.texts.text)
        self._remember(sender, messages)
        for message in messages:
            if message.consent:
                message.rows += self.desk.consent_rows(message.consent)
            await self._say(context, chat_id, message.text, message.rows)

    def _remember(self, sender: str, messages: list[Outgoing]) -> None:
        """Keep the chat's answer language and a consent screen for the chat's next update, before any reply is sent.

        Rasa has stored the turn by now: a failure here must not make Telegram deliver the update again (Rasa would
        answer it twice). Without the language the next answer falls back to the app's language; without the
        proposal a consent press says it expired and the person asks again.
        """
        try:
            for message in messages:
                if message.language:
                    self.store.remember_language(sender, message.language)
                if message.consent:
                    self.store.keep_proposal(sender, Proposal(message.consent, utcnow()))
        except SQLAlchemyError as error:
            logger.warning("chat state not kept: %s", type(error).__name__)

    async def _after_rasa_failed(
        self, context: ContextTypes.DEFAULT_TYPE, update: Update, request: asyncio.Future[list[dict[str, Any]]]
    ) -> list[dict[str, Any]] | None:
        """Rasa failed or is slow. The person hears why, once per update, in their language; then:
        - webhook mode: a slow answer is still sent when it comes; a failed one makes Telegram deliver the update
          again (Redeliver), to be answered then;
        - long polling (no redelivery): the person is asked to try again, and a slow answer is dropped.
        Either way the update's turn lasts until Rasa has stored the conversation, or a /delete in between would be
        undone when Rasa writes it back.
        """
        chat_id = update.effective_chat.id  # type: ignore[union-attr]
        language = self._language(chat_id, update.effective_user)
        if not self.redeliver:
            await self._say(context, chat_id, self.texts.text("try_again", language))
            with contextlib.suppress(RasaUnavailable):
                await request
            return None
        if not self.delivery.attempt(update.update_id).notified:
            await self._say(context, chat_id, self.texts.text("answer_delayed", language))
            self.store.notified(update.update_id)
        try:
            return await request
        except RasaUnavailable as error:
            raise Redeliver(str(error)) from error

    async def _forward_rating(self, chat_id: int, entry: str) -> None:
        """A 👎: the question behind the answer goes to the volunteers' inbox (the action server has it)."""
        try:
            await self.rasa.send(
                self.pseudonyms.sender(chat_id), rate_payload(entry), {"button": True}, expect_reply=False
            )
        except RasaUnavailable as error:
            logger.warning("rating not forwarded (%s)", error)

    async def _delete(
        self, context: ContextTypes.DEFAULT_TYPE, query: CallbackQuery, chat_id: int, confirmed: bool, language: str
    ) -> None:
        if query.message is not None:
            # The question cannot be answered twice; the message may be too old to edit, deleting matters more.
            with contextlib.suppress(TelegramError):
                await query.edit_message_reply_markup(None)
        if not confirmed:
            await self._say(context, chat_id, self.texts.text("delete_cancelled", language))
            return
        complete = await self._erase(context, chat_id)
        await self._say(context, chat_id, self.texts.text("delete_done" if complete else "delete_failed", language))

    async def _erase(self, context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> bool:
        """Delete everything kept about a chat, each store on its own so one failure does not stop the others;
        True only if all of it is gone."""
        sender, log_id = self.pseudonyms.sender(chat_id), self.pseudonyms.for_log(chat_id)
        bot = context.bot
        complete = _erased("tracker_events", lambda: erase_conversation(self.tracker, sender), log_id)
        # Feedback, the chat's language, a consent screen not yet answered, the rate-limit counts.
        complete &= _erased("gateway_records", lambda: self.store.delete_chat(sender), log_id)
        try:
            complete &= await self.desk.withdraw_all(bot, sender)
        except SQLAlchemyError as error:
            logger.error("delete chat=%s: handover cases failed (%s)", log_id, type(error).__name__)
            complete = False
        logger.info("delete chat=%s complete=%s", log_id, complete)
        return complete

    async def _say(
        self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, text: str, rows: list[list[Button]] | None = None
    ) -> None:
        await context.bot.send_message(
            chat_id, text, reply_markup=keyboard(rows or []), link_preview_options=NO_PREVIEW
        )

    def _language(self, chat_id: int, user: User | None) -> str:
        """The chat's last answer language, else the app's language setting, else English."""
        remembered = self.store.language(self.pseudonyms.sender(chat_id))
        return remembered or language_from_code(user.language_code if user else None) or "en"

    async def set_commands(self, application: Application) -> None:
        """The command menu in each language (Telegram shows the one matching the app's language).

        /bot is not in the menu: it only matters while a counsellor is talking to the person, who is told then.
        """
        for language in (None, *LANGUAGES):
            commands = [
                BotCommand(name, self.texts.text(f"command_{name}", language or "en")) for name in MENU_COMMANDS
            ]
            try:
                await application.bot.set_my_commands(commands, language_code=language)
            except TelegramError as error:
                logger.warning("could not set the command menu (%s): %s", language, type(error).__name__)


def _erased(what: str, step: Callable[[], int], log_id: str) -> bool:
    """Run one deletion step; False (and logged) if its store failed."""
    try:
        count = step()
    except SQLAlchemyError as error:
        logger.error("delete chat=%s: %s failed (%s)", log_id, what, type(error).__name__)
        return False
    logger.info("deleted chat=%s %s=%d", log_id, what, count)
    return True
