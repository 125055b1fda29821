"""core.config: every LOTSE_* variable read in one place, with defaults, and the gateway's refusals to start."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from core import config
from core.config import EditorSettings, RedisAddress, Retention, Settings, SettingsError, TelegramSettings
from core.secret_file import WeakSecret

GOOD_SECRET = "A" * 16 + "b_-9" * 4  # 32 characters Telegram accepts
WEBHOOK = {"TELEGRAM_BOT_TOKEN": "123:abc", "LOTSE_TELEGRAM_WEBHOOK_URL": "https://bot.example.org/telegram"}


def test_defaults_without_any_variable() -> None:
    settings = Settings.from_env({})
    assert settings.knowledge_dir == (config.ROOT / "knowledge").resolve()
    assert settings.locales_dir == (config.ROOT / "locales").resolve()
    assert settings.data_dir == (config.ROOT / "var").resolve()
    assert settings.cache_dir == (Path.home() / ".cache" / "lotse").resolve()
    assert settings.embedding_model == config.DEFAULT_EMBEDDING_MODEL == "multilingual-e5-small"
    assert settings.database_url == f"sqlite:///{settings.data_dir / 'lotse.db'}"
    assert settings.tracker_url == f"sqlite:///{settings.data_dir / 'tracker.db'}"
    assert (settings.rasa_url, settings.rasa_token_file, settings.rasa_workers) == ("http://127.0.0.1:5005", None, None)
    assert settings.redis_url == "redis://127.0.0.1:6379/1"
    assert settings.reload_poll_seconds == 5.0
    assert settings.retention == Retention(conversations=30, feedback=90, closed_cases=90, unclosed_cases=90, inbox=90)
    assert settings.editor == EditorSettings()
    assert settings.editor_tokens_file == settings.data_dir / "editor_tokens.yml"
    assert settings.embedding_cache == settings.cache_dir / "embeddings"
    assert settings.model_cache == settings.cache_dir / "models"


def test_every_variable_is_read(tmp_path: Path) -> None:
    env = {
        "LOTSE_KNOWLEDGE_DIR": str(tmp_path / "knowledge"),
        "LOTSE_LOCALES_DIR": str(tmp_path / "locales"),
        "LOTSE_DATA_DIR": str(tmp_path / "data"),
        "LOTSE_CACHE_DIR": str(tmp_path / "cache"),
        "LOTSE_EMBEDDING_MODEL": "none",
        "LOTSE_DATABASE_URL": "postgresql+psycopg://lotse@db/lotse",
        "LOTSE_TRACKER_DB_URL": "postgresql+psycopg://rasa@db/tracker",
        "LOTSE_RASA_URL": "http://rasa:5005",
        "LOTSE_RASA_TOKEN_FILE": str(tmp_path / "rasa.token"),
        "LOTSE_RASA_WORKERS": "3",
        "LOTSE_RASA_URLS": "http://rasa-a:5005, http://rasa-b:5005,",
        "LOTSE_RASA_MODEL": str(tmp_path / "model.tar.gz"),
        "LOTSE_LISTEN": "0.0.0.0",
        "LOTSE_RASA_PORT": "5105",
        "LOTSE_ACTIONS_PORT": "5155",
        "LOTSE_ACTIONS_URL": "http://actions:5155/",
        "LOTSE_REDIS_URL": "redis://redis:6379/0",
        "LOTSE_RELOAD_POLL_SECONDS": "0.5",
        "LOTSE_CONVERSATION_RETENTION_DAYS": "7",
        "LOTSE_FEEDBACK_RETENTION_DAYS": "8",
        "LOTSE_HANDOVER_RETENTION_DAYS": "9",
        "LOTSE_UNCLOSED_CASE_RETENTION_DAYS": "10",
        "LOTSE_INBOX_RETENTION_DAYS": "11",
        "LOTSE_EDITOR_HOST": "0.0.0.0",
        "LOTSE_EDITOR_PORT": "9000",
        "LOTSE_EDITOR_BASE_PATH": "/redaktion/",
        "LOTSE_EDITOR_TOKENS_FILE": str(tmp_path / "tokens.yml"),
        "LOTSE_EDITOR_SECRET": "s" * 40,
    }
    settings = Settings.from_env(env)
    assert (settings.knowledge_dir, settings.locales_dir) == (tmp_path / "knowledge", tmp_path / "locales")
    assert (settings.data_dir, settings.cache_dir) == (tmp_path / "data", tmp_path / "cache")
    assert settings.embedding_model == "none"
    assert settings.database_url == "postgresql+psycopg://lotse@db/lotse"
    assert settings.tracker_url == "postgresql+psycopg://rasa@db/tracker"
    assert (settings.rasa_url, settings.rasa_token_file, settings.rasa_workers) == (
        "http://rasa:5005",
        tmp_path / "rasa.token",
        3,
    )
    assert settings.rasa_servers == ("http://rasa-a:5005", "http://rasa-b:5005")
    assert settings.rasa_model == tmp_path / "model.tar.gz"
    assert (settings.listen, settings.rasa_port, settings.actions_port) == ("0.0.0.0", 5105, 5155)
    assert settings.actions_url == "http://actions:5155"
    assert (settings.redis_url, settings.redis_configured, settings.reload_poll_seconds) == (
        "redis://redis:6379/0",
        True,
        0.5,
    )
    assert settings.retention == Retention(conversations=7, feedback=8, closed_cases=9, unclosed_cases=10, inbox=11)
    assert settings.editor == EditorSettings("0.0.0.0", 9000, "/redaktion", tmp_path / "tokens.yml", "s" * 40)
    assert settings.editor_tokens_file == tmp_path / "tokens.yml"


def test_the_test_names_every_variable_the_settings_read() -> None:
    """A new LOTSE_* variable needs a line in test_every_variable_is_read (and in the README)."""
    read = set(re.findall(r'"(LOTSE_[A-Z_]+)"', inspect.getsource(Settings.from_env)))
    tested = set(re.findall(r'"(LOTSE_[A-Z_]+)"', inspect.getsource(test_every_variable_is_read)))
    assert read == tested


def test_empty_values_fall_back_to_the_defaults() -> None:
    """`LOTSE_X=` in a compose or .env file means "not set", not an empty path or a crash."""
    variables = [
        "LOTSE_KNOWLEDGE_DIR",
        "LOTSE_DATA_DIR",
        "LOTSE_EMBEDDING_MODEL",
        "LOTSE_DATABASE_URL",
        "LOTSE_TRACKER_DB_URL",
        "LOTSE_RASA_URL",
        "LOTSE_RASA_TOKEN_FILE",
        "LOTSE_RASA_WORKERS",
        "LOTSE_RASA_URLS",
        "LOTSE_RASA_MODEL",
        "LOTSE_LISTEN",
        "LOTSE_RASA_PORT",
        "LOTSE_ACTIONS_PORT",
        "LOTSE_ACTIONS_URL",
        "LOTSE_REDIS_URL",
        "LOTSE_RELOAD_POLL_SECONDS",
        "LOTSE_INBOX_RETENTION_DAYS",
        "LOTSE_EDITOR_HOST",
        "LOTSE_EDITOR_PORT",
        "LOTSE_EDITOR_BASE_PATH",
        "LOTSE_EDITOR_TOKENS_FILE",
        "LOTSE_EDITOR_SECRET",
    ]
    assert Settings.from_env(dict.fromkeys(variables, "")) == Settings.from_env({})


@pytest.mark.parametrize("value, path", [("", ""), ("/", ""), ("editor", "/editor"), (" /a/b/ ", "/a/b")])
def test_the_editor_base_path_has_one_leading_slash_and_no_trailing_one(value: str, path: str) -> None:
    assert Settings.from_env({"LOTSE_EDITOR_BASE_PATH": value}).editor.base_path == path


def test_rasa_workers_are_at_least_one() -> None:
    assert Settings.from_env({"LOTSE_RASA_WORKERS": "0"}).rasa_workers == 1


# -- the Telegram gateway ------------------------------------------------------------------------------------


def test_the_gateway_refuses_to_start_without_a_token() -> None:
    with pytest.raises(SettingsError, match="TELEGRAM_BOT_TOKEN"):
        TelegramSettings.from_env({})
    with pytest.raises(SettingsError, match="TELEGRAM_BOT_TOKEN"):
        TelegramSettings.from_env({"TELEGRAM_BOT_TOKEN": ""})


def test_polling_mode_defaults(tmp_path: Path) -> None:
    settings = TelegramSettings.from_env({"TELEGRAM_BOT_TOKEN": "123:abc", "LOTSE_DATA_DIR": str(tmp_path)})
    assert settings.token == "123:abc"
    assert (settings.webhook_url, settings.webhook_secret) == (None, None)
    assert settings.key_file == tmp_path / "pseudonym.key"
    assert settings.counsellor_groups_file == tmp_path / "counsellor_groups.yml"
    assert (settings.api_url, settings.listen, settings.port) == ("https://api.telegram.org", "127.0.0.1", 8443)
    assert (settings.rasa_timeout_s, settings.rate_limit_per_minute, settings.handover_check_s) == (20.0, 20, 30.0)


def test_every_gateway_variable_is_read(tmp_path: Path) -> None:
    settings = TelegramSettings.from_env(
        {
            **WEBHOOK,
            "LOTSE_TELEGRAM_WEBHOOK_SECRET": GOOD_SECRET,
            "LOTSE_PSEUDONYM_KEY_FILE": str(tmp_path / "key"),
            "LOTSE_TELEGRAM_API_URL": "http://fake-telegram:8081/",
            "LOTSE_TELEGRAM_LISTEN": "0.0.0.0",
            "LOTSE_TELEGRAM_PORT": "9443",
            "LOTSE_RASA_TIMEOUT": "5.5",
            "LOTSE_RATE_LIMIT_PER_MINUTE": "7",
            "LOTSE_COUNSELLOR_GROUPS_FILE": str(tmp_path / "groups.yml"),
            "LOTSE_HANDOVER_CHECK_SECONDS": "2",
        }
    )
    assert (settings.webhook_url, settings.webhook_secret) == (WEBHOOK["LOTSE_TELEGRAM_WEBHOOK_URL"], GOOD_SECRET)
    assert settings.key_file == tmp_path / "key"
    assert settings.api_url == "http://fake-telegram:8081"  # no trailing slash: paths are appended
    assert (settings.listen, settings.port, settings.rasa_timeout_s) == ("0.0.0.0", 9443, 5.5)
    assert (settings.rate_limit_per_minute, settings.handover_check_s) == (7, 2.0)
    assert settings.counsellor_groups_file == tmp_path / "groups.yml"


@pytest.mark.parametrize("secret", ["", "has spaces in it and is long enough to count", "ä" * 40, "x" * 257])
def test_webhook_mode_refuses_a_missing_or_malformed_secret(secret: str) -> None:
    """Whoever knows the webhook secret can send the bot made-up updates; Telegram accepts only these characters."""
    with pytest.raises(SettingsError, match="LOTSE_TELEGRAM_WEBHOOK_SECRET"):
        TelegramSettings.from_env({**WEBHOOK, "LOTSE_TELEGRAM_WEBHOOK_SECRET": secret})


@pytest.mark.parametrize("secret", ["short", "a" * 31])
def test_webhook_mode_refuses_a_weak_secret(secret: str) -> None:
    with pytest.raises(WeakSecret, match="LOTSE_TELEGRAM_WEBHOOK_SECRET"):
        TelegramSettings.from_env({**WEBHOOK, "LOTSE_TELEGRAM_WEBHOOK_SECRET": secret})


def test_polling_mode_needs_no_secret() -> None:
    assert TelegramSettings.from_env({"TELEGRAM_BOT_TOKEN": "123:abc", "LOTSE_TELEGRAM_WEBHOOK_SECRET": "x"})


def test_empty_gateway_values_fall_back_to_the_defaults() -> None:
    """Like Settings: `LOTSE_TELEGRAM_PORT=` in an .env file must mean the default, not a crash or ''."""
    variables = ["LOTSE_TELEGRAM_PORT", "LOTSE_RASA_TIMEOUT", "LOTSE_TELEGRAM_API_URL", "LOTSE_PSEUDONYM_KEY_FILE"]
    env = {"TELEGRAM_BOT_TOKEN": "123:abc"}
    assert TelegramSettings.from_env({**env, **dict.fromkeys(variables, "")}) == TelegramSettings.from_env(env)


# -- overridden ----------------------------------------------------------------------------------------------


def test_overridden_changes_the_settings_inside_the_block_only(tmp_path: Path) -> None:
    before = config.settings()
    with config.overridden(data_dir=tmp_path) as inside:
        assert config.settings() is inside and inside.data_dir == tmp_path
        assert inside.knowledge_dir == before.knowledge_dir  # everything else stays
    assert config.settings() is before


def test_overridden_restores_the_settings_when_the_block_raises(tmp_path: Path) -> None:
    """A failing measurement or test must not leave the whole process pointing at a temporary folder."""
    before = config.settings()
    with pytest.raises(RuntimeError), config.overridden(data_dir=tmp_path):
        raise RuntimeError("boom")
    assert config.settings() is before


def test_overrides_nest(tmp_path: Path) -> None:
    before = config.settings()
    with config.overridden(data_dir=tmp_path), config.overridden(embedding_model="none") as inner:
        assert (inner.data_dir, inner.embedding_model) == (tmp_path, "none")
    assert config.settings() is before


def test_the_redis_url_is_taken_apart_for_rasas_lock_store() -> None:
    settings = Settings.from_env({"LOTSE_REDIS_URL": "redis://:p%40ss@redis.internal:6380/3"})
    assert settings.redis == RedisAddress("redis.internal", 6380, 3, "p@ss")
    assert Settings.from_env({}).redis == RedisAddress("127.0.0.1", 6379, 1, None)
