"""The edit form's values: read from an entry file, read from a posted form, and what differs between them.

The difference is expressed as core.knowledge.yaml_edit values, so the editor
writes files exactly like `./lotse knowledge import`: only changed values, the
rest of the file as it was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedSeq

from core.knowledge.yaml_edit import Values
from core.taxonomy import SERVICE_KINDS

LANGUAGE_FIELDS: tuple[str, ...] = ("title", "questions", "answer")
ENTRY_FIELDS: tuple[str, ...] = ("reviewed", "sources", "services")


@dataclass(frozen=True)
class FormValues:
    """One language of an entry plus the fields of the whole entry, as the form shows them."""

    title: str = ""
    questions: tuple[str, ...] = ()
    answer: str = ""
    reviewed: str = ""  # ISO date; "" when the file has none (a new entry's TODO)
    sources: tuple[str, ...] = ()
    services: tuple[str, ...] = ()

    def version(self) -> str:
        """A short fingerprint: the form carries it, so a save can tell that someone else saved meanwhile."""
        return hashlib.sha256(json.dumps(asdict(self), ensure_ascii=False).encode("utf-8")).hexdigest()[:16]


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _answer(text: str) -> str:
    """Line ends and trailing spaces as the file keeps them, so an untouched answer compares equal."""
    return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").strip().split("\n"))


def _title(text: str) -> str:
    return " ".join(text.split())


def _in(doc: Mapping[str, Any], key: str, lang: str) -> Any:
    value = doc.get(key)
    return value.get(lang) if isinstance(value, dict) else None


def load_document(file_text: str) -> Mapping[str, Any]:
    """The entry file as a mapping (empty if it is something else); raises the YAML error of a broken file."""
    doc = YAML(typ="rt").load(file_text)
    return doc if isinstance(doc, dict) else {}


def file_values(doc: Mapping[str, Any], lang: str) -> FormValues:
    """What the form shows for `lang`; placeholders and TODOs of a new entry show as empty fields."""
    questions = _in(doc, "questions", lang)
    reviewed = doc.get("reviewed")
    sources = doc.get("sources")
    services = doc.get("services")
    return FormValues(
        title=_title(_text(_in(doc, "title", lang))),
        questions=tuple(_text(q) for q in questions if _text(q)) if isinstance(questions, list) else (),
        answer=_answer(_text(_in(doc, "answer", lang))),
        reviewed=reviewed.isoformat() if isinstance(reviewed, dt.date) else "",
        sources=tuple(_text(s) for s in sources if _text(s)) if isinstance(sources, list) else (),
        services=tuple(s for s in services if s in SERVICE_KINDS) if isinstance(services, list) else (),
    )


def posted_values(form: Mapping[str, list[str]]) -> FormValues:
    """The values a volunteer sent, normalised like the file's (browsers send \\r\\n; empty lines are dropped)."""

    def one(name: str) -> str:
        return (form.get(name) or [""])[0]

    chosen = set(form.get("services") or ())
    return FormValues(
        title=_title(one("title")),
        questions=_lines(one("questions")),
        answer=_answer(one("answer")),
        reviewed=one("reviewed").strip(),
        sources=_lines(one("sources")),
        services=tuple(kind for kind in SERVICE_KINDS if kind in chosen),
    )


def _flow(items: list[str]) -> CommentedSeq:
    """`services: [mbe, mo]` stays on one line, like in every entry file."""
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def changes(doc: Mapping[str, Any], lang: str, new: FormValues) -> Values:
    """What to write so that the file holds `new`; nothing for a field the volunteer left as it was.

    Emptying a field that has text is passed on as empty text, so the validation refuses it in plain
    words: the editor never deletes a translation. An empty field whose line in the file is an empty
    placeholder (a new entry's TODO) removes that line, so a volunteer can leave optional parts out.
    """
    old = file_values(doc, lang)
    values: Values = {}
    for field in LANGUAGE_FIELDS:
        before, after = getattr(old, field), getattr(new, field)
        if after != before:
            values[(field, lang)] = after
        elif not after and isinstance(doc.get(field), dict) and lang in doc[field]:
            values[(field, lang)] = None
    if new.reviewed and new.reviewed != old.reviewed:
        try:
            values[("reviewed", None)] = dt.date.fromisoformat(new.reviewed)
        except ValueError:
            values[("reviewed", None)] = new.reviewed  # the validation explains that it is no date
    if new.sources != old.sources:
        values[("sources", None)] = new.sources
    if set(new.services) != set(old.services):
        kept = [kind for kind in old.services if kind in new.services]
        values[("services", None)] = _flow(kept + [kind for kind in new.services if kind not in kept])
    return values


def changed_fields(values: Values) -> tuple[str, ...]:
    """The field names of `values`, in the form's order: what the audit log and the confirmation name."""
    keys = {key for key, _ in values}
    return tuple(field for field in (*LANGUAGE_FIELDS, *ENTRY_FIELDS) if field in keys)
