"""The database schema comes from Alembic's migrations (core/store/migrations), not from create_all."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from core.store import cases, gateway_records, inbox  # noqa: F401 (their tables join Base.metadata)
from core.store.database import Base, engine, migrate


def differences(url: str) -> list[object]:
    with create_engine(url).connect() as connection:
        return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


def test_the_migrations_make_exactly_the_tables_the_code_declares(tmp_path: Path) -> None:
    """A model changed without a migration fails here (alembic's autogenerate comparison)."""
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    migrate(engine(url))
    assert differences(url) == []
    with create_engine(url).connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0001"


def test_a_database_made_by_an_earlier_lotse_is_adopted_with_its_rows(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = create_engine(url)
    Base.metadata.create_all(old)  # how Lotse made its tables before migrations
    with old.begin() as connection:
        connection.execute(text("INSERT INTO processed_updates (update_id, received_at) VALUES (7, '2026-12-01')"))
    migrate(engine(url))
    assert differences(url) == []
    with old.connect() as connection:
        assert connection.execute(text("SELECT update_id FROM processed_updates")).scalars().all() == [7]


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
