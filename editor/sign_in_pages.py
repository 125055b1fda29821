"""Sign in with the personal access code, sign out, and switch the interface language.

The code is checked in a worker thread: scrypt is slow on purpose
(docs/decisions/005-serving-performance.md), and on the event loop it would hold
up every other volunteer's page. Wrong codes are counted per client address
(editor.throttle) and logged with that address, never with the code. Signing
out ends all of the volunteer's sessions, on every device, copied cookies
included (editor.tokens.end_sessions).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import replace

from sanic import Request, Sanic
from sanic.response import HTTPResponse

from core.i18n.editor_texts import UI_LANGUAGES
from editor import tokens
from editor.context import Editor
from editor.security import client_address
from editor.sessions import Session

logger = logging.getLogger(__name__)


def safe_next(editor: Editor, target: str | None) -> str:
    """Where to go after signing in: only a page of this editor, never another site."""
    if target and target.startswith(f"{editor.base_path}/") and not target.startswith("//") and "\\" not in target:
        return target[len(editor.base_path) :]
    return "/"


def register(app: Sanic, editor: Editor) -> None:
    @app.get(f"{editor.base_path}/sign-in", ctx_public=True)
    async def sign_in_form(request: Request) -> HTTPResponse:
        return editor.render(request, "sign_in.html", next=request.args.get("next", ""))

    @app.post(f"{editor.base_path}/sign-in", ctx_public=True)
    async def sign_in(request: Request) -> HTTPResponse:
        form, address = request.ctx.form, client_address(request)
        target = (form.get("next") or [""])[0]
        wait = editor.sign_in_throttle.attempt(address, time.monotonic())
        if wait:
            logger.warning("editor sign-in refused: too many wrong codes from %s", address)
            page = editor.render(request, "sign_in.html", status=429, next=target, minutes=math.ceil(wait / 60))
            page.headers["Retry-After"] = str(math.ceil(wait))
            return page
        volunteer = await asyncio.to_thread(tokens.check, editor.tokens_file, (form.get("token") or [""])[0])
        if volunteer is None:
            logger.warning("editor sign-in failed: wrong code from %s", address)
            return editor.render(request, "sign_in.html", status=401, next=target, wrong=True)
        editor.sign_in_throttle.forgive(address)
        request.ctx.session = request.ctx.session.signed_in(volunteer)
        return editor.redirect(safe_next(editor, target))

    @app.post(f"{editor.base_path}/sign-out")
    async def sign_out(request: Request) -> HTTPResponse:
        tokens.end_sessions(editor.tokens_file, request.ctx.session.volunteer)
        request.ctx.session = Session(ui=request.ctx.session.ui)
        editor.flash(request, "signed_out")
        return editor.redirect("/sign-in")

    @app.get(f"{editor.base_path}/language/<code:str>", ctx_public=True)
    async def switch_language(request: Request, code: str) -> HTTPResponse:
        if code in UI_LANGUAGES:
            request.ctx.session = replace(request.ctx.session, ui=code)
        return editor.redirect(safe_next(editor, request.args.get("next")))
