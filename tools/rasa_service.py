"""`./lotse serve rasa`: Rasa's server configured from the environment; runs in .venv-bot (Python 3.10).

The endpoints (action server, tracker store, lock store) are written from the settings into the data
folder, then the process becomes Rasa (exec, so a process manager's pid is Rasa's pid):
- tracker store: LOTSE_TRACKER_DB_URL, SQLite by default, PostgreSQL in production;
- lock store: Redis (LOTSE_REDIS_URL) whenever that variable is set or the server runs several workers:
  one conversation's messages must be handled one at a time across every Rasa process that serves it;
- model: LOTSE_RASA_MODEL, else the newest model in the model cache (where `./lotse train` and the editor
  put them).
Rasa loads the model before it listens, so `GET /` answering is the readiness probe. `tools/servers.py`
starts Rasa through this module too, so `./lotse run` and the tests run the production start-up.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import make_url

from core import config
from core.config import Settings, SettingsError
from core.secret_file import secret_from_file

LOCK_LIFETIME_S = 20


def endpoints(settings: Settings, workers: int) -> dict[str, Any]:
    """Rasa's endpoints.yml for these settings."""
    tracker = make_url(settings.tracker_url)
    store: dict[str, Any] = {"type": "SQL", "dialect": tracker.get_backend_name(), "db": tracker.database}
    if store["dialect"] != "sqlite":
        store.update(url=tracker.host, port=tracker.port, username=tracker.username, password=tracker.password)
    result: dict[str, Any] = {
        "action_endpoint": {"url": f"{settings.actions_url}/webhook"},
        "tracker_store": {key: value for key, value in store.items() if value is not None},
    }
    if settings.redis_configured or workers > 1:
        redis = settings.redis
        lock: dict[str, Any] = {"type": "redis", "url": redis.host, "port": redis.port, "db": redis.db}
        if redis.password:
            lock["password"] = redis.password
        result["lock_store"] = lock
    return result


def newest_model(settings: Settings) -> Path:
    """LOTSE_RASA_MODEL, else the most recently trained model in the cache."""
    if settings.rasa_model:
        return settings.rasa_model
    models = sorted(settings.model_cache.glob("*.tar.gz"), key=lambda path: path.stat().st_mtime)
    models = [model for model in models if not model.name.endswith("-nlu.tar.gz")]
    if not models:
        raise SettingsError(f"No trained model in {settings.model_cache}: run ./lotse train, or set LOTSE_RASA_MODEL.")
    return models[-1]


def main() -> int:
    settings = config.settings()
    try:
        model = newest_model(settings)
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    workers = settings.rasa_workers or 1
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # One file per port: several Rasa servers may share a data folder.
    endpoint_file = settings.data_dir / f"endpoints-{settings.rasa_port}.yml"
    endpoint_file.write_text(yaml.safe_dump(endpoints(settings, workers)), encoding="utf-8")
    endpoint_file.chmod(0o600)  # it may hold the database password
    token_file = settings.rasa_token_path
    secret_from_file(token_file)  # created (0600) if missing
    os.chdir(config.ROOT)
    os.environ["SANIC_WORKERS"] = str(workers)
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    # How long a conversation's lock outlives a Rasa server killed while holding it (Rasa's default: 60 s, during
    # which that person's redelivered message waits). Longer than the slowest turn; the gateway's per-chat lock
    # keeps one message per chat in Rasa anyway (docs/decisions/008-replicas.md).
    os.environ.setdefault("TICKET_LOCK_LIFETIME", str(LOCK_LIFETIME_S))
    arguments = ["run", "--enable-api", "--model", str(model), "--endpoints", str(endpoint_file)]
    arguments += ["--credentials", "credentials.yml", "--port", str(settings.rasa_port), "--interface", settings.listen]
    os.execv(sys.executable, [sys.executable, "-m", "tools.rasa_with_token", str(token_file), *arguments])


if __name__ == "__main__":
    sys.exit(main())
