"""ReplyBuilder.build: what the user reads for each kind of decision, on the real knowledge/ and locales/."""

from __future__ import annotations

import datetime as dt

import pytest

from core.i18n.messages import Messages
from core.knowledge.base import Entry, KnowledgeBase
from core.languages import LANGUAGES, NATIVE_NAMES
from core.payloads import CALLBACK_DATA_LIMIT, TOPICS_PAYLOAD, MessageType, payload
from core.replies import MAX_SERVICES, Message, ReplyBuilder
from core.routing.decision import Decision, Kind
from core.routing.ranking import Candidate
from core.routing.triage_corpus import EmergencyKind
from core.taxonomy import CATEGORIES

PERSON = payload("talk_to_person")
TOPICS = TOPICS_PAYLOAD


@pytest.fixture(scope="module")
def builder(project_knowledge: KnowledgeBase, project_messages: Messages) -> ReplyBuilder:
    return ReplyBuilder(project_knowledge, project_messages)


def payloads(message: Message) -> list[str]:
    return [button["payload"] for button in message["buttons"]]


def candidates(*entry_ids: str) -> tuple[Candidate, ...]:
    """Ranked candidates, best first, as the ranker gives them."""
    return tuple(Candidate(entry_id, -0.5 - 0.1 * rank) for rank, entry_id in enumerate(entry_ids))


# -- emergencies ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_emergency_reply_starts_with_the_action_and_has_the_numbers_in_the_same_message(
    builder: ReplyBuilder, project_messages: Messages, language: str
) -> None:
    """The one thing to do comes first; the numbers follow in the same message (Rasa splits at blank lines)."""
    for kind in EmergencyKind:
        for about_other in (False, True):
            decision = Decision(Kind.EMERGENCY, language, emergency=kind, about_other=about_other, confidence=1.0)
            first = builder.build(decision)[0]
            action = project_messages.text(f"emergency_{kind}_other" if about_other else f"emergency_{kind}", language)
            assert first["text"].startswith(action + "\n"), (kind, about_other)
            assert project_messages.text("emergency", language) in first["text"]
            assert "112" in first["text"] and "110" in first["text"]
            assert "\n\n" not in first["text"], "a blank line would split the action from the numbers"
            assert first["json_message"]["type"] == MessageType.EMERGENCY


def test_the_first_action_names_the_right_number(builder: ReplyBuilder) -> None:
    """Violence: police (110) first; medical and fire: 112; suicidal: the crisis line."""
    first_line = {
        kind: builder.build(Decision(Kind.EMERGENCY, "en", emergency=kind))[0]["text"].split("\n")[0]
        for kind in EmergencyKind
    }
    assert "110" in first_line[EmergencyKind.VIOLENCE]
    assert "112" in first_line[EmergencyKind.MEDICAL] and "112" in first_line[EmergencyKind.FIRE]
    assert "0800 111 0 111" in first_line[EmergencyKind.SUICIDE]
    # an emergency whose kind is unknown is treated as medical: 112 is never wrong
    assert builder.build(Decision(Kind.EMERGENCY, "en"))[0]["text"].split("\n")[0] == first_line[EmergencyKind.MEDICAL]


def test_an_emergency_with_a_sure_entry_adds_its_answer_after_the_numbers(builder: ReplyBuilder) -> None:
    replies = builder.build(
        Decision(Kind.EMERGENCY, "de", entry_id="haeusliche_gewalt", emergency=EmergencyKind.VIOLENCE)
    )
    assert [r["json_message"]["type"] for r in replies] == [MessageType.EMERGENCY, MessageType.ANSWER]
    assert replies[1]["json_message"]["entry"] == "haeusliche_gewalt"


def test_an_emergency_with_unsure_entries_offers_them_as_buttons(builder: ReplyBuilder) -> None:
    """A question about violence counselling taken for an emergency still reaches its answer in one tap."""
    offered = candidates("haeusliche_gewalt", "notruf", "diskriminierung", "kita")
    replies = builder.build(Decision(Kind.EMERGENCY, "en", entry_id="haeusliche_gewalt", candidates=offered))
    assert [r["json_message"]["type"] for r in replies] == [MessageType.EMERGENCY, MessageType.CLARIFY]
    assert payloads(replies[1]) == [
        *(payload("choose_entry", entry=e) for e in ("haeusliche_gewalt", "notruf", "diskriminierung")),
        PERSON,
    ]


# -- answers -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_answer_carries_its_source_and_review_date(
    builder: ReplyBuilder, project_knowledge: KnowledgeBase, project_messages: Messages, language: str
) -> None:
    """People must see where a fact comes from and how old the check is, in their language."""
    entry = project_knowledge.entries["kindergeld"]
    (reply,) = builder.build(Decision(Kind.ANSWER, language, entry_id="kindergeld", confidence=0.9))
    t = project_messages.text
    assert entry.answer[language] in reply["text"]
    source = f"{t('source', language)}: {entry.sources[0]} ({t('reviewed', language)} {entry.reviewed:%Y-%m})"
    assert source in reply["text"]
    assert reply["json_message"] == {
        "type": MessageType.ANSWER,
        "entry": "kindergeld",
        "category": entry.category,
        "language": language,
        "source": entry.sources[0],
    }
    assert payloads(reply) == [PERSON, TOPICS]
    for fallback in ("en", "de"):
        assert t("translation_missing", language, fallback=NATIVE_NAMES[fallback]) not in reply["text"]


def test_an_answer_names_at_most_three_nationwide_services_of_its_kinds(
    builder: ReplyBuilder, project_knowledge: KnowledgeBase, project_messages: Messages
) -> None:
    """After the answer, free personal advice: only services anyone can reach, and not a long list."""
    entry = project_knowledge.entries["anmeldung"]
    (reply,) = builder.build(Decision(Kind.ANSWER, "en", entry_id="anmeldung"))
    assert project_messages.text("services_intro", "en") in reply["text"]
    named = [s for s in project_knowledge.services.values() if f"• {s.name}" in reply["text"]]
    assert 1 <= len(named) <= MAX_SERVICES
    assert all(s.national and s.kind in entry.services for s in named)


def _entry(entry_id: str, answer: dict[str, str]) -> Entry:
    return Entry(
        id=entry_id,
        category="offices",
        services=(),
        reviewed=dt.date(2026, 1, 15),
        sources=("https://www.example.org/quelle",),
        questions={lang: ("Frage?",) for lang in answer},
        answer=answer,
        title={},
        path=f"entries/offices/{entry_id}.yml",
    )


@pytest.fixture(scope="module")
def partly_translated(project_messages: Messages) -> ReplyBuilder:
    """Entries with German only, and German and English: translations volunteers have not written yet."""
    knowledge = KnowledgeBase(
        entries={
            "nur_deutsch": _entry("nur_deutsch", {"de": "Nur auf Deutsch."}),
            "de_und_en": _entry("de_und_en", {"de": "Auf Deutsch.", "en": "In English."}),
        }
    )
    return ReplyBuilder(knowledge, project_messages)


@pytest.mark.parametrize(
    "entry_id, language, shown, fallback",
    [
        ("de_und_en", "ar", "In English.", "en"),
        ("de_und_en", "fr", "In English.", "en"),
        ("nur_deutsch", "ar", "Nur auf Deutsch.", "de"),
        ("nur_deutsch", "en", "Nur auf Deutsch.", "de"),
    ],
)
def test_a_missing_translation_falls_back_to_english_then_german_and_says_so(
    partly_translated: ReplyBuilder,
    project_messages: Messages,
    entry_id: str,
    language: str,
    shown: str,
    fallback: str,
) -> None:
    """Nobody is left without an answer, and nobody is surprised by a language they did not choose."""
    (reply,) = partly_translated.build(Decision(Kind.ANSWER, language, entry_id=entry_id))
    notice = project_messages.text("translation_missing", language, fallback=NATIVE_NAMES[fallback])
    assert reply["text"].startswith(notice + "\n\n" + shown)
    assert reply["json_message"]["language"] == language


def test_an_answer_in_its_own_language_has_no_notice(
    partly_translated: ReplyBuilder, project_messages: Messages
) -> None:
    (reply,) = partly_translated.build(Decision(Kind.ANSWER, "en", entry_id="de_und_en"))
    assert reply["text"].startswith("In English.\n\n")
    (german,) = partly_translated.build(Decision(Kind.ANSWER, "de", entry_id="nur_deutsch"))
    assert german["text"].startswith("Nur auf Deutsch.\n\n")


# -- buttons -------------------------------------------------------------------------------------------------


def test_clarify_offers_at_most_three_entries_and_a_person(
    builder: ReplyBuilder, project_knowledge: KnowledgeBase, project_messages: Messages
) -> None:
    """More than three buttons overwhelm on a phone; a person is always one tap away."""
    ranked = candidates("anmeldung", "wohnungssuche", "wohngeld", "kita", "schule")
    (reply,) = builder.build(Decision(Kind.CLARIFY, "en", entry_id="anmeldung", candidates=ranked))
    assert reply["text"] == project_messages.text("clarify", "en")
    assert payloads(reply) == [
        *(payload("choose_entry", entry=e) for e in ("anmeldung", "wohnungssuche", "wohngeld")),
        PERSON,
    ]
    assert reply["buttons"][0]["title"] == project_knowledge.entries["anmeldung"].title_in("en")


def test_clarify_leaves_out_an_entry_that_no_longer_exists(builder: ReplyBuilder) -> None:
    """Knowledge can change between ranking and reply (live reload): a vanished entry is no crash."""
    (reply,) = builder.build(Decision(Kind.CLARIFY, "en", candidates=candidates("weg", "kita")))
    assert payloads(reply) == [payload("choose_entry", entry="kita"), PERSON]


def test_no_match_offers_the_guessed_category_a_person_and_the_topics(builder: ReplyBuilder) -> None:
    (guessed,) = builder.build(Decision(Kind.NO_MATCH, "en", category="health"))
    assert payloads(guessed) == [payload("choose_category", category="health"), PERSON, TOPICS]
    assert guessed["json_message"]["type"] == MessageType.FALLBACK
    (unknown,) = builder.build(Decision(Kind.NO_MATCH, "en"))
    assert payloads(unknown) == [PERSON, TOPICS]


def test_a_category_menu_lists_every_entry_of_the_category(
    builder: ReplyBuilder, project_knowledge: KnowledgeBase
) -> None:
    for category in CATEGORIES:
        (reply,) = builder.build(Decision(Kind.CATEGORY_MENU, "en", category=category))
        entries = [payload("choose_entry", entry=e.id) for e in project_knowledge.in_category(category)]
        assert payloads(reply) == [*entries, TOPICS]


def test_start_offers_all_eight_languages(builder: ReplyBuilder, project_messages: Messages) -> None:
    (reply,) = builder.build(Decision(Kind.START, "en", confidence=1.0))
    assert reply["text"] == project_messages.text("greeting", "en")
    assert payloads(reply) == [*(payload("choose_language", language=code) for code in LANGUAGES), TOPICS]
    assert [b["title"] for b in reply["buttons"][:-1]] == [NATIVE_NAMES[code] for code in LANGUAGES]


def test_invalid_input_asks_for_words(builder: ReplyBuilder, project_messages: Messages) -> None:
    (reply,) = builder.build(Decision(Kind.INVALID, "ar"))
    assert reply["text"] == project_messages.text("invalid_input", "ar")
    assert payloads(reply) == [TOPICS]


def test_a_truncated_message_is_said_first(builder: ReplyBuilder, project_messages: Messages) -> None:
    """The user learns that only the first part of a long message was read."""
    replies = builder.build(Decision(Kind.ANSWER, "de", entry_id="kita", truncated=True))
    assert replies[0]["text"] == project_messages.text("too_long", "de")
    assert replies[1]["json_message"]["entry"] == "kita"


def test_a_rating_is_recorded_silently(builder: ReplyBuilder) -> None:
    """A 👎 from a rich client gets no bot message (the gateway already thanked)."""
    assert builder.build(Decision(Kind.RATED, "en", entry_id="kita")) == []


def _every_decision(knowledge: KnowledgeBase, language: str) -> list[Decision]:
    """A decision of every kind ReplyBuilder answers, every entry's answer and every category's menu, in `language`.

    A person request and a handover step are answered by HandoverFlow (tests/unit/test_conversation.py).
    """
    ranked = candidates(*sorted(knowledge.entries)[:5])
    handover = (Kind.PERSON, Kind.HANDOVER_STEP)
    decisions = [Decision(kind, language) for kind in Kind if kind not in (Kind.ANSWER, Kind.RATED, *handover)]
    decisions += [
        Decision(Kind.CLARIFY, language, candidates=ranked),
        Decision(Kind.EMERGENCY, language, candidates=ranked),
    ]
    decisions += [Decision(Kind.ANSWER, language, entry_id=entry_id) for entry_id in knowledge.entries]
    decisions += [Decision(Kind.CATEGORY_MENU, language, category=c) for c in CATEGORIES]
    decisions += [Decision(Kind.NO_MATCH, language, category=c) for c in CATEGORIES]
    return decisions


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_reply_has_text_and_buttons_telegram_accepts(
    builder: ReplyBuilder, project_knowledge: KnowledgeBase, language: str
) -> None:
    """Telegram refuses callback data over 64 bytes and buttons without a title: the whole message would fail."""
    for decision in _every_decision(project_knowledge, language):
        replies = builder.build(decision)
        assert replies, decision.kind
        for reply in replies:
            assert reply["text"].strip(), decision.kind
            assert reply["json_message"]["language"] == language
            for button in reply["buttons"]:
                assert button["title"].strip(), (decision.kind, button)
                assert len(button["payload"].encode("utf-8")) <= CALLBACK_DATA_LIMIT, button["payload"]
