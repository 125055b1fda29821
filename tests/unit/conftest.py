"""Fixtures shared by the unit tests: the project's real knowledge/, locales/ and lexical router, each built once.

Training the lexical router's classifiers takes 30-40 s on two cores, more than half of the unit lane's budget.
When router tests are selected, a helper process therefore starts training it as soon as collection ends,
while the other tests run on the other core, and hands the finished router over as a pickle: the tests then
call the same `Router` in-process as if `build_router` had run here.
"""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from core import config
from core.i18n.messages import Messages
from core.knowledge.base import KnowledgeBase
from core.knowledge.loader import load_knowledge
from core.store import cases, gateway_records, inbox  # noqa: F401 (their tables join Base.metadata)
from core.store.database import Base, engine, migrate

if TYPE_CHECKING:  # the router's modules load when the pickle is read, not at every collection
    from core.routing.router import Router

ROUTER_TESTS = "test_router.py"
# Run in the helper process (cwd: the project root): load the knowledge, build the router without an embedding
# model (no model is ever loaded), pickle it to the given file.
BUILD_ROUTER = """
import pickle, sys
from pathlib import Path
from core.knowledge.loader import load_knowledge
from core.runtime import build_router

knowledge = load_knowledge(Path(sys.argv[1])).knowledge
with open(sys.argv[2], "wb") as file:
    pickle.dump(build_router(knowledge, semantic=False), file, protocol=pickle.HIGHEST_PROTOCOL)
"""


class RouterBuild:
    """A lexical router being built in a helper process."""

    def __init__(self, knowledge_dir: Path) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="lotse-router-"))
        self._file = self._folder / "router.pickle"
        self._errors = self._folder / "stderr.txt"
        with self._errors.open("wb") as errors:  # a file, not a pipe: a full pipe would stall the build
            self._process = subprocess.Popen(
                [sys.executable, "-c", BUILD_ROUTER, str(knowledge_dir), str(self._file)],
                cwd=config.ROOT,
                stdout=subprocess.DEVNULL,
                stderr=errors,
            )
        self._router: Router | None = None

    def result(self) -> Router:
        """The router, once the helper process has finished; its error output if it failed."""
        if self._router is None:
            if self._process.wait() != 0:
                errors = self._errors.read_text(encoding="utf-8", errors="replace")
                pytest.fail(f"building the router failed:\n{errors[-3000:]}")
            with self._file.open("rb") as file:
                self._router = pickle.load(file)
            shutil.rmtree(self._folder, ignore_errors=True)
        return self._router

    def stop(self) -> None:
        """End the helper process if it is still running (an interrupted session) and remove its file."""
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        shutil.rmtree(self._folder, ignore_errors=True)


_router_build: RouterBuild | None = None


def pytest_collection_finish(session: pytest.Session) -> None:
    global _router_build
    if _router_build is None and any(item.path.name == ROUTER_TESTS for item in session.items):
        _router_build = RouterBuild(config.settings().knowledge_dir)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _router_build is not None:
        _router_build.stop()


@pytest.fixture(scope="session")
def project_knowledge() -> KnowledgeBase:
    """The valid entries and services of knowledge/, as the bot serves them."""
    return load_knowledge(config.settings().knowledge_dir).knowledge


@pytest.fixture(scope="session")
def project_messages() -> Messages:
    """The bot's own texts from locales/."""
    return Messages(config.settings().locales_dir)


@pytest.fixture(scope="session")
def lexical_router() -> Router:
    """`core.runtime.build_router(knowledge, semantic=False)` on knowledge/, as `./lotse route` without a model."""
    global _router_build
    if _router_build is None:  # collected some other way: build it now
        _router_build = RouterBuild(config.settings().knowledge_dir)
    return _router_build.result()


POSTGRES_URL = os.environ.get("LOTSE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _fresh(url: str) -> Engine:
    """The project's database at `url`, migrated; on PostgreSQL emptied first (these tables belong to the tests)."""
    created = engine(url)
    if created.dialect.name == "postgresql":
        try:
            with created.begin() as connection:
                Base.metadata.drop_all(connection)
                connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        except OperationalError as error:
            pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL} (.ci/run starts it): {error}")
    migrate(created)
    return created


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """The project's database on SQLite (one machine) and on PostgreSQL (production), fresh for each test."""
    created = _fresh(f"sqlite:///{tmp_path / 'lotse.db'}" if request.param == "sqlite" else POSTGRES_URL)
    yield created
    created.dispose()


@pytest.fixture
def postgres() -> Iterator[Engine]:
    """The project's database on PostgreSQL only: what only PostgreSQL does (locks across processes)."""
    created = _fresh(POSTGRES_URL)
    yield created
    created.dispose()
