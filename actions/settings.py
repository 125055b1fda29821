"""Paths and tunables, overridable by environment variables.

Kept in one place so that the action server, `./lotse route` and the tests use
exactly the same knowledge folder and thresholds.
"""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _path(variable: str, default: Path) -> Path:
    return Path(os.environ.get(variable, str(default))).resolve()


KNOWLEDGE_DIR = _path("LOTSE_KNOWLEDGE_DIR", PROJECT_ROOT / "knowledge")
LOCALES_DIR = _path("LOTSE_LOCALES_DIR", PROJECT_ROOT / "locales")
DATA_DIR = _path("LOTSE_DATA_DIR", PROJECT_ROOT / "var")
CACHE_DIR = _path("LOTSE_CACHE_DIR", Path.home() / ".cache" / "lotse")
# Sentence-embedding models downloaded by `./lotse models download`, and cached knowledge embeddings.
EMBEDDING_CACHE = CACHE_DIR / "embeddings"

# The sentence-embedding model for routing: a packaged model ("multilingual-e5-small", all eight
# languages, the default; "all-MiniLM-L6-v2", English only), a name in the local cache
# (`./lotse models download`), a folder, or "none" for lexical routing only.
DEFAULT_EMBEDDING_MODEL = "multilingual-e5-small"
EMBEDDING_MODEL = os.environ.get("LOTSE_EMBEDDING_MODEL", DEFAULT_EMBEDDING_MODEL)

# Messages longer than this are cut before routing (the user is told so).
MAX_ROUTED_CHARS = 1000

# Closed handover cases (with the chat id needed to deliver a counsellor's answer) are deleted this
# many days after closing by `./lotse cleanup`; the consent text names the same number.
HANDOVER_RETENTION_DAYS = int(os.environ.get("LOTSE_HANDOVER_RETENTION_DAYS", "90"))

# The project's own database (Telegram feedback, handover cases, the unanswered-questions inbox):
# SQLite in the data folder by default, PostgreSQL in production (postgresql+psycopg://...).
DATABASE_URL = os.environ.get("LOTSE_DATABASE_URL", f"sqlite:///{DATA_DIR / 'lotse.db'}")
# Anonymised unanswered questions are kept this long for volunteers (`./lotse cleanup` deletes older ones).
INBOX_RETENTION_DAYS = int(os.environ.get("LOTSE_INBOX_RETENTION_DAYS", "90"))

# How often the action server looks for changed knowledge files (live reload).
RELOAD_POLL_SECONDS = float(os.environ.get("LOTSE_RELOAD_POLL_SECONDS", "5"))
