"""The unanswered-questions inbox: what the bot could not answer, turned into questions or new entries.

Each group's example is hidden until a volunteer chooses to read it (a form
button, so it works without JavaScript): what people wrote stays off screens
that others may see, and each reading is recorded in the audit log (who, when,
which message; never the text). A shown group offers one-click actions: add its
example as a question to a suggested entry (or any other), start a new entry
from it (scaffolded by core/knowledge/scaffold.py, then opened in the editor),
or remove it as not relevant. Adding goes through the same validated save as
the edit page; the group's messages leave the inbox only once its action has
succeeded.
"""

from __future__ import annotations

import io
import re
import unicodedata

from sanic import Request, Sanic
from sanic.response import HTTPResponse
from sqlalchemy.exc import SQLAlchemyError

from core.i18n.editor_texts import language_name
from core.knowledge.loader import ENTRY_ID, MAX_ENTRY_ID_CHARS
from core.knowledge.scaffold import new_entry
from core.languages import LANGUAGES
from core.taxonomy import CATEGORIES
from editor import audit
from editor.context import Editor
from editor.problems import explain
from editor.saving import INVALID, SAVED

GROUPS_SHOWN = 50  # each group carries a list of all entries; more would make the page slow on a phone
_GERMAN_LETTERS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def entry_id_from_name(name: str) -> str:
    """A file name from a topic's name, written like entry ids: 'Kindergeld beantragen' -> kindergeld_beantragen."""
    ascii_text = unicodedata.normalize("NFKD", name.lower().translate(_GERMAN_LETTERS)).encode("ascii", "ignore")
    entry_id = re.sub(r"[^a-z0-9]+", "_", ascii_text.decode("ascii")).strip("_")
    if len(entry_id) > MAX_ENTRY_ID_CHARS:  # cut at a word, so the id still reads as the topic
        entry_id = entry_id[: MAX_ENTRY_ID_CHARS + 1].rsplit("_", 1)[0][:MAX_ENTRY_ID_CHARS]
    return entry_id


_NUMBER = re.compile(r"\s*([0-9]{1,18})\s*")


def _ids(form: dict[str, list[str]]) -> list[int]:
    """The message ids a form names, comma-separated; anything else is left out."""
    parts = (_NUMBER.fullmatch(part) for part in (form.get("ids") or [""])[0].split(","))
    return [int(match.group(1)) for match in parts if match]


def _one(form: dict[str, list[str]], name: str) -> str:
    return (form.get(name) or [""])[0].strip()


def register(app: Sanic, editor: Editor) -> None:
    base = editor.base_path

    @app.get(f"{base}/inbox")
    async def inbox(request: Request) -> HTTPResponse:
        try:
            groups = editor.inbox().groups(limit=GROUPS_SHOWN)
        except SQLAlchemyError:
            return editor.render(request, "inbox.html", status=503, groups=None, entries={})
        entries = {found.id: found for found in editor.catalogue.files()}
        return editor.render(
            request,
            "inbox.html",
            groups=groups,
            entries=entries,
            categories=CATEGORIES,
            revealed=set(request.ctx.session.revealed),
        )

    @app.post(f"{base}/inbox/reveal")
    async def reveal(request: Request) -> HTTPResponse:
        """Show one group's example (its newest message) to this volunteer in this session, and record that."""
        found = _NUMBER.fullmatch(_one(request.ctx.form, "message"))
        if not found:
            return editor.redirect("/inbox")
        message = int(found.group(1))
        request.ctx.session = request.ctx.session.revealing(message)
        audit.record(
            editor.writer.audit_file, request.ctx.session.volunteer.name, "inbox_revealed", None, None, message=message
        )
        return editor.redirect(f"/inbox#message-{message}")

    @app.post(f"{base}/inbox/add")
    async def add_question(request: Request) -> HTTPResponse:
        form, ui = request.ctx.form, request.ctx.ui
        question, language, ids = _one(form, "question"), _one(form, "language"), _ids(form)
        found = editor.catalogue.get(_one(form, "entry") or _one(form, "other"))  # a suggestion's button, or the list
        if found is None or language not in LANGUAGES or not question:
            return editor.redirect("/inbox")
        result = editor.writer.add_question(
            found.path, language, question, request.ctx.session.volunteer.name, messages=len(ids)
        )
        names = {"title": found.title(ui), "language": language_name(language, ui)}
        if result.status == INVALID:
            problem = explain(result.problems[0], result.text, ui).message
            editor.flash(request, "inbox_not_added", "error", problem=problem, **names)
            return editor.redirect("/inbox")
        editor.inbox().resolve(ids)
        editor.flash(request, "inbox_added" if result.status == SAVED else "inbox_already", **names)
        return editor.redirect("/inbox")

    @app.post(f"{base}/inbox/new")
    async def start_entry(request: Request) -> HTTPResponse:
        form = request.ctx.form
        question, language, ids, name = _one(form, "question"), _one(form, "language"), _ids(form), _one(form, "name")
        entry_id, category = entry_id_from_name(name), _one(form, "category")
        volunteer = request.ctx.session.volunteer.name
        if not ENTRY_ID.fullmatch(entry_id):
            editor.flash(request, "inbox_bad_name", "error", name=name)
        elif editor.catalogue.path_of(entry_id):
            editor.flash(request, "inbox_exists", "error", entry=entry_id)
        elif category not in CATEGORIES:
            editor.flash(request, "inbox_bad_category", "error")
        elif new_entry(editor.knowledge_dir, entry_id, category, io.StringIO()) == 0:
            audit.record(editor.writer.audit_file, volunteer, "new_entry", entry_id, None)
            path = editor.catalogue.path_of(entry_id)
            if path and question and language in LANGUAGES:
                editor.writer.add_question(path, language, question, volunteer, messages=len(ids))
            editor.inbox().resolve(ids)
            editor.flash(request, "inbox_created", entry=entry_id)
            return editor.redirect(f"/entries/{entry_id}/{language if language in LANGUAGES else 'de'}")
        return editor.redirect("/inbox")

    @app.post(f"{base}/inbox/dismiss")
    async def dismiss(request: Request) -> HTTPResponse:
        ids = _ids(request.ctx.form)
        removed = editor.inbox().resolve(ids)
        audit.record(
            editor.writer.audit_file,
            request.ctx.session.volunteer.name,
            "inbox_dismissed",
            None,
            None,
            messages=removed,
        )
        editor.flash(request, "inbox_dismissed", count=str(removed))
        return editor.redirect("/inbox")
