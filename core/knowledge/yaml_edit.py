"""Put new values into a knowledge entry file and leave everything else as it was.

Volunteers' comments, key order, quotes and layout survive (ruamel.yaml round
trip in the layout of knowledge/ files), so a reviewer's diff shows only the
values that really changed.
"""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString, ScalarString

from core.knowledge.loader import ENTRY_KEYS
from core.languages import LANGUAGES

# (top-level key, language; None for keys of the whole entry: sources, reviewed) -> new value;
# None as the value of a language removes that language's line (an empty placeholder such as a new entry's TODO)
Values = dict[tuple[str, str | None], Any]


def project_yaml() -> YAML:
    """Round-trip YAML in the layout of the knowledge/ files, so that only changed values differ."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long question onto a second line
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _put(mapping: CommentedMap, key: str, value: Any, order: tuple[str, ...]) -> None:
    """Set a key in place; a new key goes where `order` puts it (the contract's key and language order)."""
    if key in mapping:
        mapping[key] = value
        return
    rank = order.index(key)
    mapping.insert(
        max((i + 1 for i, k in enumerate(mapping) if k in order and order.index(k) < rank), default=0), key, value
    )


def _replace_items(seq: CommentedSeq, items: tuple[str, ...]) -> None:
    """Replace a list's items in place: unchanged items keep their quotes and comments, and the blank lines
    and comments after the list (kept by the YAML parser on its last item) stay after it."""
    last = len(seq) - 1
    old = {str(item).strip(): index for index, item in enumerate(seq) if item is not None}
    comments: dict[int, Any] = {}
    new_items: list[Any] = []
    for index, text in enumerate(items):
        old_index = old.get(text)
        new_items.append(text if old_index is None else seq[old_index])
        if old_index is not None and old_index != last and old_index in seq.ca.items:
            comments[index] = seq.ca.items[old_index]
    if last in seq.ca.items:
        comments[len(items) - 1] = seq.ca.items[last]
    seq.clear()
    seq.extend(new_items)
    seq.ca.items.clear()
    seq.ca.items.update(comments)


def edited_text(text: str, values: Values) -> str:
    """The file's text with the new values put in; everything else as it was."""
    yaml = project_yaml()
    doc = yaml.load(text)
    for (key, lang), value in values.items():
        if lang is None:
            if key == "sources":
                _replace_items(doc[key], value)
            else:
                doc[key] = value
            continue
        if value is None:
            if isinstance(doc.get(key), dict):
                doc[key].pop(lang, None)
            continue
        if not isinstance(doc.get(key), dict):
            _put(doc, key, CommentedMap(), ENTRY_KEYS)
        old = doc[key].get(lang)
        if key == "questions" and isinstance(old, CommentedSeq):  # a round-trip load gives every list as one
            _replace_items(old, value)
        elif key == "questions":
            _put(doc[key], lang, CommentedSeq(value), LANGUAGES)
        elif key == "answer":
            _put(doc[key], lang, LiteralScalarString(value + "\n"), LANGUAGES)  # `|` block, like every answer
        else:
            _put(doc[key], lang, type(old)(value) if isinstance(old, ScalarString) else value, LANGUAGES)
    buffer = io.StringIO()
    yaml.dump(doc, buffer)
    return buffer.getvalue()


def field_at(text: str, line: int) -> tuple[str | None, str | None]:
    """The top-level key, and the language within it, that the 1-based `line` of an entry file belongs to:
    the loader reports problems by line, a sheet by column and row."""

    def last_key_before(mapping: CommentedMap) -> Any:
        return next((k for k in reversed(list(mapping)) if mapping.lc.key(k)[0] < line), None)

    doc = YAML(typ="rt").load(text)
    key = last_key_before(doc)
    value = doc.get(key)
    return key, last_key_before(value) if isinstance(value, CommentedMap) else None
