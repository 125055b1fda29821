"""The emergency layer: curated multilingual patterns checked before any classifier.

A missed emergency is the worst failure the bot can have, so this does not
depend on the trained model at all; recall and false alarms are measured by
`./lotse eval` and pinned by tests.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import yaml

from core.text_normalisation import clean

PATTERN_FILE = Path(__file__).with_name("emergency_patterns.yml")
_ARABIC_MARKS = re.compile("[\u064b-\u065f\u0670\u0640]")  # harakat and tatweel


def normalise(text: str) -> str:
    """Lower-case, unify Unicode forms and drop Arabic vowel marks, so patterns stay simple."""
    text = unicodedata.normalize("NFKC", clean(text)).lower()
    return _ARABIC_MARKS.sub("", text)


@lru_cache(maxsize=1)
def _patterns() -> re.Pattern[str]:
    by_language: dict[str, list[str]] = yaml.safe_load(PATTERN_FILE.read_text(encoding="utf-8"))
    # Patterns get the same normalisation as messages (e.g. the Persian half-space becomes a space).
    alternatives = [f"(?:{normalise(p)})" for patterns in by_language.values() for p in patterns]
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")


def is_emergency(text: str) -> bool:
    """True when the message speaks of danger to life or health, violence or suicide."""
    return bool(_patterns().search(normalise(text)))
