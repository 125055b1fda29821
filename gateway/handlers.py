"""What the gateway does with each Telegram update.

Order per update: drop redeliveries (Telegram retries), ignore anything that is
not a private chat, apply the per-chat rate limit, then handle the command,
text, button or non-text message, one at a time per chat. Every failure ends in
a message the user can act on, in their language; nothing of the message text
is logged.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections import OrderedDict
from typing import Callable

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from telegram import Bot, BotCommand, CallbackQuery, LinkPreviewOptions, Update, User
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import (Application, ApplicationHandlerStop, CallbackQueryHandler, CommandHandler, ContextTypes,
                          MessageHandler, TypeHandler, filters)

from actions.languages import LANGUAGES, language_from_code
from actions.messages import Messages
from actions.text_normalisation import clean
from gateway.database import GatewayStore, erase_conversation
from gateway.handover import HandoverDesk
from gateway.pseudonyms import Pseudonyms
from gateway.rasa_client import RasaClient, RasaUnavailable
from gateway.rate_limit import RateLimiter
from gateway.rendering import GATEWAY_CALLBACK, Button, keyboard, render

logger = logging.getLogger(__name__)

# The bot's commands that Rasa answers, sent as typed (actions/routing.py COMMAND_INTENTS maps them to their
# replies); /delete and /bot are the gateway's own. Only these and button presses reach Rasa starting with "/".
RASA_COMMANDS: dict[str, str] = {name: f"/{name}" for name in ("start", "language", "help", "menu", "person")}
MENU_COMMANDS = ("start", "language", "help", "person", "delete")
DELETE_YES, DELETE_NO = f"{GATEWAY_CALLBACK}del:yes", f"{GATEWAY_CALLBACK}del:no"
REMEMBERED_LANGUAGES = 10_000
PRIVATE = filters.ChatType.PRIVATE
NEW_MESSAGE = filters.UpdateType.MESSAGE
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)  # cheap phones, metered data


def as_typed(text: str) -> str:
    """A typed message as Rasa gets it: never a button payload or a Rasa intent ("/handover{...}").

    Rasa strips white space, and the action server also format characters (actions/text_normalisation.py),
    before they look for a leading "/": "\u3000/handover{...}" would act as a button, "/привет, мой номер …"
    would be an intent to Rasa (which warns with the whole text) and skip the action server's emergency
    check. So a message whose words start with "/" goes without the slashes and what hides them.
    """
    start = 0
    while start < len(text) and (text[start] == "/" or not clean(text[start])):
        start += 1
    return text[start:] if "/" in text[:start] else text


class Gateway:
    """Handlers for one bot; holds no message text, only pseudonymous per-chat state."""

    def __init__(self, rasa: RasaClient, store: GatewayStore, tracker: Engine, pseudonyms: Pseudonyms,
                 texts: Messages, rate_limit_per_minute: int, desk: HandoverDesk) -> None:
        self.rasa = rasa
        self.store = store
        self.desk = desk
        self.tracker = tracker
        self.pseudonyms = pseudonyms
        self.texts = texts
        self.limiter = RateLimiter(rate_limit_per_minute)
        self._languages: OrderedDict[int, str] = OrderedDict()
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    def register(self, application: Application) -> None:  # type: ignore[type-arg]
        application.add_handler(TypeHandler(Update, self.drop_redeliveries), group=-2)
        application.add_handler(TypeHandler(Update, self.limit_rate), group=-1)
        application.add_handler(CommandHandler(list(RASA_COMMANDS), self.on_command, PRIVATE & NEW_MESSAGE,
                                               has_args=False))
        application.add_handler(CommandHandler("delete", self.on_delete, PRIVATE & NEW_MESSAGE))
        application.add_handler(CommandHandler("bot", self.on_back_to_bot, PRIVATE & NEW_MESSAGE))
        application.add_handler(MessageHandler(PRIVATE & NEW_MESSAGE & filters.COMMAND, self.on_unknown_command))
        application.add_handler(MessageHandler(PRIVATE & NEW_MESSAGE & filters.TEXT, self.on_text))
        application.add_handler(MessageHandler(PRIVATE & NEW_MESSAGE & ~filters.TEXT, self.on_non_text))
        groups = filters.Chat(chat_id=list(self.desk.groups.values()))
        application.add_handler(MessageHandler(groups & NEW_MESSAGE & filters.REPLY & filters.TEXT, self.on_group_reply))
        application.add_handler(CallbackQueryHandler(self.on_group_button, pattern=rf"^{GATEWAY_CALLBACK}(claim|close):"))
        application.add_handler(CallbackQueryHandler(self.on_button))
        application.add_error_handler(self.on_error)

    # -- guards ---------------------------------------------------------------------------------

    async def drop_redeliveries(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not self.store.first_delivery(update.update_id):
            logger.info("duplicate update %s dropped", update.update_id)
            raise ApplicationHandlerStop

    async def limit_rate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        if chat is None or chat.type != ChatType.PRIVATE or not (update.message or update.callback_query):
            return
        verdict = self.limiter.check(chat.id)
        if verdict.allowed:
            return
        logger.info("rate limit chat=%s", self.pseudonyms.for_log(chat.id))
        if update.callback_query:
            await update.callback_query.answer()
        if verdict.notify:
            await self._say(context, chat.id, self.texts.text("rate_limited", self._language(chat.id, update.effective_user)))
        raise ApplicationHandlerStop

    # -- messages -------------------------------------------------------------------------------

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        command = (update.message.text or "").split()[0].lstrip("/").split("@")[0].lower()  # type: ignore[union-attr]
        chat_id = update.effective_chat.id  # type: ignore[union-attr]
        async with self._in_order(chat_id):
            await self._converse(context, chat_id, update.effective_user, RASA_COMMANDS[command])

    async def on_unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A command the bot does not have, or one followed by words: the words are read as a message
        ("/help my husband hits me" must reach the emergency check); a bare unknown command gets the help."""
        if len((update.message.text or "").split(maxsplit=1)) > 1:  # type: ignore[union-attr]
            await self.on_text(update, context)
            return
        chat_id = update.effective_chat.id  # type: ignore[union-attr]
        async with self._in_order(chat_id):
            await self._converse(context, chat_id, update.effective_user, RASA_COMMANDS["help"])

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id, text = update.effective_chat.id, update.message.text or ""  # type: ignore[union-attr]
        async with self._in_order(chat_id):
            if await self.desk.relay_from_person(context.bot, chat_id, text):  # a counsellor is talking to them
                logger.info("message chat=%s relayed to counsellor", self.pseudonyms.for_log(chat_id))
                return
            await self._converse(context, chat_id, update.effective_user, as_typed(text))

    async def on_back_to_bot(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id = update.effective_chat.id  # type: ignore[union-attr]
        async with self._in_order(chat_id):
            case = await self.desk.back_to_bot(context.bot, chat_id)
            if case is None:
                await self._converse(context, chat_id, update.effective_user, RASA_COMMANDS["help"])
                return
            language = self._language(chat_id, update.effective_user)
            await self._say(context, chat_id, self.texts.text("handover_left", language,
                                                              service=case.summary["service_name"]))

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
        rows = [[Button(self.texts.text("button_person", language), callback="/talk_to_person")],
                [Button(self.texts.text("button_topics", language), callback="/help")]]
        await self._say(context, chat_id, self.texts.text("non_text", language), rows)

    async def on_delete(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id = update.effective_chat.id  # type: ignore[union-attr]
        language = self._language(chat_id, update.effective_user)
        rows = [[Button(self.texts.text("button_delete_yes", language), callback=DELETE_YES),
                 Button(self.texts.text("button_delete_no", language), callback=DELETE_NO)]]
        await self._say(context, chat_id, self.texts.text("delete_confirm", language), rows)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        chat = update.effective_chat
        if query is None or chat is None or chat.type != ChatType.PRIVATE:
            if query:
                await query.answer()
            return
        data = query.data or ""
        language = self._language(chat.id, update.effective_user)
        feedback = data.startswith(f"{GATEWAY_CALLBACK}fb:")
        if feedback:  # stored before anything is awaited, so in the order of the chat's updates
            self._record_feedback(chat.id, data, language)
        # Answered at once, without waiting for the chat's turn: it stops the button's spinner, and Telegram
        # refuses answers to old presses. The press takes its place in the chat's order before anything is
        # awaited, so a 👎 pressed before "delete" is forwarded before the deletion, not after it.
        answered = asyncio.ensure_future(query.answer(self.texts.text("feedback_thanks", language) if feedback
                                                      else None))
        async with self._in_order(chat.id):
            await answered
            if feedback:
                await self._forward_rating(chat.id, data)
            elif data.startswith(f"{GATEWAY_CALLBACK}consent:"):
                text, rows = await self.desk.on_consent(context.bot, chat.id, data, language)
                if text:
                    await self._say(context, chat.id, text, rows)
            elif data in (DELETE_YES, DELETE_NO):
                await self._delete(context, query, chat.id, confirmed=data == DELETE_YES, language=language)
            else:
                await self._converse(context, chat.id, update.effective_user, data, button=True)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        # The exception type only: its text could quote a message.
        logger.error("update failed: %s", type(context.error).__name__)

    # -- helpers --------------------------------------------------------------------------------

    def _in_order(self, chat_id: int) -> asyncio.Lock:
        """The chat's lock: its messages, button presses and deletion are handled one at a time, in order.

        Rasa writes back the whole conversation it loaded once a reply is done, so a /delete that ran
        while a reply was computed would be undone.
        """
        lock = self._locks.get(chat_id)
        if lock is None:
            lock = self._locks[chat_id] = asyncio.Lock()
        return lock

    async def _converse(self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, user: User | None, text: str,
                        button: bool = False) -> None:
        """Send one message to Rasa and its replies to the chat; the caller holds the chat's lock.

        `button`: a press of one of the bot's buttons, whose payload the action server may act on; typed
        text is never marked so.
        """
        logger.info("message chat=%s chars=%d", self.pseudonyms.for_log(chat_id), len(text))
        metadata = {"language_code": user.language_code if user else None,
                    "warm_services": self.desk.warm_services, "button": button}
        request = asyncio.ensure_future(self.rasa.send(self.pseudonyms.sender(chat_id), text, metadata))
        try:
            replies = await asyncio.wait_for(asyncio.shield(request), self.rasa.patience_s)
        except (RasaUnavailable, asyncio.TimeoutError) as error:
            logger.warning("rasa unavailable (%s) chat=%s", type(error).__name__ if isinstance(error, asyncio.TimeoutError)
                           else error, self.pseudonyms.for_log(chat_id))
            await self._say(context, chat_id, self.texts.text("try_again", self._language(chat_id, user)))
            # A slow reply is still awaited (its text is dropped): the chat's turn lasts until Rasa has stored the
            # conversation, or a /delete in between would be undone when Rasa writes it back.
            with contextlib.suppress(RasaUnavailable):
                await request
            return
        for message in render(replies, self.texts.text):
            if message.language:
                self._remember(chat_id, message.language)
            if message.consent:
                message.rows += self.desk.offer(chat_id, message.consent)
            await self._say(context, chat_id, message.text, message.rows)

    def _record_feedback(self, chat_id: int, data: str, language: str) -> None:
        _, entry, helpful = data.split(":", 2)
        self.store.record_feedback(self.pseudonyms.sender(chat_id), entry, language, helpful == "1")

    async def _forward_rating(self, chat_id: int, data: str) -> None:
        """A 👎: the question behind the answer goes to the volunteers' inbox (the action server has it)."""
        _, entry, helpful = data.split(":", 2)
        if helpful == "1":
            return
        try:
            await self.rasa.send(self.pseudonyms.sender(chat_id), f'/rate{{"entry":"{entry}"}}', {"button": True},
                                 expect_reply=False)
        except RasaUnavailable as error:
            logger.warning("rating not forwarded (%s)", error)

    async def _delete(self, context: ContextTypes.DEFAULT_TYPE, query: CallbackQuery, chat_id: int, confirmed: bool,
                      language: str) -> None:
        if query.message is not None:
            try:
                await query.edit_message_reply_markup(None)  # the question cannot be answered twice
            except TelegramError:
                pass  # the message may be too old to edit; deleting matters more
        if not confirmed:
            await self._say(context, chat_id, self.texts.text("delete_cancelled", language))
            return
        complete = await self._erase(context.bot, chat_id)
        await self._say(context, chat_id, self.texts.text("delete_done" if complete else "delete_failed", language))

    async def _erase(self, bot: Bot, chat_id: int) -> bool:
        """Delete everything kept about a chat, each store on its own so one failure does not stop the others;
        True only if all of it is gone."""
        sender, log_id = self.pseudonyms.sender(chat_id), self.pseudonyms.for_log(chat_id)
        self.desk.forget_proposal(chat_id)
        self._languages.pop(chat_id, None)
        self.limiter.forget(chat_id)
        complete = _erased("tracker_events", lambda: erase_conversation(self.tracker, sender), log_id)
        complete &= _erased("feedback", lambda: self.store.delete_chat(sender), log_id)
        try:
            complete &= await self.desk.withdraw_all(bot, sender)
        except SQLAlchemyError as error:
            logger.error("delete chat=%s: handover cases failed (%s)", log_id, type(error).__name__)
            complete = False
        logger.info("delete chat=%s complete=%s", log_id, complete)
        return complete

    async def _say(self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, text: str,
                   rows: list[list[Button]] | None = None) -> None:
        await context.bot.send_message(chat_id, text, reply_markup=keyboard(rows or []),
                                       link_preview_options=NO_PREVIEW)

    def _language(self, chat_id: int, user: User | None) -> str:
        """The chat's last answer language, else the app's language setting, else English."""
        return (self._languages.get(chat_id) or language_from_code(user.language_code if user else None)
                or "en")

    def _remember(self, chat_id: int, language: str) -> None:
        self._languages[chat_id] = language
        self._languages.move_to_end(chat_id)
        while len(self._languages) > REMEMBERED_LANGUAGES:
            self._languages.popitem(last=False)

    async def set_commands(self, application: Application) -> None:  # type: ignore[type-arg]
        """The command menu in each language (Telegram shows the one matching the app's language).

        /bot is not in the menu: it only matters while a counsellor is talking to the person, who is told then.
        """
        for language in (None, *LANGUAGES):
            commands = [BotCommand(name, self.texts.text(f"command_{name}", language or "en")) for name in MENU_COMMANDS]
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
