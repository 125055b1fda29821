"""The gateway's configuration, read from the environment so no secret is ever in the repository."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from actions import settings as bot_settings
from actions.secret_file import MAKE_TEXT_SECRET, strong_secret

DEFAULT_API_URL = "https://api.telegram.org"
# What Telegram accepts as a webhook's secret_token; at least 32 of them so it cannot be guessed.
WEBHOOK_SECRET_CHARACTERS = re.compile(r"[A-Za-z0-9_-]{1,256}")


class SettingsError(ValueError):
    """A missing or contradictory setting; the message says which variable to set."""


def database_url(env: Mapping[str, str] = os.environ) -> str:
    """The gateway's database (feedback, handover cases): SQLite in the data folder unless LOTSE_DATABASE_URL."""
    return env.get("LOTSE_DATABASE_URL", bot_settings.DATABASE_URL)


def webhook_secret(env: Mapping[str, str]) -> str:
    """LOTSE_TELEGRAM_WEBHOOK_SECRET, which webhook mode needs: whoever knows it can send the bot made-up updates."""
    secret = env.get("LOTSE_TELEGRAM_WEBHOOK_SECRET", "")
    if not WEBHOOK_SECRET_CHARACTERS.fullmatch(secret):
        raise SettingsError("Webhook mode needs LOTSE_TELEGRAM_WEBHOOK_SECRET: 32 to 256 characters A-Z a-z 0-9 _ - "
                            "(Telegram sends it with every update, and requests without it are refused). "
                            f"Make one with: {MAKE_TEXT_SECRET}")
    return strong_secret(secret, "LOTSE_TELEGRAM_WEBHOOK_SECRET")


@dataclass(frozen=True)
class GatewaySettings:
    """Everything the gateway needs; `webhook_url` set means webhook mode, otherwise long polling."""

    token: str
    rasa_url: str
    database_url: str
    tracker_url: str
    key_file: Path
    api_url: str = DEFAULT_API_URL
    webhook_url: str | None = None
    webhook_secret: str | None = None
    listen: str = "127.0.0.1"
    port: int = 8443
    rasa_timeout_s: float = 20.0
    rate_limit_per_minute: int = 20
    counsellor_groups_file: Path | None = None
    handover_check_s: float = 30.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "GatewaySettings":
        token = env.get("TELEGRAM_BOT_TOKEN", "")
        if not token:
            raise SettingsError("TELEGRAM_BOT_TOKEN is not set (the token @BotFather gave you).")
        webhook_url = env.get("LOTSE_TELEGRAM_WEBHOOK_URL") or None
        secret = webhook_secret(env) if webhook_url else None
        data_dir = bot_settings.DATA_DIR
        return cls(
            token=token,
            rasa_url=env.get("LOTSE_RASA_URL", "http://127.0.0.1:5005"),
            database_url=database_url(env),
            tracker_url=env.get("LOTSE_TRACKER_DB_URL", f"sqlite:///{data_dir / 'tracker.db'}"),
            key_file=Path(env.get("LOTSE_PSEUDONYM_KEY_FILE", str(data_dir / "pseudonym.key"))),
            api_url=env.get("LOTSE_TELEGRAM_API_URL", DEFAULT_API_URL).rstrip("/"),
            webhook_url=webhook_url,
            webhook_secret=secret,
            listen=env.get("LOTSE_TELEGRAM_LISTEN", "127.0.0.1"),
            port=int(env.get("LOTSE_TELEGRAM_PORT", "8443")),
            rasa_timeout_s=float(env.get("LOTSE_RASA_TIMEOUT", "20")),
            rate_limit_per_minute=int(env.get("LOTSE_RATE_LIMIT_PER_MINUTE", "20")),
            counsellor_groups_file=Path(env.get("LOTSE_COUNSELLOR_GROUPS_FILE",
                                                str(data_dir / "counsellor_groups.yml"))),
            handover_check_s=float(env.get("LOTSE_HANDOVER_CHECK_SECONDS", "30")),
        )
