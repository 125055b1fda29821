"""Rasa's HTTP API with its token: every tool that parses, reads trackers or swaps models goes through this.

Rasa runs with `--auth-token` (tools/rasa_with_token.py), so `PUT /model` (loading a model unpickles
code), `DELETE /model` and the tracker endpoints refuse callers without the token. The token lives in
a file of the data folder, readable by its owner only; `var/servers.json` names the file, not the token.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from core.secret_file import secret_from_file

TOKEN_FILE = "rasa_api.token"


def token_for(state_dir: Path) -> Path:
    """The token file of the servers whose state lives in `state_dir`, created on first use (mode 0600)."""
    path = state_dir / TOKEN_FILE
    secret_from_file(path)
    return path


@dataclass(frozen=True)
class RasaApi:
    """A running Rasa server's address and API token."""

    url: str
    token: str

    @classmethod
    def from_token_file(cls, url: str, token_file: Path) -> RasaApi:
        return cls(url, token_file.read_text(encoding="ascii").strip())

    def get(self, path: str, timeout: float = 10) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", params={"token": self.token}, timeout=timeout)

    def put(self, path: str, body: dict[str, Any], timeout: float = 300) -> httpx.Response:
        return httpx.put(f"{self.url}{path}", params={"token": self.token}, json=body, timeout=timeout)

    def parse(self, client: httpx.Client, text: str) -> dict[str, Any]:
        """Rasa's parse of `text` ({} for blank text), over `client`'s kept-alive connection."""
        if not text.strip():
            return {}
        response = client.post(f"{self.url}/model/parse", params={"token": self.token}, json={"text": text})
        response.raise_for_status()
        return dict(response.json())
