"""What `./lotse knowledge check` found, said in plain words next to the field it is about.

The loader's messages are written for people who edit YAML files ("delete the
line ..."); a volunteer in the editor sees a field and a sentence in their
interface language instead. Messages not known here are shown as the loader
wrote them, so a new rule in the loader is never hidden.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ruamel.yaml.error import YAMLError

from actions.knowledge_loader import MIN_QUESTIONS, Problem
from editor.texts import text
from tools.knowledge_yaml_edit import field_at

_LANG = r"'(?P<lang>[a-z]{2,3})'"
# (loader message, text key, the field it is about; None: the field at the problem's line)
_KNOWN: tuple[tuple[re.Pattern[str], str, str | None], ...] = tuple(
    (re.compile(pattern), key, field) for pattern, key, field in (
        (rf"^'answer' in {_LANG} is empty$", "problem_answer_empty", "answer"),
        (rf"^'title' in {_LANG} is empty$", "problem_title_empty", "title"),
        (rf"^'questions' in {_LANG} must be a list of questions$", "problem_questions_empty", "questions"),
        (rf"^'\w+' in {_LANG} has empty lines$", "problem_empty_lines", None),
        (rf"^answer in {_LANG} has (?P<count>\d+) characters, more than (?P<max>\d+)$", "problem_answer_too_long",
         "answer"),
        (rf"^title in {_LANG} has (?P<count>\d+) characters, more than (?P<max>\d+)$", "problem_title_too_long",
         "title"),
        (rf"^only (?P<count>\d+) questions in {_LANG}$", "problem_few_questions", "questions"),
        (rf"^language {_LANG} has questions but no answer$", "problem_no_answer", "answer"),
        (rf"^language {_LANG} has answer but no questions$", "problem_no_questions", "questions"),
        (r"^German \(de\) questions and answer are required$", "problem_german_required", None),
        (r"^'reviewed' must be a date", "problem_reviewed_invalid", "reviewed"),
        (r"^'reviewed' .* is in the future$", "problem_reviewed_future", "reviewed"),
        (r"^last reviewed on .*\(stale\)$", "problem_stale", "reviewed"),
        (r"^'sources' must list at least one official web page$", "problem_sources_empty", "sources"),
        (r"^source '(?P<value>.*)' is not a web address$", "problem_source_invalid", "sources"),
        (r"^'services' must be a list of service kinds", "problem_services_invalid", "services"),
    ))


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
    for pattern, text_key, field in _KNOWN:
        match = pattern.search(problem.message)
        if match:
            values = match.groupdict()
            lang = values.pop("lang", None) or (lang if field is None else None)
            message = text(text_key, ui, min=MIN_QUESTIONS, **values)
            return Finding(field or key, lang, message, problem.level)
    return Finding(key if isinstance(key, str) else None, lang, f"{problem.message}. {problem.fix}", problem.level)
