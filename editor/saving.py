"""The one way the editor changes knowledge/: validated first, written in place, recorded, announced.

Both the edit page and the inbox's "add as a question" come through here, so
every change is checked by the same rules as `./lotse knowledge check`, written
through core.knowledge.yaml_edit (comments, key order and layout stay), named
in the audit log, and passed to the `on_saved` hook that reloads the bot.

A change may not add an error. Errors the file already had do not block it,
so a new entry (full of TODOs) can be filled in one field at a time.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.knowledge.loader import Problem
from core.knowledge.yaml_edit import Values, edited_text
from core.text_normalisation import fold
from editor import audit
from editor.checking import check_text
from editor.form import FormValues, changed_fields, changes, file_values, load_document

SAVED, UNCHANGED, INVALID, CONFLICT = "saved", "unchanged", "invalid", "conflict"
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SaveResult:
    """What happened; for INVALID, the errors the change would add, found in the changed `text`."""

    status: str
    fields: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()
    text: str = ""


@dataclass
class EntryWriter:
    """Writes entry files on behalf of signed-in volunteers."""

    audit_file: Path
    on_saved: Callable[[str], None]

    def write(
        self, path: Path, values: Values, volunteer: str, action: str, language: str | None, **details: int | str
    ) -> SaveResult:
        """Put `values` into the file at `path` unless that adds an error; an unchanged file is not touched."""
        today = dt.date.today()
        text = path.read_text(encoding="utf-8")
        new_text = edited_text(text, values) if values else text
        if new_text == text:
            return SaveResult(UNCHANGED)
        fields = changed_fields(values)
        before, after = check_text(text, path, today), check_text(new_text, path, today)
        known = {problem.message for problem in before.problems}
        new_errors = tuple(p for p in after.errors if p.message not in known)
        if new_errors:
            return SaveResult(INVALID, fields, new_errors, new_text)
        path.write_text(new_text, encoding="utf-8")
        audit.record(self.audit_file, volunteer, action, path.stem, language, fields, **details)
        try:
            self.on_saved(path.stem)
        except Exception:  # the file is saved and recorded: a failed reload must not look like a failed save
            logger.exception("on_saved(%r) failed; the bot picks the change up at its next reload", path.stem)
        return SaveResult(SAVED, fields)

    def save_form(self, path: Path, language: str, posted: FormValues, version: str, volunteer: str) -> SaveResult:
        """The edit page's save: refused as a conflict if the fields changed on disk since the form was shown."""
        doc = load_document(path.read_text(encoding="utf-8"))
        if file_values(doc, language).version() != version:
            return SaveResult(CONFLICT)
        return self.write(path, changes(doc, language, posted), volunteer, "edit", language)

    def add_question(self, path: Path, language: str, question: str, volunteer: str, messages: int) -> SaveResult:
        """The inbox's one-click action: `question` becomes the last question of `language`."""
        doc = load_document(path.read_text(encoding="utf-8"))
        current = file_values(doc, language).questions
        if fold(question) in {fold(known) for known in current}:
            return SaveResult(UNCHANGED)
        return self.write(
            path,
            {("questions", language): (*current, question)},
            volunteer,
            "inbox_question",
            language,
            messages=messages,
        )
