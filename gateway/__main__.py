"""`python -m gateway`: run the Telegram gateway from environment settings (see gateway/settings.py)."""
from __future__ import annotations

import logging
import sys

from gateway.app import serve
from gateway.settings import GatewaySettings, SettingsError


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL at INFO, and Bot API URLs contain the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        settings = GatewaySettings.from_env()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    serve(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
