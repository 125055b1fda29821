"""Sign in with the personal access code, sign out, and switch the interface language."""
from __future__ import annotations

from dataclasses import replace

from sanic import Request, Sanic
from sanic.response import HTTPResponse

from editor import tokens
from editor.context import Editor
from editor.sessions import Session
from editor.texts import UI_LANGUAGES


def safe_next(editor: Editor, target: str | None) -> str:
    """Where to go after signing in: only a page of this editor, never another site."""
    if target and target.startswith(f"{editor.base_path}/") and not target.startswith("//") and "\\" not in target:
        return target[len(editor.base_path):]
    return "/"


def register(app: Sanic, editor: Editor) -> None:
    @app.get(f"{editor.base_path}/sign-in", ctx_public=True)
    async def sign_in_form(request: Request) -> HTTPResponse:
        return editor.render(request, "sign_in.html", next=request.args.get("next", ""))

    @app.post(f"{editor.base_path}/sign-in", ctx_public=True)
    async def sign_in(request: Request) -> HTTPResponse:
        form = request.ctx.form
        volunteer = tokens.check(editor.tokens_file, (form.get("token") or [""])[0])
        target = (form.get("next") or [""])[0]
        if volunteer is None:
            return editor.render(request, "sign_in.html", status=401, next=target, wrong=True)
        request.ctx.session = request.ctx.session.signed_in(volunteer)
        return editor.redirect(safe_next(editor, target))

    @app.post(f"{editor.base_path}/sign-out")
    async def sign_out(request: Request) -> HTTPResponse:
        request.ctx.session = Session(ui=request.ctx.session.ui)
        editor.flash(request, "signed_out")
        return editor.redirect("/sign-in")

    @app.get(f"{editor.base_path}/language/<code:str>", ctx_public=True)
    async def switch_language(request: Request, code: str) -> HTTPResponse:
        if code in UI_LANGUAGES:
            request.ctx.session = replace(request.ctx.session, ui=code)
        return editor.redirect(safe_next(editor, request.args.get("next")))
