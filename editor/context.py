"""What every page handler needs: the knowledge files, the session, links under the base path, and rendering.

One `Editor` per app, made by editor.app.create_app and handed to each page
module's `register`, so page modules share no global state and a test can run
several apps side by side.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment
from sanic import Request, response
from sanic.response import HTTPResponse

from core.i18n.editor_texts import UI_LANGUAGES, language_name, service_kind_name, text
from core.i18n.messages import Messages
from core.languages import LANGUAGES, NATIVE_NAMES, RTL_LANGUAGES
from core.store.inbox import Inbox, open_inbox
from editor.catalogue import Catalogue
from editor.saving import EntryWriter
from editor.sessions import Session, SessionCodec
from editor.throttle import SignInThrottle


@dataclass
class Editor:
    """The editor's state and the helpers its pages share."""

    knowledge_dir: Path
    tokens_file: Path
    base_path: str  # "" or e.g. "/editor": where the reverse proxy forwards the editor
    catalogue: Catalogue
    writer: EntryWriter
    codec: SessionCodec
    templates: Environment
    messages: Messages  # the bot's own texts: category names in German and English
    inbox_url: str | None = None
    sign_in_throttle: SignInThrottle = field(default_factory=SignInThrottle)

    def url(self, path: str = "/", **query: str) -> str:
        """A link inside the editor, under the base path; empty query values are left out."""
        query = {key: value for key, value in query.items() if value}
        return f"{self.base_path}{path}" + (f"?{urlencode(query)}" if query else "")

    def inbox(self) -> Inbox:
        """The unanswered-questions inbox; opened on first use, so the editor starts without the database."""
        return open_inbox(self.inbox_url)

    @staticmethod
    def flash(request: Request, key: str, level: str = "ok", **values: str) -> None:
        """A message for the next page the volunteer sees (after a redirect)."""
        request.ctx.session = replace(request.ctx.session, flash={"key": key, "level": level, "values": values})

    def redirect(self, path: str, **query: str) -> HTTPResponse:
        """Post/redirect/get: 303, so reloading the next page never sends a form twice."""
        return response.redirect(self.url(path, **query), status=303)

    def render(self, request: Request, template: str, status: int = 200, **values: Any) -> HTTPResponse:
        """A page in the volunteer's interface language, with the shared frame (navigation, message, CSRF)."""
        ui: str = request.ctx.ui
        session: Session = request.ctx.session
        flash = session.flash
        if flash:
            request.ctx.session = replace(session, flash=None)
        t: Callable[..., str] = lambda key, **v: text(key, ui, **v)  # noqa: E731 - the templates' one helper
        page = self.templates.get_template(template).render(
            t=t,
            ui=ui,
            ui_languages={code: NATIVE_NAMES[code] for code in UI_LANGUAGES},
            url=self.url,
            here=request.path + (f"?{request.query_string}" if request.query_string else ""),
            volunteer=session.volunteer,
            csrf=self.codec.csrf_token(session),
            flash=flash and {**flash, "text": t(flash["key"], **flash["values"])},
            languages=LANGUAGES,
            rtl=RTL_LANGUAGES,
            language_name=lambda code: language_name(code, ui),
            category_name=lambda category: self.messages.category(category, ui),
            service_name=lambda kind: service_kind_name(kind, ui),
            **values,
        )
        return response.html(page, status=status)
