"""The Telegram side of a warm handover: consent, delivery to the counsellors' group, claim, replies, close.

Counsellors work in a Telegram group per service (configured outside the
repository: LOTSE_COUNSELLOR_GROUPS_FILE maps service ids to group chat ids).
The consented summary is posted there with Claim / Close buttons; the counsellor
who claims answers by replying to that message, and the answer reaches the
person marked as a human answer. Until the case is closed, the person's
messages go to the counsellor instead of the bot. Only members of the group can
claim or close; only the claiming counsellor's replies are passed on. /delete
removes Lotse's messages about the person's cases from the groups as well.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from telegram import Bot, CallbackQuery, Message
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest, TelegramError

from bot.telegram.pseudonyms import Pseudonyms
from bot.telegram.rendering import Button, keyboard
from core.handover.summary import consent_text, summary
from core.i18n.messages import Messages
from core.payloads import CONSENT_CANCEL, CONSENT_REMOVE_QUESTION, CONSENT_SEND, CaseAction
from core.store.cases import Case, CaseStore
from core.store.database import utcnow
from core.store.gateway_records import Proposal

logger = logging.getLogger(__name__)

MEMBER_STATUSES = {ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.MEMBER}
# The counsellors' side is German (the summary is German for them): locales/de.yml, keys group_*.
COUNSELLORS = "de"


def load_groups(path: Path) -> dict[str, int]:
    """Service id -> counsellor group chat id, from a YAML file kept outside the repository."""
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(service): int(chat) for service, chat in data.items()}


# A consent screen answered later than this is treated as expired: the person is asked to start again.
PROPOSAL_LIFETIME = dt.timedelta(hours=24)


class HandoverDesk:
    """Consent and delivery for one bot; all state that matters is in the CaseStore."""

    def __init__(
        self, cases: CaseStore, groups: dict[str, int], texts: Messages, pseudonyms: Pseudonyms, retention_days: int
    ) -> None:
        self.cases = cases
        self.groups = groups
        self.texts = texts
        self.pseudonyms = pseudonyms
        self.retention_days = retention_days

    def _group(self, key: str, **values: object) -> str:
        """A text for the counsellors' group, in their language."""
        return self.texts.text(key, COUNSELLORS, **values)

    @property
    def warm_services(self) -> list[str]:
        return sorted(self.groups)

    # -- consent (private chat) ------------------------------------------------------------------

    def consent_rows(self, case: dict[str, Any]) -> list[list[Button]]:
        """The consent buttons under a proposed case (the gateway keeps the proposal until it is answered)."""
        t, language = self.texts.text, case["language"]
        rows = [[Button(t("button_consent_send", language), callback=CONSENT_SEND)]]
        if case.get("question"):
            rows.append([Button(t("button_consent_remove_question", language), callback=CONSENT_REMOVE_QUESTION)])
        rows.append([Button(t("button_consent_cancel", language), callback=CONSENT_CANCEL)])
        return rows

    async def on_consent(
        self, bot: Bot, chat_id: int, proposal: Proposal | None, data: str, language: str, update_id: int
    ) -> tuple[str, list[list[Button]], Proposal | None]:
        """Handle a consent button: the message to send the person, and the proposal still open (or None).

        `update_id`: the press's update. A press delivered again (its first handling was cut off) finds the case
        its first handling stored instead of making a second one.
        """
        t = self.texts.text
        if proposal is None or utcnow() - proposal.shown_at > PROPOSAL_LIFETIME:
            return t("handover_expired", language), [], None
        if data == CONSENT_CANCEL:
            return t("handover_cancelled", language), [], None
        if data == CONSENT_REMOVE_QUESTION:
            changed = Proposal({**proposal.case, "question": None}, proposal.shown_at)
            return consent_text(changed.case, self.texts, self.retention_days), self.consent_rows(changed.case), changed
        case, new = self.cases.create(
            self.pseudonyms.sender(chat_id), chat_id, proposal.case, proposal.shown_at, update_id
        )
        logger.info(
            "handover case=%d consented chat=%s service=%s", case.id, self.pseudonyms.for_log(chat_id), case.service
        )
        if not new and case.state != "consented":
            return "", [], None  # delivered by the first handling of this press, which told the person
        if await self.deliver(bot, case):
            return "", [], None  # deliver() told the person
        return t("handover_saved", language, service=case.summary["service_name"]), [], None  # retried later

    # -- delivery and the counsellors' group -------------------------------------------------------

    async def deliver(self, bot: Bot, case: Case) -> bool:
        """Post a consented case to its service's group and tell the person; False leaves it for a retry."""
        group = self.groups.get(case.service)
        if group is None:
            logger.warning("handover case=%d: no counsellor group configured for %s", case.id, case.service)
            return False
        text = self._group(
            "group_new_case",
            id=case.id,
            service=case.summary["service_name"],
            summary=summary(case.summary, "de", self.texts),
        )
        rows = [
            [
                Button(self._group("group_button_claim"), callback=CaseAction("claim", case.id).data),
                Button(self._group("group_button_close"), callback=CaseAction("close", case.id).data),
            ]
        ]
        try:
            posted = await bot.send_message(group, text, reply_markup=keyboard(rows))
        except TelegramError as error:
            logger.warning("handover case=%d not delivered yet: %s", case.id, type(error).__name__)
            return False
        if self.cases.mark_sent(case.id, group, posted.message_id) is None:  # withdrawn, or sent by another replica
            await _remove(bot, group, posted.message_id, self._group("group_removed", id=case.id))
            now = self.cases.get(case.id)
            return now is not None and now.state != "consented"  # sent: that delivery told the person
        logger.info("handover case=%d sent", case.id)
        await self._tell(
            bot,
            case,
            "handover_sent",
            service=case.summary["service_name"],
            response_time=case.summary.get("response_time") or "–",
        )
        return True

    async def on_group_button(self, bot: Bot, query: CallbackQuery) -> None:
        """Claim or Close pressed in a counsellors' group."""
        pressed = CaseAction.parse(query.data or "")
        action = pressed.action if pressed else ""
        group_id = query.message.chat.id if query.message else None
        case = self.cases.get(pressed.case_id) if pressed else None
        if case is None or group_id is None or case.group_chat_id != group_id:
            await query.answer()
            return
        if not await self._is_member(bot, group_id, query.from_user.id):
            logger.info("handover case=%d: %s refused to a non-member", case.id, action)
            await query.answer(self._group("group_not_member"), show_alert=True)
            return
        await query.answer()
        if action == "claim":
            claimed = self.cases.claim(case.id, query.from_user.id, query.from_user.full_name)
            if claimed:
                await self._post_about(
                    bot, case, self._group("group_claimed", id=case.id, name=query.from_user.full_name)
                )
                await self._tell(bot, claimed, "handover_claimed", service=case.summary["service_name"])
        elif action == "close":
            closed = self.cases.close(case.id)
            if closed:
                await self._post_about(bot, case, self._group("group_closed", id=case.id))
                await self._tell(bot, closed, "handover_closed")

    async def on_group_reply(self, bot: Bot, message: Message) -> None:
        """A counsellor's reply to a case message: pass it on if they claimed the case."""
        replied = message.reply_to_message
        if replied is None or message.from_user is None:
            return
        case = self.cases.by_group_message(message.chat.id, replied.message_id)
        if case is None or case.state not in ("claimed", "answered"):
            if case is not None and case.state == "sent":
                await message.reply_text(self._group("group_claim_first"))
            return
        if case.counsellor_id != message.from_user.id:
            await message.reply_text(self._group("group_claim_first"))
            return
        prefix = self.texts.text("counsellor_prefix", case.language, service=case.summary["service_name"])
        await bot.send_message(case.chat_id, f"{prefix}\n{message.text or ''}")
        self.cases.mark_answered(case.id)
        logger.info("handover case=%d counsellor reply passed on", case.id)

    # -- the person's side while talking to a counsellor ----------------------------------------------

    async def relay_from_person(self, bot: Bot, chat_id: int, text: str) -> bool:
        """Send the person's message to their counsellor; False if no counsellor is talking to them."""
        case = self.cases.talking(chat_id)
        if case is None or case.group_chat_id is None:
            return False
        await self._post_about(bot, case, self._group("group_user_message", id=case.id, text=text))
        return True

    async def back_to_bot(self, bot: Bot, chat_id: int) -> Case | None:
        """/bot: the person leaves the counsellor; the case is closed and the group told."""
        case = self.cases.talking(chat_id)
        if case is None:
            return None
        closed = self.cases.close(case.id)
        if closed and case.group_chat_id:
            await self._post_about(bot, case, self._group("group_left", id=case.id))
        return closed

    async def withdraw_all(self, bot: Bot, chat: str) -> bool:
        """/delete: delete the chat's cases and remove Lotse's messages about them from the groups.

        False if a message could not be removed (Telegram unreachable, the bot left the group): its case is
        then closed but kept, so that the person's next /delete tries again.
        """
        complete = True
        for case in self.cases.of_chat(chat):
            if await self._remove_messages(bot, case):
                self.cases.delete(case.id)
                await self._note_withdrawal(bot, case)
            else:
                self.cases.close(case.id)
                complete = False
        return complete

    async def _remove_messages(self, bot: Bot, case: Case) -> bool:
        """Remove each of Lotse's messages about the case from its group; True once none is left."""
        group = case.group_chat_id
        if group is None:  # never delivered
            return True
        left = 0
        for message_id in self.cases.messages(case.id):
            if await _remove(bot, group, message_id, self._group("group_removed", id=case.id)):
                self.cases.forget_message(case.id, message_id)
            else:
                left += 1
        if left:
            logger.warning("handover case=%d: %d group messages not removed yet", case.id, left)
        return not left

    async def _note_withdrawal(self, bot: Bot, case: Case) -> None:
        """Tell the group a delivered case is gone, and that their own replies about it should go too."""
        if case.group_chat_id is None:
            return
        try:
            await bot.send_message(case.group_chat_id, self._group("group_withdrawn", id=case.id))
        except TelegramError as error:
            logger.warning("handover case=%d withdrawal not posted: %s", case.id, type(error).__name__)

    # -- background: retries and promises -----------------------------------------------------------

    async def run_checks(
        self, bot: Bot, interval_s: float, exclusive: Callable[[], contextlib.AbstractAsyncContextManager[bool]]
    ) -> None:
        """Forever: deliver consented cases (e.g. after a restart), tell people when a promise was missed.

        `exclusive`: True inside it if this replica is the one to check now (another replica's check would post
        the same case twice).
        """
        while True:
            try:
                async with exclusive() as mine:
                    if mine:
                        await self.check_once(bot)
            except Exception as error:  # noqa: BLE001 - the loop must survive a database or network hiccup
                logger.error("handover check failed: %s", type(error).__name__)
            await asyncio.sleep(interval_s)

    async def check_once(self, bot: Bot) -> None:
        for case in self.cases.awaiting_delivery(utcnow()):
            await self.deliver(bot, case)
        for case in self.cases.overdue(utcnow()):
            if self.cases.mark_overdue_notified(case.id) is None:
                continue
            alternatives = "\n".join(f"• {a['name']}: {a['contact']}" for a in case.summary.get("alternatives") or [])
            await self._tell(
                bot,
                case,
                "handover_overdue",
                suffix=alternatives,
                service=case.summary["service_name"],
                response_time=case.summary.get("response_time") or "–",
            )
            logger.info("handover case=%d overdue, person told", case.id)

    # -- helpers --------------------------------------------------------------------------------

    async def _post_about(self, bot: Bot, case: Case, text: str) -> None:
        """Post in the case's group, as a reply to the case message, and keep the id for /delete."""
        assert case.group_chat_id is not None  # every caller has checked that the case went to a group
        posted = await bot.send_message(case.group_chat_id, text, reply_to_message_id=case.group_message_id)
        self.cases.record_message(case.id, posted.message_id)

    async def _tell(self, bot: Bot, case: Case, key: str, suffix: str = "", **values: str) -> None:
        text = self.texts.text(key, case.language, **values)
        await bot.send_message(case.chat_id, f"{text}\n{suffix}" if suffix else text)

    async def _is_member(self, bot: Bot, group_id: int, user_id: int) -> bool:
        try:
            member = await bot.get_chat_member(group_id, user_id)
        except TelegramError:
            return False
        return member.status in MEMBER_STATUSES


async def _remove(bot: Bot, chat_id: int, message_id: int, placeholder: str) -> bool:
    """Delete one of the bot's messages; where Telegram no longer deletes it, overwrite it with `placeholder`."""
    try:
        return await bot.delete_message(chat_id, message_id)
    except BadRequest as error:
        if _gone(error):
            return True  # someone deleted it already
    except TelegramError as error:
        logger.warning("group message not deleted: %s", type(error).__name__)
        return False
    try:  # only messages younger than 48 hours can be deleted; the bot can still edit its older ones
        await bot.edit_message_text(placeholder, chat_id=chat_id, message_id=message_id)
    except TelegramError as error:
        logger.warning("group message not overwritten: %s", type(error).__name__)
        return isinstance(error, BadRequest) and _gone(error)
    return True


def _gone(error: BadRequest) -> bool:
    """Telegram's answer when the message is no longer there (not when the chat is: "chat not found")."""
    return any(f"message to {method} not found" in error.message.lower() for method in ("delete", "edit"))
