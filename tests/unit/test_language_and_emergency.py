"""The language detector and the emergency layer, on messages as newcomers write them."""

from __future__ import annotations

import pytest
import yaml

from core import config
from core.knowledge.loader import load_knowledge
from core.languages import requested_language
from core.routing.emergency import is_emergency
from core.routing.language import detect


@pytest.mark.parametrize(
    "text, language",
    [
        ("Wie melde ich meine Wohnung an?", "de"),
        ("my residence permit expires next month what do i do", "en"),
        ("كيف أعمل Anmeldung", "ar"),
        ("وين بقدر اتعلم الماني ببلاش", "ar"),
        ("چطور ثبت نام کنم", "fa"),
        ("نوبت دکتر میخوام", "fa"),
        ("де зробити анмельдунг", "uk"),
        ("где сделать анмельдунг", "ru"),
        ("Anmeldung nasıl yapılır", "tr"),
        ("comment trouver un logement à Dortmund", "fr"),
    ],
)
def test_detects_the_language_confidently(text: str, language: str) -> None:
    assert detect(text).language == language and detect(text).confident


@pytest.mark.parametrize("text", ["ok", "kindergeld?", "Jobcenter", "😀", "112"])
def test_short_or_ambiguous_messages_do_not_switch_language(text: str) -> None:
    assert not detect(text).confident


@pytest.mark.parametrize(
    "text, language",
    [
        ("English please", "en"),
        ("بالعربية", "ar"),
        ("auf Deutsch bitte", "de"),
        ("по-русски можно?", "ru"),
        ("українською, будь ласка", "uk"),
        ("türkçe lütfen", "tr"),
        ("فارسی لطفا", "fa"),
        ("en français", "fr"),
        ("kannst du englisch oder deutsch?", None),
    ],
)
def test_explicit_language_requests(text: str, language: str | None) -> None:
    assert requested_language(text) == language


EMERGENCIES = [
    m
    for messages in yaml.safe_load(
        (config.ROOT / "tests" / "data" / "emergency_messages.yml").read_text(encoding="utf-8")
    ).values()
    for m in messages
]


def test_the_emergency_list_covers_every_language() -> None:
    assert len(EMERGENCIES) >= 80


@pytest.mark.parametrize("text", EMERGENCIES)
def test_emergencies_are_recognised(text: str) -> None:
    assert is_emergency(text)


@pytest.mark.parametrize(
    "text",
    [
        "ikamet kaydi icin kac gun var",  # Turkish "gün" (day) typed without ü is not the English "gun"
        "he has a gun and says he will shoot",
    ],
)
def test_english_gun_is_not_turkish_day(text: str) -> None:
    assert is_emergency(text) == text.startswith("he ")


def test_ordinary_questions_rarely_raise_false_alarms() -> None:
    """Questions of every non-safety entry: at most 2 % may trigger the emergency reply."""
    entries = load_knowledge(config.ROOT / "knowledge").knowledge.entries.values()
    safety = {"haeusliche_gewalt", "notruf", "medizinischer_notfall", "psychische_gesundheit", "diskriminierung"}
    questions = [q for e in entries if e.id not in safety for qs in e.questions.values() for q in qs]
    alarms = [q for q in questions if is_emergency(q)]
    assert len(questions) > 500
    assert len(alarms) / len(questions) <= 0.02, alarms
