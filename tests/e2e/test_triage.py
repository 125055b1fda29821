"""Triage: emergencies first (with the right first action), requests for a person with their topic, off-topic.

The table tests run the real Router in-process (lexical, as the action server serves until the
knowledge is encoded); the conversations go through the real Rasa and action servers. The quality
numbers on the frozen independent set come from `./lotse eval`, not from here.
"""

from __future__ import annotations

import pytest

from core import config
from core.i18n.messages import messages
from core.knowledge.loader import load_knowledge
from core.replies import ReplyBuilder
from core.routing.ranking import Candidate, Ranker
from core.routing.router import Decision, Nlu, Router
from core.routing.triage_corpus import EmergencyKind, load_corpus
from tests.e2e.helpers import Conversation, buttons, customs, texts
from tools.triage_evaluation import EVAL_SETS


@pytest.fixture(scope="module")
def router() -> Router:
    knowledge = load_knowledge(config.ROOT / "knowledge").knowledge
    return Router(knowledge, Ranker(knowledge, None))


@pytest.mark.parametrize(
    "text, kind, about_other",
    [
        ("my friend took many pills and is sleeping, I can't wake him up", EmergencyKind.MEDICAL, True),
        ("mein baby hat ganz blaue lippen und atmet komisch", EmergencyKind.MEDICAL, True),
        ("papa fasst sich an die brust und kann nicht mehr richtig sprechen", EmergencyKind.MEDICAL, True),
        ("ich habe alle tabletten gesammelt heute nacht ist schluss", EmergencyKind.SUICIDE, False),
        ("everyone would be better off without me, this is my last message", EmergencyKind.SUICIDE, False),
        ("شوهرم الان داره منو میزنه در اتاق رو قفل کرده", EmergencyKind.VIOLENCE, False),
        ("ça sent le gaz très fort dans tout l'immeuble", EmergencyKind.FIRE, False),
        ("oğlum okuldan dönmedi telefonu kapalı her yere baktık", EmergencyKind.VIOLENCE, True),
    ],
)
def test_emergencies_get_the_matching_first_action(
    router: Router, text: str, kind: EmergencyKind, about_other: bool
) -> None:
    decision = router.decide(text, Nlu())
    assert (decision.kind, decision.emergency, decision.about_other) == ("emergency", kind, about_other)


@pytest.mark.parametrize(
    "text",
    [
        "which number do i call for the police in germany",
        "wie lange ist die wartezeit für eine psychotherapie",
        "ich habe einen brief von der polizei bekommen, was muss ich tun",
        "after leaving my abusive husband two years ago, can i get my own residence permit",
        "where can i do a first aid course",
    ],
)
def test_questions_about_emergencies_are_not_emergencies(router: Router, text: str) -> None:
    assert router.decide(text, Nlu()).kind != "emergency"


@pytest.mark.parametrize("text, intent", [("ja", "affirm"), ("danke schön", "thanks"), ("nein", "deny")])
def test_small_talk_rasa_is_sure_of_is_no_emergency(router: Router, text: str, intent: str) -> None:
    assert router.decide(text, Nlu(intent, 0.97)).kind == intent


@pytest.mark.parametrize(
    "text, category",
    [
        ("Is there a person I can talk to about my work contract?", "work"),
        ("I don't want a bot, I want a human", None),
    ],
)
def test_requests_for_a_person_keep_their_topic(router: Router, text: str, category: str | None) -> None:
    decision = router.decide(text, Nlu())
    assert decision.kind == "person" and decision.category == category


def test_a_request_for_a_person_takes_the_languages_it_names(router: Router) -> None:
    decision = router.decide("someone who speaks Tigrinya and can come with me to the foreigners office", Nlu())
    assert decision.kind == "person" and decision.languages == ("ti",)


@pytest.mark.parametrize(
    "text",
    [
        "who won the champions league final",
        "write me a love poem for my girlfriend",
        "give me a good recipe for lasagna",
    ],
)
def test_off_topic_gets_the_scope_reply(router: Router, text: str) -> None:
    assert router.decide(text, Nlu()).kind == "out_of_scope"


@pytest.mark.parametrize(("set_name", "size"), [("triage_eval", 1900), ("triage_eval_2", 1300)])
def test_the_evaluation_sets_are_apart_from_the_training_corpus(set_name: str, size: int) -> None:
    """No message of a frozen evaluation set may be trained on."""
    training = {example.text.casefold() for example in load_corpus()}
    evaluation = load_corpus(EVAL_SETS[set_name])
    assert len(evaluation) >= size and not [e.text for e in evaluation if e.text.casefold() in training]


# --- whole conversations through the real Rasa and action servers -------------------------------------


def first(replies: list[dict]) -> str:
    return replies[0]["text"] if replies else ""


def test_third_person_overdose_starts_with_112_for_the_helper(user: Conversation) -> None:
    replies = user("my friend took a lot of pills and now he is sleeping and i cant wake him up")
    assert customs(replies)[0]["type"] == "emergency"
    assert first(replies).startswith("🚑 Call 112 now for them")
    assert "Police: 110" in texts(replies)


def test_baby_with_blue_lips_in_german(user: Conversation) -> None:
    replies = user("mein baby hat blaue lippen und atmet ganz komisch was soll ich machen")
    assert customs(replies)[0]["type"] == "emergency" and customs(replies)[0]["language"] == "de"
    assert first(replies).startswith("🚑 Rufen Sie jetzt für die Person die 112 an")


@pytest.mark.parametrize(
    "text, language, crisis_line",
    [
        (
            "i gave my cat to my neighbour and wrote letters to everyone, they will be better off without me",
            "en",
            "TelefonSeelsorge",
        ),
        ("ich hab mich von allen verabschiedet, morgen bin ich nicht mehr da", "de", "TelefonSeelsorge"),
        ("كتبت رسالة وداع لأهلي، ما عاد في داعي أصحى بكرا", "ar", "0800 111 0 111"),
    ],
)
def test_indirect_suicidal_messages_get_the_crisis_line_first(
    user: Conversation, text: str, language: str, crisis_line: str
) -> None:
    replies = user(text)
    assert customs(replies)[0]["type"] == "emergency" and customs(replies)[0]["language"] == language
    assert first(replies).startswith("💙") and crisis_line in first(replies) and "112" in first(replies)


def test_violence_now_in_persian_names_the_police_first(user: Conversation) -> None:
    replies = user("شوهرم همین الان منو کتک میزنه و در خانه را قفل کرده")
    assert customs(replies)[0]["type"] == "emergency" and customs(replies)[0]["language"] == "fa"
    assert first(replies).startswith("🚓") and "110" in first(replies).split("\n")[0]


def test_person_request_with_a_topic_in_arabic_lands_with_labour_counselling(user: Conversation) -> None:
    replies = user("بدي احكي مع شخص حقيقي عن عقد الشغل تبعي، صاحب الشغل ما عم يدفعلي")
    assert customs(replies)[0] == {
        "type": "handover",
        "entry": None,
        "category": None,
        "language": "ar",
        "step": "languages",
    }
    user('/handover{"languages":"ar+de"}')
    step = customs(user('/handover{"city":"-"}'))[-1]
    if step["step"] == "age":
        step = customs(user('/handover{"age":"adult"}'))[-1]
    assert step["step"] == "proposal" and "faire-integration" in step["services"]


@pytest.mark.parametrize(
    "text, language",
    [
        ("who won the football match between real madrid and barcelona yesterday", "en"),
        ("schreib mir bitte ein liebesgedicht für meine freundin", "de"),
        ("bana güzel bir mercimek çorbası tarifi verir misin", "tr"),
    ],
)
def test_off_topic_gets_the_scope_reply_without_a_person(user: Conversation, text: str, language: str) -> None:
    replies = user(text)
    assert customs(replies)[0]["type"] == "fallback" and customs(replies)[0]["category"] == "out_of_scope"
    assert customs(replies)[0]["language"] == language
    assert "/talk_to_person" not in {b["payload"] for b in buttons(replies)}
    assert any(b["payload"].startswith("/choose_category") for b in buttons(replies))  # the topic menu


def test_arabizi_question_is_answered_in_arabic(user: Conversation) -> None:
    replies = user("el iqame taba3i 5elset shu a3mel")
    assert customs(replies)[0]["language"] == "ar"
    assert any("\u0600" <= c <= "\u06ff" for c in texts(replies))


def test_an_emergency_without_a_sure_answer_offers_the_nearest_entries_after_the_numbers(router: Router) -> None:
    """The numbers come first; a ranker that is unsure offers its top entries as buttons, never an unsure answer."""
    offered = (
        Candidate("haeusliche_gewalt", -0.5),
        Candidate("psychische_gesundheit", -0.6),
        Candidate("notruf", -0.7),
    )
    decision = Decision(
        "emergency",
        "en",
        entry_id="haeusliche_gewalt",
        category="protection",
        candidates=offered,
        emergency=EmergencyKind.VIOLENCE,
    )
    replies = ReplyBuilder(router.knowledge, messages()).build(decision)
    assert [r["json_message"]["type"] for r in replies] == ["emergency", "clarify"]
    assert replies[0]["text"].startswith(messages().text("emergency_violence", "en"))
    titles = [b["title"] for b in replies[1]["buttons"]]
    assert titles[:3] == [router.knowledge.entries[c.entry_id].title_in("en") for c in offered]
    sure = Decision(
        "emergency", "en", entry_id="haeusliche_gewalt", category="protection", emergency=EmergencyKind.VIOLENCE
    )
    assert [r["json_message"]["type"] for r in ReplyBuilder(router.knowledge, messages()).build(sure)] == [
        "emergency",
        "answer",
    ]
