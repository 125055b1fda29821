"""Routing beyond the happy path: the embedding model, its absence, clarifying and category guesses.

Runs the real ranker code (real classifiers, the real packaged embedding model)
in-process, and the clarify and no-match replies through the running servers.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from actions import settings
from actions.knowledge_loader import load_knowledge
from actions.ranking import Ranker
from actions.routing import Nlu, Router
from actions.semantic import Encoder, load_encoder, model_dir
from tests.conftest import TEST_EMBEDDING_MODEL, Conversation, buttons, customs, texts


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    loaded = load_encoder(TEST_EMBEDDING_MODEL)
    assert loaded is not None, "the packaged model must load from site-packages without a hub"
    return loaded


@pytest.fixture(scope="module")
def knowledge(test_knowledge: Path):  # type: ignore[no-untyped-def]
    return load_knowledge(test_knowledge).knowledge


def test_packaged_model_embeds_paraphrases_closer_than_unrelated_text(encoder: Encoder) -> None:
    vectors = encoder.encode(["How do I register my new flat?", "Where do I register my address after moving?",
                              "My child has a fever at night"])
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2


def test_missing_model_falls_back_to_lexical_routing_and_says_how_to_fix_it(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(settings, "EMBEDDING_CACHE", tmp_path)
    assert model_dir(settings.DEFAULT_EMBEDDING_MODEL) is None
    with caplog.at_level(logging.WARNING):
        assert load_encoder(settings.DEFAULT_EMBEDDING_MODEL) is None
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "./lotse models download" in warnings[0]


def test_semantic_and_lexical_rankers_both_find_typical_questions(encoder: Encoder, knowledge) -> None:  # type: ignore[no-untyped-def]
    semantic = Ranker(knowledge, encoder)
    lexical = Ranker(knowledge)
    assert semantic.mode == f"semantic:{TEST_EMBEDDING_MODEL}" and lexical.mode == "lexical"
    for text, entry in [("wie melde ich meine neue wohnung an", "anmeldung"),
                        ("my landlord wants to kick me out, what can I do", "wohnungsverlust"),
                        ("كيف أحصل على كيندرغلد", "kindergeld"),
                        ("як записатися на інтеграційний курс", "integrationskurs")]:
        assert semantic.rank(text).candidates[0].entry_id == entry, text
        assert lexical.rank(text).candidates[0].entry_id == entry, text


def test_questions_outside_the_entries_still_get_a_category(knowledge) -> None:  # type: ignore[no-untyped-def]
    ranker = Ranker(knowledge)
    assert ranker.rank("Wo kann ich in meiner Stadt Schach spielen?").category in ("community", "daily_life")
    assert ranker.rank("Which vaccinations does my baby need?").category == "health"


def test_vague_message_gets_up_to_three_topic_buttons_instead_of_a_guess(user: Conversation) -> None:
    replies = user("Antrag Geld")
    assert customs(replies)[0]["type"] == "clarify"
    entry_buttons = [b for b in buttons(replies) if b["payload"].startswith("/choose_entry")]
    assert 1 <= len(entry_buttons) <= 3
    assert "/talk_to_person" in {b["payload"] for b in buttons(replies)}
    # A button leads straight to that answer.
    chosen = user(entry_buttons[0]["payload"])
    assert customs(chosen)[0]["type"] == "answer"


def test_no_match_offers_the_guessed_topic_and_a_person(user: Conversation) -> None:
    replies = user("xqzv plorkt wuzzle")
    assert customs(replies)[0]["type"] == "fallback"
    payloads = {b["payload"] for b in buttons(replies)}
    assert "/talk_to_person" in payloads
    assert any(p.startswith("/choose_category") for p in payloads)
    assert texts(replies).strip()


def test_router_uses_the_category_guess_for_a_no_match(knowledge) -> None:  # type: ignore[no-untyped-def]
    router = Router(knowledge, Ranker(knowledge))
    decision = router.decide("xqzv plorkt wuzzle", Nlu("ask_question", 0.4))
    assert decision.kind == "no_match"
