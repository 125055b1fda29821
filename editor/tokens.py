"""Volunteers' personal access codes: created by an admin, shown once, stored only as a salted hash.

There is no self sign-up: an admin adds a volunteer by name (`./lotse editor
add-volunteer NAME`) and passes the code on. The file keeps a short public key
per code, so a sign-in costs one scrypt computation however many volunteers
there are. A wrong public key costs the same computation (with a dummy salt),
so the answer's timing does not tell which keys exist.

Each record carries a session epoch that every session cookie names: signing
out raises it, which ends all of that volunteer's sessions at once, copied
cookies included; removing a volunteer deletes the record and so ends them too.
The editor and the admin commands both change the file, so every change holds a
lock and replaces the file in one step: no change is lost, and no reader ever
sees a half-written file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import hmac
import os
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

HEADER = (
    "# Volunteers of the Lotse editor. Only salted scrypt hashes of their access codes are kept here.\n"
    "# Managed with ./lotse editor add-volunteer NAME / remove-volunteer NAME; do not edit by hand.\n"
)
# scrypt's standard interactive cost per sign-in (time and memory: docs/decisions/005-serving-performance.md)
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
# hashed in place of a record's salt when the key is unknown, so that answer takes as long as a wrong code
_DUMMY_SALT = bytes(16)


@dataclass(frozen=True)
class Volunteer:
    """Who signed in, with which code (its public key) and in which session epoch, so a session can be
    checked against the file: a removed code or a raised epoch ends it."""

    name: str
    key: str
    epoch: int


def _hash(secret: str, salt: bytes) -> str:
    return hashlib.scrypt(secret.encode("utf-8"), salt=salt, **_SCRYPT).hex()


def _records(tokens_file: Path) -> list[dict[str, Any]]:
    if not tokens_file.is_file():
        return []
    data = yaml.safe_load(tokens_file.read_text(encoding="utf-8")) or {}
    return list(data.get("volunteers") or [])


def _epoch(record: dict[str, Any]) -> int:
    """A record's session epoch; files written before epochs existed count as epoch 0."""
    return int(record.get("epoch", 0))


@contextlib.contextmanager
def _changing(tokens_file: Path) -> Iterator[list[dict[str, Any]]]:
    """The records, to change in place; written back when the block ends, with the file locked throughout."""
    tokens_file.parent.mkdir(parents=True, exist_ok=True)
    with open(tokens_file.with_name(tokens_file.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        records = _records(tokens_file)
        yield records
        _write(tokens_file, records)


def _write(tokens_file: Path, records: list[dict[str, Any]]) -> None:
    """Replace the file in one step, readable by its owner only (it names the volunteers)."""
    descriptor, scratch = tempfile.mkstemp(dir=tokens_file.parent, prefix=f".{tokens_file.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:  # mkstemp creates it with mode 0600
            out.write(HEADER)
            yaml.safe_dump({"volunteers": records}, out, allow_unicode=True, sort_keys=False)
        os.replace(scratch, tokens_file)
    except BaseException:
        os.unlink(scratch)
        raise


def add_volunteer(tokens_file: Path, name: str) -> str:
    """Create a personal access code for `name` and return it: it is shown this once and never stored."""
    name = " ".join(name.split())
    if not name:
        raise ValueError("the volunteer's name is empty")
    key, secret, salt = secrets.token_hex(4), secrets.token_urlsafe(24), secrets.token_bytes(16)
    with _changing(tokens_file) as records:
        if any(record["name"] == name for record in records):
            raise ValueError(f"there is already a volunteer called '{name}'; remove them first to give a new code")
        records.append(
            {
                "name": name,
                "key": key,
                "salt": salt.hex(),
                "hash": _hash(secret, salt),
                "epoch": 0,
                "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            }
        )
    return f"{key}.{secret}"


def remove_volunteer(tokens_file: Path, name: str) -> bool:
    """Delete the volunteer's code (their open sessions end with it); False if there was no such volunteer."""
    with _changing(tokens_file) as records:
        kept = [record for record in records if record["name"] != name]
        removed = len(kept) < len(records)
        records[:] = kept
    return removed


def end_sessions(tokens_file: Path, volunteer: Volunteer) -> None:
    """Sign the volunteer out everywhere: raise their epoch, so every cookie naming the old one is refused."""
    with _changing(tokens_file) as records:
        for record in records:
            if record["name"] == volunteer.name and record["key"] == volunteer.key:
                record["epoch"] = _epoch(record) + 1


def volunteers(tokens_file: Path) -> list[str]:
    """Names of everyone who has a code, for an admin's overview."""
    return [record["name"] for record in _records(tokens_file)]


def check(tokens_file: Path, token: str) -> Volunteer | None:
    """The volunteer whose code this is, or None; white space around a pasted code is ignored.

    One scrypt computation whatever the code looks like (an unknown key hashes with a dummy salt), so
    a wrong code takes as long to refuse as a right one takes to accept."""
    key, _, secret = token.strip().partition(".")
    record = next((record for record in _records(tokens_file) if record["key"] == key), None)
    computed = _hash(secret, bytes.fromhex(record["salt"]) if record else _DUMMY_SALT)
    if record and hmac.compare_digest(computed, record["hash"]):
        return Volunteer(record["name"], key, _epoch(record))
    return None


def is_current(tokens_file: Path, volunteer: Volunteer) -> bool:
    """True while the session's code is still in the file (not removed or replaced) and its epoch is the
    record's (the volunteer has not signed out since)."""
    return any(
        record["key"] == volunteer.key and record["name"] == volunteer.name and _epoch(record) == volunteer.epoch
        for record in _records(tokens_file)
    )
