"""Which services to propose for a handover: a pure function of the knowledge and what the person said.

Like an MO's pilot, Lotse proposes up to three services. Hard rules decide who
is eligible (the right kind or category, reachable where the person lives or
nationwide/online, the age range of kinds that have one); a score orders them
(the entry's preferred kinds first, the topic's category, a language the person
speaks, local before nationwide). Sample organisations stay eligible and are
labelled by the reply.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.knowledge.base import KnowledgeBase, Service

MAX_PROPOSALS = 3
# Kinds offered when the topic names none (e.g. "talk to a person" before any question).
GENERAL_KINDS = ("mbe", "jmd", "mo")
# Age groups the person can choose; the kinds with age ranges are jmd (12-27) and mbe (27+).
AGE_GROUPS: dict[str, tuple[int, int]] = {"young": (12, 26), "adult": (27, 120)}
EMERGENCY_KIND = "emergency"


@dataclass(frozen=True)
class Request:
    """What is known about the person's need; None means "not asked yet"."""

    kinds: tuple[str, ...] = GENERAL_KINDS
    category: str | None = None
    languages: tuple[str, ...] | None = None
    city: str | None = None  # "" = the person prefers not to say: nationwide services only
    age_group: str | None = None


@dataclass(frozen=True)
class Match:
    """A proposed service and why it fits."""

    service: Service
    score: float
    speaks_language: bool
    local: bool


# Migration counselling is split by age: a young person asking for MBE is served by the JMD, and back.
AGE_COUNTERPART: dict[tuple[str, str], str] = {("mbe", "young"): "jmd", ("jmd", "adult"): "mbe"}


def _kinds(request: Request) -> tuple[str, ...]:
    kinds: list[str] = []
    for kind in tuple(k for k in request.kinds if k != EMERGENCY_KIND) or GENERAL_KINDS:
        kind = AGE_COUNTERPART.get((kind, request.age_group or ""), kind)
        if kind not in kinds:
            kinds.append(kind)
    return tuple(kinds)


def kinds_for_category(knowledge: KnowledgeBase, category: str | None) -> tuple[str, ...]:
    """The service kinds the category's entries name, most named first; the general kinds if none do."""
    counts: dict[str, int] = {}
    for entry in knowledge.in_category(category or ""):
        for kind in entry.services:
            counts[kind] = counts.get(kind, 0) + 1
    return tuple(sorted(counts, key=lambda kind: -counts[kind])) or GENERAL_KINDS


def _fits_age(service: Service, age_group: str | None) -> bool:
    if age_group is None or (service.min_age is None and service.max_age is None):
        return True
    low, high = AGE_GROUPS[age_group]
    return (service.min_age is None or service.min_age <= high) and (service.max_age is None or service.max_age >= low)


def _reachable(service: Service, city: str | None) -> bool:
    return service.national or (bool(city) and city in service.cities)


def match_services(knowledge: KnowledgeBase, request: Request, limit: int = MAX_PROPOSALS) -> list[Match]:
    """Up to `limit` services, best first."""
    kinds = _kinds(request)
    matches = []
    for service in knowledge.services.values():
        if not (service.kind in kinds and _reachable(service, request.city) and _fits_age(service, request.age_group)):
            continue
        speaks = bool(request.languages) and any(lang in service.languages for lang in request.languages or ())
        local = bool(request.city) and request.city in service.cities
        score = (
            4.0 * (len(kinds) - kinds.index(service.kind)) / len(kinds)
            + (2.0 if request.category and request.category in service.categories else 0.0)
            + (3.0 if speaks else 0.0)
            + (1.5 if local else 0.0)
            - (0.1 if service.example else 0.0)
        )
        matches.append(Match(service, score, speaks, local))
    matches.sort(key=lambda m: (-m.score, m.service.id))
    return matches[:limit]


def missing_information(knowledge: KnowledgeBase, request: Request) -> str | None:
    """The next thing to ask, only where it changes the proposal: "languages", "city", "age" or None."""
    if request.languages is None:
        return "languages"
    kinds = _kinds(request)
    relevant = [s for s in knowledge.services.values() if s.kind in kinds]
    if request.city is None and any(not s.national for s in relevant):
        return "city"
    if request.age_group is None and any(
        s.min_age is not None or s.max_age is not None for s in relevant if _reachable(s, request.city)
    ):
        return "age"
    return None
