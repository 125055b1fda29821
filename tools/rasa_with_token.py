"""Start `rasa run` with its HTTP API token read from a file, and without message text in its log.

Runs in .venv-bot. Rasa takes the token only as `--auth-token` on its command line, which every local
user can read in the process list; this launcher reads it from a 0600 file and hands it to Rasa inside
the process. A message that starts with "/" but is no valid payload ("/привет, мой номер …") makes
Rasa warn with the whole text ("Parsed an intent '…'", "Failed to parse arguments in line '…'"), which
would put what a person wrote into var/rasa.log: those warnings are dropped here, and user content in
Rasa's structured log (e.g. the text of a request the channel gave up on) is withheld.
Usage: python -m tools.rasa_with_token TOKEN_FILE run [RASA ARGS ...]
"""

import sys
import warnings
from pathlib import Path
from typing import Any, Callable

# Rasa warnings whose message quotes the user's text.
TEXT_QUOTING_WARNINGS = (
    "Parsed an intent ",
    "Parsed an entity ",
    "Failed to parse arguments in line ",
    "Failed to parse intent end entities",
)


def _without_user_text(show: Callable[..., None]) -> Callable[..., None]:
    """`warnings.showwarning` that drops the warnings quoting user text and shows all others.

    A filter would not do: Rasa puts its own "once" filter for every UserWarning in front of it.
    """

    def showwarning(message: Warning | str, *args: Any, **kwargs: Any) -> None:
        if not str(message).startswith(TEXT_QUOTING_WARNINGS):
            show(message, *args, **kwargs)

    return showwarning


# The structured-log keys that Rasa's own log anonymiser treats as user content (rasa/utils/log_utils.py); its
# REST channel logs the whole message under "text" when a request is cancelled (the gateway gave up waiting).
STRUCTLOG_CONTENT_KEYS = (
    "text",
    "response_text",
    "user_text",
    "slot_values",
    "parse_data_text",
    "parse_data_entities",
    "prediction_events",
    "tracker_latest_message",
    "prefilled_slots",
    "message",
    "response",
    "slot_candidates",
    "rasa_event",
    "rasa_events",
    "tracker_states",
    "current_states",
    "old_states",
    "successes",
    "current_entity",
    "next_entity",
    "states",
    "entity",
    "token_text",
    "user_message",
    "json_message",
)


def _withhold_content(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """Replaces Rasa's structlog anonymiser (a no-op without a plugin): user content never reaches the log."""
    for key in STRUCTLOG_CONTENT_KEYS:
        if key in event_dict:
            event_dict[key] = "[withheld]"
    return event_dict


def _checked_connections() -> None:
    """Rasa's SQL tracker store without pool_pre_ping: after a PostgreSQL restart each pooled connection
    would fail one message. With it, a dead connection is replaced before use (the project's own engines
    do the same, core/store/database.py)."""
    import rasa.core.tracker_store as tracker_store

    kwargs = tracker_store.create_engine_kwargs
    tracker_store.create_engine_kwargs = lambda url: {**kwargs(url), "pool_pre_ping": True}


def main() -> None:
    token_file, *rasa_args = sys.argv[1:]
    token = Path(token_file).read_text(encoding="ascii").strip()
    warnings.showwarning = _without_user_text(warnings.showwarning)
    import rasa.utils.log_utils as log_utils  # configure_structlog looks the anonymiser up when Rasa starts

    log_utils._anonymizer = _withhold_content
    _checked_connections()
    sys.argv = ["rasa", *rasa_args, "--auth-token", token]
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
