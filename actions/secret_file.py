"""A random secret kept in a file of the data folder: created once, readable by its owner only.

Used for the gateway's pseudonym key and the editor's session key, so both
survive a restart without anyone having to configure a secret.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path


def secret_from_file(path: Path) -> str:
    """The hex secret in `path`; on first use 32 random bytes are written there (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(descriptor, "w", encoding="ascii") as out:
        out.write(secrets.token_hex(32))
    return path.read_text(encoding="ascii").strip()
