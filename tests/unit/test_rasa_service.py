"""Rasa's endpoints for `serve rasa` (tools/rasa_service.py), and finding every Rasa replica behind one name."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.config import Settings, SettingsError
from core.model.rasa_api import RasaApi
from tools.rasa_service import endpoints, newest_model


def test_the_local_default_is_sqlite_without_a_lock_store(tmp_path: Path) -> None:
    settings = Settings.from_env({"LOTSE_DATA_DIR": str(tmp_path)})
    result = endpoints(settings, workers=1)
    assert result == {
        "action_endpoint": {"url": "http://127.0.0.1:5055/webhook"},
        "tracker_store": {"type": "SQL", "dialect": "sqlite", "db": str(tmp_path / "tracker.db")},
    }


def test_production_keeps_conversations_in_postgresql_and_locks_them_in_redis() -> None:
    settings = Settings.from_env(
        {
            "LOTSE_TRACKER_DB_URL": "postgresql+psycopg://rasa:pw@db:5433/tracker",
            "LOTSE_REDIS_URL": "redis://:secret@redis:6380/2",
            "LOTSE_ACTIONS_URL": "http://actions:5055/",
        }
    )
    result = endpoints(settings, workers=1)
    assert result["action_endpoint"] == {"url": "http://actions:5055/webhook"}
    assert result["tracker_store"] == {
        "type": "SQL",
        "dialect": "postgresql",
        "db": "tracker",
        "url": "db",
        "port": 5433,
        "username": "rasa",
        "password": "pw",
    }
    assert result["lock_store"] == {"type": "redis", "url": "redis", "port": 6380, "db": 2, "password": "secret"}


def test_several_workers_lock_in_redis_even_with_the_default_address() -> None:
    assert endpoints(Settings.from_env({}), workers=2)["lock_store"] == {
        "type": "redis",
        "url": "127.0.0.1",
        "port": 6379,
        "db": 1,
    }


def test_the_newest_model_is_served_unless_one_is_named(tmp_path: Path) -> None:
    settings = Settings.from_env({"LOTSE_CACHE_DIR": str(tmp_path)})
    with pytest.raises(SettingsError, match="./lotse train"):
        newest_model(settings)
    models = tmp_path / "models"
    models.mkdir()
    for name, mtime in (("new.tar.gz", 1000), ("old.tar.gz", 900), ("newest-nlu.tar.gz", 2000)):
        (models / name).write_bytes(b"")
        os.utime(models / name, (mtime, mtime))
    assert newest_model(settings).name == "new.tar.gz"  # the NLU-only baselines of ./lotse eval are not served
    named = Settings.from_env({"LOTSE_CACHE_DIR": str(tmp_path), "LOTSE_RASA_MODEL": str(models / "old.tar.gz")})
    assert newest_model(named).name == "old.tar.gz"


def test_an_address_or_a_name_with_one_address_is_one_replica() -> None:
    api = RasaApi("http://127.0.0.1:5005", "t")
    assert api.replicas() == [api]
    assert RasaApi("http://no-such-host.invalid:5005", "t").replicas() == [
        RasaApi("http://no-such-host.invalid:5005", "t")
    ]
