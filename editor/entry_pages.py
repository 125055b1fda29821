"""The entry list (search and filters) and the edit page (one entry, one language, German beside it)."""

from __future__ import annotations

from ruamel.yaml.error import YAMLError
from sanic import Request, Sanic
from sanic.response import HTTPResponse

from core.i18n.editor_texts import text
from core.knowledge.loader import MAX_ANSWER_CHARS, MAX_TITLE_CHARS, MIN_QUESTIONS
from core.languages import LANGUAGES, REFERENCE_LANGUAGE
from core.taxonomy import CATEGORIES, SERVICE_KINDS
from core.text_normalisation import fold
from editor.catalogue import STATUS_FILTERS, EntryFile, select
from editor.context import Editor
from editor.form import ENTRY_FIELDS, LANGUAGE_FIELDS, FormValues, file_values, load_document, posted_values
from editor.problems import Finding, explain
from editor.saving import CONFLICT, INVALID, SAVED, UNCHANGED, SaveResult


def _at_fields(findings: list[Finding], language: str) -> tuple[dict[str, list[Finding]], list[Finding]]:
    """Findings next to the fields of this page (its language's and the whole entry's), and all the others."""
    placed: dict[str, list[Finding]] = {field: [] for field in (*LANGUAGE_FIELDS, *ENTRY_FIELDS)}
    elsewhere: list[Finding] = []
    for finding in findings:
        if finding.field in LANGUAGE_FIELDS and finding.language == language or finding.field in ENTRY_FIELDS:
            placed[finding.field].append(finding)
        else:
            elsewhere.append(finding)
    return placed, elsewhere


def register(app: Sanic, editor: Editor) -> None:
    base = editor.base_path

    @app.get(f"{base}/")
    async def entry_list(request: Request) -> HTTPResponse:
        query = {name: request.args.get(name, "").strip() for name in ("q", "category", "language", "status")}
        results = select(editor.catalogue.files(), query["q"], query["category"], query["language"], query["status"])
        results.sort(key=lambda found: fold(found.title(request.ctx.ui)))  # as the volunteer reads the titles
        return editor.render(
            request, "entries.html", results=results, query=query, categories=CATEGORIES, statuses=STATUS_FILTERS
        )

    def edit_page(
        request: Request,
        found: EntryFile,
        language: str,
        status: int = 200,
        form: FormValues | None = None,
        result: SaveResult | None = None,
    ) -> HTTPResponse:
        """The page as the file is now, or with what the volunteer sent and why it was not saved."""
        ui = request.ctx.ui
        file_text = found.path.read_text(encoding="utf-8")
        findings = [explain(problem, file_text, ui) for problem in found.problems]
        try:
            doc = load_document(file_text)
        except YAMLError:  # only a text editor can repair this file; the page says what is wrong
            return editor.render(
                request, "edit.html", status=status, entry=found, language=language, broken=True, elsewhere=findings
            )
        current = file_values(doc, language)
        at_fields, elsewhere = _at_fields(findings, language)
        if result and result.status == INVALID:  # what the sent values would break, instead of the file's state
            at_fields, _ = _at_fields([explain(problem, result.text, ui) for problem in result.problems], language)
        return editor.render(
            request,
            "edit.html",
            status=status,
            entry=found,
            language=language,
            broken=False,
            values=form or current,
            reference=file_values(doc, REFERENCE_LANGUAGE) if language != REFERENCE_LANGUAGE else None,
            version=current.version(),
            at_fields=at_fields,
            elsewhere=elsewhere,
            result=result,
            current=current if result and result.status == CONFLICT else None,
            service_kinds=SERVICE_KINDS,
            max_answer=MAX_ANSWER_CHARS,
            max_title=MAX_TITLE_CHARS,
            min_questions=MIN_QUESTIONS,
        )

    def lookup(entry_id: str, language: str) -> EntryFile | None:
        return editor.catalogue.get(entry_id) if language in LANGUAGES else None

    def not_found(request: Request, entry_id: str) -> HTTPResponse:
        return editor.render(
            request, "message.html", status=404, message=text("entry_not_found", request.ctx.ui, entry=entry_id)
        )

    @app.get(f"{base}/entries/<entry_id:str>/<language:str>")
    async def edit(request: Request, entry_id: str, language: str) -> HTTPResponse:
        found = lookup(entry_id, language)
        if found is None:
            return not_found(request, entry_id)
        return edit_page(request, found, language)

    @app.post(f"{base}/entries/<entry_id:str>/<language:str>")
    async def save(request: Request, entry_id: str, language: str) -> HTTPResponse:
        found = lookup(entry_id, language)
        if found is None:
            return not_found(request, entry_id)
        form = request.ctx.form
        posted = posted_values(form)
        result = editor.writer.save_form(
            found.path, language, posted, (form.get("version") or [""])[0], request.ctx.session.volunteer.name
        )
        if result.status == SAVED:
            names = ", ".join(text(f"field_{field}", request.ctx.ui) for field in result.fields)
            editor.flash(request, "saved", fields=names)
        elif result.status == UNCHANGED:
            editor.flash(request, "nothing_changed")
        else:
            status = 409 if result.status == CONFLICT else 422
            return edit_page(request, editor.catalogue.get(entry_id) or found, language, status, posted, result)
        return editor.redirect(f"/entries/{entry_id}/{language}")
