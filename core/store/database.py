"""The project's own database, shared by the action server (inbox), the Telegram gateway and the tools.

One place for how an engine is made (the SQLite file's folder created, stale PostgreSQL connections
noticed), for the one declarative Base of all tables, for migrating the schema (Alembic, migrations/)
and for the naive-UTC timestamps all tables use.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import DeclarativeBase

MIGRATIONS = Path(__file__).with_name("migrations")
MIGRATION_ATTEMPTS = 3
_MIGRATING = threading.Lock()  # Alembic keeps its running migration in module globals: one at a time per process


class Base(DeclarativeBase):
    """Every table of the project's database: feedback, processed updates, handover cases, the inbox."""


def utcnow() -> dt.datetime:
    """Now in UTC without tzinfo: SQLite has no time zones, so every table stores naive UTC."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def engine(url: str) -> Engine:
    """An engine for `url` (SQLite or PostgreSQL); a SQLite file's folder is created if missing."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    return create_engine(url, pool_pre_ping=True)


def migrate(bind: Engine) -> None:
    """Bring the schema to the newest revision (`alembic upgrade head`); every process calls it when it opens
    the database, so a fresh install and an older one both end up current.

    Two processes starting together (action server and gateway) may race on a fresh database: the loser's
    CREATE fails, and its retry finds the schema current.
    """
    with _MIGRATING:
        _upgrade(bind)


def _upgrade(bind: Engine) -> None:
    settings = Config()
    settings.set_main_option("script_location", str(MIGRATIONS))
    for attempt in range(1, MIGRATION_ATTEMPTS + 1):
        try:
            with bind.begin() as connection:
                settings.attributes["connection"] = connection
                command.upgrade(settings, "head")
            return
        except (OperationalError, ProgrammingError, IntegrityError):
            if attempt == MIGRATION_ATTEMPTS:
                raise
            time.sleep(0.5 * attempt)
