"""Volunteers' personal access codes: created by an admin, shown once, stored only as a salted hash.

There is no self sign-up: an admin adds a volunteer by name (`./lotse editor
add-volunteer NAME`) and passes the code on. The file keeps a short public key
per code, so a sign-in costs one scrypt computation however many volunteers
there are, and removing a volunteer ends their sessions too (a session names the
key it was opened with).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

HEADER = ("# Volunteers of the Lotse editor. Only salted scrypt hashes of their access codes are kept here.\n"
          "# Managed with ./lotse editor add-volunteer NAME / remove-volunteer NAME; do not edit by hand.\n")
# scrypt's standard interactive cost: about 50 ms and 16 MiB per sign-in
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


@dataclass(frozen=True)
class Volunteer:
    """Who signed in, and with which code (its public key), so a session can be checked against the file."""

    name: str
    key: str


def _hash(secret: str, salt: bytes) -> str:
    return hashlib.scrypt(secret.encode("utf-8"), salt=salt, **_SCRYPT).hex()


def _records(tokens_file: Path) -> list[dict[str, Any]]:
    if not tokens_file.is_file():
        return []
    data = yaml.safe_load(tokens_file.read_text(encoding="utf-8")) or {}
    return list(data.get("volunteers") or [])


def _write(tokens_file: Path, records: list[dict[str, Any]]) -> None:
    """Write the file readable by its owner only (it names the volunteers)."""
    tokens_file.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(tokens_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(HEADER)
        yaml.safe_dump({"volunteers": records}, out, allow_unicode=True, sort_keys=False)
    os.chmod(tokens_file, 0o600)


def add_volunteer(tokens_file: Path, name: str) -> str:
    """Create a personal access code for `name` and return it: it is shown this once and never stored."""
    name = " ".join(name.split())
    if not name:
        raise ValueError("the volunteer's name is empty")
    records = _records(tokens_file)
    if any(record["name"] == name for record in records):
        raise ValueError(f"there is already a volunteer called '{name}'; remove them first to give a new code")
    key, secret, salt = secrets.token_hex(4), secrets.token_urlsafe(24), secrets.token_bytes(16)
    records.append({"name": name, "key": key, "salt": salt.hex(), "hash": _hash(secret, salt),
                    "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")})
    _write(tokens_file, records)
    return f"{key}.{secret}"


def remove_volunteer(tokens_file: Path, name: str) -> bool:
    """Delete the volunteer's code (their open sessions end with it); False if there was no such volunteer."""
    records = _records(tokens_file)
    kept = [record for record in records if record["name"] != name]
    if len(kept) == len(records):
        return False
    _write(tokens_file, kept)
    return True


def volunteers(tokens_file: Path) -> list[str]:
    """Names of everyone who has a code, for an admin's overview."""
    return [record["name"] for record in _records(tokens_file)]


def check(tokens_file: Path, token: str) -> Volunteer | None:
    """The volunteer whose code this is, or None; white space around a pasted code is ignored."""
    key, _, secret = token.strip().partition(".")
    for record in _records(tokens_file):
        if record["key"] == key and secret:
            if hmac.compare_digest(_hash(secret, bytes.fromhex(record["salt"])), record["hash"]):
                return Volunteer(record["name"], key)
            return None
    return None


def verify(tokens_file: Path, token: str) -> str | None:
    """The name of the volunteer whose code this is, or None."""
    volunteer = check(tokens_file, token)
    return volunteer.name if volunteer else None


def is_current(tokens_file: Path, volunteer: Volunteer) -> bool:
    """True while the code a session was opened with is still in the file (not removed or replaced)."""
    return any(record["key"] == volunteer.key and record["name"] == volunteer.name
               for record in _records(tokens_file))
