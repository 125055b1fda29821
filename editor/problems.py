"""What `./lotse knowledge check` found, said in plain words next to the field it is about.

The loader's messages are written for people who edit YAML files ("delete the
line ..."); a volunteer in the editor sees a field and a sentence in their
interface language instead, chosen by the problem's code. Problems without a
code are shown as the loader wrote them, so a new rule is never hidden.
"""

from __future__ import annotations

from dataclasses import dataclass

from ruamel.yaml.error import YAMLError

from core.i18n.editor_texts import text
from core.knowledge.loader import MIN_QUESTIONS, Problem
from core.knowledge.yaml_edit import field_at


@dataclass(frozen=True)
class Finding:
    """One problem, placed at a field of the edit page and said in the volunteer's interface language."""

    field: str | None  # title, questions, answer, reviewed, sources, services; None: not one field
    language: str | None  # the content language it concerns; None: the whole entry
    message: str
    level: str  # "error": blocks saving / the bot leaves the entry out; "warning": worth fixing


def explain(problem: Problem, file_text: str, ui: str) -> Finding:
    """Plain words for `problem`, found in the entry file whose content is `file_text`."""
    try:
        key, lang = field_at(file_text, problem.line)
    except (YAMLError, AttributeError, TypeError):  # a file that is not valid YAML has no fields to point at
        key, lang = None, None
    if problem.code is None:  # a rule the editor has no words for yet: shown as the loader wrote it
        return Finding(key if isinstance(key, str) else None, lang, f"{problem.message}. {problem.fix}", problem.level)
    message = text(f"problem_{problem.code}", ui, min=MIN_QUESTIONS, **dict(problem.values))
    language = problem.language or (lang if problem.field is None else None)
    return Finding(problem.field or key, language, message, problem.level)
