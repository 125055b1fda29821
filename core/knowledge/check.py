"""`./lotse knowledge check`: everything a volunteer needs to fix, in plain words.

Exit code 1 when there are errors (files the bot leaves out), 0 otherwise;
warnings, missing translations and stale entries are listed but do not fail.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import TextIO

from core.i18n.messages import Messages
from core.knowledge.loader import STALE_AFTER_DAYS, LoadResult, load_knowledge, missing_translations
from core.languages import LANGUAGES
from core.text_normalisation import fold


def duplicate_questions(result: LoadResult) -> list[str]:
    """Questions that appear (after folding case and accents) in two different entries."""
    owners: dict[tuple[str, str], set[str]] = defaultdict(set)
    for entry_id, lang, question in result.knowledge.questions():
        owners[(lang, fold(question))].add(entry_id)
    return [
        f"'{text}' ({lang}) is a question of {', '.join(sorted(ids))}"
        for (lang, text), ids in sorted(owners.items())
        if len(ids) > 1
    ]


def report(knowledge_dir: Path, locales_dir: Path, out: TextIO, today: dt.date | None = None) -> int:
    """Print the full report; returns the process exit code."""
    today = today or dt.date.today()
    result = load_knowledge(knowledge_dir, today)
    entries = result.knowledge.entries
    for problem in result.problems:
        print(problem, file=out)
    duplicates = duplicate_questions(result)
    for line in duplicates:
        print(
            f"warning: the same question in two entries: {line}\n    fix: keep it in the entry it belongs to", file=out
        )
    missing = missing_translations(result.knowledge)
    if missing:
        print("\nMissing translations (the bot answers in English or German and says so):", file=out)
        for entry_id, langs in sorted(missing.items()):
            print(f"  {entry_id}: {', '.join(langs)}", file=out)
    stale = sorted(e.id for e in entries.values() if (today - e.reviewed).days > STALE_AFTER_DAYS)
    if stale:
        print(f"\nStale (reviewed more than 12 months ago): {', '.join(stale)}", file=out)
    for lang, keys in Messages(locales_dir).missing().items():
        print(f"\nlocales/{lang}.yml misses: {', '.join(keys)}", file=out)
    total = len(entries) * len(LANGUAGES)
    present = sum(len(e.answer) for e in entries.values())
    coverage = 100.0 * present / total if total else 0.0
    print(
        f"\n{len(entries)} entries, {len(result.knowledge.services)} services; "
        f"{len(result.errors)} errors, {len(result.problems) - len(result.errors) + len(duplicates)} warnings; "
        f"translations {present}/{total} ({coverage:.1f} %)",
        file=out,
    )
    per_language = ", ".join(f"{lang} {sum(lang in e.answer for e in entries.values())}" for lang in LANGUAGES)
    print(f"answers per language: {per_language}", file=out)
    return 1 if result.errors else 0
