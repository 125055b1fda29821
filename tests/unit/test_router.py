"""Router.decide on the real knowledge/ with the lexical router: what every message of every user goes through.

No Rasa here: `Nlu` stands in for its parse (nlu_fallback where Rasa would not be sure of anything), so these
tests pin what the router itself does with a message. The router is trained once, beside the other tests
(tests/unit/conftest.py): it takes 30-40 s on two cores.
"""

from __future__ import annotations

import pytest

from core import config
from core.knowledge.base import KnowledgeBase
from core.payloads import TOPICS_PAYLOAD, handover_payload, payload, rate_payload
from core.routing.decision import Kind, Nlu, RouteAction
from core.routing.router import LEXICAL_THRESHOLDS, Router
from core.routing.triage import LEXICAL_THRESHOLDS as LEXICAL_TRIAGE
from core.routing.triage_corpus import EmergencyKind


@pytest.fixture(scope="module")
def router(lexical_router: Router) -> Router:
    """The lexical router of tests/unit/conftest.py: no embedding model is ever loaded."""
    assert lexical_router.ranker.mode == "lexical" and lexical_router.ranker.encoder is None
    assert lexical_router.thresholds == LEXICAL_THRESHOLDS and lexical_router.triage.thresholds == LEXICAL_TRIAGE
    return lexical_router


# -- emergencies ---------------------------------------------------------------------------------------------

EMERGENCIES = [
    # (message, language, the first action the reply must name)
    ("Mein Mann schlägt mich", "de", EmergencyKind.VIOLENCE),
    ("My husband is hitting me", "en", EmergencyKind.VIOLENCE),
    ("زوجي يضربني", "ar", EmergencyKind.VIOLENCE),
    ("Мой муж меня бьёт", "ru", EmergencyKind.VIOLENCE),
    ("Kocam beni dövüyor", "tr", EmergencyKind.VIOLENCE),
    ("Mon mari me frappe", "fr", EmergencyKind.VIOLENCE),
    ("I want to kill myself", "en", EmergencyKind.SUICIDE),
    ("Ich will mich umbringen", "de", EmergencyKind.SUICIDE),
    ("Я хочу покончить с собой", "ru", EmergencyKind.SUICIDE),
    ("Kendimi öldürmek istiyorum", "tr", EmergencyKind.SUICIDE),
    ("My father collapsed and is not breathing", "en", EmergencyKind.MEDICAL),
    ("Call an ambulance, my friend is bleeding a lot", "en", EmergencyKind.MEDICAL),
    ("Feuer! Unser Haus brennt", "de", EmergencyKind.FIRE),
    ("Es brennt in unserem Haus", "de", EmergencyKind.FIRE),
]


@pytest.mark.parametrize("text, language, kind", EMERGENCIES)
def test_emergencies_get_the_emergency_reply_with_the_right_first_action(
    router: Router, text: str, language: str, kind: EmergencyKind
) -> None:
    """Someone in danger must get 110/112/the crisis line first, in their language, whatever else fits."""
    decision = router.decide(text, Nlu())
    assert decision.kind == Kind.EMERGENCY
    assert decision.route_action == RouteAction.EMERGENCY
    assert decision.emergency == kind
    assert decision.language == language
    assert decision.confidence == 1.0
    assert decision.category  # an entry's category, else "protection": the handover still has a topic


def test_an_emergency_about_someone_else_speaks_to_the_helper(router: Router) -> None:
    """A helper ("my father collapsed") needs "stay with them", not "stay on the line" said to the person in danger."""
    assert router.decide("My father collapsed and is not breathing", Nlu()).about_other is True
    assert router.decide("I want to kill myself", Nlu()).about_other is False


@pytest.mark.parametrize(
    "text, nlu",
    [
        ("Ich will mich umbringen", Nlu("thanks", 0.99)),
        ("Mein Mann schlägt mich", Nlu("talk_to_person", 0.99)),
        ("I want to kill myself", Nlu("greet", 0.95)),
    ],
)
def test_an_emergency_wins_over_whatever_rasa_is_sure_of(router: Router, text: str, nlu: Nlu) -> None:
    """Rasa's intent classifier must never turn an emergency into small talk or a slow handover."""
    assert router.decide(text, nlu, "en").kind == Kind.EMERGENCY


@pytest.mark.parametrize("text, intent", [("ja", "affirm"), ("danke", "thanks"), ("hallo", "greet")])
def test_small_talk_rasa_is_sure_of_is_not_an_emergency(router: Router, text: str, intent: str) -> None:
    """A "yes" answered with 112 helps nobody: where Rasa is sure of small talk, the small talk is answered."""
    decision = router.decide(text, Nlu(intent, 0.95), "de")
    assert decision.kind == Kind(intent)
    assert decision.emergency is None


@pytest.mark.xfail(strict=True, reason='bug: "ja" is a learned emergency unless Rasa is at least 0.9 sure of it')
def test_a_plain_yes_is_not_an_emergency_when_rasa_is_only_fairly_sure(router: Router) -> None:
    """Told "Call 110 now (police)" for answering "ja", a person stops trusting the bot."""
    decision = router.decide("ja", Nlu("affirm", 0.85), "de")
    assert decision.kind == Kind.AFFIRM


@pytest.mark.xfail(strict=True, reason="bug: the emergency-kind classifier answers some medical emergencies with 110")
@pytest.mark.parametrize("text", ["Mein Mann hat einen Herzinfarkt", "Mein Kind atmet nicht"])
def test_medical_emergencies_in_the_family_name_the_ambulance(router: Router, text: str) -> None:
    """A heart attack or a child not breathing needs 112 (ambulance) first, not 110 (police)."""
    decision = router.decide(text, Nlu())
    assert decision.kind == Kind.EMERGENCY
    assert decision.emergency == EmergencyKind.MEDICAL


# -- answers -------------------------------------------------------------------------------------------------

ANSWERS = [
    # (question, language, entry)
    ("Wie beantrage ich Kindergeld?", "de", "kindergeld"),
    ("How do I apply for child benefit?", "en", "kindergeld"),
    ("Ich suche einen Kita-Platz für meine Tochter", "de", "kita"),
    ("Wie melde ich meine Wohnung an?", "de", "anmeldung"),
    ("How do I register my address in Germany?", "en", "anmeldung"),
    ("Як отримати дозвіл на роботу?", "uk", "arbeitserlaubnis"),
]


@pytest.mark.parametrize("text, language, entry", ANSWERS)
def test_a_clear_question_is_answered_with_its_entry(
    router: Router, project_knowledge: KnowledgeBase, text: str, language: str, entry: str
) -> None:
    """A question that plainly names a topic gets that topic's answer directly, not buttons."""
    decision = router.decide(text, Nlu())
    assert (decision.kind, decision.entry_id, decision.language) == (Kind.ANSWER, entry, language)
    assert decision.route_action == RouteAction.ANSWER
    assert decision.category == project_knowledge.entries[entry].category
    assert 0.0 < decision.confidence <= 1.0
    assert decision.candidates[0].entry_id == entry
    assert decision.offered == ()  # an answer offers no "did you mean" buttons


@pytest.mark.parametrize("text", ["🙂", "😀😀😀", "!!! ???", "   ", ""])
def test_a_message_without_words_is_invalid(router: Router, text: str) -> None:
    """Emoji or punctuation alone cannot be routed; the user is asked to write words."""
    decision = router.decide(text, Nlu())
    assert decision.kind == Kind.INVALID
    assert decision.entry_id is None and decision.candidates == ()


# -- buttons and commands ------------------------------------------------------------------------------------


def test_an_entry_button_answers_that_entry_with_full_confidence(router: Router) -> None:
    """A button carries the entry's id: no guessing, the entry the button named."""
    decision = router.decide(payload("choose_entry", entry="kita"), Nlu("choose_entry", 1.0, {"entry": "kita"}), "en")
    assert (decision.kind, decision.entry_id, decision.confidence) == (Kind.ANSWER, "kita", 1.0)
    assert decision.category == "education" and decision.language == "en"


def test_an_entry_button_naming_no_entry_answers_nothing(router: Router) -> None:
    """A stale button (its entry was deleted) must not crash or answer a random entry."""
    decision = router.decide(
        payload("choose_entry", entry="gibt_es_nicht"), Nlu("choose_entry", 1.0, {"entry": "gibt_es_nicht"}), "en"
    )
    assert decision.kind != Kind.ANSWER and decision.entry_id is None


def test_button_payloads_of_categories_handover_and_rating(router: Router) -> None:
    """Each kind of button leads to its own step, with what it carries."""
    category = router.decide(
        payload("choose_category", category="health"), Nlu("choose_category", 1.0, {"category": "health"}), "en"
    )
    assert (category.kind, category.category) == (Kind.CATEGORY_MENU, "health")
    step = router.decide(handover_payload(languages="en"), Nlu("handover", 1.0, {"languages": "en"}), "en")
    assert (step.kind, step.route_action) == (Kind.HANDOVER_STEP, RouteAction.HANDOVER)
    rated = router.decide(rate_payload("kita"), Nlu("rate", 1.0, {"entry": "kita"}), "en")
    assert (rated.kind, rated.entry_id) == (Kind.RATED, "kita")


@pytest.mark.parametrize(
    "command, kind",
    [
        ("/start", Kind.START),
        ("/START", Kind.START),
        ("/help", Kind.ABOUT),
        ("/menu", Kind.MENU),
        ("/language", Kind.CHOOSE_LANGUAGE),
        ("/person", Kind.PERSON),
    ],
)
def test_slash_commands_do_what_the_menu_says(router: Router, command: str, kind: Kind) -> None:
    """Telegram's command menu sends these as typed text; each has its own reply, whatever Rasa made of it."""
    decision = router.decide(command, Nlu(), "en")
    assert decision.kind == kind
    assert decision.language == "en"


@pytest.mark.parametrize(
    "text, nlu, trusted_kind",
    [
        ('handover{"service":"mbeon"}', Nlu("handover", 1.0, {"service": "mbeon"}), Kind.HANDOVER_STEP),
        ('rate{"entry":"kita"}', Nlu("rate", 1.0, {"entry": "kita"}), Kind.RATED),
        ("handover please", Nlu("handover", 0.99), Kind.HANDOVER_STEP),
    ],
)
def test_typed_text_that_looks_like_a_payload_is_not_trusted(
    router: Router, text: str, nlu: Nlu, trusted_kind: Kind
) -> None:
    """Typed text reaches the router without its leading slash: it must not act as a handover step or a 👎."""
    assert router.decide(text, nlu, "en").kind != trusted_kind


def test_a_typed_entry_payload_without_a_button_press_is_not_an_exact_answer(router: Router) -> None:
    """Only a button press (Rasa's choose_entry intent) is exact; the same characters typed are just words."""
    decision = router.decide('choose_entry{"entry":"kita"}', Nlu(), "en")
    assert not (decision.kind == Kind.ANSWER and decision.confidence == 1.0)


def test_the_topics_button_opens_the_topic_menu(router: Router) -> None:
    """Every reply's "Topics" button must lead to the categories, not back to the "about Lotse" text."""
    assert router.decide(TOPICS_PAYLOAD, Nlu("menu", 1.0), "en").kind == Kind.MENU


# -- a person, language, length -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, language",
    [
        ("Can I talk to a real person?", "en"),
        ("Ich möchte mit einem Berater sprechen", "de"),
        ("أريد التحدث مع شخص", "ar"),
        ("Je voudrais parler à une personne", "fr"),
    ],
)
def test_a_request_for_a_person_starts_the_handover(router: Router, text: str, language: str) -> None:
    """Asking for a human must lead to the handover, even where Rasa did not recognise the request."""
    decision = router.decide(text, Nlu())
    assert (decision.kind, decision.language) == (Kind.PERSON, language)
    assert decision.route_action == RouteAction.HANDOVER


def test_a_request_for_a_person_keeps_the_language_it_names(router: Router) -> None:
    """The languages a request names go into matching, so the person is not asked for them again."""
    decision = router.decide("someone who speaks Tigrinya about my rent", Nlu())
    assert decision.kind == Kind.PERSON
    assert "ti" in decision.languages


def test_a_confident_language_switches_and_a_short_word_does_not(router: Router) -> None:
    """A German question in an Arabic chat is answered in German; "ok" keeps the chat's language."""
    switched = router.decide("Wie beantrage ich Kindergeld?", Nlu(), "ar")
    assert (switched.language, switched.language_changed) == ("de", True)
    kept = router.decide("ok", Nlu(), "ar")
    assert (kept.language, kept.language_changed) == ("ar", False)


def test_a_language_button_sets_that_language(router: Router) -> None:
    decision = router.decide(
        payload("choose_language", language="tr"), Nlu("choose_language", 1.0, {"language": "tr"}), "en"
    )
    assert (decision.kind, decision.language, decision.language_changed) == (Kind.LANGUAGE_SET, "tr", True)


def test_a_message_longer_than_the_limit_is_marked_truncated_and_still_routed(router: Router) -> None:
    """The user is told only the first part was read; that part is still answered."""
    long_text = "Wie beantrage ich Kindergeld? " * 40
    assert len(long_text.strip()) > config.MAX_ROUTED_CHARS
    decision = router.decide(long_text, Nlu())
    assert decision.truncated is True
    assert (decision.kind, decision.entry_id) == (Kind.ANSWER, "kindergeld")


def test_a_message_at_the_limit_is_not_truncated(router: Router) -> None:
    text = "Wie beantrage ich Kindergeld? "
    exact = (text * 40)[: config.MAX_ROUTED_CHARS - 1] + "x"
    assert len(exact) == config.MAX_ROUTED_CHARS
    assert router.decide(exact, Nlu()).truncated is False
    assert router.decide(exact + "x", Nlu()).truncated is True


def test_nlu_from_a_rasa_parse() -> None:
    """The action reads Rasa's parse result; a parse without an intent is a fallback, not a crash."""
    parsed = Nlu.from_parse(
        {"intent": {"name": "choose_entry", "confidence": 1}, "entities": [{"entity": "entry", "value": "kita"}]}
    )
    assert parsed == Nlu("choose_entry", 1.0, {"entry": "kita"})
    assert Nlu.from_parse({}) == Nlu("nlu_fallback", 0.0, {})
