"""Validate one entry file exactly as `./lotse knowledge check` does, without touching knowledge/.

The text is written into a scratch copy of its place in knowledge/ and loaded
with the same loader (core.knowledge.loader), as `./lotse knowledge import`
does with its changed copy. Only that one file is copied: an entry's rules
concern the entry alone (its id is fixed by its file name), and loading one file
takes milliseconds where loading all of them takes seconds.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path

from core.knowledge.base import Entry
from core.knowledge.loader import Problem, load_knowledge


@dataclass(frozen=True)
class CheckedFile:
    """The entry the bot would serve from a file (None if it is left out) and every problem in it."""

    entry: Entry | None
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.level == "error")


def check_text(text: str, path: Path, today: dt.date) -> CheckedFile:
    """Check `text` as the content of the entry file at `path` (knowledge/entries/<category>/<id>.yml)."""
    with tempfile.TemporaryDirectory(prefix="lotse-editor-") as scratch:
        root = Path(scratch) / "knowledge"
        copy = root / "entries" / path.parent.name / path.name
        copy.parent.mkdir(parents=True)
        copy.write_text(text, encoding="utf-8")
        result = load_knowledge(root, today)
    entry = next(iter(result.knowledge.entries.values()), None)
    return CheckedFile(entry, tuple(result.problems))
