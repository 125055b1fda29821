"""`./lotse knowledge status`: which translation is there, missing or due for a review.

Volunteer translators pick their work from this table (one row per entry, one
column per language, totals per language at the bottom), so it reads in a plain
terminal and is also available as JSON for other tools.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TextIO

from core.knowledge.base import Entry
from core.knowledge.loader import STALE_AFTER_DAYS, LoadResult, load_knowledge
from core.languages import LANGUAGES

STATES: tuple[str, ...] = ("present", "missing", "stale")


def translation_states(entry: Entry, today: dt.date) -> dict[str, str]:
    """Language -> state. Stale means the entry's facts were last checked more than 12 months ago,
    the same rule as `./lotse knowledge check`; a missing translation stays "missing" either way."""
    stale = (today - entry.reviewed).days > STALE_AFTER_DAYS
    return {lang: "missing" if lang not in entry.answer else "stale" if stale else "present" for lang in LANGUAGES}


def left_out_files(result: LoadResult) -> list[str]:
    """Entry files the bot leaves out because of errors: they appear in no table or export."""
    return sorted({p.path for p in result.errors if "entries" in Path(p.path).parts})


def status(knowledge_dir: Path, out: TextIO, json_path: Path | None = None, today: dt.date | None = None) -> int:
    """Print the table (and write JSON if asked); always exit code 0, since nothing here is an error."""
    today = today or dt.date.today()
    result = load_knowledge(knowledge_dir, today)
    entries = sorted(result.knowledge.entries.values(), key=lambda e: e.id)
    states = {entry.id: translation_states(entry, today) for entry in entries}
    totals = {lang: {state: sum(s[lang] == state for s in states.values()) for state in STATES} for lang in LANGUAGES}
    left_out = left_out_files(result)

    width = max([len(f"totals {today}"), *(len(e.id) for e in entries)])
    cell = max(len(state) for state in STATES)

    def line(first: str, cells: list[str]) -> str:
        return " ".join([first.ljust(width), *(c.ljust(cell) for c in cells)]).rstrip()

    print(line("entry", list(LANGUAGES)), file=out)
    for entry in entries:
        print(line(entry.id, [states[entry.id][lang] for lang in LANGUAGES]), file=out)
    print(f"\n{line(f'totals {today}', list(LANGUAGES))}", file=out)
    for state in STATES:
        print(line(state, [str(totals[lang][state]) for lang in LANGUAGES]), file=out)
    print(
        "\nstale: reviewed more than 12 months ago; check the facts against the sources and set 'reviewed' "
        "to today's date.",
        file=out,
    )
    if left_out:
        print(f"\nLeft out because of errors (./lotse knowledge check explains them): {', '.join(left_out)}", file=out)
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "date": today.isoformat(),
            "entries": {
                e.id: {"category": e.category, "reviewed": e.reviewed.isoformat(), "languages": states[e.id]}
                for e in entries
            },
            "totals": totals,
            "left_out": left_out,
        }
        json_path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0
