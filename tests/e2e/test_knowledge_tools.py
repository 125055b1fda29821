"""Tools for volunteer translators: status table, new-entry scaffold, spreadsheet export and import.

Every test works on a copy of knowledge/ in a temporary folder and checks what a
volunteer sees: the printed text, the exit code and the bytes of the YAML files.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook
from ruamel.yaml import YAML

from core import config
from core.knowledge.check import report
from core.knowledge.loader import load_knowledge
from core.knowledge.scaffold import new_entry
from core.knowledge.spreadsheet import COLUMNS, export_sheet, import_sheet
from core.knowledge.status import status
from core.languages import LANGUAGES
from tests.e2e.helpers import remove_translation

TODAY = dt.date(2026, 11, 23)
NEW_ARABIC_ANSWER = "جواب جديد: اذهب إلى مكتب المواطنين (Bürgeramt).\nالمساعدة: استشارة الهجرة (MBE)."


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    """A copy of the real knowledge/ as volunteers leave it: comments, quotes, one missing translation."""
    root = tmp_path / "knowledge"
    shutil.copytree(config.ROOT / "knowledge", root)
    for path in (root / "entries").glob("**/*.yml"):  # fixed dates, so that no entry becomes stale over time
        path.write_text(
            re.sub(r"(?m)^reviewed: .*$", "reviewed: 2026-11-01", path.read_text(encoding="utf-8")), encoding="utf-8"
        )
    anmeldung = root / "entries" / "offices" / "anmeldung.yml"
    text = anmeldung.read_text(encoding="utf-8")
    text = "# Checked with the Bürgeramt Dortmund\n" + text.replace("  ar: |\n", "  # reviewed by Amira\n  ar: |\n", 1)
    anmeldung.write_text(
        text.replace("  en: Registering your address", '  en: "Registering your address"'), encoding="utf-8"
    )
    remove_translation(root / "entries" / "education" / "kita.yml", "uk")
    return root


def snapshot(root: Path) -> dict[Path, tuple[bytes, int]]:
    """Content and modification time of every file: a rewrite with the same content still shows."""
    return {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in sorted(root.rglob("*")) if path.is_file()}


def read_sheet(path: Path) -> list[list[str]]:
    if path.suffix == ".xlsx":
        return [
            ["" if v is None else str(v) for v in row]
            for row in load_workbook(path).worksheets[0].iter_rows(values_only=True)
        ]
    with path.open(encoding="utf-8-sig", newline="") as sheet:
        return list(csv.reader(sheet))


def write_sheet(path: Path, rows: list[list[str]], delimiter: str = ",") -> None:
    """Save the sheet the way a spreadsheet program would after a translator's edits."""
    if path.suffix == ".xlsx":
        book = load_workbook(path)
        sheet = book.worksheets[0]
        sheet.delete_rows(1, sheet.max_row)
        for row in rows:
            sheet.append(row)
        book.save(path)
    else:
        with path.open("w", encoding="utf-8-sig", newline="") as sheet:
            csv.writer(sheet, delimiter=delimiter).writerows(rows)


def row_of(rows: list[list[str]], entry_id: str, lang: str) -> list[str]:
    return next(row for row in rows if row[0] == entry_id and row[2] == lang)


def number_of(rows: list[list[str]], entry_id: str, lang: str) -> int:
    """The row number a spreadsheet program shows (the header is row 1)."""
    return rows.index(row_of(rows, entry_id, lang)) + 1


def table_line(text: str, first: str) -> list[str]:
    return next(line.split()[len(first.split()) :] for line in text.splitlines() if line.startswith(first + " "))


# --- status ---------------------------------------------------------------------------------------------


def test_status_shows_every_translation_and_totals_per_language(knowledge: Path, tmp_path: Path) -> None:
    stale = knowledge / "entries" / "offices" / "anmeldung.yml"
    stale.write_text(
        stale.read_text(encoding="utf-8").replace("reviewed: 2026-11-01", "reviewed: 2025-11-01"), encoding="utf-8"
    )
    (knowledge / "entries" / "work" / "kaputt.yml").write_text("id: [", encoding="utf-8")
    entries = len(load_knowledge(knowledge, TODAY).knowledge.entries)
    out = io.StringIO()

    assert status(knowledge, out, tmp_path / "out" / "status.json", TODAY) == 0

    text = out.getvalue()
    assert table_line(text, "entry") == list(LANGUAGES)
    assert table_line(text, "anmeldung") == ["stale"] * 8
    assert table_line(text, "kita") == ["present"] * 3 + ["missing"] + ["present"] * 4
    assert table_line(text, "schule") == ["present"] * 8
    assert table_line(text, "present") == [str(entries - 1)] * 3 + [str(entries - 2)] + [str(entries - 1)] * 4
    assert table_line(text, "missing") == ["0"] * 3 + ["1"] + ["0"] * 4
    assert table_line(text, "stale") == ["1"] * 8
    assert "Left out because of errors" in text and "kaputt.yml" in text
    data = json.loads((tmp_path / "out" / "status.json").read_text(encoding="utf-8"))
    assert data["entries"]["kita"]["languages"]["uk"] == "missing"
    assert data["entries"]["anmeldung"] == {
        "category": "offices",
        "reviewed": "2025-11-01",
        "languages": {lang: "stale" for lang in LANGUAGES},
    }
    assert data["totals"]["uk"] == {"present": entries - 2, "missing": 1, "stale": 1}
    assert data["left_out"] == ["knowledge/entries/work/kaputt.yml"]


# --- new ------------------------------------------------------------------------------------------------


def test_new_entry_lands_in_its_category_and_check_names_every_todo(knowledge: Path) -> None:
    out = io.StringIO()
    assert new_entry(knowledge, "lohn_zu_spaet", "work", out, TODAY) == 0
    path = knowledge / "entries" / "work" / "lohn_zu_spaet.yml"
    assert "knowledge/entries/work/lohn_zu_spaet.yml" in out.getvalue() and "TODO" in out.getvalue()

    result = load_knowledge(knowledge, TODAY)
    assert "lohn_zu_spaet" not in result.knowledge.entries, "the bot must not serve placeholder text"
    lines = path.read_text(encoding="utf-8").splitlines()
    problems = [p for p in result.problems if p.path.endswith("lohn_zu_spaet.yml")]
    assert problems and all(p.level == "error" and p.fix for p in problems)
    assert [p for p in result.errors if p not in problems] == [], "the rest of knowledge/ must stay valid"
    todo_lines = {number for number, line in enumerate(lines, start=1) if re.search(r"^\s*[^#\s].*# TODO", line)}
    assert {p.line for p in problems} >= todo_lines, "every TODO must be reported with its line"
    assert all(p.line in todo_lines or "German (de)" in p.message for p in problems)
    check = io.StringIO()
    shutil.copytree(config.ROOT / "locales", knowledge.parent / "locales")
    assert report(knowledge, knowledge.parent / "locales", check, TODAY) == 1
    assert "lohn_zu_spaet.yml:6: error: 'reviewed' must be a date" in check.getvalue()


def fill_in(text: str) -> str:
    """What a volunteer does with the new file: replace every TODO by content, following the comments."""
    questions = {
        "de": [f"Mein Lohn kommt nicht, Frage {n}?" for n in range(8)],
        "en": [f"my salary is late, question {n}?" for n in range(8)],
    }
    answers = {"de": "Schreiben Sie Ihrem Arbeitgeber.", "en": "Write to your employer."}
    lines: list[str] = []
    section = ""
    for line in text.splitlines():
        if re.match(r"^[a-z]+:", line):
            section = line.split(":")[0]
        line = line.replace("[TODO]", "[labour_counselling, mbe]").replace("reviewed: TODO", "reviewed: 2026-11-20")
        line = line.replace("  - TODO ", "  - https://www.dgb.de/ ")
        lines.append(line)
        lang = line.strip().split(":")[0]
        if section == "title" and lang in answers:
            lines[-1] = line.replace(f"{lang}:", f"{lang}: Lohn kommt zu spät" if lang == "de" else f"{lang}: Late pay")
        elif section == "questions" and lang in questions:
            lines.extend(f"    - {question}" for question in questions[lang])
        elif section == "answer" and lang in answers:
            lines.append(f"    {answers[lang]}")
    return "\n".join(lines) + "\n"


def test_a_filled_in_new_entry_is_valid_and_served(knowledge: Path) -> None:
    assert new_entry(knowledge, "lohn_zu_spaet", "work", io.StringIO(), TODAY) == 0
    path = knowledge / "entries" / "work" / "lohn_zu_spaet.yml"
    path.write_text(fill_in(path.read_text(encoding="utf-8")), encoding="utf-8")

    result = load_knowledge(knowledge, TODAY)
    assert [str(p) for p in result.problems if "lohn_zu_spaet" in p.path] == []
    entry = result.knowledge.entries["lohn_zu_spaet"]
    assert entry.category == "work" and entry.answer == {
        "de": "Schreiben Sie Ihrem Arbeitgeber.",
        "en": "Write to your employer.",
    }
    assert entry.title["de"] == "Lohn kommt zu spät" and len(entry.questions["en"]) == 8


@pytest.mark.parametrize(
    "entry_id, category, expected",
    [
        ("kita", "work", "an entry 'kita' already exists: knowledge/entries/education/kita.yml"),
        ("Lohn-Zu-Spaet", "work", "'Lohn-Zu-Spaet' cannot be an entry id"),
        ("../../outside", "work", "'../../outside' cannot be an entry id"),
        ("lohn_zu_spaet", "arbeit", "unknown category 'arbeit'"),
    ],
)
def test_new_refuses_with_a_reason_and_creates_nothing(
    knowledge: Path, entry_id: str, category: str, expected: str
) -> None:
    before = snapshot(knowledge.parent)
    out = io.StringIO()
    assert new_entry(knowledge, entry_id, category, out, TODAY) == 1
    assert expected in out.getvalue() and "nothing was created" in out.getvalue() and "fix:" in out.getvalue()
    assert snapshot(knowledge.parent) == before


# --- export and import ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["translations.xlsx", "translations.csv"])
def test_export_then_import_without_edits_changes_no_file(knowledge: Path, tmp_path: Path, name: str) -> None:
    sheet = tmp_path / name
    before = snapshot(knowledge)
    assert export_sheet(knowledge, sheet, io.StringIO(), TODAY) == 0
    rows = read_sheet(sheet)
    entries = load_knowledge(knowledge, TODAY).knowledge.entries
    assert tuple(rows[0]) == COLUMNS and len(rows) == 1 + len(entries) * len(LANGUAGES)
    anmeldung = entries["anmeldung"]
    assert row_of(rows, "anmeldung", "ar") == [
        "anmeldung",
        "offices",
        "ar",
        anmeldung.title["ar"],
        "\n".join(anmeldung.questions["ar"]),
        anmeldung.answer["ar"],
        "\n".join(anmeldung.sources),
        "2026-11-01",
    ]
    assert row_of(rows, "kita", "uk")[3:6] == ["", "", ""], "a missing translation is an empty row to fill in"

    out = io.StringIO()
    assert import_sheet(knowledge, sheet, out, TODAY) == 0
    assert "Nothing to change" in out.getvalue()
    assert snapshot(knowledge) == before


def literal_block(lang: str, text: str) -> str:
    return f"  {lang}: |\n" + "".join(f"    {line}\n" for line in text.split("\n"))


@pytest.mark.parametrize("name", ["translations.xlsx", "translations.csv"])
def test_an_edited_answer_changes_exactly_that_value(knowledge: Path, tmp_path: Path, name: str) -> None:
    sheet = tmp_path / name
    export_sheet(knowledge, sheet, io.StringIO(), TODAY)
    rows = read_sheet(sheet)
    row_of(rows, "anmeldung", "ar")[5] = NEW_ARABIC_ANSWER
    write_sheet(sheet, rows)
    path = knowledge / "entries" / "offices" / "anmeldung.yml"
    old_text = path.read_text(encoding="utf-8")
    old_block = literal_block("ar", load_knowledge(knowledge, TODAY).knowledge.entries["anmeldung"].answer["ar"])
    assert old_block in old_text
    others = {p: v for p, v in snapshot(knowledge).items() if p != path}

    out = io.StringIO()
    assert import_sheet(knowledge, sheet, out, TODAY) == 0, out.getvalue()

    assert "changed knowledge/entries/offices/anmeldung.yml: answer (ar)" in out.getvalue()
    assert path.read_text(encoding="utf-8") == old_text.replace(old_block, literal_block("ar", NEW_ARABIC_ANSWER))
    assert {p: v for p, v in snapshot(knowledge).items() if p != path} == others
    assert load_knowledge(knowledge, TODAY).knowledge.entries["anmeldung"].answer["ar"] == NEW_ARABIC_ANSWER


def test_a_new_translation_goes_in_language_order(knowledge: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "translations.xlsx"
    export_sheet(knowledge, sheet, io.StringIO(), TODAY)
    rows = read_sheet(sheet)
    row_of(rows, "kita", "uk")[3:6] = [
        "Місце в дитсадку",
        "як знайти місце в дитсадку\nде записатися в Kita",
        "Зверніться до Jugendamt вашого міста.",
    ]
    write_sheet(sheet, rows)

    out = io.StringIO()
    assert import_sheet(knowledge, sheet, out, TODAY) == 0, out.getvalue()

    assert "only 2 questions in 'uk'" in out.getvalue(), "new warnings are shown, but do not block"
    kita = load_knowledge(knowledge, TODAY).knowledge.entries["kita"]
    assert kita.answer["uk"] == "Зверніться до Jugendamt вашого міста." and kita.title["uk"] == "Місце в дитсадку"
    assert kita.questions["uk"] == ("як знайти місце в дитсадку", "де записатися в Kita")
    doc = YAML(typ="rt").load((knowledge / "entries" / "education" / "kita.yml").read_text(encoding="utf-8"))
    assert [list(doc[key]) for key in ("title", "questions", "answer")] == [list(LANGUAGES)] * 3


def test_reviewed_and_sources_in_one_row_change_the_whole_entry(knowledge: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "translations.csv"
    export_sheet(knowledge, sheet, io.StringIO(), TODAY)
    rows = read_sheet(sheet)
    row_of(rows, "kita", "ar")[7] = "20.11.2026"  # as a German spreadsheet program writes dates
    row_of(rows, "schule", "fr")[6] += "\nhttps://www.kmk.org/"
    write_sheet(sheet, rows, delimiter=";")  # German Excel saves CSV with ';'

    out = io.StringIO()
    assert import_sheet(knowledge, sheet, out, TODAY) == 0, out.getvalue()

    entries = load_knowledge(knowledge, TODAY).knowledge.entries
    assert entries["kita"].reviewed == dt.date(2026, 11, 20)
    assert entries["schule"].sources[-1] == "https://www.kmk.org/"
    assert "reviewed: 2026-11-20\n" in (knowledge / "entries" / "education" / "kita.yml").read_text(encoding="utf-8")


def test_an_import_with_errors_changes_nothing_and_lists_every_problem(knowledge: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "translations.csv"
    export_sheet(knowledge, sheet, io.StringIO(), TODAY)
    rows = read_sheet(sheet)
    expected = {
        ("anmeldung", "ar"): ("answer", "is empty"),
        ("anmeldung", "fr"): ("reviewed", "'next week' is not a date"),
        ("kita", "de"): ("entry id", "unknown entry id 'kitta'"),
        ("kita", "fr"): ("language", "unknown language 'es'"),
        ("schule", "en"): ("answer", "more than 900"),
        ("schule", "de"): ("sources", "'www.schule.nrw.de' is not a web address"),
        ("studium", "de"): ("category", "cannot be changed"),
        ("wohngeld", "tr"): ("reviewed", "in the future"),
    }
    numbers = {key: number_of(rows, *key) for key in expected}
    row_of(rows, "anmeldung", "ar")[5] = ""
    row_of(rows, "anmeldung", "fr")[7] = "next week"
    row_of(rows, "kita", "de")[0] = "kitta"
    row_of(rows, "kita", "fr")[2] = "es"
    row_of(rows, "schule", "en")[5] = "x" * 950
    row_of(rows, "schule", "de")[6] = "www.schule.nrw.de"
    row_of(rows, "studium", "de")[1] = "work"
    row_of(rows, "wohngeld", "tr")[7] = "2027-01-01"
    row_of(rows, "jobsuche", "ar")[5] = NEW_ARABIC_ANSWER  # a good edit: not written either
    write_sheet(sheet, rows)
    before = snapshot(knowledge)

    out = io.StringIO()
    assert import_sheet(knowledge, sheet, out, TODAY) == 1

    text = out.getvalue()
    for key, (column, message) in expected.items():
        assert re.search(
            rf"row {numbers[key]}, column '{column}': [^\n]*{re.escape(message)}[^\n]*\n    fix: \S", text
        ), (key, text)
    assert f"{len(expected)} problems" in text and "nothing was changed" in text
    assert snapshot(knowledge) == before


@pytest.mark.parametrize(
    "name, content, expected",
    [
        ("translations.ods", b"", "use a file name ending in .xlsx or .csv"),
        ("translations.xlsx", b"not a zip file", "is not a readable .xlsx file"),
        ("translations.csv", "entry id,category\n".encode("utf-16"), "is not UTF-8 text"),
        ("translations.csv", b"entry id,category,language\n", "column 'answer': this column is missing"),
    ],
)
def test_a_file_that_is_no_sheet_is_refused(
    knowledge: Path, tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    (tmp_path / name).write_bytes(content)
    before = snapshot(knowledge)
    out = io.StringIO()
    assert import_sheet(knowledge, tmp_path / name, out, TODAY) == 1
    assert expected in out.getvalue()
    assert snapshot(knowledge) == before


def test_the_commands_use_lotse_knowledge_dir(knowledge: Path, tmp_path: Path) -> None:
    """`./lotse knowledge ...` works on the folder LOTSE_KNOWLEDGE_DIR names and leaves knowledge/ alone."""
    real = snapshot(config.ROOT / "knowledge")
    env = {**os.environ, "LOTSE_KNOWLEDGE_DIR": str(knowledge)}

    def lotse(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(config.ACTIONS_PYTHON), "-m", "tools.cli", "knowledge", *args],
            cwd=config.ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    shown = lotse("status", "--json", str(tmp_path / "status.json"))
    assert shown.returncode == 0 and "missing" in table_line(shown.stdout, "kita"), shown.stderr
    assert (
        json.loads((tmp_path / "status.json").read_text(encoding="utf-8"))["entries"]["kita"]["languages"]["uk"]
        == "missing"
    )
    created = lotse("new", "lohn_zu_spaet", "--category", "work")
    assert created.returncode == 0 and (knowledge / "entries" / "work" / "lohn_zu_spaet.yml").is_file()
    assert lotse("new", "lohn_zu_spaet", "--category", "work").returncode == 1
    assert lotse("export", str(tmp_path / "sheet.xlsx")).returncode == 0
    imported = lotse("import", str(tmp_path / "sheet.xlsx"))
    assert imported.returncode == 0 and "Nothing to change" in imported.stdout
    assert lotse("new", "--category", "work").returncode == 2, "a missing argument is a usage error"
    assert snapshot(config.ROOT / "knowledge") == real
