"""`python -m editor`: run the volunteer editor as configured by the LOTSE_EDITOR_* variables.

With LOTSE_RASA_URL and LOTSE_RASA_TOKEN_FILE set (as `./lotse run` does), each save also retrains and
hot-swaps Rasa's model when its training data changed; the action server reloads the knowledge by itself.
A secret that is too short (LOTSE_EDITOR_SECRET, the key file) stops the start with the remedy (exit 2).
"""
import os
import sys
from pathlib import Path

from actions.secret_file import WeakSecret
from editor.app import serve
from tools.rasa_api import RasaApi
from tools.reload import Reloader

try:
    if os.environ.get("LOTSE_RASA_URL") and os.environ.get("LOTSE_RASA_TOKEN_FILE"):
        rasa = RasaApi.from_token_file(os.environ["LOTSE_RASA_URL"], Path(os.environ["LOTSE_RASA_TOKEN_FILE"]))
        serve(on_saved=Reloader(rasa).request)
    else:
        serve()
except WeakSecret as error:
    print(f"The editor did not start: {error}", file=sys.stderr)
    sys.exit(2)
