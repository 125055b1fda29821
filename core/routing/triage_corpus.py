"""The triage corpora: messages labelled as emergency, request for a person, off-topic or ordinary.

Two corpora share this format (one JSON object per line, one file per language):
- `corpora/triage/` trains and tunes the triage model (written by one group of helpers);
- `tests/data/triage_eval/` and `triage_eval_2/` are the frozen evaluation sets (written apart by other
  helpers, who never saw the patterns or the training corpus; see their READMEs).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from core.config import ROOT
from core.languages import LANGUAGES

TRAINING_CORPUS = ROOT / "corpora" / "triage"


class Situation(StrEnum):
    """What is happening in an emergency message; `../shared`-independent ids used by both corpora."""

    COLLAPSE = "collapse"
    CHEST_STROKE = "chest_stroke"
    BREATHING = "breathing"
    POISONING = "poisoning"
    INJURY = "injury"
    SEIZURE = "seizure"
    ALLERGY = "allergy"
    PREGNANCY = "pregnancy"
    SUICIDE_DIRECT = "suicide_direct"
    SUICIDE_INDIRECT = "suicide_indirect"
    SUICIDE_THIRD_PERSON = "suicide_third_person"
    SELF_HARM = "self_harm"
    VIOLENCE_NOW = "violence_now"
    FOLLOWED_THREATENED = "followed_threatened"
    SEXUAL_ASSAULT = "sexual_assault"
    CHILD_DANGER = "child_danger"
    FIRE_GAS = "fire_gas"
    MISSING_CHILD = "missing_child"


class EmergencyKind(StrEnum):
    """Which first action the emergency reply names: 112 (medical, fire), 110 (police), the crisis line."""

    MEDICAL = "medical"
    FIRE = "fire"
    VIOLENCE = "violence"
    SUICIDE = "suicide"


KIND_OF_SITUATION: dict[Situation, EmergencyKind] = {
    **dict.fromkeys(
        (
            Situation.COLLAPSE,
            Situation.CHEST_STROKE,
            Situation.BREATHING,
            Situation.POISONING,
            Situation.INJURY,
            Situation.SEIZURE,
            Situation.ALLERGY,
            Situation.PREGNANCY,
        ),
        EmergencyKind.MEDICAL,
    ),
    **dict.fromkeys(
        (Situation.SUICIDE_DIRECT, Situation.SUICIDE_INDIRECT, Situation.SUICIDE_THIRD_PERSON, Situation.SELF_HARM),
        EmergencyKind.SUICIDE,
    ),
    **dict.fromkeys(
        (
            Situation.VIOLENCE_NOW,
            Situation.FOLLOWED_THREATENED,
            Situation.SEXUAL_ASSAULT,
            Situation.CHILD_DANGER,
            Situation.MISSING_CHILD,
        ),
        EmergencyKind.VIOLENCE,
    ),
    Situation.FIRE_GAS: EmergencyKind.FIRE,
}


class Label(StrEnum):
    """What the triage model tells apart."""

    EMERGENCY = "emergency"
    PERSON = "person"
    OFF_TOPIC = "off_topic"
    ORDINARY = "ordinary"


# The corpora's sets and the label each teaches; every other set is an ordinary (on-topic) message.
LABEL_OF_SET: dict[str, Label] = {"emergency": Label.EMERGENCY, "person": Label.PERSON, "off_topic": Label.OFF_TOPIC}
KNOWN_SETS = frozenset(
    {"emergency", "hard_negative", "person", "off_topic", "on_topic_casual", "ordinary", "latin_script"}
)


@dataclass(frozen=True)
class TriageExample:
    """One labelled message; the optional fields belong to some sets only."""

    language: str
    set: str
    text: str
    situation: Situation | None = None
    about_other: bool = False
    kind: str | None = None  # the kind of hard negative
    category: str | None = None  # the topic of a person request, ordinary or Latin-script question
    languages: tuple[str, ...] = ()  # languages a person request names

    @property
    def label(self) -> Label:
        return LABEL_OF_SET.get(self.set, Label.ORDINARY)

    @property
    def emergency_kind(self) -> EmergencyKind | None:
        return KIND_OF_SITUATION[self.situation] if self.situation else None


class CorpusError(ValueError):
    """A corpus line that does not follow the format (file and line in the message)."""


def _example(language: str, row: dict[str, object], where: str) -> TriageExample:
    text, set_name = row.get("text"), row.get("set")
    if not isinstance(text, str) or not text.strip() or set_name not in KNOWN_SETS:
        raise CorpusError(f"{where}: needs a non-empty 'text' and a 'set' out of {sorted(KNOWN_SETS)}")
    situation = row.get("situation")
    if set_name == "emergency" and situation not in set(Situation):
        raise CorpusError(f"{where}: an emergency needs a 'situation' out of {[s.value for s in Situation]}")
    languages = row.get("languages") or ()
    category = row.get("category")
    return TriageExample(
        language,
        str(set_name),
        text.strip(),
        Situation(str(situation)) if situation else None,
        row.get("who") == "other",
        str(row["kind"]) if row.get("kind") else None,
        str(category) if category else None,
        tuple(str(code) for code in languages) if isinstance(languages, list) else (),
    )


def load_corpus(directory: Path = TRAINING_CORPUS) -> list[TriageExample]:
    """Every example of the corpus in `directory` (files `<language>.jsonl`), duplicates within a file dropped."""
    examples: list[TriageExample] = []
    for language in LANGUAGES:
        path = directory / f"{language}.jsonl"
        if not path.exists():
            continue
        seen: set[tuple[str, str]] = set()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise CorpusError(f"{path}:{number}: not JSON ({error.msg})") from None
            example = _example(language, row, f"{path}:{number}")
            if (example.set, example.text) not in seen:
                seen.add((example.set, example.text))
                examples.append(example)
    return examples


@lru_cache(maxsize=1)
def training_corpus() -> tuple[TriageExample, ...]:
    """The training corpus, read once per process."""
    return tuple(load_corpus(TRAINING_CORPUS))
