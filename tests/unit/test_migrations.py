"""The database schema comes from Alembic's migrations (core/store/migrations), not from create_all."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from core.store import cases, gateway_records, inbox  # noqa: F401 (their tables join Base.metadata)
from core.store.database import MIGRATIONS, Base, engine, migrate

HEAD = "0002"


def differences(url: str) -> list[object]:
    with create_engine(url).connect() as connection:
        return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


def test_the_migrations_make_exactly_the_tables_the_code_declares(tmp_path: Path) -> None:
    """A model changed without a migration fails here (alembic's autogenerate comparison)."""
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    migrate(engine(url))
    assert differences(url) == []
    with create_engine(url).connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD


def test_a_database_made_by_an_earlier_lotse_is_adopted_with_its_rows(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = create_engine(url)
    # How Lotse made its tables before migrations: revision 0001's schema, without Alembic's version table.
    settings = Config()
    settings.set_main_option("script_location", str(MIGRATIONS))
    with old.begin() as connection:
        settings.attributes["connection"] = connection
        command.upgrade(settings, "0001")
        connection.execute(text("DROP TABLE alembic_version"))
        connection.execute(text("INSERT INTO processed_updates (update_id, received_at) VALUES (7, '2026-12-01')"))
    migrate(engine(url))
    assert differences(url) == []
    with old.connect() as connection:
        rows = connection.execute(text("SELECT update_id, done_at FROM processed_updates")).all()
    assert [(update_id, str(done_at)[:10]) for update_id, done_at in rows] == [(7, "2026-12-01")]  # counts as handled


def _open(url: str) -> None:
    migrate(engine(url))


def test_processes_starting_together_both_find_the_schema_current(tmp_path: Path) -> None:
    """The action server and the gateway open a fresh database at the same moment."""
    url = f"sqlite:///{tmp_path / 'race.db'}"
    processes = [multiprocessing.get_context("spawn").Process(target=_open, args=(url,)) for _ in range(2)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
    assert [process.exitcode for process in processes] == [0, 0]
    assert differences(url) == []
    assert {"feedback", "handover_cases", "inbox_messages"} <= set(inspect(create_engine(url)).get_table_names())
