"""Where the editor listens and keeps its files, from LOTSE_EDITOR_* variables (see README, "Editor for volunteers")."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from actions import settings

DEFAULT_HOST = "127.0.0.1"  # behind a reverse proxy, which adds TLS
DEFAULT_PORT = 8089
TOKENS_FILE_NAME = "editor_tokens.yml"


def normalised_base_path(value: str) -> str:
    """'' for the root, otherwise '/editor' form: one leading slash, no trailing one."""
    value = value.strip().strip("/")
    return f"/{value}" if value else ""


@dataclass(frozen=True)
class EditorSettings:
    host: str
    port: int
    base_path: str
    tokens_file: Path
    knowledge_dir: Path
    data_dir: Path


def from_environment() -> EditorSettings:
    return EditorSettings(
        host=os.environ.get("LOTSE_EDITOR_HOST", DEFAULT_HOST),
        port=int(os.environ.get("LOTSE_EDITOR_PORT", str(DEFAULT_PORT))),
        base_path=normalised_base_path(os.environ.get("LOTSE_EDITOR_BASE_PATH", "")),
        tokens_file=Path(os.environ.get("LOTSE_EDITOR_TOKENS_FILE", str(settings.DATA_DIR / TOKENS_FILE_NAME))),
        knowledge_dir=settings.KNOWLEDGE_DIR,
        data_dir=settings.DATA_DIR,
    )
