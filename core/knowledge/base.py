"""The knowledge the bot answers from: entries and services, as plain typed objects.

Built by core.knowledge.loader from the YAML files in knowledge/; everything
else in the bot reads these objects, never the files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

from core.languages import with_fallbacks


@dataclass(frozen=True)
class Entry:
    """One answer to one kind of question, in up to eight languages."""

    id: str
    category: str
    services: tuple[str, ...]
    reviewed: dt.date
    sources: tuple[str, ...]
    questions: dict[str, tuple[str, ...]]
    answer: dict[str, str]
    title: dict[str, str]
    path: str

    def title_in(self, language: str) -> str:
        """Short label for buttons; falls back like every text (English, then German), then to the first question."""
        for lang in with_fallbacks(language):
            if self.title.get(lang):
                return self.title[lang]
            if self.questions.get(lang):
                return self.questions[lang][0]
        return self.id


@dataclass(frozen=True)
class Service:
    """An organisation the bot can hand a person over to (taxonomy.md service kinds)."""

    id: str
    name: str
    kind: str
    categories: tuple[str, ...]
    languages: tuple[str, ...]
    national: bool
    cities: tuple[str, ...]
    postcodes: tuple[str, ...]
    contact: dict[str, str]
    hours: str
    response_time: str
    handover: str
    example: bool
    min_age: int | None = None
    max_age: int | None = None
    source: str = ""


@dataclass
class KnowledgeBase:
    """All valid entries and services; invalid files are left out and reported."""

    entries: dict[str, Entry] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)

    def questions(self) -> Iterator[tuple[str, str, str]]:
        """Every (entry id, language, question), in entry-id and language order (stable generated data)."""
        for entry in sorted(self.entries.values(), key=lambda e: e.id):
            for lang in sorted(entry.questions):
                for question in entry.questions[lang]:
                    yield entry.id, lang, question

    def in_category(self, category: str) -> list[Entry]:
        """Entries of one category, in a stable order for menus."""
        return sorted((e for e in self.entries.values() if e.category == category), key=lambda e: e.id)

    def services_of_kinds(self, kinds: tuple[str, ...]) -> list[Service]:
        """Services whose kind is one of `kinds`, in the order the kinds are listed."""
        rank = {kind: i for i, kind in enumerate(kinds)}
        found = [s for s in self.services.values() if s.kind in rank]
        return sorted(found, key=lambda s: (rank[s.kind], not s.national, s.example, s.id))
