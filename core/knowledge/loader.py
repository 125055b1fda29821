"""Read and validate knowledge/ (the contract in ../shared/knowledge-format.md).

Volunteers edit these files by hand, so every problem is reported with the
file, the line and a fix in plain words, and a broken file never stops the bot:
it is left out and the rest is served.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer, MaxDepthExceededError
from ruamel.yaml.error import MarkedYAMLError

from core.knowledge.base import Entry, KnowledgeBase, Service
from core.languages import LANGUAGES, REFERENCE_LANGUAGE
from core.payloads import CALLBACK_DATA_LIMIT, handover_payload, payload
from core.taxonomy import CATEGORIES, SERVICE_KINDS

MAX_ANSWER_CHARS = 900
MAX_TITLE_CHARS = 40
# Ids travel in Telegram buttons of at most 64 bytes (entries in menus, services with a Telegram handover in
# proposals): the longest payload that carries each must still fit.
MAX_ENTRY_ID_CHARS = CALLBACK_DATA_LIMIT - len(payload("choose_entry", entry=""))
MAX_SERVICE_ID_CHARS = CALLBACK_DATA_LIMIT - len(handover_payload(service=""))
MIN_QUESTIONS = 8
STALE_AFTER_DAYS = 365
# Files are read whole and their values copied into messages, so size and shape are capped before use.
# The largest file today is 25 KB (eight languages of questions and answer); 256 KB leaves ten times
# that room for real growth while a pasted document or generated junk stays out.
MAX_FILE_BYTES = 256 * 1024
# An entry nests 4 levels (entry, questions, language, question), a service 5; 20 stops a file of
# brackets long before Python's recursion limit would break the whole load.
MAX_DEPTH = 20

ENTRY_KEYS = ("id", "category", "services", "reviewed", "sources", "title", "questions", "answer")
REQUIRED_ENTRY_KEYS = ("id", "category", "services", "reviewed", "sources", "questions", "answer")
SERVICE_KEYS = (
    "id",
    "name",
    "kind",
    "categories",
    "languages",
    "region",
    "ages",
    "contact",
    "hours",
    "response_time",
    "handover",
    "example",
    "source",
)
REQUIRED_SERVICE_KEYS = ("id", "name", "kind", "categories", "languages", "region", "contact", "handover", "example")
HANDOVER_CHANNELS = ("none", "telegram", "email")
ENTRY_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_SERVICE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_URL = re.compile(r"^https?://[^\s]+\.[^\s]+$")
# Sample organisations must not look real: only reserved example domains
# (RFC 2606) and the Federal Network Agency's fictional "drama" numbers.
_EXAMPLE_DOMAIN = re.compile(r"(^|[@./])example\.(org|com|net)(/|$)")
_DRAMA_NUMBER = re.compile(r"^\+49 ?(30 ?23125|69 ?90009|40 ?66969|89 ?99998) ?\d{3}$")
# Rasa reads `[text](entity)`, `[text]{...}` and `[text][...]` in a training example as entity markup;
# a malformed one makes the whole NLU file unreadable and every retrain fail.
_ENTITY_MARKUP = re.compile(r"\[[^\]]*\][(\[{]")


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one file, said so that a volunteer can fix it.

    `message` and `fix` are for people who edit the YAML files; `code` (with `field`, `language` and
    `values`) lets the editor say the same in a volunteer's interface language next to the field, without
    reading the English wording. Problems without a code are shown as written.
    """

    path: str
    line: int
    message: str
    fix: str
    level: str = "error"  # "error": the file is left out; "warning": served, but should be fixed
    code: str | None = None  # e.g. "answer_too_long"; the editor's text is "problem_" + code
    field: str | None = None  # the entry field it is about (title, questions, answer, reviewed, sources, services)
    language: str | None = None  # the content language it concerns
    values: tuple[tuple[str, str], ...] = ()  # what the text names, e.g. (("count", "712"), ("max", "600"))

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.level}: {self.message}\n    fix: {self.fix}"


@dataclass
class LoadResult:
    """The usable knowledge plus everything that was wrong with the files."""

    knowledge: KnowledgeBase
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]


class _FileChecker:
    """Collects problems for one file, with line numbers from the YAML parser."""

    def __init__(self, path: Path, root: Path) -> None:
        self.path = path
        self.display = str(path.relative_to(root.parent)) if path.is_relative_to(root.parent) else str(path)
        self.problems: list[Problem] = []

    def add(
        self,
        node: Any,
        key: Any,
        message: str,
        fix: str,
        level: str = "error",
        *,
        code: str | None = None,
        field: str | None = None,
        language: str | None = None,
        **values: object,
    ) -> None:
        self.problems.append(
            Problem(
                self.display,
                _line(node, key),
                message,
                fix,
                level,
                code,
                field,
                language,
                tuple((name, str(value)) for name, value in values.items()),
            )
        )

    @property
    def failed(self) -> bool:
        return any(p.level == "error" for p in self.problems)


def _line(node: Any, key: Any = None) -> int:
    """1-based line of `node[key]` (or of `node`) as the YAML parser saw it."""
    lc = getattr(node, "lc", None)
    if lc is None:
        return 1
    try:
        if key is None:
            return lc.line + 1
        if isinstance(key, int):
            return lc.item(key)[0] + 1
        return lc.key(key)[0] + 1
    except (KeyError, IndexError, TypeError, AttributeError):
        return lc.line + 1


class _AnchorError(MarkedYAMLError):
    """A YAML anchor (&name) or alias (*name) in a knowledge file."""


class _NoAnchorComposer(Composer):
    """Refuses the first anchor or alias: an alias repeats a whole subtree without writing it out, so a
    few hundred bytes of nested aliases expand to megabytes wherever the value is copied or printed (an
    "alias bomb"), and no knowledge file needs them."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        if event.anchor is not None:  # an alias event carries the name it refers to here
            raise _AnchorError(problem="found an anchor or alias", problem_mark=event.start_mark)
        return super().compose_node(parent, index)


def _knowledge_yaml() -> YAML:
    """Round-trip YAML (it keeps the line numbers) without anchors and with a depth limit."""
    yaml = YAML(typ="rt")
    yaml.Composer = _NoAnchorComposer
    yaml.max_depth = MAX_DEPTH
    return yaml


def _yaml_problem(error: MarkedYAMLError) -> tuple[str, str]:
    """What is wrong and how to fix it, for a file the YAML parser refused."""
    if isinstance(error, _AnchorError):
        return (
            "the file uses a YAML anchor or alias (&name or *name)",
            "write every value out in full; put a text that starts with & or * in double quotes",
        )
    if isinstance(error, MaxDepthExceededError):
        return (
            f"the file is nested more than {MAX_DEPTH} levels deep",
            "keep the structure of a working file: keys, then languages, then texts or lists of texts",
        )
    return (
        f"the file is not valid YAML ({error.problem or error.context})",
        "check the indentation (spaces, not tabs) and put text containing ': ' or '#' in double quotes",
    )


def _read_yaml(checker: _FileChecker) -> Any:
    """The file's content, or None with the problem recorded; at most MAX_FILE_BYTES are ever read."""
    with checker.path.open("rb") as file:
        data = file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        checker.problems.append(
            Problem(
                checker.display,
                1,
                f"the file is larger than {MAX_FILE_BYTES // 1024} KB",
                "remove pasted or repeated text; split a large topic into two entries, services into one file per city",
            )
        )
        return None
    try:
        return _knowledge_yaml().load(data.decode("utf-8"))
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        checker.problems.append(Problem(checker.display, mark.line + 1 if mark else 1, *_yaml_problem(error)))
    except UnicodeDecodeError:
        checker.problems.append(
            Problem(checker.display, 1, "the file is not UTF-8 text", "save the file as UTF-8 in your editor")
        )
    return None


def _check_language_map(checker: _FileChecker, doc: Any, key: str, kind: type) -> dict[str, Any]:
    """Validate a `{language: value}` map; returns only the valid languages."""
    value = doc.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        checker.add(
            doc,
            key,
            f"'{key}' must list languages, one per line (de:, en:, ...)",
            f"write '{key}:' and below it '  de: ...' for each language",
        )
        return {}
    result: dict[str, Any] = {}
    for lang, item in value.items():
        if lang not in LANGUAGES:
            checker.add(
                value, lang, f"unknown language code '{lang}' in '{key}'", f"use one of: {', '.join(LANGUAGES)}"
            )
            continue
        if kind is list:
            if not isinstance(item, list) or not item:
                checker.add(
                    value,
                    lang,
                    f"'{key}' in '{lang}' must be a list of questions",
                    "write each question on its own line starting with '- '",
                    code=f"{key}_empty",
                    field=key,
                    language=lang,
                )
                continue
            texts = [str(q).strip() for q in item if q is not None and str(q).strip()]
            if len(texts) != len(item):
                checker.add(
                    value,
                    lang,
                    f"'{key}' in '{lang}' has empty lines",
                    "remove the '- ' lines that have no text",
                    "warning",
                    code="empty_lines",
                    language=lang,
                )
            result[lang] = tuple(texts)
        else:
            if not isinstance(item, str) or not item.strip():
                checker.add(
                    value,
                    lang,
                    f"'{key}' in '{lang}' is empty",
                    "write the text, or delete the line so the translation counts as missing",
                    code=f"{key}_empty",
                    field=key,
                    language=lang,
                )
                continue
            result[lang] = item.strip()
    return result


def _check_question_markup(checker: _FileChecker, doc: Any, questions: dict[str, tuple[str, ...]]) -> None:
    """Refuse questions Rasa would read as entity markup (the editor then refuses to save them too).

    The problem names the question by number and line, not by its text: a question can come from an
    anonymous chat through the inbox, and problems are logged.
    """
    for lang in questions:
        items = doc["questions"][lang]
        for index, item in enumerate(items):
            if item is not None and _ENTITY_MARKUP.search(str(item)):
                checker.add(
                    items,
                    index,
                    f"question {index + 1} in '{lang}' has square brackets directly followed "
                    "by a bracket, like '[Kindergeld](Antrag)'; the bot's training reads that as markup",
                    "leave out the square brackets; use round brackets alone, like 'Kindergeld (Antrag)'",
                )


def _check_entry(checker: _FileChecker, doc: Any, today: dt.date) -> Entry | None:
    if not isinstance(doc, dict):
        checker.add(
            doc,
            None,
            "an entry file must be a mapping of keys (id:, category:, ...)",
            "start from a working entry file and keep its structure",
        )
        return None
    for key in doc:
        if key not in ENTRY_KEYS:
            checker.add(doc, key, f"unknown key '{key}'", f"allowed keys: {', '.join(ENTRY_KEYS)}")
    for key in REQUIRED_ENTRY_KEYS:
        if key not in doc:
            checker.add(doc, None, f"the key '{key}' is missing", f"add '{key}:' (see knowledge/README.md)")
    if checker.failed:
        return None

    entry_id, category = str(doc["id"]), str(doc["category"])
    if not ENTRY_ID.match(entry_id):
        checker.add(
            doc,
            "id",
            f"id '{entry_id}' is not lower_snake_case ascii",
            "use only a-z, 0-9 and _, e.g. 'aufenthalt_verlaengern'",
        )
    if len(entry_id) > MAX_ENTRY_ID_CHARS:
        checker.add(
            doc,
            "id",
            f"id '{entry_id}' has {len(entry_id)} characters, more than {MAX_ENTRY_ID_CHARS}",
            "use a shorter id (and file name): the bot's buttons carry it",
        )
    if entry_id != checker.path.stem:
        checker.add(
            doc,
            "id",
            f"id '{entry_id}' differs from the file name '{checker.path.name}'",
            f"rename the file to '{entry_id}.yml' or change the id to '{checker.path.stem}'",
        )
    if category not in CATEGORIES:
        checker.add(doc, "category", f"unknown category '{category}'", f"use one of: {', '.join(CATEGORIES)}")
    elif checker.path.parent.name != category:
        checker.add(
            doc,
            "category",
            f"the file is in folder '{checker.path.parent.name}' but has category '{category}'",
            f"move the file to knowledge/entries/{category}/",
        )

    services = doc["services"]
    if not isinstance(services, list) or any(s not in SERVICE_KINDS for s in services):
        checker.add(
            doc,
            "services",
            f"'services' must be a list of service kinds, got {services!r}",
            f"use kinds from: {', '.join(SERVICE_KINDS)}, e.g. [mbe, mo]",
            code="services_invalid",
            field="services",
        )

    reviewed = doc["reviewed"]
    if not isinstance(reviewed, dt.date):
        checker.add(
            doc,
            "reviewed",
            f"'reviewed' must be a date, got {reviewed!r}",
            "write it as 2026-11-01",
            code="reviewed_invalid",
            field="reviewed",
        )
    elif reviewed > today:
        checker.add(
            doc,
            "reviewed",
            f"'reviewed' {reviewed} is in the future",
            "write the date you checked",
            code="reviewed_future",
            field="reviewed",
        )
    elif (today - reviewed).days > STALE_AFTER_DAYS:
        checker.add(
            doc,
            "reviewed",
            f"last reviewed on {reviewed}, more than 12 months ago (stale)",
            "check the facts against the sources and set 'reviewed' to today's date",
            "warning",
            code="stale",
            field="reviewed",
        )

    sources = doc["sources"]
    if not isinstance(sources, list) or not sources:
        checker.add(
            doc,
            "sources",
            "'sources' must list at least one official web page",
            "add a line '  - https://...' with the official page the facts come from",
            code="sources_empty",
            field="sources",
        )
        sources = []
    for index, url in enumerate(sources):
        if not isinstance(url, str) or not _URL.match(url):
            checker.add(
                sources,
                index,
                f"source {url!r} is not a web address",
                "write the full address starting with https://",
                code="source_invalid",
                field="sources",
                value=url,
            )

    questions = _check_language_map(checker, doc, "questions", list)
    _check_question_markup(checker, doc, questions)
    answers = _check_language_map(checker, doc, "answer", str)
    titles = _check_language_map(checker, doc, "title", str)
    for lang, text in answers.items():
        if len(text) > MAX_ANSWER_CHARS:
            checker.add(
                doc["answer"],
                lang,
                f"answer in '{lang}' has {len(text)} characters, more than {MAX_ANSWER_CHARS}",
                "shorten it: next step first, details via the source link",
                code="answer_too_long",
                field="answer",
                language=lang,
                count=len(text),
                max=MAX_ANSWER_CHARS,
            )
    for lang, text in titles.items():
        if len(text) > MAX_TITLE_CHARS:
            checker.add(
                doc["title"],
                lang,
                f"title in '{lang}' has {len(text)} characters, more than {MAX_TITLE_CHARS}",
                "use a short label, like 'Registering your address'",
                code="title_too_long",
                field="title",
                language=lang,
                count=len(text),
                max=MAX_TITLE_CHARS,
            )
    for lang in sorted(set(questions) ^ set(answers)):
        where, missing = ("questions", "answer") if lang in questions else ("answer", "questions")
        checker.add(
            doc,
            where,
            f"language '{lang}' has {where} but no {missing}",
            f"add the {missing} in '{lang}' or remove the '{lang}' {where}",
            "warning",
            code=f"no_{missing}",
            field=missing,
            language=lang,
        )
    for lang, items in questions.items():
        if len(items) < MIN_QUESTIONS:
            checker.add(
                doc["questions"],
                lang,
                f"only {len(items)} questions in '{lang}'",
                f"add questions until there are at least {MIN_QUESTIONS}, written the way people ask",
                "warning",
                code="few_questions",
                field="questions",
                language=lang,
                count=len(items),
            )
    if REFERENCE_LANGUAGE not in answers or REFERENCE_LANGUAGE not in questions:
        checker.add(
            doc,
            None,
            "German (de) questions and answer are required",
            "add 'de:' to questions and answer",
            code="german_required",
        )
    if checker.failed:
        return None
    return Entry(
        id=entry_id,
        category=category,
        services=tuple(services),
        reviewed=reviewed,
        sources=tuple(sources),
        questions=questions,
        answer=answers,
        title=titles,
        path=checker.display,
    )


def _check_service(checker: _FileChecker, items: Any, index: int, doc: Any, region_file: str) -> Service | None:
    before = len(checker.problems)

    def add(key: Any, message: str, fix: str) -> None:
        checker.add(doc if key is not None else items, key if key is not None else index, message, fix)

    if not isinstance(doc, dict):
        add(None, "each service must be a mapping (id:, name:, kind:, ...)", "start the service with '- id: ...'")
        return None
    for key in doc:
        if key not in SERVICE_KEYS:
            add(key, f"unknown key '{key}'", f"allowed keys: {', '.join(SERVICE_KEYS)}")
    missing = [key for key in REQUIRED_SERVICE_KEYS if key not in doc]
    if missing:
        add(None, f"service {doc.get('id', index + 1)!r} misses {', '.join(missing)}", "add the missing keys")
        return None
    if not _SERVICE_ID.match(str(doc["id"])):
        add("id", f"service id {doc['id']!r} is not lower-case ascii", "use a-z, 0-9, '-' and '_'")
    elif doc.get("handover") == "telegram" and len(str(doc["id"])) > MAX_SERVICE_ID_CHARS:
        add(
            "id",
            f"service id {doc['id']!r} is longer than {MAX_SERVICE_ID_CHARS} characters, and its "
            "handover button carries it",
            "use a shorter id",
        )
    if doc["kind"] not in SERVICE_KINDS:
        add("kind", f"unknown service kind {doc['kind']!r}", f"use one of: {', '.join(SERVICE_KINDS)}")
    if not isinstance(doc["categories"], list) or any(c not in CATEGORIES for c in doc["categories"]):
        add(
            "categories",
            f"'categories' must be a list of categories, got {doc['categories']!r}",
            f"use categories from: {', '.join(CATEGORIES)}",
        )
    languages = doc["languages"]
    if (
        not isinstance(languages, list)
        or not languages
        or not all(isinstance(lang, str) and re.fullmatch(r"[a-z]{2,3}", lang) for lang in languages)
    ):
        add("languages", "'languages' must list language codes", "write e.g. [de, en, ar]")
    region = doc["region"]
    national = isinstance(region, dict) and region.get("national") is True
    cities = tuple(region.get("cities") or ()) if isinstance(region, dict) else ()
    postcodes = tuple(str(p) for p in region.get("postcodes") or ()) if isinstance(region, dict) else ()
    if not national and not cities:
        add("region", "'region' must be {national: true} or name cities", "write {cities: [dortmund]}")
    if region_file == "national" and not national:
        add(
            "region",
            "a service in national.yml must have region {national: true}",
            "move local services to the city's file",
        )
    if doc["handover"] not in HANDOVER_CHANNELS:
        add("handover", f"unknown handover {doc['handover']!r}", f"use one of: {', '.join(HANDOVER_CHANNELS)}")
    if not isinstance(doc["example"], bool):
        add("example", "'example' must be true or false", "true = sample data, false = real and verified")
    contact = doc["contact"] if isinstance(doc["contact"], dict) else {}
    if not contact:
        add("contact", "'contact' must give at least one way to reach the service", "add phone:, web: or email:")
    if doc["example"] is False and not doc.get("source"):
        add("example", "a real service (example: false) needs a 'source'", "add 'source: https://...' (official page)")
    if doc["example"] is True:
        for key in ("web", "email"):
            if contact.get(key) and not _EXAMPLE_DOMAIN.search(str(contact[key])):
                add(
                    "contact",
                    f"sample service uses a real-looking {key} {contact[key]!r}",
                    "sample data must use example.org addresses",
                )
        if contact.get("phone") and not _DRAMA_NUMBER.match(str(contact["phone"])):
            add(
                "contact",
                f"sample service uses a real-looking phone {contact['phone']!r}",
                "use a fictional number such as '+49 30 23125 123' or none",
            )
    ages = doc.get("ages") or {}
    if len(checker.problems) > before and any(p.level == "error" for p in checker.problems[before:]):
        return None
    return Service(
        id=str(doc["id"]),
        name=str(doc["name"]),
        kind=str(doc["kind"]),
        categories=tuple(doc["categories"]),
        languages=tuple(languages),
        national=national,
        cities=cities,
        postcodes=postcodes,
        contact={k: str(v) for k, v in contact.items() if v},
        hours=str(doc.get("hours") or ""),
        response_time=str(doc.get("response_time") or ""),
        handover=str(doc["handover"]),
        example=bool(doc["example"]),
        min_age=ages.get("min"),
        max_age=ages.get("max"),
        source=str(doc.get("source") or ""),
    )


def load_knowledge(root: Path, today: dt.date | None = None) -> LoadResult:
    """Load every entry and service below `root`; never raises on bad content."""
    today = today or dt.date.today()
    knowledge = KnowledgeBase()
    problems: list[Problem] = []
    if not (root / "entries").is_dir():
        problems.append(Problem(str(root), 1, "no 'entries' folder", "create knowledge/entries/<category>/"))
    for path in sorted((root / "entries").glob("**/*.y*ml")):
        checker = _FileChecker(path, root)
        doc = _read_yaml(checker)
        entry = _check_entry(checker, doc, today) if not checker.problems else None
        if entry and entry.id in knowledge.entries:
            checker.add(
                doc,
                "id",
                f"id '{entry.id}' is used twice (also {knowledge.entries[entry.id].path})",
                "give one of them another id and file name",
            )
            entry = None
        if entry:
            knowledge.entries[entry.id] = entry
        problems.extend(checker.problems)
    for path in sorted((root / "services").glob("*.y*ml")):
        checker = _FileChecker(path, root)
        items = _read_yaml(checker)
        if not checker.problems and not isinstance(items, list):
            checker.add(
                items, None, "a services file must be a list of services", "start each service with '- id: ...'"
            )
        for index, doc in enumerate(items if isinstance(items, list) else []):
            service = _check_service(checker, items, index, doc, path.stem)
            if service and service.id in knowledge.services:
                checker.add(doc, "id", f"service id '{service.id}' is used twice", "make the ids unique")
            elif service:
                knowledge.services[service.id] = service
        problems.extend(checker.problems)
    return LoadResult(knowledge, problems)


def missing_translations(knowledge: KnowledgeBase) -> dict[str, list[str]]:
    """Entry id -> languages without an answer; for `./lotse knowledge check`."""
    return {
        entry.id: [lang for lang in LANGUAGES if lang not in entry.answer]
        for entry in knowledge.entries.values()
        if any(lang not in entry.answer for lang in LANGUAGES)
    }
