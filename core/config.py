"""Every LOTSE_* setting in one typed object, read from the environment in one place.

All processes (action server, gateway, editor, tools, tests) ask `settings()` and get the same values
for the same environment. Child processes get their settings through their environment; within a
process, measurements and tests change them only through `overridden(...)`, never by assigning
module globals. README.md lists every variable.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from core.secret_file import MAKE_TEXT_SECRET, strong_secret

ROOT = Path(__file__).resolve().parent.parent
# The two pinned environments (README, "Pinned environments"): Rasa's and everything else's.
BOT_VENV = ROOT / ".venv-bot"
ACTIONS_VENV = ROOT / ".venv-actions"
RASA = BOT_VENV / "bin" / "rasa"
BOT_PYTHON = BOT_VENV / "bin" / "python"
ACTIONS_PYTHON = ACTIONS_VENV / "bin" / "python"
GENERATED_NLU = ROOT / "data" / "nlu" / "knowledge_questions.yml"
RASA_TOKEN_FILE = "rasa_api.token"  # Rasa's HTTP API token, in the data folder unless LOTSE_RASA_TOKEN_FILE names one

# The sentence-embedding model for routing: a packaged model ("multilingual-e5-small", all eight
# languages, the default; "all-MiniLM-L6-v2", English only), a name in the local cache
# (`./lotse models download`), a folder, or "none" for lexical routing only.
DEFAULT_EMBEDDING_MODEL = "multilingual-e5-small"
# Messages longer than this are cut before routing (the user is told so).
MAX_ROUTED_CHARS = 1000

DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org"
# What Telegram accepts as a webhook's secret_token; at least 32 of them so it cannot be guessed.
WEBHOOK_SECRET_CHARACTERS = re.compile(r"[A-Za-z0-9_-]{1,256}")


class SettingsError(ValueError):
    """A missing or contradictory setting; the message says which variable to set."""


def normalised_base_path(value: str) -> str:
    """'' for the root, otherwise '/editor' form: one leading slash, no trailing one."""
    value = value.strip().strip("/")
    return f"/{value}" if value else ""


@dataclass(frozen=True)
class Retention:
    """How many days each kind of record is kept (`./lotse cleanup`, README's privacy section)."""

    conversations: int = 30  # after a conversation's last message
    feedback: int = 90
    closed_cases: int = 90  # after closing (the consent text names this number)
    unclosed_cases: int = 90  # after consent, whatever state the case is in
    inbox: int = 90


@dataclass(frozen=True)
class EditorSettings:
    """Where the volunteers' editor listens and keeps its sign-in codes."""

    host: str = "127.0.0.1"  # behind a reverse proxy, which adds TLS
    port: int = 8089
    base_path: str = ""
    tokens_file: Path | None = None  # None: editor_tokens.yml in the data folder
    secret: str | None = None  # the session key; None: a random key kept in the data folder


@dataclass(frozen=True)
class RedisAddress:
    """LOTSE_REDIS_URL taken apart: Rasa's lock store wants host, port, database and password separately."""

    host: str
    port: int
    db: int
    password: str | None


@dataclass(frozen=True)
class Settings:
    """The whole configuration of one process."""

    knowledge_dir: Path = ROOT / "knowledge"
    locales_dir: Path = ROOT / "locales"
    data_dir: Path = ROOT / "var"
    cache_dir: Path = Path.home() / ".cache" / "lotse"
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    # The project's own database (feedback, handover cases, the inbox, the gateway's records): SQLite in the
    # data folder by default, PostgreSQL in production (postgresql+psycopg://...). None: the default.
    database: str | None = None
    # Rasa's tracker store, which /delete and the retention job clear. None: var/tracker.db.
    tracker: str | None = None
    rasa_url: str = "http://127.0.0.1:5005"
    # Every Rasa server the editor loads a retrained model into; a host name stands for all its addresses
    # (a Kubernetes headless Service, a compose service with replicas). Empty: rasa_url alone.
    rasa_urls: tuple[str, ...] = ()
    rasa_model: Path | None = None  # `serve rasa`: None = the newest model in the model cache
    listen: str = "127.0.0.1"  # `serve`: the address the servers bind (0.0.0.0 in containers)
    rasa_port: int = 5005
    actions_port: int = 5055
    actions_url: str = "http://127.0.0.1:5055"  # where Rasa finds the action server
    rasa_token_file: Path | None = None  # with rasa_url: the editor retrains and hot-swaps Rasa after a save
    rasa_workers: int | None = None  # None: 2 where Redis answers, else 1 (tools/servers.py)
    redis_url: str = "redis://127.0.0.1:6379/1"
    redis_configured: bool = False  # LOTSE_REDIS_URL set: `serve rasa` uses Redis as its lock store
    reload_poll_seconds: float = 5.0  # how often the action server looks for changed knowledge files
    retention: Retention = field(default_factory=Retention)
    editor: EditorSettings = field(default_factory=EditorSettings)

    @property
    def database_url(self) -> str:
        return self.database or f"sqlite:///{self.data_dir / 'lotse.db'}"

    @property
    def tracker_url(self) -> str:
        return self.tracker or f"sqlite:///{self.data_dir / 'tracker.db'}"

    @property
    def rasa_token_path(self) -> Path:
        return self.rasa_token_file or self.data_dir / RASA_TOKEN_FILE

    @property
    def redis(self) -> RedisAddress:
        url = urlsplit(self.redis_url)
        password = unquote(url.password) if url.password else None
        return RedisAddress(url.hostname or "127.0.0.1", url.port or 6379, int(url.path.strip("/") or 1), password)

    @property
    def rasa_servers(self) -> tuple[str, ...]:
        return self.rasa_urls or (self.rasa_url,)

    @property
    def embedding_cache(self) -> Path:
        """Models downloaded by `./lotse models download`, and cached knowledge embeddings."""
        return self.cache_dir / "embeddings"

    @property
    def model_cache(self) -> Path:
        """Trained Rasa models, keyed by a hash of what they are trained from, outside the work tree so a
        fresh clone on the same machine (CI) reuses them."""
        return self.cache_dir / "models"

    @property
    def editor_tokens_file(self) -> Path:
        return self.editor.tokens_file or self.data_dir / "editor_tokens.yml"

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        def path(variable: str, default: Path) -> Path:
            return Path(env.get(variable) or str(default)).resolve()

        def days(variable: str, default: int) -> int:
            return int(env.get(variable) or default)

        defaults, retention, editor = cls(), Retention(), EditorSettings()
        token_file = env.get("LOTSE_RASA_TOKEN_FILE")
        workers = env.get("LOTSE_RASA_WORKERS")
        tokens_file = env.get("LOTSE_EDITOR_TOKENS_FILE")
        rasa_model = env.get("LOTSE_RASA_MODEL")
        return cls(
            knowledge_dir=path("LOTSE_KNOWLEDGE_DIR", defaults.knowledge_dir),
            locales_dir=path("LOTSE_LOCALES_DIR", defaults.locales_dir),
            data_dir=path("LOTSE_DATA_DIR", defaults.data_dir),
            cache_dir=path("LOTSE_CACHE_DIR", defaults.cache_dir),
            embedding_model=env.get("LOTSE_EMBEDDING_MODEL") or DEFAULT_EMBEDDING_MODEL,
            database=env.get("LOTSE_DATABASE_URL") or None,
            tracker=env.get("LOTSE_TRACKER_DB_URL") or None,
            rasa_url=env.get("LOTSE_RASA_URL") or defaults.rasa_url,
            rasa_urls=tuple(url.strip() for url in env.get("LOTSE_RASA_URLS", "").split(",") if url.strip()),
            rasa_model=Path(rasa_model).resolve() if rasa_model else None,
            listen=env.get("LOTSE_LISTEN") or defaults.listen,
            rasa_port=int(env.get("LOTSE_RASA_PORT") or defaults.rasa_port),
            actions_port=int(env.get("LOTSE_ACTIONS_PORT") or defaults.actions_port),
            actions_url=(env.get("LOTSE_ACTIONS_URL") or defaults.actions_url).rstrip("/"),
            rasa_token_file=Path(token_file) if token_file else None,
            rasa_workers=max(1, int(workers)) if workers else None,
            redis_url=env.get("LOTSE_REDIS_URL") or defaults.redis_url,
            redis_configured=bool(env.get("LOTSE_REDIS_URL")),
            reload_poll_seconds=float(env.get("LOTSE_RELOAD_POLL_SECONDS") or defaults.reload_poll_seconds),
            retention=Retention(
                conversations=days("LOTSE_CONVERSATION_RETENTION_DAYS", retention.conversations),
                feedback=days("LOTSE_FEEDBACK_RETENTION_DAYS", retention.feedback),
                closed_cases=days("LOTSE_HANDOVER_RETENTION_DAYS", retention.closed_cases),
                unclosed_cases=days("LOTSE_UNCLOSED_CASE_RETENTION_DAYS", retention.unclosed_cases),
                inbox=days("LOTSE_INBOX_RETENTION_DAYS", retention.inbox),
            ),
            editor=EditorSettings(
                host=env.get("LOTSE_EDITOR_HOST") or editor.host,
                port=int(env.get("LOTSE_EDITOR_PORT") or editor.port),
                base_path=normalised_base_path(env.get("LOTSE_EDITOR_BASE_PATH", "")),
                tokens_file=Path(tokens_file) if tokens_file else None,
                secret=env.get("LOTSE_EDITOR_SECRET") or None,
            ),
        )


@dataclass(frozen=True)
class TelegramSettings:
    """What the Telegram gateway needs besides `Settings`; `webhook_url` set means webhook mode, else polling.

    Read only by the gateway (`from_env` refuses to start without a token), so other programs run without one.
    """

    token: str
    key_file: Path  # the pseudonym key
    api_url: str = DEFAULT_TELEGRAM_API_URL
    webhook_url: str | None = None
    webhook_secret: str | None = None
    listen: str = "127.0.0.1"
    port: int = 8443
    rasa_timeout_s: float = 20.0
    rate_limit_per_minute: int = 20
    counsellor_groups_file: Path | None = None
    handover_check_s: float = 30.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> TelegramSettings:
        token = env.get("TELEGRAM_BOT_TOKEN", "")
        if not token:
            raise SettingsError("TELEGRAM_BOT_TOKEN is not set (the token @BotFather gave you).")
        webhook_url = env.get("LOTSE_TELEGRAM_WEBHOOK_URL") or None
        data_dir = Settings.from_env(env).data_dir
        return cls(
            token=token,
            key_file=Path(env.get("LOTSE_PSEUDONYM_KEY_FILE") or data_dir / "pseudonym.key"),
            api_url=(env.get("LOTSE_TELEGRAM_API_URL") or DEFAULT_TELEGRAM_API_URL).rstrip("/"),
            webhook_url=webhook_url,
            webhook_secret=webhook_secret(env) if webhook_url else None,
            listen=env.get("LOTSE_TELEGRAM_LISTEN") or "127.0.0.1",
            port=int(env.get("LOTSE_TELEGRAM_PORT") or 8443),
            rasa_timeout_s=float(env.get("LOTSE_RASA_TIMEOUT") or 20),
            rate_limit_per_minute=int(env.get("LOTSE_RATE_LIMIT_PER_MINUTE") or 20),
            counsellor_groups_file=Path(env.get("LOTSE_COUNSELLOR_GROUPS_FILE") or data_dir / "counsellor_groups.yml"),
            handover_check_s=float(env.get("LOTSE_HANDOVER_CHECK_SECONDS") or 30),
        )


def webhook_secret(env: Mapping[str, str]) -> str:
    """LOTSE_TELEGRAM_WEBHOOK_SECRET, which webhook mode needs: whoever knows it can send the bot made-up updates."""
    secret = env.get("LOTSE_TELEGRAM_WEBHOOK_SECRET", "")
    if not WEBHOOK_SECRET_CHARACTERS.fullmatch(secret):
        raise SettingsError(
            "Webhook mode needs LOTSE_TELEGRAM_WEBHOOK_SECRET: 32 to 256 characters A-Z a-z 0-9 _ - "
            "(Telegram sends it with every update, and requests without it are refused). "
            f"Make one with: {MAKE_TEXT_SECRET}"
        )
    return strong_secret(secret, "LOTSE_TELEGRAM_WEBHOOK_SECRET")


_current: Settings | None = None


def settings() -> Settings:
    """This process's settings, read from the environment at first use."""
    global _current
    if _current is None:
        _current = Settings.from_env()
    return _current


@contextlib.contextmanager
def overridden(**changes: Any) -> Iterator[Settings]:
    """The process's settings with `changes` until the block ends (measurements in isolated caches, tests)."""
    global _current
    before = settings()
    _current = dataclasses.replace(before, **changes)
    try:
        yield _current
    finally:
        _current = before
