"""`python -m editor`: run the volunteer editor as configured by the LOTSE_EDITOR_* variables.

With LOTSE_RASA_URL set (as `./lotse run` does), each save also retrains and hot-swaps Rasa's model when
its training data changed; the action server reloads the knowledge by itself.
"""
import os

from editor.app import serve
from tools.reload import Reloader

if os.environ.get("LOTSE_RASA_URL"):
    serve(on_saved=Reloader(os.environ["LOTSE_RASA_URL"]).request)
else:
    serve()
