"""One normalisation for everything that compares texts (retrievers, duplicate checks).

Newcomers type without umlauts or hamza ("aufenthaltstitel verlangern",
"اريد"), so accents and combining marks are dropped on both sides.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ufffd]")


def clean(text: str) -> str:
    """Remove control characters, replacement marks and invisible format characters; keep everything else.

    Format characters (Unicode category Cf: soft hyphens, zero-width spaces, right-to-left overrides)
    hide words from every matcher ("um\u00adbringen" is not "umbringen") and reorder text shown to
    counsellors; the Persian half-space (ZWNJ) joins word parts, so it becomes a space.
    """
    text = _CONTROL.sub(" ", text.replace("\u200c", " "))
    return "".join(c for c in text if unicodedata.category(c) != "Cf").strip()


def fold(text: str) -> str:
    """Lower-case, strip accents and marks, collapse white space: for matching only, never for display."""
    decomposed = unicodedata.normalize("NFKD", clean(text).lower().replace("ß", "ss"))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c) and c not in "\u0640\u200c\u200d")
    return _SPACES.sub(" ", stripped).strip()


def has_words(text: str) -> bool:
    """True when the text has at least one letter or digit (not only emoji or symbols)."""
    return any(c.isalnum() for c in text)
