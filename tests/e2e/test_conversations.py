"""Whole conversations over Rasa's REST channel against the real Rasa and action servers."""

from __future__ import annotations

from tests.e2e.helpers import Conversation, buttons, customs, texts
from tools.servers import Servers


def test_greeting_in_german_offers_topics_language_and_a_person(user: Conversation) -> None:
    replies = user("Hallo")
    assert "Lotse" in texts(replies) and "Ämter" in texts(replies)
    assert {b["payload"] for b in buttons(replies)} == {"/menu", "/choose_language", "/talk_to_person"}
    assert customs(replies)[0]["language"] == "de"


def test_knowledge_answer_in_english_has_source_services_and_payload(user: Conversation) -> None:
    replies = user("how do i register my address after moving in")
    payload = customs(replies)[0]
    source = payload.pop("source")
    assert payload == {"type": "answer", "entry": "anmeldung", "category": "offices", "language": "en"}
    assert source.startswith("https://") and source in texts(replies)
    text = texts(replies)
    assert "Source: https://" in text
    assert "mbeon" in text  # the matching nationwide service (kind mbe) is offered after the answer
    assert "/talk_to_person" in {b["payload"] for b in buttons(replies)}


def test_answer_in_arabic_keeps_right_to_left_text_untouched(user: Conversation) -> None:
    replies = user("كيف أعمل Anmeldung للسكن")
    payload = customs(replies)[0]
    assert payload["entry"] == "anmeldung" and payload["language"] == "ar"
    assert "المصدر" in texts(replies)
    assert "\u200f" not in texts(replies) and "\u202b" not in texts(replies)


def test_switching_language_by_words_and_by_button(user: Conversation, servers: Servers) -> None:
    user("Wie melde ich meine Wohnung an?")
    replies = user("English please")
    assert replies[0]["text"] == "OK, I will answer in English."
    replies = user('/choose_language{"language":"tr"}')
    assert "Türkçe" in texts(replies)
    # the choice sticks for short messages that do not show a language
    assert customs(user("kindergeld?"))[0] == {
        "type": "answer",
        "entry": "kindergeld",
        "category": "benefits",
        "language": "tr",
        "source": "https://www.arbeitsagentur.de/familie-und-kinder",
    }
    tracker = servers.api.get(f"/conversations/{user.sender}/tracker").json()  # type: ignore[attr-defined]
    assert tracker["slots"]["language"] == "tr" and tracker["slots"]["last_entry"] == "kindergeld"


def test_language_menu_lists_all_eight_languages(user: Conversation) -> None:
    replies = user("/language")
    assert [b["title"] for b in buttons(replies)] == [
        "Deutsch",
        "English",
        "العربية",
        "Українська",
        "Türkçe",
        "Русский",
        "فارسی / دری",
        "Français",
    ]


def test_missing_translation_answers_in_english_and_says_so_in_ukrainian(user: Conversation) -> None:
    user("привіт")
    replies = user('/choose_entry{"entry":"kita"}')
    text = texts(replies)
    assert text.startswith("Ця відповідь ще не доступна українською. Ось вона мовою English:")
    assert "Kita" in text and customs(replies)[0]["language"] == "uk"


def test_emergency_numbers_come_first_in_every_language(user: Conversation) -> None:
    for message, number_line in [
        ("زوجي يضربني كل يوم", "الشرطة: 110"),
        ("муж бьёт меня", "Полиция: 110"),
        ("I want to kill myself", "Police: 110"),
        ("beni dövüyor", "Polis: 110"),
    ]:
        replies = user(message)
        assert number_line in replies[0]["text"], message
        assert "116 016" in replies[0]["text"] and "0800 111 0 111" in replies[0]["text"]
        assert customs(replies)[0]["type"] == "emergency"


def test_out_of_scope_gets_friendly_limit_and_the_topic_menu(user: Conversation) -> None:
    replies = user("tell me a joke about cats")
    assert "I can only help with questions about life in Germany" in texts(replies)
    assert len(buttons(replies)) == 15
    assert customs(replies)[0]["category"] == "out_of_scope"


def test_unanswerable_question_offers_a_person(user: Conversation) -> None:
    replies = user("xqzv plorkt wuzzle")
    assert customs(replies)[0]["type"] == "fallback"
    assert "/talk_to_person" in {b["payload"] for b in buttons(replies)}


def test_garbage_input_gets_a_polite_answer_and_the_conversation_goes_on(user: Conversation) -> None:
    for junk in ["😀😀😀", "\x00\x01\x02\ufffd", "   ", "?!?!"]:
        replies = user(junk)
        assert customs(replies)[0]["type"] == "fallback", repr(junk)
        assert "could not read" in texts(replies)
    pasted_letter = "Ich habe einen Brief vom Jobcenter bekommen und verstehe ihn nicht. " * 1500
    replies = user(pasted_letter)
    assert replies[0]["text"].startswith("Ihre Nachricht ist sehr lang")
    assert customs(replies)[-1]["type"] in ("answer", "clarify")
    assert customs(user("kindergeld beantragen wie"))[-1]["entry"] == "kindergeld"


def test_talking_to_a_person_asks_what_matching_needs_then_proposes(user: Conversation) -> None:
    user("I want to extend my residence permit, it expires next month")
    replies = user("/talk_to_person")
    assert customs(replies)[0]["step"] == "languages"  # German is not assumed
    assert {'/handover{"languages":"en"}', '/handover{"languages":"en+de"}'} <= {b["payload"] for b in buttons(replies)}
    assert customs(user('/handover{"languages":"en+de"}'))[0]["step"] == "city"
    assert customs(user("I live in 47051"))[0]["step"] == "age"  # a typed postcode names the city
    replies = user('/handover{"age":"adult"}')
    proposal = customs(replies)[0]
    assert proposal["step"] == "proposal" and 1 <= len(proposal["services"]) <= 3
    assert any(service.endswith("duisburg") for service in proposal["services"])
    text = texts(replies)
    assert "sample entry, not yet verified" in text  # the Duisburg services are sample data
    # No warm channel over REST: contact details and what to say in German, with the meaning in English
    assert "«Guten Tag, ich habe eine Frage zum Thema" in text and "(Hello, I have a question about" in text
    assert not any(b["payload"].startswith('/handover{"service"') for b in buttons(replies))


def test_a_new_question_during_the_handover_questions_is_answered(user: Conversation) -> None:
    user("/talk_to_person")
    user('/handover{"languages":"en"}')
    replies = user("how do i register my address")
    assert customs(replies)[0]["entry"] == "anmeldung"


def test_category_and_entry_buttons_lead_to_an_answer(user: Conversation) -> None:
    user("hello")
    replies = user('/choose_category{"category":"health"}')
    entry_payloads = [b["payload"] for b in buttons(replies) if "choose_entry" in b["payload"]]
    assert len(entry_payloads) == 9 and all(len(p.encode()) <= 64 for p in entry_payloads)  # 9 health entries
    assert customs(user(entry_payloads[0]))[0]["category"] == "health"
