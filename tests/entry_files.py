"""A valid entry file, and writing variants of it into a knowledge folder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

TODAY = dt.date(2026, 11, 23)


GOOD_ENTRY = """\
id: testthema
category: offices
services: [mbe]
reviewed: 2026-11-01
sources:
  - https://www.bmi.bund.de/
questions:
  de: [a1, a2, a3, a4, a5, a6, a7, a8]
answer:
  de: |
    Eine Antwort.
"""


def write_entry(root: Path, text: str, category: str = "offices", name: str = "testthema") -> Path:
    path = root / "entries" / category / f"{name}.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
