"""Where the project keeps its environments, generated data, cache and runtime state."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOT_VENV = ROOT / ".venv-bot"
ACTIONS_VENV = ROOT / ".venv-actions"
RASA = BOT_VENV / "bin" / "rasa"
BOT_PYTHON = BOT_VENV / "bin" / "python"
ACTIONS_PYTHON = ACTIONS_VENV / "bin" / "python"
GENERATED_NLU = ROOT / "data" / "nlu" / "knowledge_questions.yml"
VAR = Path(os.environ.get("LOTSE_DATA_DIR", str(ROOT / "var")))
# Trained models are cached outside the work tree, keyed by a hash of what they are trained from,
# so a fresh clone on the same machine (CI) reuses them.
MODEL_CACHE = Path(os.environ.get("LOTSE_CACHE_DIR", str(Path.home() / ".cache" / "lotse"))) / "models"
