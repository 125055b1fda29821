"""All entry files with their state per language, and the list page's search and filters.

Each file is checked on its own (editor.checking) and remembered until it changes
on disk, so the list stays fast after a volunteer saves one entry. Files with
errors are listed too, since a new entry is such a file until it is filled in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from core.knowledge.base import Entry
from core.knowledge.loader import ENTRY_ID, Problem
from core.knowledge.status import translation_states
from core.languages import LANGUAGES
from core.text_normalisation import fold
from editor.checking import check_text

# What the status filter offers: the states of `./lotse knowledge status`, and files the bot leaves out.
STATUS_FILTERS: tuple[str, ...] = ("missing", "stale", "errors")


@dataclass(frozen=True)
class EntryFile:
    """One file below knowledge/entries/, as the bot sees it today."""

    id: str
    category: str
    path: Path
    entry: Entry | None  # None: the file has errors and the bot leaves it out
    problems: tuple[Problem, ...]
    states: dict[str, str]  # language -> present | missing | stale; empty while the file has errors

    def title(self, language: str) -> str:
        return self.entry.title_in(language) if self.entry else self.id

    def searchable(self) -> str:
        """Id, titles and questions in every language, folded like the bot folds messages."""
        if not self.entry:
            return fold(self.id)
        texts = [self.id, *self.entry.title.values(), *(q for qs in self.entry.questions.values() for q in qs)]
        return fold("\n".join(texts))


class Catalogue:
    """The entry files of one knowledge folder."""

    def __init__(self, knowledge_dir: Path) -> None:
        self.knowledge_dir = knowledge_dir
        self._cache: dict[Path, tuple[tuple[int, int, dt.date], EntryFile]] = {}

    def _checked(self, path: Path, today: dt.date) -> EntryFile:
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size, today)
        cached = self._cache.get(path)
        if cached and cached[0] == stamp:
            return cached[1]
        checked = check_text(path.read_text(encoding="utf-8"), path, today)
        entry = checked.entry
        found = EntryFile(
            path.stem,
            path.parent.name,
            path,
            entry,
            checked.problems,
            translation_states(entry, today) if entry else {},
        )
        self._cache[path] = (stamp, found)
        return found

    def files(self, today: dt.date | None = None) -> list[EntryFile]:
        """Every entry file, by id."""
        today = today or dt.date.today()
        paths = sorted((self.knowledge_dir / "entries").glob("**/*.y*ml"))
        for gone in set(self._cache) - set(paths):
            del self._cache[gone]
        return sorted((self._checked(path, today) for path in paths), key=lambda f: f.id)

    def path_of(self, entry_id: str) -> Path | None:
        """The file of an entry id; None for an unknown id or one that could not be a file name."""
        if not ENTRY_ID.fullmatch(entry_id):
            return None
        return next(iter(sorted((self.knowledge_dir / "entries").glob(f"**/{entry_id}.y*ml"))), None)

    def get(self, entry_id: str, today: dt.date | None = None) -> EntryFile | None:
        path = self.path_of(entry_id)
        if path is None:
            return None
        return self._checked(path, today or dt.date.today())


def select(
    files: list[EntryFile], query: str = "", category: str = "", language: str = "", status: str = ""
) -> list[EntryFile]:
    """The list page's result: every word of `query` in the entry's texts, and the chosen filters.

    A status filter with a language looks at that language only, without one at any language.
    """
    words = fold(query).split()
    languages = (language,) if language in LANGUAGES else LANGUAGES

    def matches(found: EntryFile) -> bool:
        if category and found.category != category:
            return False
        if status == "errors":
            if found.entry is not None:
                return False
        elif status in STATUS_FILTERS and not any(found.states.get(lang) == status for lang in languages):
            return False
        if words:
            text = found.searchable()
            return all(word in text for word in words)
        return True

    return [found for found in files if matches(found)]
