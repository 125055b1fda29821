"""The editor served on a free port, and a client that reads its forms like a browser."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
from sanic import Sanic

from core.store.inbox import open_inbox

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")


# Seconds an answer may take: the first entry list checks every file, about 5 s on a busy 2-core machine.
PATIENCE = 60.0


@contextlib.contextmanager
def serving(app: Sanic, port: int) -> Iterator[None]:
    """Run the app on 127.0.0.1:`port` in a thread of this process until the block ends."""
    ready, stop = threading.Event(), threading.Event()
    app.config.TOUCHUP = False  # Sanic's start-up code rewriting works once per process; tests start many apps

    def run() -> None:
        async def main() -> None:
            server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
            assert server is not None
            await server.startup()
            await server.before_start()
            await server.after_start()
            ready.set()
            while not stop.is_set():
                await asyncio.sleep(0.05)
            await server.before_stop()
            await server.close()
            await server.after_stop()

        asyncio.run(main())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(30), "the editor did not start"
    try:
        yield
    finally:
        stop.set()
        thread.join(30)


@dataclass
class RunningEditor:
    url: str
    knowledge: Path
    tokens_file: Path
    data_dir: Path
    inbox_url: str
    token: str
    saved: list[str] = field(default_factory=list)

    def audit(self) -> list[dict[str, Any]]:
        path = self.data_dir / "editor_audit.jsonl"
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


class _Forms(HTMLParser):
    """What a browser would send for each form of a page: [(action, {name: [values]})]."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, dict[str, list[str]]]] = []
        self._form: dict[str, list[str]] | None = None
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            self._form = {}
            self.forms.append((a.get("action", ""), self._form))
        elif self._form is None or "name" not in a:
            return
        elif tag == "input" and (a.get("type") != "checkbox" or "checked" in a):
            self._form.setdefault(a["name"], []).append(a.get("value", ""))
        elif tag == "textarea":
            self._textarea = a["name"]
            self._form.setdefault(a["name"], []).append("")
        elif tag == "select":
            self._select = a["name"]
        if (
            tag == "option"
            and self._select
            and self._form is not None
            and ("selected" in a or self._select not in self._form)
        ):
            self._form[self._select] = [a.get("value", "")]

    def handle_data(self, data: str) -> None:
        if self._textarea and self._form is not None:
            self._form[self._textarea][-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def http_client(url: str, **options: Any) -> httpx.Client:
    """An HTTP client that keeps cookies like a browser and waits as long as a volunteer would."""
    return httpx.Client(base_url=url, timeout=PATIENCE, **options)


def all_forms(page: httpx.Response, action: str) -> list[dict[str, list[str]]]:
    """Every form with this action (the inbox has one per group)."""
    parser = _Forms()
    parser.feed(page.text)
    return [fields for form_action, fields in parser.forms if form_action == action]


def form_of(page: httpx.Response, action: str) -> dict[str, list[str]]:
    (form,) = all_forms(page, action)
    return form


def post(client: httpx.Client, page: httpx.Response, action: str, **changes: str | list[str]) -> httpx.Response:
    """Submit the form of `page` whose action is `action`, with some fields changed as a volunteer would."""
    data = form_of(page, action)
    data.update({name: value if isinstance(value, list) else [value] for name, value in changes.items()})
    return client.post(page.url.join(action), data=data)


def signed_in(editor: RunningEditor) -> httpx.Client:
    """A browser of Amina's, signed in, preferring German."""
    client = http_client(editor.url, headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
    page = client.get("/sign-in")
    reply = post(client, page, "/sign-in", token=editor.token)
    assert reply.status_code == 303, reply.text
    return client


def _inbox_with_questions(editor: RunningEditor) -> None:
    inbox = open_inbox(editor.inbox_url)
    inbox.record("Wie lange dauert die Einbürgerung?", "de", "no_match", ["einbuergerung"])
    inbox.record("wie lange dauert die einbürgerung", "de", "no_match", ["einbuergerung"])
    time.sleep(0.01)
    inbox.record("Where can I buy a SIM card?", "en", "out_of_scope_low_confidence", [])


TODAY = dt.date.today()
CHECKED = TODAY - dt.timedelta(days=10)  # every entry recently reviewed, whatever day the tests run
STALE_ENTRY = "rundfunkbeitrag"
ANMELDUNG = Path("entries") / "offices" / "anmeldung.yml"
