"""Who changed what: one JSON line per change in DATA_DIR/editor_audit.jsonl.

It names the volunteer, the entry, the language and which fields changed, never
the text itself or an access code, so the log can be shown to the organisation
without exposing anything a user wrote.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path

FILE_NAME = "editor_audit.jsonl"


def record(
    audit_file: Path,
    volunteer: str,
    action: str,
    entry: str | None,
    language: str | None,
    fields: Iterable[str] = (),
    **details: int | str,
) -> None:
    """Append one line; `details` are small numbers or ids (e.g. how many inbox messages were handled)."""
    line = {
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "volunteer": volunteer,
        "action": action,
        "entry": entry,
        "language": language,
        "fields": sorted(fields),
        **details,
    }
    audit_file.parent.mkdir(parents=True, exist_ok=True)
    with audit_file.open("a", encoding="utf-8") as out:
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
