"""Secrets: a random key kept in a file of the data folder, and the strength check for configured ones.

The file is used for the gateway's pseudonym key and the editor's session key,
so both survive a restart without anyone having to configure a secret. A key
that is short (or empty, as after a crash or a hand edit) would make the
pseudonyms or the session cookies guessable, so it is refused at start with a
message that says how to make a good one, instead of being used quietly.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

MIN_SECRET_BYTES = 32
MAKE_TEXT_SECRET = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
MAKE_KEY_FILE = "python -c 'import secrets; print(secrets.token_hex(32))' > {path}"


class WeakSecret(ValueError):
    """A secret too short to resist guessing; the message names where it came from and how to make a good one."""


def strong_secret(value: str, name: str) -> str:
    """`value` if it has at least 32 bytes; otherwise WeakSecret naming the setting `name`."""
    if len(value.encode("utf-8")) < MIN_SECRET_BYTES:
        raise WeakSecret(
            f"{name} is {len(value.encode('utf-8'))} bytes long; it must have at least "
            f"{MIN_SECRET_BYTES}. Make one with: {MAKE_TEXT_SECRET}"
        )
    return value


def secret_from_file(path: Path) -> str:
    """The hex key in `path` (at least 32 bytes); created on first use, readable by its owner only.

    Raises WeakSecret when the file holds no hex key of that length.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        _create(path)
    return _checked_key(path)


def _create(path: Path) -> None:
    """Write a new key to a temporary file beside `path`, then link it into place.

    Nobody ever reads a half-written key, and when two processes start at once the first key
    stays: a rename would replace a key the other process may already be using.
    """
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(MIN_SECRET_BYTES))
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):  # another process was first: its key is the one
            os.link(temporary, path)
    finally:
        temporary.unlink()


def _checked_key(path: Path) -> str:
    secret = path.read_text(encoding="ascii", errors="replace").strip()
    try:
        length = len(bytes.fromhex(secret))
    except ValueError:
        length = 0
    if length < MIN_SECRET_BYTES:
        raise WeakSecret(
            f"{path} does not hold a key of at least {MIN_SECRET_BYTES} bytes in hex "
            f"(it holds {length} bytes). Delete the file to have a new key made at the next start, or "
            f"write one with: {MAKE_KEY_FILE.format(path=path)}"
        )
    return secret
