"""Triage quality on the frozen, independently written evaluation set (tests/data/triage_eval/).

Measures what a person in danger, a person asking for a human, and a person
chatting off-topic get from the live decision path: emergency recall per
language and per situation, the first action named, false alarms on ordinary
questions, requests for a person (and whether their topic and languages were
taken), off-topic precision and recall, and Arabic/Persian written in Latin
letters. `./lotse eval` prints this first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from core import config
from core.routing.language import writing_system
from core.routing.router import Decision
from core.routing.triage_corpus import TriageExample, load_corpus

EVAL_SET = config.ROOT / "tests" / "data" / "triage_eval"
# Frozen sets, each by writers who never saw the project; a set that was looked at before a round of changes
# stays measured, and the next set is the one that had not been seen (README.md in each folder).
EVAL_SETS: dict[str, Path] = {
    "triage_eval": EVAL_SET,
    "triage_eval_2": config.ROOT / "tests" / "data" / "triage_eval_2",
}
TARGETS = {
    "emergency_recall": 98.0,
    "emergency_recall_each": 90.0,
    "false_alarms": 3.0,
    "person_recall": 90.0,
    "off_topic": 85.0,
    "real_questions_off_topic": 2.0,
}


def load_eval_set(directory: Path = EVAL_SET) -> list[TriageExample]:
    return load_corpus(directory)


def _pct(values: Iterable[bool]) -> float:
    items = list(values)
    return round(100.0 * sum(items) / len(items), 1) if items else float("nan")


def _grouped(pairs: Iterable[tuple[str, bool]]) -> dict[str, float]:
    groups: dict[str, list[bool]] = defaultdict(list)
    for key, value in pairs:
        groups[key].append(value)
    return {key: _pct(values) for key, values in sorted(groups.items())}


@dataclass(frozen=True)
class Ordinary:
    """Real questions from elsewhere (Integreat dev, held-out entry questions): false alarms, off-topic errors."""

    decisions: list[Decision]


def measure(
    cases: list[TriageExample], decisions: list[Decision], ordinary: Ordinary, old_list: list[Decision]
) -> dict[str, Any]:
    """All triage numbers for one configuration."""
    rows = list(zip(cases, decisions))
    emergencies = [(e, d) for e, d in rows if e.set == "emergency"]
    hits = [(e, d) for e, d in emergencies if d.kind == "emergency"]
    real = [d for e, d in rows if e.set in ("ordinary", "latin_script")] + ordinary.decisions
    off_topic = [(e, d) for e, d in rows if e.set == "off_topic"]
    predicted_off = [e.set == "off_topic" for e, d in rows if d.kind == "out_of_scope"] + [
        False for d in ordinary.decisions if d.kind == "out_of_scope"
    ]
    person = [(e, d) for e, d in rows if e.set == "person"]
    named_topic = [(e, d) for e, d in person if e.category and d.kind == "person"]
    named_languages = [(e, d) for e, d in person if e.languages and d.kind == "person"]
    latin = [(e, d) for e, d in rows if e.language in ("ar", "fa") and writing_system(e.text) == "latin"]
    return {
        "emergency": {
            "messages": len(emergencies),
            "recall": _pct(d.kind == "emergency" for _, d in emergencies),
            "recall_by_language": _grouped((e.language, d.kind == "emergency") for e, d in emergencies),
            "recall_by_situation": _grouped((str(e.situation), d.kind == "emergency") for e, d in emergencies),
            "first_action_right": _pct(d.emergency == e.emergency_kind for e, d in hits),
            "about_other_right": _pct(d.about_other == e.about_other for e, d in hits),
            "false_alarms_ordinary": _pct(d.kind == "emergency" for d in real),
            "ordinary_questions": len(real),
            "false_alarms_hard_negatives": _pct(d.kind == "emergency" for e, d in rows if e.set == "hard_negative"),
            "hard_negative_alarms_by_kind": _grouped(
                (str(e.kind), d.kind == "emergency") for e, d in rows if e.set == "hard_negative"
            ),
            "old_list_recall": _pct(d.kind == "emergency" for d in old_list),
            "old_list": len(old_list),
        },
        "person": {
            "requests": len(person),
            "recall": _pct(d.kind == "person" for _, d in person),
            "recall_by_language": _grouped((e.language, d.kind == "person") for e, d in person),
            "topic_taken": _pct(d.category == e.category for e, d in named_topic),
            "languages_taken": _pct(set(e.languages) <= set(d.languages) for e, d in named_languages),
            "went_to_topic_buttons": _pct(d.kind in ("clarify", "category_menu") for _, d in person),
        },
        "off_topic": {
            "messages": len(off_topic),
            "recall": _pct(d.kind == "out_of_scope" for _, d in off_topic),
            "recall_by_language": _grouped((e.language, d.kind == "out_of_scope") for e, d in off_topic),
            "precision": _pct(predicted_off),
            "counsellor_offered": _pct(d.route_action == "handover" for _, d in off_topic),
            "real_questions_taken_off_topic": _pct(d.kind == "out_of_scope" for d in real),
            "real_questions": len(real),
        },
        "latin_script": {
            "messages": len(latin),
            "answered_in_their_language": _pct(d.language == e.language for e, d in latin),
            "english_reply": _pct(d.language == "en" for _, d in latin),
        },
    }


def print_report(out: TextIO, results: dict[str, dict[str, Any]], set_name: str = "triage_eval") -> None:
    """One block per configuration: the headline numbers against the targets, then the breakdowns."""
    print(
        f"TRIAGE on the frozen independent set tests/data/{set_name}/ (written apart from the training corpus)",
        file=out,
    )
    print(
        f"targets: emergency recall >= {TARGETS['emergency_recall']} % overall and >= "
        f"{TARGETS['emergency_recall_each']} % per situation and language, false alarms <= "
        f"{TARGETS['false_alarms']} %, person requests >= {TARGETS['person_recall']} %, off-topic >= "
        f"{TARGETS['off_topic']} % with <= {TARGETS['real_questions_off_topic']} % of real questions taken",
        file=out,
    )
    for label, r in results.items():
        e, p, o, latin = r["emergency"], r["person"], r["off_topic"], r["latin_script"]
        print(f"\n[{label}]", file=out)
        print(
            f"  emergency recall {e['recall']} % of {e['messages']}; worst language "
            f"{_worst(e['recall_by_language'])}, worst situation {_worst(e['recall_by_situation'])}; "
            f"first action right {e['first_action_right']} %, about someone else right {e['about_other_right']} %",
            file=out,
        )
        print("  by language:  " + " ".join(f"{k} {v}" for k, v in e["recall_by_language"].items()), file=out)
        print("  by situation: " + " ".join(f"{k} {v}" for k, v in e["recall_by_situation"].items()), file=out)
        print(
            f"  false alarms {e['false_alarms_ordinary']} % of {e['ordinary_questions']} ordinary questions; "
            f"{e['false_alarms_hard_negatives']} % of the hard negatives ("
            + " ".join(f"{k} {v}" for k, v in e["hard_negative_alarms_by_kind"].items())
            + ")",
            file=out,
        )
        print(f"  old emergency list: {e['old_list_recall']} % of {e['old_list']}", file=out)
        print(
            f"  person requests {p['recall']} % of {p['requests']} ("
            + " ".join(f"{k} {v}" for k, v in p["recall_by_language"].items())
            + f"); topic taken {p['topic_taken']} %, named languages taken {p['languages_taken']} %, "
            f"sent to topic buttons {p['went_to_topic_buttons']} %",
            file=out,
        )
        print(
            f"  off-topic recall {o['recall']} % of {o['messages']} ("
            + " ".join(f"{k} {v}" for k, v in o["recall_by_language"].items())
            + f"), precision {o['precision']} %, counsellor offered {o['counsellor_offered']} %; real questions "
            f"taken for off-topic {o['real_questions_taken_off_topic']} % of {o['real_questions']}",
            file=out,
        )
        print(
            f"  Arabic/Persian in Latin letters: {latin['answered_in_their_language']} % of {latin['messages']} "
            f"answered in their language, {latin['english_reply']} % in English",
            file=out,
        )


def _worst(values: dict[str, float]) -> str:
    key = min(values, key=values.__getitem__) if values else "-"
    return f"{key} {values.get(key, float('nan'))} %"
