"""The bot's texts in eight languages (locales/, Messages) and the editor's plain-words explanation of problems."""

from __future__ import annotations

import inspect
import re
import string
from pathlib import Path
from typing import Any

import pytest
import yaml

from core import config
from core.i18n import editor_texts
from core.i18n.messages import Messages
from core.knowledge import loader
from core.knowledge.loader import Problem, load_knowledge
from core.languages import LANGUAGES, with_fallbacks
from editor.problems import explain
from tests.entry_files import GOOD_ENTRY, TODAY, write_entry

# -- fallbacks -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "language, order",
    [("ar", ("ar", "en", "de")), ("fr", ("fr", "en", "de")), ("en", ("en", "de")), ("de", ("de", "en"))],
)
def test_with_fallbacks_is_the_language_then_english_then_german_each_once(
    language: str, order: tuple[str, ...]
) -> None:
    """Most newcomers read English better than German; every entry has German."""
    assert with_fallbacks(language) == order


@pytest.fixture
def small_locales(tmp_path: Path) -> Messages:
    """Three small catalogues with gaps; fr.yml and the others do not exist at all."""
    files = {
        "en": {"hello": "Hello", "bye": "Bye {name}", "only_en": "English only", "category": {"health": "Health"}},
        "de": {"hello": "Hallo", "bye": "Tschüss {name}", "only_en": "x", "only_de": "Nur Deutsch"},
        "ar": {"hello": "مرحبا", "category": {}},
    }
    for language, texts in files.items():
        (tmp_path / f"{language}.yml").write_text(yaml.safe_dump(texts, allow_unicode=True), encoding="utf-8")
    return Messages(tmp_path)


def test_a_text_missing_in_a_language_falls_back_to_english_then_german(small_locales: Messages) -> None:
    assert small_locales.text("hello", "ar") == "مرحبا"
    assert small_locales.text("bye", "ar", name="Amal") == "Bye Amal"  # English before German
    assert small_locales.text("only_de", "ar") == "Nur Deutsch"
    assert small_locales.text("hello", "fr") == "Hello"  # a language without a file
    assert small_locales.text("only_en", "de") == "x"  # a language's own text wins


def test_a_text_missing_everywhere_is_an_error_naming_the_key(small_locales: Messages) -> None:
    with pytest.raises(KeyError, match="nowhere"):
        small_locales.text("nowhere", "ar")


def test_category_names_fall_back_and_an_unknown_category_keeps_its_id(small_locales: Messages) -> None:
    assert small_locales.category("health", "ar") == "Health"
    assert small_locales.category("housing", "ar") == "housing"


def test_missing_lists_the_gaps_of_each_language(small_locales: Messages) -> None:
    """`./lotse knowledge check` shows these to translators."""
    gaps = small_locales.missing()
    assert sorted(gaps["ar"]) == ["bye", "category.health", "only_en"]
    assert sorted(gaps["de"]) == ["category", "category.health"]
    assert sorted(gaps["fr"]) == ["bye", "category", "category.health", "hello", "only_en"]
    assert "en" not in gaps


# -- the project's locales/ ----------------------------------------------------------------------------------


def _catalogue(language: str) -> dict[str, Any]:
    path = config.settings().locales_dir / f"{language}.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}


def test_every_english_key_is_translated_or_reported_missing(project_messages: Messages) -> None:
    """A key only in en.yml is shown in English to everyone else: that must at least be reported."""
    english = _catalogue("en")
    gaps = project_messages.missing()
    for language in LANGUAGES:
        texts = _catalogue(language)
        for key in english:
            assert key in texts or key in gaps.get(language, []), (language, key)
        for category in english["category"]:
            reported = f"category.{category}" in gaps.get(language, [])
            assert category in (texts.get("category") or {}) or reported, (language, category)


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders_of_english(language: str) -> None:
    """A renamed {placeholder} raises KeyError when the bot fills it in; a dropped one loses the number."""
    english, texts = _catalogue("en"), _catalogue(language)
    for key, template in english.items():
        if isinstance(template, str) and isinstance(texts.get(key), str):
            assert _placeholders(texts[key]) == _placeholders(template), (language, key)


# -- the editor's explanation of each problem ------------------------------------------------------------------

QUESTIONS_8 = "[a1, a2, a3, a4, a5, a6, a7, a8]"
EIGHT_LINES = "".join(f"\n    - a{i}" for i in range(1, 9))
# code: (entry file, the field and language the editor shows the problem at, level, words the text must contain)
BROKEN: dict[str, tuple[str, str | None, str | None, str, tuple[str, ...]]] = {
    "answer_empty": (GOOD_ENTRY + "  en: ''\n", "answer", "en", "error", ()),
    "title_empty": (GOOD_ENTRY + "title:\n  de: ''\n", "title", "de", "error", ()),
    "questions_empty": (GOOD_ENTRY.replace("  de: [a1", "  en: []\n  de: [a1"), "questions", "en", "error", ()),
    "answer_too_long": (
        GOOD_ENTRY.replace("    Eine Antwort.", "    " + "x" * 950),
        "answer",
        "de",
        "error",
        ("950", "900"),
    ),
    "title_too_long": (GOOD_ENTRY + "title:\n  de: " + "T" * 45 + "\n", "title", "de", "error", ("45", "40")),
    "few_questions": (GOOD_ENTRY.replace(QUESTIONS_8, "[a1, a2]"), "questions", "de", "warning", ("2", "8")),
    "no_answer": (
        GOOD_ENTRY.replace("  de: [a1", "  en: " + QUESTIONS_8.replace("a", "b") + "\n  de: [a1"),
        "answer",
        "en",
        "warning",
        (),
    ),
    "no_questions": (GOOD_ENTRY + "  en: An answer.\n", "questions", "en", "warning", ()),
    "german_required": (
        GOOD_ENTRY.replace("  de: [a1", "  en: [a1").replace("  de: |", "  en: |"),
        None,
        None,
        "error",
        (),
    ),
    "reviewed_invalid": (GOOD_ENTRY.replace("2026-11-01", "soon"), "reviewed", None, "error", ()),
    "reviewed_future": (GOOD_ENTRY.replace("2026-11-01", "2027-01-01"), "reviewed", None, "error", ()),
    "stale": (GOOD_ENTRY.replace("2026-11-01", "2024-01-01"), "reviewed", None, "warning", ()),
    "sources_empty": (
        GOOD_ENTRY.replace("sources:\n  - https://www.bmi.bund.de/\n", "sources: []\n"),
        "sources",
        None,
        "error",
        (),
    ),
    "source_invalid": (
        GOOD_ENTRY.replace("https://www.bmi.bund.de/", "bmi website"),
        "sources",
        None,
        "error",
        ("bmi website",),
    ),
    "services_invalid": (GOOD_ENTRY.replace("[mbe]", "[lawyer]"), "services", None, "error", ()),
    "empty_lines": (GOOD_ENTRY.replace(QUESTIONS_8, EIGHT_LINES + "\n    -"), "questions", "de", "warning", ()),
}


def _problem(tmp_path: Path, code: str, text: str) -> Problem:
    write_entry(tmp_path, text)
    (problem,) = [p for p in load_knowledge(tmp_path, TODAY).problems if p.code == code]
    return problem


def test_every_code_the_loader_can_give_has_a_broken_file_here() -> None:
    """A new rule needs a case below, and with it an editor text (otherwise volunteers see loader English)."""
    source = inspect.getsource(loader)
    literal = set(re.findall(r'code="([a-z_]+)"', source))
    assert 'code=f"{key}_empty"' in source and 'code=f"no_{missing}"' in source  # the two built codes, below
    built = {f"{key}_empty" for key in ("questions", "answer", "title")} | {"no_answer", "no_questions"}
    assert literal | built == set(BROKEN)


def test_every_editor_problem_text_belongs_to_a_code() -> None:
    assert {key.removeprefix("problem_") for key in editor_texts.keys("en") if key.startswith("problem_")} == set(
        BROKEN
    )


@pytest.mark.parametrize("code", list(BROKEN))
@pytest.mark.parametrize("ui", editor_texts.UI_LANGUAGES)
def test_each_problem_is_explained_in_the_editors_words_at_its_field(tmp_path: Path, code: str, ui: str) -> None:
    """Volunteers see a plain sentence in their interface language next to the field, not the loader's English."""
    text, field, language, level, words = BROKEN[code]
    problem = _problem(tmp_path, code, text)
    finding = explain(problem, text, ui)
    values = dict(problem.values)
    assert finding.message == editor_texts.text(f"problem_{code}", ui).format(min=loader.MIN_QUESTIONS, **values)
    assert "{" not in finding.message and problem.message not in finding.message
    assert all(word in finding.message for word in words), finding.message
    assert finding.level == problem.level == level
    assert finding.language == language
    if field is None:  # about the whole entry: listed with the entry, not at one language's field
        assert finding.field not in ("title", "questions", "answer")
    else:
        assert finding.field == field


def test_german_and_english_explanations_differ() -> None:
    for code in BROKEN:
        key = f"problem_{code}"
        assert editor_texts.text(key, "de") != editor_texts.text(key, "en"), code


def test_a_problem_without_a_code_is_shown_as_the_loader_wrote_it(tmp_path: Path) -> None:
    """A rule the editor has no words for yet must still be shown, not hidden."""
    text = GOOD_ENTRY.replace("id: testthema", "id: testthema\nanwser: x")
    write_entry(tmp_path, text)
    (problem,) = load_knowledge(tmp_path, TODAY).problems
    assert problem.code is None
    finding = explain(problem, text, "de")
    assert finding.message == f"{problem.message}. {problem.fix}"
    assert finding.field == "anwser" and finding.level == "error"


def test_a_file_that_is_not_yaml_is_explained_without_a_field(tmp_path: Path) -> None:
    text = GOOD_ENTRY.replace("services: [mbe]", "services: [mbe\n  oops: : :")
    write_entry(tmp_path, text)
    (problem,) = load_knowledge(tmp_path, TODAY).problems
    finding = explain(problem, text, "en")
    assert finding.field is None and "not valid YAML" in finding.message


def test_the_editor_has_every_text_in_each_of_its_languages() -> None:
    """locales/editor/de.yml and en.yml: a key in one and not the other would show a volunteer the other language."""
    german, english = (editor_texts.keys(ui) for ui in editor_texts.UI_LANGUAGES)
    assert german == english and len(german) > 50


def test_a_placeholder_may_be_called_language() -> None:
    """The editor says which content language a question went to ({language}): the placeholder must not clash
    with the loader's own parameter."""
    added = editor_texts.text("inbox_added", "de", title="Einbürgerung", language="Deutsch")
    assert "Einbürgerung" in added and "Deutsch" in added
