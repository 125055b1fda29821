"""Validation of knowledge/ files: every problem with file, line and fix; the bot never crashes."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from core import config
from core.knowledge.check import report
from core.knowledge.loader import load_knowledge
from tests.entry_files import GOOD_ENTRY, TODAY, write_entry


def problems(root: Path) -> list[str]:
    return [str(p) for p in load_knowledge(root, TODAY).problems]


def test_project_knowledge_has_no_errors() -> None:
    result = load_knowledge(config.ROOT / "knowledge")
    assert result.errors == []
    assert len(result.knowledge.entries) >= 5 and len(result.knowledge.services) >= 4


def test_a_valid_entry_loads(tmp_path: Path) -> None:
    write_entry(tmp_path, GOOD_ENTRY)
    result = load_knowledge(tmp_path, TODAY)
    assert result.problems == [] and result.knowledge.entries["testthema"].answer["de"] == "Eine Antwort."


def test_malformed_yaml_is_reported_with_its_line_and_skipped(tmp_path: Path) -> None:
    write_entry(tmp_path, GOOD_ENTRY.replace("services: [mbe]", "services: [mbe\n  oops: : :"))
    write_entry(tmp_path, GOOD_ENTRY.replace("testthema", "zweites"), name="zweites")
    result = load_knowledge(tmp_path, TODAY)
    assert list(result.knowledge.entries) == ["zweites"]
    (problem,) = result.errors
    assert problem.path.endswith("testthema.yml") and problem.line in (3, 4, 5)
    assert "not valid YAML" in problem.message and "indentation" in problem.fix


@pytest.mark.parametrize(
    "change, expected",
    [
        (("category: offices", "category: amt"), "unknown category 'amt'"),
        (("id: testthema", "id: other"), "differs from the file name"),
        (("services: [mbe]", "services: [lawyer]"), "service kinds"),
        (("reviewed: 2026-11-01", "reviewed: soon"), "must be a date"),
        (("  - https://www.bmi.bund.de/", "  - bmi website"), "is not a web address"),
        (("    Eine Antwort.", "    " + "x" * 950), "more than 900"),
        (("  de: |", "  xx: |"), "unknown language code 'xx'"),
        (("sources:\n  - https://www.bmi.bund.de/\n", ""), "the key 'sources' is missing"),
        (("id: testthema", "id: testthema\nanwser: x"), "unknown key 'anwser'"),
        (("de: [a1,", 'de: ["[Kindergeld]{kaputt}",'), "square brackets"),
        (("de: [a1,", "de: [*wichtig*,"), "anchor or alias"),
    ],
)
def test_each_mistake_is_explained(tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    write_entry(tmp_path, GOOD_ENTRY.replace(*change))
    found = problems(tmp_path)
    assert any(expected in p for p in found), found
    assert all("fix:" in p for p in found)


def test_wrong_category_folder_points_to_the_right_one(tmp_path: Path) -> None:
    write_entry(tmp_path, GOOD_ENTRY, category="health")
    (problem,) = problems(tmp_path)
    assert "knowledge/entries/offices/" in problem and "testthema.yml:2:" in problem


def test_stale_entry_is_a_warning_not_an_error(tmp_path: Path) -> None:
    write_entry(tmp_path, GOOD_ENTRY.replace("2026-11-01", "2025-01-01"))
    result = load_knowledge(tmp_path, TODAY)
    assert "testthema" in result.knowledge.entries
    assert [p.level for p in result.problems] == ["warning"] and "stale" in result.problems[0].message


def test_sample_service_with_a_real_looking_phone_is_rejected(tmp_path: Path) -> None:
    write_entry(tmp_path, GOOD_ENTRY)
    services = tmp_path / "services"
    services.mkdir()
    (services / "dortmund.yml").write_text(
        "- id: mo-test\n  name: Test e.V.\n  kind: mo\n  categories: [community]\n  languages: [de, ar]\n"
        '  region: {cities: [dortmund]}\n  contact:\n    phone: "+49 231 123456"\n    web: https://test-ev.de\n'
        "  handover: none\n  example: true\n",
        encoding="utf-8",
    )
    found = problems(tmp_path)
    assert any("real-looking phone" in p for p in found) and any("real-looking web" in p for p in found)


def test_knowledge_check_lists_missing_translations_and_fails_on_errors(tmp_path: Path) -> None:
    shutil.copytree(config.ROOT / "locales", tmp_path / "locales")
    write_entry(tmp_path / "knowledge", GOOD_ENTRY)
    out = io.StringIO()
    assert report(tmp_path / "knowledge", tmp_path / "locales", out, TODAY) == 0
    assert "testthema: en, ar, uk, tr, ru, fa, fr" in out.getvalue()
    assert "translations 1/8 (12.5 %)" in out.getvalue()
    write_entry(tmp_path / "knowledge", "id: [", name="kaputt")
    out = io.StringIO()
    assert report(tmp_path / "knowledge", tmp_path / "locales", out, TODAY) == 1
    assert "kaputt.yml:1: error" in out.getvalue()


@pytest.mark.parametrize(
    "question",
    [
        "Wie beantrage ich [Kindergeld]{kaputt}?",
        "Wo gibt es [Kindergeld](kaputt)?",
        'Was ist [Kindergeld][{"entity": "x"}]?',
        "Was ist [](leer)?",
    ],
)
def test_a_question_in_rasa_markup_is_an_error_on_its_line(tmp_path: Path, question: str) -> None:
    """Rasa reads `[text](…)`, `[text]{…}` and `[text][…]` as entity markup, and a malformed one fails every retrain."""
    write_entry(
        tmp_path,
        GOOD_ENTRY.replace(
            "  de: [a1, a2, a3, a4, a5, a6, a7, a8]",
            "  de:\n    - a1\n    - " + json.dumps(question) + "\n    - a3\n"
            "    - a4\n    - a5\n    - a6\n    - a7\n    - a8",
        ),
    )
    result = load_knowledge(tmp_path, TODAY)
    (problem,) = result.problems
    assert result.knowledge.entries == {} and problem.level == "error"
    assert problem.line == 10 and "question 2 in 'de'" in problem.message
    assert "square brackets" in problem.message and "round brackets" in problem.fix
    assert question not in str(problem)  # the text may come from an anonymous chat: the line says where it is


@pytest.mark.parametrize(
    "question", ["Kindergeld (Antrag) beantragen?", "Meine Nummer ist [number], wer hilft?", "Was heißt [x] (y)?"]
)
def test_square_brackets_that_are_not_markup_are_accepted(tmp_path: Path, question: str) -> None:
    """The inbox's anonymised placeholders ([number], [name]) stay usable as questions."""
    write_entry(tmp_path, GOOD_ENTRY.replace("de: [a1,", f"de: [{json.dumps(question)},"))
    result = load_knowledge(tmp_path, TODAY)
    assert result.problems == [] and result.knowledge.entries["testthema"].questions["de"][0] == question
