"""The conversation that walks a person over to a service: ask only what matching needs, propose, hand over.

State lives in the `handover` slot as a plain dict, so it survives between
messages without a form. Each step returns the messages to send and the state
to keep (None when the flow is over). Choosing a service with a warm channel
ends in a consent message (`json_message` type `handover_consent`) that the
Telegram gateway turns into Send / Remove my question / Cancel; services
without one get a cold referral: contact details and what to say.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core import config
from core.handover.matching import (
    GENERAL_KINDS,
    Match,
    Request,
    kinds_for_category,
    match_services,
    missing_information,
)
from core.handover.summary import Case, consent_text
from core.i18n.messages import Messages
from core.knowledge.base import KnowledgeBase, Service
from core.languages import LANGUAGES, REFERENCE_LANGUAGE, language_names
from core.payloads import TOPICS_PAYLOAD, MessageType, handover_payload

if TYPE_CHECKING:
    from core.handover.places import PlaceFinder

State = dict[str, Any]
Message = dict[str, Any]
SKIP_CITY = "-"
SECOND_LANGUAGES = ("de", "en")
CONTACT_FIELDS = ("phone", "email", "web", "address")


class HandoverFlow:
    """Steps of the handover dialogue for one knowledge base and message catalogue."""

    def __init__(self, knowledge: KnowledgeBase, messages: Messages) -> None:
        self.knowledge = knowledge
        self.messages = messages

    def _places(self) -> PlaceFinder:
        # Imported here: spaCy pulls in torch (~250 MB), which the action server's main process, which
        # only registers actions, should not load; its Sanic worker loads it when a handover needs it.
        from core.handover.places import place_finder

        return place_finder(self.knowledge)

    def start(
        self, entry_id: str | None, question: str | None, category: str | None = None, languages: tuple[str, ...] = ()
    ) -> State:
        """A new handover about an entry or a category (if known) and the person's question.

        `languages` are the ones the person already named ("someone who speaks Tigrinya"): they are
        not asked again, and languages Lotse does not answer in count in matching too.
        """
        entry = self.knowledge.entries.get(entry_id or "")
        category = entry.category if entry else category
        kinds = entry.services if entry and entry.services else kinds_for_category(self.knowledge, category)
        return {
            "entry": entry.id if entry else None,
            "category": category,
            "kinds": list(kinds),
            "question": question,
            "languages": list(languages) or None,
            "city": None,
            "age": None,
        }

    def update(self, state: State, entities: dict[str, Any]) -> State:
        """Take the answer a button carried (languages, city, age)."""
        state = dict(state)
        if isinstance(entities.get("languages"), str):
            chosen = [code for code in entities["languages"].split("+") if code in LANGUAGES]
            state["languages"] = chosen or None
        if isinstance(entities.get("city"), str) and (
            entities["city"] in self._cities() or entities["city"] == SKIP_CITY
        ):
            city = entities["city"]
            state["city"] = "" if city == SKIP_CITY else city
        if entities.get("age") in ("young", "adult"):
            state["age"] = entities["age"]
        return state

    def waits_for_place(self, state: State) -> bool:
        """True when the next typed message should be read as a city or postcode."""
        return missing_information(self.knowledge, self._request(state)) == "city"

    def place_from_text(self, state: State, text: str, language: str) -> State | None:
        """The state with the city the text names, or None if it names none (the person moved on)."""
        place = self._places().find(text, language)
        if place is None or place.city is None:
            return None
        return {**state, "city": place.city}

    def step(self, state: State, language: str, warm_services: tuple[str, ...]) -> tuple[list[Message], State | None]:
        """The next question, or the proposal; or the consent message once a warm service is chosen."""
        chosen = state.get("service")
        if chosen in self.knowledge.services and chosen in warm_services:
            return [self._consent(state, self.knowledge.services[chosen], language)], None
        missing = missing_information(self.knowledge, self._request(state))
        if missing == "languages":
            return [self._ask_languages(language)], state
        if missing == "city":
            return [self._ask_city(language)], state
        if missing == "age":
            return [self._ask_age(language)], state
        messages = self._proposal(state, language, warm_services)
        return messages, {**state, "proposed": messages[0]["json_message"]["services"]}

    def choose(self, state: State, service_id: str) -> State:
        """The state with the chosen service, if the person was offered it (a payload typed by hand is not)."""
        return {**state, "service": service_id} if service_id in (state.get("proposed") or ()) else state

    def _cities(self) -> set[str]:
        return {city for s in self.knowledge.services.values() for city in s.cities}

    # -- messages ------------------------------------------------------------------------------

    def _request(self, state: State) -> Request:
        languages = state.get("languages")
        return Request(
            tuple(state.get("kinds") or GENERAL_KINDS),
            state.get("category"),
            tuple(languages) if languages else None,
            state.get("city"),
            state.get("age"),
        )

    def _message(self, text: str, language: str, buttons: list[dict[str, str]], **extra: Any) -> Message:
        return {
            "text": text,
            "buttons": buttons,
            "json_message": {
                "type": MessageType.HANDOVER,
                "entry": None,
                "category": None,
                "language": language,
                **extra,
            },
        }

    def _ask_languages(self, language: str) -> Message:
        options = [[language]] + [[language, other] for other in SECOND_LANGUAGES if other != language]
        if language not in SECOND_LANGUAGES:
            options.append([language, *SECOND_LANGUAGES])
        buttons = [
            {"title": language_names(codes, language), "payload": handover_payload(languages="+".join(codes))}
            for codes in options
        ]
        return self._message(
            self.messages.text("handover_ask_languages", language), language, buttons, step="languages"
        )

    def _ask_city(self, language: str) -> Message:
        finder = self._places()
        cities = sorted(self._cities())
        buttons = [
            {"title": finder.display_name(city, language), "payload": handover_payload(city=city)} for city in cities
        ]
        buttons.append(
            {"title": self.messages.text("button_city_skip", language), "payload": handover_payload(city=SKIP_CITY)}
        )
        return self._message(self.messages.text("handover_ask_city", language), language, buttons, step="city")

    def _ask_age(self, language: str) -> Message:
        t = self.messages.text
        buttons = [
            {"title": t("button_age_young", language), "payload": handover_payload(age="young")},
            {"title": t("button_age_adult", language), "payload": handover_payload(age="adult")},
        ]
        return self._message(t("handover_ask_age", language), language, buttons, step="age")

    def _proposal(self, state: State, language: str, warm_services: tuple[str, ...]) -> list[Message]:
        t = self.messages.text
        matches = match_services(self.knowledge, self._request(state))
        topics = {"title": t("button_topics", language), "payload": TOPICS_PAYLOAD}
        if not matches:
            return [self._message(t("person_none", language), language, [topics], step="proposal", services=[])]
        blocks = [t("handover_proposal", language)] + [self._describe(m, language) for m in matches]
        buttons = [
            {
                "title": t("button_send_request", language, service=m.service.name),
                "payload": handover_payload(service=m.service.id),
            }
            for m in matches
            if m.service.handover == "telegram" and m.service.id in warm_services
        ]
        if len(buttons) < len(matches):  # someone must be contacted directly: say how
            blocks.append(self._cold_script(state, language))
        return [
            self._message(
                "\n\n".join(blocks),
                language,
                buttons + [topics],
                step="proposal",
                services=[m.service.id for m in matches],
            )
        ]

    def _describe(self, match: Match, language: str) -> str:
        service = match.service
        t = self.messages.text
        label = f" ({t('example_label', language)})" if service.example else ""
        details = t(
            "service_details",
            language,
            languages=language_names(service.languages, language),
            hours=service.hours or "–",
            response_time=service.response_time or "–",
        )
        return f"• {service.name}{label}\n{details}\n{self._contact(service)}"

    @staticmethod
    def _contact(service: Service) -> str:
        return " · ".join(service.contact[k] for k in CONTACT_FIELDS if service.contact.get(k))

    def _cold_script(self, state: State, language: str) -> str:
        t = self.messages.text
        spoken = state.get("languages") or [language]

        def script(lang: str) -> str:
            return t("cold_script", lang, topic=self._topic(state, lang), languages=language_names(spoken, lang))

        lines = [t("cold_referral", language), f"«{script(REFERENCE_LANGUAGE)}»"]
        if language != REFERENCE_LANGUAGE:
            lines.append(f"({script(language)})")
        return "\n".join(lines)

    def _topic(self, state: State, language: str) -> str:
        """The entry's title, else the category's name, in `language`."""
        entry = self.knowledge.entries.get(state.get("entry") or "")
        if entry:
            return entry.title_in(language)
        return self.messages.category(state["category"], language) if state.get("category") else "–"

    def _consent(self, state: State, service: Service, language: str) -> Message:
        entry = self.knowledge.entries.get(state.get("entry") or "")
        topic = {lang: self._topic(state, lang) for lang in {language, REFERENCE_LANGUAGE}}
        city = state.get("city")
        alternatives = [
            {"name": m.service.name, "contact": self._contact(m.service)}
            for m in match_services(self.knowledge, self._request(state))
            if m.service.id != service.id
        ]
        case: Case = {
            "service": service.id,
            "service_name": service.name,
            "response_time": service.response_time,
            "entry": entry.id if entry else None,
            "category": state.get("category"),
            "topic": topic,
            "question": state.get("question"),
            "languages": state.get("languages") or [language],
            "city": self._places().display_name(city, REFERENCE_LANGUAGE) if city else None,
            "language": language,
            "alternatives": alternatives,
        }
        text = consent_text(case, self.messages, config.settings().retention.closed_cases)
        return self._message(text, language, [], step="consent", case=case, type=MessageType.HANDOVER_CONSENT)
