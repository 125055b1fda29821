"""`python -m bot.telegram`: run the Telegram gateway from environment settings (core/config.py, README: Telegram)."""

from __future__ import annotations

import logging
import os
import sys

from bot.telegram.app import serve
from core import config
from core.config import SettingsError, TelegramSettings
from core.secret_file import WeakSecret

# Files the gateway creates (its SQLite database and journal, the pseudonym key, the data folder) hold
# pseudonyms, chat ids of handover cases and keys: readable by the owner only, whatever the shell's umask.
OWNER_ONLY = 0o077


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL at INFO, and Bot API URLs contain the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    os.umask(OWNER_ONLY)
    try:
        serve(TelegramSettings.from_env(), config.settings())
    except (SettingsError, WeakSecret) as error:  # raised at start, before anything is served
        print(error, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
