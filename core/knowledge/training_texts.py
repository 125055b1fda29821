"""What the routing models learn from: knowledge questions, titles, answer sentences, Integreat.

Answer sentences are examples too: people ask with the words the answer uses
("Tagesmutter", "Apostille") even when no written question variant does
(docs/decisions/003-training-texts.md).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from core.config import ROOT
from core.knowledge.base import KnowledgeBase
from core.taxonomy import CATEGORIES

INTEGREAT_TRAIN = ROOT / "corpora" / "integreat" / "train.jsonl"

_SENTENCE_END = re.compile(r"(?<=[.!?؟।])\s+|\n+")
MIN_SENTENCE_CHARS = 16  # shorter pieces ("Tel.", list numbers) carry no topic
# Real questions count double against the entries' own texts when learning categories: they are
# phrased like users' messages, answer sentences are not (docs/decisions/003-training-texts.md).
INTEGREAT_WEIGHT = 2.0
# Many Integreat questions name a second acceptable category ("alt": a course for refugee women is
# language and family); it is learned too, at half weight: the evaluation accepts either label, and so does a
# user's counsellor (docs/decisions/003-training-texts.md). An alt of out_of_scope is not learned: the category
# guess must name a topic a service covers.
INTEGREAT_ALT_WEIGHT = 1.0


def entry_examples(knowledge: KnowledgeBase) -> Iterator[tuple[str, str]]:
    """(text, entry id) for every question, title and answer sentence of every entry."""
    for entry in sorted(knowledge.entries.values(), key=lambda e: e.id):
        for questions in entry.questions.values():
            for question in questions:
                yield question, entry.id
        for title in entry.title.values():
            yield title, entry.id
        for answer in entry.answer.values():
            for sentence in _SENTENCE_END.split(answer):
                if len(sentence.strip()) >= MIN_SENTENCE_CHARS:
                    yield sentence.strip(), entry.id


def integreat_examples(path: Path = INTEGREAT_TRAIN) -> Iterator[tuple[str, str, float]]:
    """(question, category, weight) from the Integreat training split, alt labels included; nothing if absent."""
    if not path.exists():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            yield row["text"], row["category"], INTEGREAT_WEIGHT
            if row.get("alt") in CATEGORIES:
                yield row["text"], row["alt"], INTEGREAT_ALT_WEIGHT


def category_examples(knowledge: KnowledgeBase) -> Iterator[tuple[str, str, float]]:
    """(text, category, weight): every entry example labelled with its entry's category, plus Integreat."""
    category_of = {entry.id: entry.category for entry in knowledge.entries.values()}
    for text, entry_id in entry_examples(knowledge):
        yield text, category_of[entry_id], 1.0
    yield from integreat_examples()
