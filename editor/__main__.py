"""`python -m editor`: run the volunteer editor as configured by the LOTSE_EDITOR_* variables.

With LOTSE_RASA_URL and LOTSE_RASA_TOKEN_FILE set (as `./lotse run` does), each save also retrains and
hot-swaps Rasa's model when its training data changed; the action server reloads the knowledge by itself.
"""
import os
from pathlib import Path

from editor.app import serve
from tools.rasa_api import RasaApi
from tools.reload import Reloader

if os.environ.get("LOTSE_RASA_URL") and os.environ.get("LOTSE_RASA_TOKEN_FILE"):
    rasa = RasaApi.from_token_file(os.environ["LOTSE_RASA_URL"], Path(os.environ["LOTSE_RASA_TOKEN_FILE"]))
    serve(on_saved=Reloader(rasa).request)
else:
    serve()
