"""`./lotse knowledge export PATH` and `import PATH`: translators work in a spreadsheet, the YAML stays the truth.

One row per entry and language, as .xlsx or as UTF-8 .csv (chosen by the file
name). An import rewrites only values that differ from the files, through
ruamel.yaml's round trip so comments, key order and layout stay; a file without a
changed value is not written at all. Nothing is written unless every row is
understood and the whole result passes the validation of `./lotse knowledge
check`; otherwise every problem is listed with its row, column and a fix.

`sources` and `reviewed` belong to the whole entry and repeat in each of its rows:
a change in any one row applies to the entry. An import never deletes text (an
emptied cell is reported); a translation is removed in its YAML file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from core.knowledge.base import Entry
from core.knowledge.loader import LoadResult, load_knowledge
from core.knowledge.status import left_out_files
from core.knowledge.yaml_edit import edited_text, field_at
from core.languages import LANGUAGES

COLUMNS: tuple[str, ...] = (
    "entry id",
    "category",
    "language",
    "title",
    "question variants",
    "answer",
    "sources",
    "reviewed",
)
# The columns that edit the YAML file, by the key they edit; the first three only say which row is which.
COLUMN_OF_KEY = {
    "title": "title",
    "questions": "question variants",
    "answer": "answer",
    "sources": "sources",
    "reviewed": "reviewed",
}
WIDTHS = {
    "entry id": 24,
    "category": 12,
    "language": 9,
    "title": 30,
    "question variants": 50,
    "answer": 80,
    "sources": 40,
    "reviewed": 11,
}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_GERMAN_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")  # what German spreadsheet programs make of dates

# (YAML key, language; None for the keys of the whole entry) -> (new value, sheet row it came from)
Changes = dict[tuple[str, str | None], tuple[Any, int]]
Rows = list[tuple[str, ...]]
Writer = Callable[[Path, Rows], None]
Reader = Callable[[Path], list[list[str]]]


@dataclass(frozen=True)
class SheetProblem:
    """One thing wrong in one cell, said so that a translator can fix it in the sheet."""

    row: int
    column: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"row {self.row}, column '{self.column}': {self.message}\n    fix: {self.fix}"


class SheetError(Exception):
    """The file cannot be used as a sheet at all (wrong type, missing, damaged)."""


def _cell_text(value: Any) -> str:
    """A cell as text; spreadsheet programs turn typed dates into dates and line breaks into \\r\\n."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def _write_xlsx(path: Path, rows: Rows) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "knowledge"
    for row in rows:
        sheet.append(row)
    for index, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = WIDTHS[column]
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions  # translators filter by language
    book.save(path)


def _read_xlsx(path: Path) -> list[list[str]]:
    try:
        sheet = load_workbook(path).worksheets[0]
    except (zipfile.BadZipFile, InvalidFileException, KeyError) as error:
        raise SheetError(f"{path} is not a readable .xlsx file ({error})") from None
    return [[_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]


def _write_csv(path: Path, rows: Rows) -> None:
    # With the byte order mark, Excel opens the file as UTF-8 (Arabic, Ukrainian, ... stay readable).
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        csv.writer(out).writerows(rows)


def _read_csv(path: Path) -> list[list[str]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise SheetError(f"{path} is not UTF-8 text; save it as 'CSV UTF-8'") from None
    header = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=header.count)  # German Excel saves CSV with ';'
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [[_cell_text(cell) for cell in row] for row in rows]


FORMATS: dict[str, tuple[Writer, Reader]] = {".xlsx": (_write_xlsx, _read_xlsx), ".csv": (_write_csv, _read_csv)}


def _format(path: Path) -> tuple[Writer, Reader]:
    if path.suffix.lower() not in FORMATS:
        raise SheetError(f"'{path.name}' is neither .xlsx nor .csv; use a file name ending in .xlsx or .csv")
    return FORMATS[path.suffix.lower()]


def _row(entry: Entry, lang: str) -> tuple[str, ...]:
    return (
        entry.id,
        entry.category,
        lang,
        entry.title.get(lang, ""),
        "\n".join(entry.questions.get(lang, ())),
        entry.answer.get(lang, ""),
        "\n".join(entry.sources),
        entry.reviewed.isoformat(),
    )


def export_sheet(knowledge_dir: Path, path: Path, out: TextIO, today: dt.date | None = None) -> int:
    """Write every entry in every language, empty where a translation is missing; exit code 1 if impossible."""
    try:
        write, _ = _format(path)
    except SheetError as error:
        print(f"error: {error}", file=out)
        return 1
    result = load_knowledge(knowledge_dir, today)
    entries = sorted(result.knowledge.entries.values(), key=lambda e: e.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    write(path, [COLUMNS, *(_row(entry, lang) for entry in entries for lang in LANGUAGES)])
    print(
        f"Wrote {len(entries) * len(LANGUAGES)} rows ({len(entries)} entries x {len(LANGUAGES)} languages) to "
        f"{path}.\nRows with an empty answer are missing translations: fill in title, question variants (one "
        f"per line) and answer, then run ./lotse knowledge import {path}",
        file=out,
    )
    left_out = left_out_files(result)
    if left_out:
        print(
            f"Not in the sheet because of errors (./lotse knowledge check explains them): {', '.join(left_out)}",
            file=out,
        )
    return 0


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.split("\n") if line.strip())


def _date(text: str) -> dt.date | None:
    try:
        if _ISO_DATE.fullmatch(text):
            return dt.date.fromisoformat(text)
        if german := _GERMAN_DATE.fullmatch(text):
            day, month, year = (int(part) for part in german.groups())
            return dt.date(year, month, day)
    except ValueError:
        return None
    return None


def _unknown_entry(entry_id: str, knowledge_dir: Path) -> tuple[str, str]:
    if not entry_id:
        return "the entry id is empty", "copy it from the export: every row needs the id of its entry"
    if any((knowledge_dir / "entries").glob(f"**/{entry_id}.y*ml")):
        return (
            f"the file of '{entry_id}' has errors, so it cannot be imported",
            "run ./lotse knowledge check, fix that file, then import again",
        )
    return (
        f"unknown entry id '{entry_id}'",
        "use an id from the export; a new entry is started with ./lotse knowledge new",
    )


@dataclass
class _Plan:
    """What an import would change, and everything wrong with the sheet, collected row by row."""

    changes: dict[str, Changes] = field(default_factory=lambda: defaultdict(dict))
    problems: list[SheetProblem] = field(default_factory=list)
    # (entry id, key) -> new value -> rows; `sources` and `reviewed` repeat in every row of an entry
    entry_wide: dict[tuple[str, str], dict[Any, list[int]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    rows: dict[tuple[str, str], int] = field(default_factory=dict)  # (entry id, language) -> its row

    def problem(self, row: int, column: str, message: str, fix: str) -> None:
        self.problems.append(SheetProblem(row, column, message, fix))


def _plan_row(plan: _Plan, row: int, cells: dict[str, str], entries: dict[str, Entry], knowledge_dir: Path) -> None:
    reviewed, sources = _date(cells["reviewed"]), _lines(cells["sources"])
    if reviewed is None:
        plan.problem(
            row, "reviewed", f"'{cells['reviewed']}' is not a date", "write it as year-month-day, e.g. 2026-11-23"
        )
    if not sources:
        plan.problem(
            row, "sources", "there is no source", "write the official web pages the facts come from, one per line"
        )
    entry_id, lang = cells["entry id"], cells["language"]
    entry = entries.get(entry_id)
    if entry is None:
        plan.problem(row, "entry id", *_unknown_entry(entry_id, knowledge_dir))
        return
    if lang not in LANGUAGES:
        plan.problem(row, "language", f"unknown language '{lang}'", f"use one of: {', '.join(LANGUAGES)}")
        return
    if (entry_id, lang) in plan.rows:
        plan.problem(
            row,
            "language",
            f"'{entry_id}' in '{lang}' is also in row {plan.rows[(entry_id, lang)]}",
            "keep only one of the two rows",
        )
        return
    plan.rows[(entry_id, lang)] = row
    if cells["category"] != entry.category:
        plan.problem(
            row,
            "category",
            f"the category of '{entry_id}' cannot be changed in the sheet",
            f"write '{entry.category}' back; to move the entry, move its file and change 'category:' in it",
        )
    if reviewed and reviewed != entry.reviewed:
        plan.entry_wide[(entry_id, "reviewed")][reviewed].append(row)
    if sources and sources != entry.sources:
        plan.entry_wide[(entry_id, "sources")][sources].append(row)
    for key, new, old in (
        ("title", cells["title"], entry.title.get(lang, "")),
        ("questions", _lines(cells["question variants"]), entry.questions.get(lang, ())),
        ("answer", cells["answer"], entry.answer.get(lang, "")),
    ):
        if old and not new:
            plan.problem(
                row,
                COLUMN_OF_KEY[key],
                f"'{COLUMN_OF_KEY[key]}' in '{lang}' is empty, but the file has text",
                "write it again; to delete a translation, delete it in the YAML file",
            )
        elif new and new != old:
            plan.changes[entry_id][(key, lang)] = (new, row)
    if not cells["answer"] and lang not in entry.answer and (cells["title"] or cells["question variants"]):
        plan.problem(
            row,
            "answer",
            f"the answer in '{lang}' is empty",
            "write the answer, or empty the title and question variants of this row too",
        )


def _plan(table: list[list[str]], knowledge: LoadResult, knowledge_dir: Path) -> _Plan:
    """What the sheet changes in which entry, compared with the loaded entries, and what is wrong with it."""
    plan = _Plan()
    header = [cell.lower() for cell in table[0]] if table else []
    for column in COLUMNS:
        if column not in header:
            plan.problem(1, column, "this column is missing", f"keep the first row of the export: {', '.join(COLUMNS)}")
    if plan.problems:
        return plan
    for row, values in enumerate(table[1:], start=2):
        values = values + [""] * (len(header) - len(values))
        cells = {column: values[header.index(column)] for column in COLUMNS}
        if any(cells.values()):
            _plan_row(plan, row, cells, knowledge.knowledge.entries, knowledge_dir)
    for (entry_id, key), candidates in plan.entry_wide.items():
        if len(candidates) > 1:
            rows = sorted(row for rows in candidates.values() for row in rows)
            plan.problem(
                rows[0],
                COLUMN_OF_KEY[key],
                f"rows {', '.join(map(str, rows))} give different '{key}' for '{entry_id}'",
                "write the same in each of these rows, or change it in one row only",
            )
        else:
            ((value, rows),) = candidates.items()
            plan.changes[entry_id][(key, None)] = (value, rows[0])
    return plan


def _validate(
    knowledge_dir: Path, before: LoadResult, texts: dict[str, str], changes: dict[str, Changes], today: dt.date
) -> tuple[list[SheetProblem], list[str]]:
    """Load a copy of the entries with the new files exactly like `./lotse knowledge check` does.

    Its errors become sheet problems at the row and column that caused them; warnings
    the import adds (e.g. too few questions) come back as notes.
    """
    entries = before.knowledge.entries
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / knowledge_dir.name
        shutil.copytree(knowledge_dir / "entries", copy / "entries")
        for entry_id, text in texts.items():
            (copy.parent / entries[entry_id].path).write_text(text, encoding="utf-8")
        after = load_knowledge(copy, today)
    problems: list[SheetProblem] = []
    notes: list[str] = []
    for entry_id, text in texts.items():
        path = entries[entry_id].path
        known = {p.message for p in before.problems if p.path == path}
        for found in (p for p in after.problems if p.path == path):
            if found.level != "error":
                if found.message not in known:
                    notes.append(str(found))
                continue
            key, lang = field_at(text, found.line)
            cause = None if key is None else changes[entry_id].get((key, lang)) or changes[entry_id].get((key, None))
            if key is None or cause is None:  # not about a changed value: blame the entry's first changed row
                (key, _), cause = min(changes[entry_id].items(), key=lambda change: change[1][1])
            problems.append(
                SheetProblem(cause[1], COLUMN_OF_KEY[key], f"{found.message} (entry '{entry_id}')", found.fix)
            )
    return problems, notes


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def import_sheet(knowledge_dir: Path, path: Path, out: TextIO, today: dt.date | None = None) -> int:
    """Apply a sheet's changes to the YAML files, all or nothing; exit code 1 and every problem if nothing."""
    today = today or dt.date.today()
    knowledge_dir = knowledge_dir.resolve()
    try:
        _, read = _format(path)
        if not path.is_file():
            raise SheetError(f"there is no file {path}")
        table = read(path)
    except SheetError as error:
        print(f"error: {error}", file=out)
        return 1
    before = load_knowledge(knowledge_dir, today)
    plan = _plan(table, before, knowledge_dir)
    changes, problems = plan.changes, plan.problems
    files = {entry_id: knowledge_dir.parent / before.knowledge.entries[entry_id].path for entry_id in changes}
    texts = {
        entry_id: edited_text(
            files[entry_id].read_text(encoding="utf-8"),
            {field: value for field, (value, _) in changes[entry_id].items()},
        )
        for entry_id in changes
    }
    # Validated even when rows have problems already, so that one import lists everything to fix.
    invalid, notes = _validate(knowledge_dir, before, texts, changes, today) if texts else ([], [])
    problems += invalid
    if problems:
        for problem in sorted(problems, key=lambda p: (p.row, COLUMNS.index(p.column))):
            print(problem, file=out)
        print(
            f"\n{_count(len(problems), 'problem')} in {path.name}; nothing was changed. Fix them in the sheet "
            "and import it again.",
            file=out,
        )
        return 1
    if not texts:
        print(f"Nothing to change: {path.name} matches the knowledge files (no file was written).", file=out)
        return 0
    for entry_id, text in sorted(texts.items()):
        files[entry_id].write_text(text, encoding="utf-8")
        what = ", ".join(
            f"{COLUMN_OF_KEY[key]} ({lang})" if lang else COLUMN_OF_KEY[key] for key, lang in changes[entry_id]
        )
        print(f"changed {before.knowledge.entries[entry_id].path}: {what}", file=out)
    for note in notes:
        print(note, file=out)
    print(
        f"\n{_count(len(texts), 'file')} changed. Run ./lotse train (or restart ./lotse run) so the bot uses them.",
        file=out,
    )
    return 0
