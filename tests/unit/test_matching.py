"""Handover matching (core/handover/matching.py) as a table of cases, on a small fixed set of services."""

from __future__ import annotations

import pytest

from core.handover.matching import Request, match_services, missing_information
from core.knowledge.base import KnowledgeBase, Service


def service(
    id: str,
    kind: str,
    languages: str,
    cities: str = "",
    ages: tuple[int | None, int | None] = (None, None),
    categories: str = "",
    example: bool = False,
) -> Service:
    return Service(
        id=id,
        name=id,
        kind=kind,
        categories=tuple(categories.split()),
        languages=tuple(languages.split()),
        national=not cities,
        cities=tuple(cities.split()),
        postcodes=(),
        contact={},
        hours="",
        response_time="",
        handover="none",
        example=example,
        min_age=ages[0],
        max_age=ages[1],
    )


SERVICES = [
    service("nat-mbe", "mbe", "de en ar ru tr uk fa", ages=(27, None)),
    service("nat-jmd", "jmd", "de en ar", ages=(12, 27)),
    service("du-mbe-tr", "mbe", "de tr", "duisburg", (27, None), "residence work", example=True),
    service("du-mbe-uk", "mbe", "de uk ru", "duisburg", (27, None), "recognition work", example=True),
    service("do-mbe-ar", "mbe", "de ar", "dortmund", (27, None), "residence", example=True),
    service("du-jmd", "jmd", "de uk", "duisburg", (12, 27), example=True),
    service("du-recognition", "recognition_counselling", "de en", "duisburg", categories="recognition"),
    service("nat-women", "women_protection", "de en ar fa ru tr uk fr"),
]
KNOWLEDGE = KnowledgeBase(services={s.id: s for s in SERVICES})

CASES = [
    # (what the person said, expected proposals best first)
    (Request(("mbe",), None, ("uk",), "duisburg", "adult"), ["du-mbe-uk", "nat-mbe", "du-mbe-tr"]),
    (Request(("mbe",), "residence", ("tr",), "duisburg", "adult"), ["du-mbe-tr", "nat-mbe", "du-mbe-uk"]),
    (Request(("mbe",), None, ("ar",), "dortmund", "adult"), ["do-mbe-ar", "nat-mbe"]),
    # a young person asking for migration counselling is served by the youth migration service
    (Request(("mbe",), None, ("uk",), "duisburg", "young"), ["du-jmd", "nat-jmd"]),
    # prefers not to say where they live: nationwide services only
    (Request(("mbe",), None, ("uk",), "", "adult"), ["nat-mbe"]),
    # the entry's first kind comes first among services that speak the person's language ...
    (
        Request(("recognition_counselling", "mbe"), "recognition", ("de",), "duisburg", "adult"),
        ["du-recognition", "du-mbe-uk", "du-mbe-tr"],
    ),
    # ... but a service the person can talk to beats one of the preferred kind that they cannot
    (
        Request(("recognition_counselling", "mbe"), "recognition", ("uk",), "duisburg", "adult"),
        ["du-mbe-uk", "du-recognition", "nat-mbe"],
    ),
    # German is not assumed: a Farsi speaker gets the service that speaks Farsi before local ones that do not
    (Request(("mbe",), None, ("fa",), "duisburg", "adult"), ["nat-mbe", "du-mbe-tr", "du-mbe-uk"]),
    # emergency lines are not a handover; the general kinds stand in
    (Request(("emergency",), None, ("en",), "", "adult"), ["nat-mbe"]),
    (Request(("women_protection",), "protection", ("fr",), "bochum", None), ["nat-women"]),
]


@pytest.mark.parametrize(("request_", "expected"), CASES)
def test_proposals(request_: Request, expected: list[str]) -> None:
    assert [m.service.id for m in match_services(KNOWLEDGE, request_)] == expected


def test_at_most_three_and_language_flag() -> None:
    matches = match_services(KNOWLEDGE, Request(("mbe", "jmd", "recognition_counselling"), None, ("de",), "duisburg"))
    assert len(matches) == 3 and all(m.speaks_language for m in matches)


ASK_CASES = [
    (Request(("mbe",)), "languages"),
    (Request(("mbe",), languages=("uk",)), "city"),
    (Request(("mbe",), languages=("uk",), city="duisburg"), "age"),
    (Request(("mbe",), languages=("uk",), city="duisburg", age_group="adult"), None),
    # only nationwide services of this kind: where the person lives does not matter
    (Request(("women_protection",), languages=("ar",)), None),
    # no age range for recognition counselling: age is not asked
    (Request(("recognition_counselling",), languages=("uk",), city="duisburg"), None),
]


@pytest.mark.parametrize(("request_", "question"), ASK_CASES)
def test_asks_only_what_changes_the_proposal(request_: Request, question: str | None) -> None:
    assert missing_information(KNOWLEDGE, request_) == question
