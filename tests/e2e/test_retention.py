"""`./lotse cleanup` deletes conversations, feedback and handover cases after their periods, on SQLite and PostgreSQL.

The command runs as cron runs it (a subprocess on the configured databases). The tracker table has
Rasa's own schema: on SQLite it is the file the real Rasa server wrote; on PostgreSQL, the same
columns, since Rasa's server here keeps its conversations in SQLite.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from core import config
from core.store.cases import Case
from core.store.database import utcnow
from core.store.gateway_records import Feedback, connect
from tests.e2e.helpers import Conversation
from tools.servers import Servers

POSTGRES_URL = os.environ.get("LOTSE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
DAY = dt.timedelta(days=1)


def run_cleanup(database_url: str, tracker_url: str, **days: int) -> str:
    env = {
        **os.environ,
        "LOTSE_DATABASE_URL": database_url,
        "LOTSE_TRACKER_DB_URL": tracker_url,
        **{f"LOTSE_{name.upper()}_RETENTION_DAYS": str(value) for name, value in days.items()},
    }
    result = subprocess.run(
        [str(config.ROOT / "lotse"), "cleanup"], cwd=config.ROOT, capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def senders(tracker_url: str) -> set[str]:
    with create_engine(tracker_url).connect() as connection:
        return {row[0] for row in connection.execute(text("SELECT DISTINCT sender_id FROM events"))}


def test_conversations_in_rasas_own_tracker_file_expire_after_their_period(
    servers: Servers, user: Conversation, tmp_path: Path
) -> None:
    user("Wie melde ich meine Wohnung an?")
    assert servers.tracker_db is not None
    copy = tmp_path / "tracker.db"
    shutil.copy(servers.tracker_db, copy)  # the session's servers keep theirs
    tracker_url = f"sqlite:///{copy}"
    database_url = f"sqlite:///{tmp_path / 'lotse.db'}"
    assert user.sender in senders(tracker_url)  # type: ignore[attr-defined]
    run_cleanup(database_url, tracker_url, conversation=30)
    assert user.sender in senders(tracker_url)  # type: ignore[attr-defined]  # minutes old: kept
    output = run_cleanup(database_url, tracker_url, conversation=0)
    assert senders(tracker_url) == set() and "conversation events" in output


@contextlib.contextmanager
def database(kind: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of `kind` for one test (PostgreSQL: a database of its own, dropped after)."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'retention.db'}"
        return
    name = f"lotse_retention_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}"))
    except OperationalError as error:
        pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL} (.ci/run starts it): {error}")
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def rasa_events_table(metadata: MetaData) -> Table:
    """The columns of Rasa 3.6's SQLTrackerStore table."""
    return Table(
        "events",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("sender_id", String(255)),
        Column("type_name", String(255)),
        Column("timestamp", Float),
        Column("intent_name", String(255)),
        Column("action_name", String(255)),
        Column("data", Text),
    )


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_every_kind_of_record_expires_after_its_period(kind: str, tmp_path: Path) -> None:
    now = utcnow()
    with database(kind, tmp_path) as url:
        metadata = MetaData()
        events = rasa_events_table(metadata)
        engine = connect(url)  # the project's tables
        metadata.create_all(engine)
        with engine.begin() as connection:
            for sender, days_ago in (("old", 40), ("old", 35), ("active", 40), ("active", 1)):
                stamp = (now - days_ago * DAY).replace(tzinfo=dt.UTC).timestamp()
                connection.execute(
                    events.insert().values(sender_id=sender, type_name="user", timestamp=stamp, data='{"text": "..."}')
                )
            for chat, days_ago in (("stale", 100), ("fresh", 5)):
                connection.execute(
                    Feedback.__table__.insert().values(
                        chat=chat, entry="kita", language="de", helpful=False, created_at=now - days_ago * DAY
                    )
                )
            for chat_id, state, consented_days_ago in ((1, "sent", 120), (2, "claimed", 100), (3, "sent", 10)):
                connection.execute(
                    Case.__table__.insert().values(
                        chat=f"c{chat_id}",
                        chat_id=chat_id,
                        service="mbeon",
                        language="uk",
                        summary={},
                        state=state,
                        proposed_at=now - consented_days_ago * DAY,
                        consented_at=now - consented_days_ago * DAY,
                    )
                )
        output = run_cleanup(url, url)
        with engine.connect() as connection:
            assert {r[0] for r in connection.execute(select(events.c.sender_id))} == {"active"}
            assert len(connection.execute(select(events.c.id)).all()) == 2  # a live conversation stays whole
            assert [r[0] for r in connection.execute(select(Feedback.chat))] == ["fresh"]
            assert [r[0] for r in connection.execute(select(Case.chat_id))] == [3]
        engine.dispose()
    assert "deleted 2 conversation events" in output and "deleted 2 handover cases" in output
