"""Fixtures of the end-to-end lane: a trained model and the real Rasa + action servers on free ports.

The servers run on a copy of knowledge/ in which one entry lacks its Ukrainian
translation, so the missing-translation path is exercised against real content.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.terminal import send
from core import config
from core.model.training import train
from editor import create_app
from editor.tokens import add_volunteer
from tests.e2e.editor_pages import ANMELDUNG, CHECKED, STALE_ENTRY, TODAY, RunningEditor, serving
from tests.e2e.helpers import UNTRANSLATED_ENTRY, Conversation, remove_translation
from tools.servers import Servers, free_port, running


@pytest.fixture(scope="session")
def model() -> Path:
    return train(quiet=True)


@pytest.fixture(scope="session")
def test_knowledge(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("knowledge") / "knowledge"
    shutil.copytree(config.ROOT / "knowledge", target)
    category, entry_id, lang = UNTRANSLATED_ENTRY
    remove_translation(target / "entries" / category / f"{entry_id}.yml", lang)
    return target


@pytest.fixture(scope="session")
def servers(model: Path, test_knowledge: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    state = tmp_path_factory.mktemp("state")
    # The servers run lexical routing, as the action server does until the knowledge is encoded:
    # encoding all of it takes minutes on two cores. The packaged models, the swap from lexical to
    # semantic and the per-text vector cache are tested in-process (tests/e2e/test_routing_quality.py).
    env = {
        "LOTSE_KNOWLEDGE_DIR": str(test_knowledge),
        "LOTSE_EMBEDDING_MODEL": "none",
        "LOTSE_DATABASE_URL": f"sqlite:///{state / 'lotse.db'}",
    }
    with running(model, state, extra_env=env) as running_servers:
        yield running_servers


@pytest.fixture
def user(servers: Servers) -> Conversation:
    """A fresh user: call it with a message, get the bot's replies (text messages and custom payloads)."""
    sender = f"test-{uuid.uuid4().hex}"

    def say(text: str) -> list[dict[str, Any]]:
        return send(servers.rasa_url, sender, text)

    say.sender = sender  # type: ignore[attr-defined]
    return say


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    """A copy of knowledge/ as volunteers leave it: comments, one stale entry, one missing translation."""
    root = tmp_path / "knowledge"
    shutil.copytree(config.ROOT / "knowledge", root)
    for path in (root / "entries").glob("**/*.yml"):
        date = TODAY - dt.timedelta(days=400) if path.stem == STALE_ENTRY else CHECKED
        path.write_text(
            re.sub(r"(?m)^reviewed: .*$", f"reviewed: {date}", path.read_text(encoding="utf-8")), encoding="utf-8"
        )
    anmeldung = root / ANMELDUNG
    text_ = anmeldung.read_text(encoding="utf-8")
    anmeldung.write_text(
        "# Checked with the Bürgeramt Dortmund\n"
        + text_.replace("answer:\n  de: |\n", "answer:\n  # reviewed by Amira\n  de: |\n", 1).replace(
            "  ar: |\n", "  # Arabic: Levantine, reviewed by Omar\n  ar: |\n", 1
        ),
        encoding="utf-8",
    )
    remove_translation(root / "entries" / "education" / "kita.yml", "uk")
    return root


@pytest.fixture
def editor(knowledge: Path, tmp_path: Path) -> Iterator[RunningEditor]:
    tokens_file = tmp_path / "editor_tokens.yml"
    running = RunningEditor(
        "",
        knowledge,
        tokens_file,
        tmp_path / "data",
        f"sqlite:///{tmp_path / 'lotse.db'}",
        add_volunteer(tokens_file, "Amina"),
    )
    app = create_app(
        knowledge, tokens_file, data_dir=running.data_dir, on_saved=running.saved.append, inbox_url=running.inbox_url
    )
    port = free_port()
    running.url = f"http://127.0.0.1:{port}"
    with serving(app, port):
        yield running
