"""The project's own database, shared by the action server (inbox), the Telegram gateway and the tools.

One place for how an engine is made (the SQLite file's folder created, stale
PostgreSQL connections noticed) and for the naive-UTC timestamps all tables use.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine, make_url


def utcnow() -> dt.datetime:
    """Now in UTC without tzinfo: SQLite has no time zones, so every table stores naive UTC."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def engine(url: str) -> Engine:
    """An engine for `url` (SQLite or PostgreSQL); a SQLite file's folder is created if missing."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    return create_engine(url, pool_pre_ping=True)
