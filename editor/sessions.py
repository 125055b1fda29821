"""The session cookie: who is signed in, in which interface language, and one message for the next page.

The cookie is signed (HMAC-SHA256), not encrypted: it holds nothing secret, only
a volunteer's name, the public key of their code and their session epoch (which
signing out raises, see editor.tokens), and the ids of the inbox messages they
chose to read (never the messages' text). Every visitor gets a random
nonce; the CSRF token of a form is derived from it, so a form only works in the
browser it was shown in, and signing in replaces the nonce (no session fixation).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from core import config
from core.secret_file import secret_from_file, strong_secret
from editor.tokens import Volunteer

COOKIE = "lotse_editor"
SESSION_SECONDS = 12 * 3600  # a volunteer signs in again after a working day
KEY_FILE_NAME = "editor_secret.key"
REVEALED_KEPT = 100  # inbox messages a session remembers as read; the inbox page shows at most 50 groups


@dataclass(frozen=True)
class Session:
    """What the cookie carries; `volunteer` is None until sign-in."""

    nonce: str = field(default_factory=lambda: secrets.token_hex(16))
    issued: int = field(default_factory=lambda: int(time.time()))
    volunteer: Volunteer | None = None
    ui: str | None = None  # interface language chosen with the switch; None: from the browser's Accept-Language
    flash: dict[str, Any] | None = None  # {"key": text key, "values": {...}, "level": "ok"|"error"} for the next page
    revealed: tuple[int, ...] = ()  # inbox messages whose text the volunteer chose to read, newest choice last

    def signed_in(self, volunteer: Volunteer) -> Session:
        return replace(self, nonce=secrets.token_hex(16), issued=int(time.time()), volunteer=volunteer)

    def revealing(self, message: int) -> Session:
        """The session with one more inbox message shown in full; the newest REVEALED_KEPT stay, so the
        cookie stays small."""
        kept = tuple(known for known in self.revealed if known != message)
        return replace(self, revealed=(*kept, message)[-REVEALED_KEPT:])


def load_secret(data_dir: Path) -> bytes:
    """LOTSE_EDITOR_SECRET, else a random key kept in the data folder (created once, readable by the owner only),
    so sessions survive a restart without anyone having to configure a secret."""
    secret = config.settings().editor.secret
    if secret:
        return strong_secret(secret, "LOTSE_EDITOR_SECRET").encode("utf-8")
    return secret_from_file(data_dir / KEY_FILE_NAME).encode("ascii")


class SessionCodec:
    """Turns a Session into a signed cookie value and back; a forged, damaged or expired cookie reads as None."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _sign(self, payload: bytes) -> str:
        return hmac.new(self._secret, payload, hashlib.sha256).hexdigest()

    def encode(self, session: Session) -> str:
        volunteer = session.volunteer
        data = {
            "n": session.nonce,
            "i": session.issued,
            "u": session.ui,
            "f": session.flash,
            "r": list(session.revealed),
            "v": [volunteer.name, volunteer.key, volunteer.epoch] if volunteer else None,
        }
        # without "=" padding: cookie values with "=" get quoted, and not every client sends them back alike
        payload = base64.urlsafe_b64encode(json.dumps(data, ensure_ascii=False).encode("utf-8")).rstrip(b"=")
        return f"{payload.decode('ascii')}.{self._sign(payload)}"

    def decode(self, value: str | None) -> Session | None:
        if not value or "." not in value:
            return None
        payload, signature = value.rsplit(".", 1)
        if not hmac.compare_digest(self._sign(payload.encode("ascii", "replace")), signature):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            session = Session(
                nonce=str(data["n"]),
                issued=int(data["i"]),
                ui=data.get("u"),
                flash=data.get("f"),
                revealed=tuple(int(message) for message in data.get("r") or ()),
                volunteer=Volunteer(*data["v"]) if data.get("v") else None,
            )
        except (ValueError, KeyError, TypeError):  # signed by an older version of this code
            return None
        return session if int(time.time()) - session.issued <= SESSION_SECONDS else None

    def csrf_token(self, session: Session) -> str:
        """The hidden value every POST form carries; tied to this browser's session nonce."""
        return self._sign(f"csrf:{session.nonce}".encode("ascii"))

    def csrf_ok(self, session: Session, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf_token(session), token or "")
