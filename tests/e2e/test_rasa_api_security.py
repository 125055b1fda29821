"""Rasa's HTTP API refuses callers without the token, and message text never reaches a server log."""

from __future__ import annotations

import contextlib
import stat
import time
import uuid

import httpx

from tests.e2e.helpers import Conversation, customs
from tools.servers import Servers


def test_model_and_tracker_endpoints_refuse_calls_without_the_token(servers: Servers, user: Conversation) -> None:
    user("Hallo")
    sender = user.sender  # type: ignore[attr-defined]
    for method, path in (
        ("PUT", "/model"),
        ("DELETE", "/model"),
        ("GET", f"/conversations/{sender}/tracker"),
        ("POST", "/model/parse"),
        ("GET", "/status"),
    ):
        refused = httpx.request(method, f"{servers.rasa_url}{path}", json={"model_file": "x", "text": "x"}, timeout=60)
        assert refused.status_code == 401, (method, path, refused.status_code)
        wrong = httpx.request(
            method, f"{servers.rasa_url}{path}", params={"token": "guess"}, json={"text": "x"}, timeout=60
        )
        assert wrong.status_code in (401, 403), (method, path, wrong.status_code)
    assert servers.api.get(f"/conversations/{sender}/tracker").json()["sender_id"] == sender
    # The REST channel itself stays open to the local channels (terminal chat, gateway): it needs no token.
    assert customs(user("Hallo"))


def test_what_the_servers_write_is_for_their_owner_only(servers: Servers, user: Conversation) -> None:
    user("Wie melde ich meine Wohnung an?")
    assert servers.tracker_db is not None
    written = [servers.tracker_db, servers.tracker_db.parent / "lotse.db"]
    assert all(stat.S_IMODE(path.stat().st_mode) & 0o077 == 0 for path in written if path.exists())


def test_the_token_is_in_an_owner_only_file_and_not_on_the_command_line(servers: Servers) -> None:
    assert servers.token_file is not None and servers.rasa_pid is not None
    assert stat.S_IMODE(servers.token_file.stat().st_mode) == 0o600
    token = servers.token_file.read_text(encoding="ascii").strip()
    assert len(token) >= 32
    with open(f"/proc/{servers.rasa_pid}/cmdline", "rb") as cmdline:
        assert token.encode() not in cmdline.read()


def test_no_message_text_in_any_server_log(servers: Servers, user: Conversation) -> None:
    """Slash-led text that is no payload made Rasa warn with the whole message; nothing of it may be logged."""
    marker = uuid.uuid4().hex[:10]
    for text in (
        f"/привет, мой номер {marker}",
        f"/ {marker} hello",
        f"/{marker}",
        f"/choose_entry{{{marker}",
        f"мой номер телефона {marker}",
        f"/hilfe ich heiße {marker}",
    ):
        user(text)
    assert servers.tracker_db is not None
    for log in servers.tracker_db.parent.glob("*.log"):
        assert marker not in log.read_text(encoding="utf-8", errors="replace"), log.name


def test_a_message_whose_sender_gave_up_leaves_no_text_in_rasas_log(servers: Servers) -> None:
    """Rasa's REST channel logs the text of a request it was cancelled in (the gateway gave up waiting)."""
    marker = uuid.uuid4().hex[:10]
    for attempt in range(3):
        with contextlib.suppress(httpx.TimeoutException):
            httpx.post(
                servers.webhook, json={"sender": f"gave-up-{attempt}", "message": f"wie geht {marker}"}, timeout=0.02
            )
    time.sleep(5)  # the cancelled handlers log after the client is gone
    assert servers.tracker_db is not None
    assert marker not in (servers.tracker_db.parent / "rasa.log").read_text(encoding="utf-8", errors="replace")
