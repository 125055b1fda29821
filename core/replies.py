"""Turn a routing Decision into the messages the user sees.

Each message is a dict for `dispatcher.utter_message`: text, buttons and a
machine-readable `json_message` (type, entry, category, language; source for answers) that rich
clients such as the Telegram gateway use for sources and feedback.
"""

from __future__ import annotations

from typing import Any

from core.i18n.messages import Messages
from core.knowledge.base import Entry, KnowledgeBase, Service
from core.languages import LANGUAGES, NATIVE_NAMES, with_fallbacks
from core.payloads import TOPICS_PAYLOAD, MessageType, payload
from core.routing.decision import Decision, Kind
from core.taxonomy import CATEGORIES

MAX_SERVICES = 3
Message = dict[str, Any]


class ReplyBuilder:
    """Builds the messages for one decision in the decision's language."""

    def __init__(self, knowledge: KnowledgeBase, messages: Messages) -> None:
        self.knowledge = knowledge
        self.messages = messages

    def build(self, decision: Decision) -> list[Message]:
        lang = decision.language
        t = self.messages.text
        replies: list[Message] = []
        if decision.truncated:
            replies.append(self._message(t("too_long", lang), decision, MessageType.FALLBACK))
        kind = decision.kind
        if kind == Kind.RATED:  # a 👎 from a rich client: recorded for volunteers, nothing to say
            return replies
        if kind == Kind.EMERGENCY:
            # One line break, not a blank line: Rasa's REST channel splits a message at blank lines, and the
            # action and the numbers belong in one message.
            replies.append(
                self._message(
                    f"{self._emergency_action(decision)}\n{t('emergency', lang)}", decision, MessageType.EMERGENCY
                )
            )
            if decision.offered:
                replies.append(self._choices(decision))
            elif decision.entry_id:
                replies.append(self._answer(self.knowledge.entries[decision.entry_id], decision))
        elif kind == Kind.ANSWER:
            replies.append(self._answer(self.knowledge.entries[decision.entry_id or ""], decision))
        elif kind == Kind.CLARIFY:
            replies.append(self._choices(decision))
        elif kind == Kind.CATEGORY_MENU:
            category = decision.category or ""
            buttons = [self._entry_button(e.id, lang) for e in self.knowledge.in_category(category)]
            text = t("category_menu", lang, category=self.messages.category(category, lang))
            replies.append(self._message(text, decision, MessageType.CLARIFY, buttons + [self._topics_button(lang)]))
        elif kind in (Kind.MENU, Kind.OUT_OF_SCOPE):
            text = t(kind, lang)
            replies.append(
                self._message(
                    text,
                    decision,
                    MessageType.CLARIFY if kind == Kind.MENU else MessageType.FALLBACK,
                    self._category_buttons(lang),
                )
            )
        elif kind == Kind.CHOOSE_LANGUAGE:
            replies.append(
                self._message(t("choose_language", lang), decision, MessageType.CLARIFY, self._language_buttons())
            )
        elif kind == Kind.NO_MATCH:
            # The guessed category's topics are the nearest way on; a person is always offered.
            category_button = (
                [self._category_button(decision.category, lang)]
                if decision.category in CATEGORIES and self.knowledge.in_category(decision.category)
                else []
            )
            replies.append(
                self._message(
                    t("no_match", lang),
                    decision,
                    MessageType.FALLBACK,
                    category_button + [self._person_button(lang), self._topics_button(lang)],
                )
            )
        elif kind == Kind.INVALID:
            replies.append(
                self._message(t("invalid_input", lang), decision, MessageType.FALLBACK, [self._topics_button(lang)])
            )
        elif kind == Kind.START:
            replies.append(
                self._message(
                    t("greeting", lang),
                    decision,
                    MessageType.CLARIFY,
                    self._language_buttons() + [self._topics_button(lang)],
                )
            )
        elif kind == Kind.ABOUT:
            replies.append(
                self._message(
                    t("about", lang),
                    decision,
                    MessageType.ANSWER,
                    [self._topics_button(lang), self._person_button(lang)],
                )
            )
        elif kind == Kind.GREET:
            buttons = [self._topics_button(lang), self._language_button(lang), self._person_button(lang)]
            replies.append(self._message(t("greeting", lang), decision, MessageType.ANSWER, buttons))
        elif kind == Kind.LANGUAGE_SET:
            replies.append(
                self._message(t("language_set", lang), decision, MessageType.ANSWER, [self._topics_button(lang)])
            )
        else:  # goodbye, thanks, affirm, deny, bot_challenge
            buttons = [self._person_button(lang)] if kind == Kind.BOT_CHALLENGE else [self._topics_button(lang)]
            replies.append(self._message(t(kind, lang), decision, MessageType.ANSWER, buttons))
        return replies

    def _choices(self, decision: Decision) -> Message:
        """ "Did you mean one of these?" with the offered entries and a person as buttons."""
        lang = decision.language
        buttons = [
            self._entry_button(c.entry_id, lang) for c in decision.offered if c.entry_id in self.knowledge.entries
        ]
        return self._message(
            self.messages.text("clarify", lang), decision, MessageType.CLARIFY, buttons + [self._person_button(lang)]
        )

    def _emergency_action(self, decision: Decision) -> str:
        """The first thing to do, in one line: 112 for medical danger and fire, 110 for violence, the crisis
        line (and 112) for suicidal messages; spoken to the helper when the message is about someone else."""
        kind = decision.emergency or "medical"
        key = f"emergency_{kind}_other" if decision.about_other else f"emergency_{kind}"
        return self.messages.text(key, decision.language)

    def _answer(self, entry: Entry, decision: Decision) -> Message:
        lang = decision.language
        t = self.messages.text
        parts: list[str] = []
        answer_lang = next(code for code in with_fallbacks(lang) if code in entry.answer)  # German always is
        if answer_lang != lang:
            parts.append(t("translation_missing", lang, fallback=NATIVE_NAMES[answer_lang]))
        parts.append(entry.answer[answer_lang])
        reviewed = entry.reviewed.strftime("%Y-%m")
        parts.append(f"{t('source', lang)}: {entry.sources[0]} ({t('reviewed', lang)} {reviewed})")
        services = self._services(entry.services, lang)
        if services:
            parts.append(f"{t('services_intro', lang)}\n{services}")
        buttons = [self._person_button(lang), self._topics_button(lang)]
        return self._message("\n\n".join(parts), decision, MessageType.ANSWER, buttons, entry)

    def _services(self, kinds: tuple[str, ...], lang: str) -> str:
        """Up to three nationwide services of the given kinds, one line each."""
        chosen: list[Service] = [s for s in self.knowledge.services_of_kinds(kinds) if s.national][:MAX_SERVICES]
        lines = []
        for service in chosen:
            contact = " · ".join(v for k, v in service.contact.items() if k in ("phone", "web", "email"))
            label = f" ({self.messages.text('example_label', lang)})" if service.example else ""
            lines.append(f"• {service.name}{label}: {contact}")
        return "\n".join(lines)

    def _message(
        self,
        text: str,
        decision: Decision,
        kind: MessageType,
        buttons: list[dict[str, str]] | None = None,
        entry: Entry | None = None,
    ) -> Message:
        custom = {
            "type": kind,
            "entry": entry.id if entry else None,
            "category": entry.category if entry else decision.category,
            "language": decision.language,
        }
        if entry:
            custom["source"] = entry.sources[0]  # rich clients show it as a link button
        return {"text": text, "buttons": buttons or [], "json_message": custom}

    def _entry_button(self, entry_id: str, lang: str) -> dict[str, str]:
        return {
            "title": self.knowledge.entries[entry_id].title_in(lang),
            "payload": payload("choose_entry", entry=entry_id),
        }

    def _category_buttons(self, lang: str) -> list[dict[str, str]]:
        return [self._category_button(c, lang) for c in CATEGORIES if self.knowledge.in_category(c)]

    def _category_button(self, category: str, lang: str) -> dict[str, str]:
        return {
            "title": self.messages.category(category, lang),
            "payload": payload("choose_category", category=category),
        }

    def _topics_button(self, lang: str) -> dict[str, str]:
        return {"title": self.messages.text("button_topics", lang), "payload": TOPICS_PAYLOAD}

    def _person_button(self, lang: str) -> dict[str, str]:
        return {"title": self.messages.text("button_person", lang), "payload": payload("talk_to_person")}

    def _language_buttons(self) -> list[dict[str, str]]:
        return [
            {"title": NATIVE_NAMES[code], "payload": payload("choose_language", language=code)} for code in LANGUAGES
        ]

    def _language_button(self, lang: str) -> dict[str, str]:
        return {"title": self.messages.text("button_language", lang), "payload": payload("choose_language")}
