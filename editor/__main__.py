"""`python -m editor`: run the volunteer editor as configured by the LOTSE_EDITOR_* variables, or manage the
volunteers' codes (`add-volunteer NAME`, `remove-volunteer NAME`, `volunteers`; `./lotse editor ...` calls these).

With LOTSE_RASA_TOKEN_FILE set (as `./lotse run` does), each save also retrains and hot-swaps Rasa's model when
its training data changed, on every Rasa server of LOTSE_RASA_URLS (else LOTSE_RASA_URL); the action servers
reload the knowledge by themselves.
A secret that is too short (LOTSE_EDITOR_SECRET, the key file) stops the start with the remedy (exit 2).
"""

import sys

from core import config
from core.secret_file import WeakSecret
from editor.tokens import add_volunteer, remove_volunteer, volunteers

USAGE = "usage: ./lotse editor add-volunteer NAME | remove-volunteer NAME | volunteers"


def admin(args: list[str]) -> int:
    """The admin commands: codes are shown once, on this terminal only."""
    tokens_file = config.settings().editor_tokens_file
    if args[:1] == ["add-volunteer"] and len(args) == 2:
        token = add_volunteer(tokens_file, args[1])
        print(f"Personal code for {args[1]} (shown only now; give it to them privately):\n{token}")
        return 0
    if args[:1] == ["remove-volunteer"] and len(args) == 2:
        if remove_volunteer(tokens_file, args[1]):
            print(f"{args[1]} can no longer sign in.")
            return 0
        print(f"No volunteer named {args[1]!r}.", file=sys.stderr)
        return 1
    if args == ["volunteers"]:
        print("\n".join(volunteers(tokens_file)) or "(none yet)")
        return 0
    print(USAGE, file=sys.stderr)
    return 2


def run() -> int:
    from core.model.rasa_api import RasaApi
    from core.model.reload import Reloader
    from editor.app import serve

    configured = config.settings()
    try:
        if configured.rasa_token_file:
            rasa = [RasaApi.from_token_file(url, configured.rasa_token_file) for url in configured.rasa_servers]
            serve(on_saved=Reloader(rasa).request)
        else:
            serve()
    except WeakSecret as error:
        print(f"The editor did not start: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(admin(sys.argv[1:]) if sys.argv[1:] else run())
