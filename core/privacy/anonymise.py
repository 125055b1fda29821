"""Remove what identifies a person from a message before it is kept for volunteers.

E-mail addresses, dates, phone and other identifying numbers (passport, residence
permit, health insurance, Jobcenter and case numbers), street addresses and names of
persons become placeholders: "[e-mail]", "[date]", "[number]", "[address]", "[name]".
The shapes are found by core/privacy/patterns.py, the names by
core/privacy/names.py. What helps volunteers stays: postcodes alone, cities,
amounts, paragraphs, office names, course levels. When in doubt a word goes: a
volunteer needs the gist of the question, not every word of it.

Invisible format characters are removed first: a soft hyphen or zero-width space
inside a name would otherwise hide it from every rule (the Persian half-space stays
between Arabic-script letters, where it belongs). Every rule runs in linear
time, but callers should still cut long messages first (core/store/inbox.py does).
"""

from __future__ import annotations

import re
import unicodedata

from core.privacy.names import find_names
from core.privacy.patterns import FINDERS, Found

_ZWNJ = "\u200c"
_HIDDEN_HALF_SPACE = re.compile(r"(?<![\u0600-\u06ff])\u200c|\u200c(?![\u0600-\u06ff])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ufffd]")
PLACEHOLDERS = {kind: f"[{kind}]" for kind in ("e-mail", "date", "number", "address", "name")}


def anonymise(text: str) -> str:
    """The message with e-mail addresses, dates, identifying numbers, addresses and person names replaced."""
    text = _visible(text)
    shapes = _merged(text, [found for finder in FINDERS for found in finder(text)])
    return _replaced(text, _merged(text, [*shapes, *find_names(text, shapes)]))


def _visible(text: str) -> str:
    """The text without control and invisible format characters, but with the Persian half-space (ZWNJ)
    where it joins two Arabic-script letters ("می‌کنم"): elsewhere it could hide a name ("Ah\u200cmad")."""
    text = _CONTROL.sub(" ", _HIDDEN_HALF_SPACE.sub("", text))
    return "".join(c for c in text if c == _ZWNJ or unicodedata.category(c) != "Cf").strip()


def _merged(text: str, spans: list[Found]) -> list[Found]:
    """Overlapping spans, and spans of one kind with only spaces between them ("Ahmad Karimi"), as one.

    The merged span has the kind of its longest part, so a date inside a longer number run is a number.
    """
    merged: list[Found] = []
    longest: list[Found] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if merged and _joins(text, merged[-1], span):
            if span.end - span.start > longest[-1].end - longest[-1].start:
                longest[-1] = span
            merged[-1] = Found(merged[-1].start, max(merged[-1].end, span.end), longest[-1].kind)
        else:
            merged.append(span)
            longest.append(span)
    return merged


def _joins(text: str, group: Found, span: Found) -> bool:
    return span.start < group.end or (span.kind == group.kind and not text[group.end : span.start].strip(" -"))


def _replaced(text: str, spans: list[Found]) -> str:
    parts, position = [], 0
    for span in spans:
        parts += [text[position : span.start], PLACEHOLDERS[span.kind]]
        position = span.end
    return "".join(parts) + text[position:]
