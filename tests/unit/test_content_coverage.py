"""The content promised by ../shared/coverage.md and the service directories (knowledge issue)."""

from __future__ import annotations

import re

import pytest
import yaml

from core import config
from core.knowledge.check import duplicate_questions
from core.knowledge.loader import load_knowledge
from core.languages import LANGUAGES
from core.taxonomy import SERVICE_KINDS

COVERAGE = config.ROOT.parent / "shared" / "coverage.md"
CITIES = ("bochum", "dortmund", "duisburg")
RESULT = load_knowledge(config.ROOT / "knowledge")


def coverage_ids() -> list[tuple[str, str]]:
    if not COVERAGE.exists():
        pytest.skip(f"{COVERAGE} (the shared coverage list) is not beside the project")
    return re.findall(r"^\| `([a-z_]+)` \| ([a-z_]+) \|", COVERAGE.read_text(encoding="utf-8"), re.MULTILINE)


def test_every_coverage_entry_exists_complete_in_eight_languages() -> None:
    ids = coverage_ids()
    assert len(ids) >= 60
    problems = []
    for entry_id, category in ids:
        entry = RESULT.knowledge.entries.get(entry_id)
        if entry is None or entry.category != category:
            problems.append(f"{entry_id}: missing or not in category {category}")
            continue
        for lang in LANGUAGES:
            if lang not in entry.answer or lang not in entry.title:
                problems.append(f"{entry_id}: no {lang} answer or title")
            if len(entry.questions.get(lang, ())) < 10:
                problems.append(f"{entry_id}: fewer than 10 {lang} questions")
    assert problems == []


def test_no_question_is_shared_by_two_entries() -> None:
    assert duplicate_questions(RESULT) == []


@pytest.mark.parametrize("city", CITIES)
def test_every_service_kind_is_offered_in_every_city(city: str) -> None:
    services = [s for s in RESULT.knowledge.services.values() if city in s.cities]
    assert {s.kind for s in services} == set(SERVICE_KINDS)
    assert all(s.example and "(Beispiel)" in s.name for s in services)
    mos = [s for s in services if s.kind == "mo"]
    assert len(mos) >= 5 and {"uk", "ar", "tr"} <= {lang for s in mos for lang in s.languages}


def test_city_files_have_no_validation_problems() -> None:
    assert [p for p in RESULT.problems if "/services/" in p.path] == []
    for city in CITIES:
        assert isinstance(yaml.safe_load((config.ROOT / "knowledge" / "services" / f"{city}.yml").read_text()), list)


def test_real_national_services_carry_sources() -> None:
    national = [s for s in RESULT.knowledge.services.values() if s.national]
    assert len(national) >= 10 and all(not s.example and s.source.startswith("https://") for s in national)
    assert {s.kind for s in national} >= {"mbe", "jmd", "women_protection", "emergency", "labour_counselling"}
