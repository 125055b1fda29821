"""The editor's web app: sessions, sign-in checks and CSRF for every page, security headers on every answer,
then the page modules.

`create_app` is the factory (tests run it in-process); `serve` runs it the way
`python -m editor` does, from LOTSE_EDITOR_* variables. One process serves
everything: writes to knowledge/ happen one at a time and `on_saved` runs in
the process that owns the bot's reload.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Request, Sanic, response
from sanic.exceptions import NotFound
from sanic.response import HTTPResponse

from core import config
from core.config import EditorSettings, normalised_base_path
from core.i18n.editor_texts import text, ui_from_accept_language
from core.i18n.messages import Messages
from editor import audit, entry_pages, inbox_pages, sign_in_pages, tokens
from editor.catalogue import Catalogue
from editor.context import Editor
from editor.saving import EntryWriter
from editor.security import add_headers, is_loopback, through_proxy
from editor.sessions import COOKIE, Session, SessionCodec, load_secret

HERE = Path(__file__).resolve().parent
# Sanic keeps a registry of apps by name; a number per app lets a test process create several.
_APP_NUMBERS = itertools.count(1)


def _no_op(entry_id: str) -> None:
    """The default `on_saved`: nothing to reload when the editor runs without the bot."""


def create_app(
    knowledge_dir: Path,
    tokens_file: Path,
    *,
    data_dir: Path | None = None,
    base_path: str = "",
    on_saved: Callable[[str], None] = _no_op,
    inbox_url: str | None = None,
    secret: bytes | None = None,
    host: str = EditorSettings.host,
) -> Sanic:
    """The editor for `knowledge_dir`, signing volunteers in with the codes in `tokens_file`.

    `data_dir` holds the audit log (and the session key unless `secret` or LOTSE_EDITOR_SECRET is given);
    `on_saved(entry_id)` runs after every successful save; `inbox_url` is the inbox's database
    (default: the project's, LOTSE_DATABASE_URL); `host` is the address the editor listens on: unless it
    is loopback, every request comes over the network and the cookie is always Secure.
    """
    data_dir = data_dir or config.settings().data_dir
    base_path = normalised_base_path(base_path)
    editor = Editor(
        knowledge_dir=knowledge_dir,
        tokens_file=tokens_file,
        base_path=base_path,
        catalogue=Catalogue(knowledge_dir),
        writer=EntryWriter(data_dir / audit.FILE_NAME, on_saved),
        codec=SessionCodec(secret or load_secret(data_dir)),
        templates=Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(),
            trim_blocks=True,
            lstrip_blocks=True,
        ),
        messages=Messages(config.settings().locales_dir),
        inbox_url=inbox_url,
    )
    app = Sanic(f"lotse_editor_{next(_APP_NUMBERS)}")
    app.config.REQUEST_MAX_SIZE = 1_000_000  # a form of one entry is a few kilobytes
    local = is_loopback(host)

    def over_network(request: Request) -> bool:
        """True unless a browser on this machine talks to a loopback editor directly: then plain HTTP is all
        there is, and a Secure cookie would never come back."""
        return not local or through_proxy(request)

    def read_session(request: Request) -> Session:
        """The request's session and interface language; the session of a removed volunteer, or one opened
        before the volunteer last signed out (an older epoch), is signed out."""
        if not hasattr(request.ctx, "session"):
            cookie = request.cookies.get(COOKIE)
            session = editor.codec.decode(cookie) or Session()
            if session.volunteer and not tokens.is_current(tokens_file, session.volunteer):
                session = Session(ui=session.ui)
            request.ctx.session, request.ctx.cookie = session, cookie
            request.ctx.ui = session.ui or ui_from_accept_language(request.headers.get("accept-language"))
        return request.ctx.session

    @app.on_request
    async def guard(request: Request) -> HTTPResponse | None:
        """Only signed-in volunteers get past the public pages, and only with the form's CSRF token."""
        session = read_session(request)
        if request.route is None:  # an unknown address: the not-found page follows
            return None
        if not getattr(request.route.ctx, "public", False) and session.volunteer is None:
            editor.flash(request, "session_ended")
            return editor.redirect("/sign-in", next=request.path if request.method == "GET" else "")
        if request.method == "POST":
            # a plain dict of lists: Sanic's own .get() would return only the first value
            request.ctx.form = dict(request.get_form(keep_blank_values=True) or {})
            if not editor.codec.csrf_ok(session, (request.ctx.form.get("csrf") or [""])[0]):
                return editor.render(request, "message.html", status=403, message=text("csrf_failed", request.ctx.ui))
        return None

    @app.on_response
    async def store_session(request: Request, reply: HTTPResponse) -> None:
        """Add the security headers, and send the cookie back when the session changed (sign-in, message,
        language, a revealed inbox message).

        The cookie never goes with an unknown address: the browser's /favicon.ico, outside the base path,
        comes without the cookie and would otherwise replace the session."""
        secure = over_network(request)
        add_headers(reply, secure)
        if request.route is None:
            return
        value = editor.codec.encode(read_session(request))
        if value != request.ctx.cookie:
            reply.add_cookie(COOKIE, value, path=base_path or "/", httponly=True, samesite="Lax", secure=secure)

    @app.exception(NotFound)
    async def not_found(request: Request, error: NotFound) -> HTTPResponse:
        read_session(request)
        return editor.render(request, "message.html", status=404, message=text("not_found", request.ctx.ui))

    @app.get(f"{base_path}/health", ctx_public=True)
    async def health(_: Request) -> HTTPResponse:
        """The liveness and readiness probe: the editor has nothing to load before it can serve."""
        return response.json({"status": "ok"})

    @app.get(f"{base_path}/static/editor.css", ctx_public=True)
    async def stylesheet(request: Request) -> HTTPResponse:
        return await response.file(
            HERE / "static" / "editor.css", mime_type="text/css", headers={"Cache-Control": "max-age=3600"}
        )

    for pages in (sign_in_pages, entry_pages, inbox_pages):
        pages.register(app, editor)
    return app


def serve(
    knowledge_dir: Path | None = None,
    tokens_file: Path | None = None,
    host: str | None = None,
    port: int | None = None,
    base_path: str | None = None,
    on_saved: Callable[[str], None] = _no_op,
) -> None:
    """Run the editor until stopped; anything not given comes from the LOTSE_EDITOR_* variables."""
    configured = config.settings()
    host = host or configured.editor.host
    app = create_app(
        knowledge_dir or configured.knowledge_dir,
        tokens_file or configured.editor_tokens_file,
        data_dir=configured.data_dir,
        base_path=configured.editor.base_path if base_path is None else base_path,
        on_saved=on_saved,
        host=host,
    )
    app.run(host=host, port=port or configured.editor.port, single_process=True, motd=False, access_log=False)
