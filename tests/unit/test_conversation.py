"""take_turn and HandoverFlow: a conversation's state from one message to the next, without Rasa.

The decisions are written out here as the router would give them, so each test shows one turn's rules: the
handover dialogue, what reaches the volunteers' inbox, and which slots change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from core import config
from core.conversation import SLOTS, Turn, take_turn
from core.handover.flow import HandoverFlow
from core.i18n.messages import Messages
from core.knowledge.base import KnowledgeBase
from core.payloads import CALLBACK_DATA_LIMIT, MessageType, handover_payload
from core.routing.decision import Decision, Kind, Nlu
from core.routing.ranking import Candidate
from core.routing.triage_corpus import EmergencyKind
from core.store.inbox import InboxReason

EMPTY: dict[str, Any] = dict.fromkeys(SLOTS)
# `turn(decision, nlu, text, slots=None, warm=())`: one message, as the Rasa action takes it.
TakeTurn = Callable[..., Turn]
RANKED = (Candidate("anmeldung", -0.5), Candidate("wohnungssuche", -0.6), Candidate("wohngeld", -0.7))


@pytest.fixture(scope="module")
def flow(project_knowledge: KnowledgeBase, project_messages: Messages) -> HandoverFlow:
    return HandoverFlow(project_knowledge, project_messages)


@pytest.fixture
def turn(project_knowledge: KnowledgeBase, project_messages: Messages) -> TakeTurn:
    """One message, as the Rasa action takes it: the same knowledge and texts for every turn."""

    def take(
        decision: Decision, nlu: Nlu, text: str, slots: dict[str, Any] | None = None, warm: tuple[str, ...] = ()
    ) -> Turn:
        return take_turn(project_knowledge, project_messages, decision, nlu, text, slots or EMPTY, warm)

    return take


def step(reply: dict[str, Any]) -> str | None:
    return reply["json_message"].get("step")


def handover_step(language: str = "en") -> Decision:
    return Decision(Kind.HANDOVER_STEP, language, confidence=1.0)


# -- the handover dialogue -------------------------------------------------------------------------------------


def test_a_person_request_starts_the_dialogue_with_the_languages(turn: TakeTurn, project_messages: Messages) -> None:
    """Matching needs the languages someone can talk in first; the question is in their language."""
    result = turn(Decision(Kind.PERSON, "ar", confidence=0.9), Nlu("talk_to_person", 0.9), "أريد التحدث مع شخص")
    (reply,) = result.replies
    assert step(reply) == "languages" and reply["json_message"]["type"] == MessageType.HANDOVER
    assert reply["text"] == project_messages.text("handover_ask_languages", "ar")
    assert [b["payload"] for b in reply["buttons"]] == [
        handover_payload(languages="ar"),
        handover_payload(languages="ar+de"),
        handover_payload(languages="ar+en"),
        handover_payload(languages="ar+de+en"),
    ]
    assert isinstance(result.slots["handover"], dict) and result.slots["handover"]["languages"] is None


def test_handover_buttons_move_the_dialogue_on_to_a_proposal(turn: TakeTurn, project_knowledge: KnowledgeBase) -> None:
    """Languages, then city, then age (each only where it changes the proposal), then up to three services."""
    slots = turn(Decision(Kind.PERSON, "en"), Nlu("talk_to_person", 0.9), "a person please").slots
    steps = []
    for entities in ({"languages": "en+de"}, {"city": "dortmund"}, {"age": "adult"}):
        result = turn(handover_step(), Nlu("handover", 1.0, entities), handover_payload(**entities), slots)
        steps.append(step(result.replies[0]))
        slots = result.slots
    assert steps == ["city", "age", "proposal"]
    state = slots["handover"]
    assert (state["languages"], state["city"], state["age"]) == (["en", "de"], "dortmund", "adult")
    proposed = state["proposed"]
    assert 1 <= len(proposed) <= 3
    text = result.replies[0]["text"]
    assert all(project_knowledge.services[service].name in text for service in proposed)
    assert all(
        project_knowledge.services[s].national or "dortmund" in project_knowledge.services[s].cities for s in proposed
    )


def test_a_person_request_that_names_its_topic_and_language_is_not_asked_again(turn: TakeTurn) -> None:
    """A request like "someone who speaks Tigrinya about my rent" is taken as said: no languages question."""
    decision = Decision(Kind.PERSON, "en", category="housing", confidence=0.9, languages=("ti",))
    text = "someone who speaks Tigrinya about my rent"
    result = turn(decision, Nlu(), text)
    state = result.slots["handover"]
    assert state["languages"] == ["ti", "en"]
    assert (state["category"], state["question"]) == ("housing", text)
    assert step(result.replies[0]) != "languages"


def test_a_person_request_after_an_answer_is_about_that_answer(
    turn: TakeTurn, project_knowledge: KnowledgeBase
) -> None:
    """The counsellor gets the topic and the question the person already asked, without asking again."""
    slots = {**EMPTY, "last_entry": "kita", "last_question": "Wie finde ich einen Kita-Platz?"}
    state = turn(Decision(Kind.PERSON, "de"), Nlu("talk_to_person", 0.95), "/talk_to_person", slots).slots["handover"]
    assert (state["entry"], state["category"]) == ("kita", "education")
    assert state["question"] == "Wie finde ich einen Kita-Platz?"
    assert state["kinds"] == list(project_knowledge.entries["kita"].services)


def test_a_typed_city_answers_the_city_question(turn: TakeTurn) -> None:
    """People write "I live in Dortmund" instead of pressing the button: the dialogue goes on."""
    slots = turn(Decision(Kind.PERSON, "de"), Nlu("talk_to_person", 0.9), "Berater bitte").slots
    slots = turn(handover_step("de"), Nlu("handover", 1.0, {"languages": "de"}), "/handover", slots).slots
    result = turn(Decision(Kind.NO_MATCH, "de"), Nlu(), "Ich wohne in Dortmund", slots)
    assert result.slots["handover"]["city"] == "dortmund"
    assert step(result.replies[0]) == "age"


def test_a_typed_city_is_not_an_unanswered_question(turn: TakeTurn) -> None:
    """The inbox is for questions the bot could not answer, not for where someone lives."""
    slots = turn(Decision(Kind.PERSON, "de"), Nlu("talk_to_person", 0.9), "Berater bitte").slots
    slots = turn(handover_step("de"), Nlu("handover", 1.0, {"languages": "de"}), "/handover", slots).slots
    result = turn(Decision(Kind.NO_MATCH, "de"), Nlu(), "Ich wohne in Dortmund, Musterstraße 1", slots)
    assert result.slots["handover"]["city"] == "dortmund"
    assert result.unanswered == []


def test_an_emergency_ends_the_handover(turn: TakeTurn) -> None:
    """Whatever the dialogue was asking, an emergency gets the emergency reply and the dialogue stops."""
    slots = turn(Decision(Kind.PERSON, "en"), Nlu("talk_to_person", 0.9), "a person").slots
    assert slots["handover"] is not None
    result = turn(Decision(Kind.EMERGENCY, "en", emergency=EmergencyKind.VIOLENCE), Nlu(), "he is hitting me", slots)
    assert result.slots["handover"] is None
    assert result.replies[0]["json_message"]["type"] == MessageType.EMERGENCY


def test_another_question_during_the_dialogue_is_answered_and_ends_it(turn: TakeTurn) -> None:
    slots = turn(Decision(Kind.PERSON, "en"), Nlu("talk_to_person", 0.9), "a person").slots
    result = turn(Decision(Kind.ANSWER, "en", entry_id="kita"), Nlu(), "how do I find a kita place", slots)
    assert result.slots["handover"] is None
    assert result.replies[0]["json_message"]["entry"] == "kita"


def test_a_handover_button_without_a_dialogue_starts_one(turn: TakeTurn) -> None:
    """A button pressed in an old message (the state is gone) starts a dialogue instead of failing."""
    result = turn(handover_step(), Nlu("handover", 1.0, {"languages": "en"}), handover_payload(languages="en"))
    assert result.slots["handover"]["languages"] == ["en"]


def test_unknown_languages_and_cities_from_a_button_are_ignored(flow: HandoverFlow) -> None:
    """Payloads can be forged: only languages Lotse knows and cities its services serve are taken."""
    state = flow.update(flow.start(None, None), {"languages": "xx+en", "city": "atlantis", "age": "ancient"})
    assert (state["languages"], state["city"], state["age"]) == (["en"], None, None)
    assert flow.update(state, {"city": "-"})["city"] == ""  # "prefer not to say": nationwide services only


def _proposal(flow: HandoverFlow, city: str, language: str, warm: tuple[str, ...]) -> tuple[dict[str, Any], Any]:
    state = flow.update(flow.start(None, None), {"languages": language, "city": city, "age": "adult"})
    (message,), after = flow.step(state, "en", warm)
    assert step(message) == "proposal"
    return message, after


def test_only_a_proposed_warm_service_leads_to_the_consent(
    flow: HandoverFlow, project_knowledge: KnowledgeBase
) -> None:
    """A service id typed by hand is not chosen; a proposed one with a counsellor desk asks for consent."""
    warm = tuple(s.id for s in project_knowledge.services.values() if s.handover == "telegram")
    _, state = _proposal(flow, "bochum", "de", warm)
    assert flow.choose(state, "not-proposed") == state
    chosen = next(s for s in state["proposed"] if s in warm)
    (consent,), after = flow.step(flow.choose(state, chosen), "en", warm)
    assert after is None
    assert consent["json_message"]["type"] == MessageType.HANDOVER_CONSENT
    assert consent["json_message"]["case"]["service"] == chosen


@pytest.mark.parametrize(
    "city, language",
    [
        ("bochum", "de"),
        ("dortmund", "uk"),
        ("duisburg", "ar"),
    ],
)
def test_every_proposal_button_fits_telegram(
    flow: HandoverFlow, project_knowledge: KnowledgeBase, city: str, language: str
) -> None:
    """With every Telegram desk open, each "send my request" button must still be a valid Telegram button."""
    warm = tuple(s.id for s in project_knowledge.services.values() if s.handover == "telegram")
    message, _ = _proposal(flow, city, language, warm)
    for button in message["buttons"]:
        assert len(button["payload"].encode("utf-8")) <= CALLBACK_DATA_LIMIT, button["payload"]


# -- the volunteers' inbox -----------------------------------------------------------------------------------


def test_a_typed_question_without_a_match_goes_to_the_inbox(turn: TakeTurn) -> None:
    decision = Decision(Kind.NO_MATCH, "de", category="housing", candidates=RANKED + (Candidate("kita", -0.9),))
    result = turn(decision, Nlu(), "Wo bekomme ich einen Wohnberechtigungsschein?")
    (item,) = result.unanswered
    assert (item.text, item.language, item.reason) == (
        "Wo bekomme ich einen Wohnberechtigungsschein?",
        "de",
        InboxReason.NO_MATCH,
    )
    assert item.candidates == ["anmeldung", "wohnungssuche", "wohngeld"]


def test_a_button_without_a_match_is_not_a_question(turn: TakeTurn) -> None:
    """A stale button's payload is no text a volunteer could turn into a question."""
    result = turn(Decision(Kind.NO_MATCH, "de"), Nlu("choose_entry", 1.0), '/choose_entry{"entry":"weg"}')
    assert result.unanswered == [] and result.slots["last_question"] is None


def test_a_clarify_question_left_without_a_button_goes_to_the_inbox(turn: TakeTurn) -> None:
    """Someone offered three topics who wrote something else did not find their answer."""
    asked = turn(Decision(Kind.CLARIFY, "en", entry_id="anmeldung", candidates=RANKED), Nlu(), "where do I sign up")
    assert asked.unanswered == []
    assert asked.slots["open_clarify"] == {
        "text": "where do I sign up",
        "language": "en",
        "candidates": ["anmeldung", "wohnungssuche", "wohngeld"],
    }
    moved_on = turn(Decision(Kind.ANSWER, "en", entry_id="kita"), Nlu(), "kita place", asked.slots)
    (item,) = moved_on.unanswered
    assert (item.text, item.reason, item.candidates) == (
        "where do I sign up",
        InboxReason.CLARIFY_ABANDONED,
        ["anmeldung", "wohnungssuche", "wohngeld"],
    )
    assert moved_on.slots["open_clarify"] is None


def test_a_clarify_question_resolved_by_its_button_is_not_kept(turn: TakeTurn) -> None:
    asked = turn(Decision(Kind.CLARIFY, "en", entry_id="anmeldung", candidates=RANKED), Nlu(), "where do I sign up")
    chosen = turn(
        Decision(Kind.ANSWER, "en", entry_id="anmeldung", confidence=1.0),
        Nlu("choose_entry", 1.0, {"entry": "anmeldung"}),
        '/choose_entry{"entry":"anmeldung"}',
        asked.slots,
    )
    assert chosen.unanswered == [] and chosen.slots["open_clarify"] is None


def test_a_thumbs_down_sends_the_question_behind_the_answer(turn: TakeTurn) -> None:
    slots = {**EMPTY, "last_entry": "kita", "last_question": "Kita Kosten?"}
    result = turn(Decision(Kind.RATED, "de", entry_id="kita"), Nlu("rate", 1.0, {"entry": "kita"}), "/rate", slots)
    (item,) = result.unanswered
    assert (item.text, item.reason, item.candidates) == ("Kita Kosten?", InboxReason.RATED_UNHELPFUL, ["kita"])
    assert result.replies == []


# -- slots ---------------------------------------------------------------------------------------------------


def test_changed_returns_only_the_slots_this_turn_changed(turn: TakeTurn) -> None:
    """Rasa replays every stored event on each message: unchanged slots must not be written again."""
    before = {**EMPTY, "language": "en"}
    first = turn(Decision(Kind.ANSWER, "en", entry_id="anmeldung"), Nlu(), "register my flat", before)
    assert first.changed(before) == {"last_entry": "anmeldung", "last_question": "register my flat"}
    again = turn(Decision(Kind.ANSWER, "en", entry_id="anmeldung"), Nlu(), "register my flat", first.slots)
    assert again.changed(first.slots) == {}
    assert set(first.slots) == set(SLOTS)


@pytest.mark.parametrize(
    "decision, last_entry",
    [
        (Decision(Kind.ANSWER, "en", entry_id="kita"), "kita"),
        (Decision(Kind.EMERGENCY, "en", entry_id="haeusliche_gewalt"), "haeusliche_gewalt"),
        (Decision(Kind.CLARIFY, "en", entry_id="anmeldung", candidates=RANKED), None),
        (Decision(Kind.EMERGENCY, "en", entry_id="anmeldung", candidates=RANKED), None),
        (Decision(Kind.NO_MATCH, "en", candidates=RANKED), None),
    ],
)
def test_last_entry_is_what_was_answered_not_what_was_offered(
    turn: TakeTurn, decision: Decision, last_entry: str | None
) -> None:
    """A later "talk to a person" is about the answer the person read, never about a button they ignored."""
    assert turn(decision, Nlu(), "a question").slots["last_entry"] == last_entry


def test_last_question_is_the_typed_text_cut_to_the_routed_length(turn: TakeTurn) -> None:
    long_text = "Wie beantrage ich Kindergeld? " * 50
    result = turn(Decision(Kind.ANSWER, "de", entry_id="kindergeld", truncated=True), Nlu(), long_text)
    assert result.slots["last_question"] == long_text[: config.MAX_ROUTED_CHARS]
    greeted = turn(Decision(Kind.GREET, "de"), Nlu("greet", 0.99), "Hallo", result.slots)
    assert greeted.slots["last_question"] == result.slots["last_question"]  # small talk is no question
