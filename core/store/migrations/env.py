"""Alembic's environment: migrates the project's database (core/store/database.py `migrate`, or `alembic upgrade`).

The connection comes from `migrate` (config.attributes["connection"]); run by hand, the URL is the project's
setting (LOTSE_DATABASE_URL, else var/lotse.db).
"""

from __future__ import annotations

from alembic import context

from core import config as lotse_config
from core.store import cases, gateway_records, inbox  # noqa: F401 (their tables join Base.metadata)
from core.store.database import Base, engine

target_metadata = Base.metadata


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    with engine(lotse_config.settings().database_url).connect() as own:
        context.configure(connection=own, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run()
