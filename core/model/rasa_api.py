"""Rasa's HTTP API with its token: every tool that parses, reads trackers or swaps models goes through this.

Rasa runs with `--auth-token` (tools/rasa_with_token.py), so `PUT /model` (loading a model unpickles
code), `DELETE /model` and the tracker endpoints refuse callers without the token. The token lives in
a file of the data folder, readable by its owner only; `var/servers.json` names the file, not the token.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from core.config import RASA_TOKEN_FILE
from core.secret_file import secret_from_file


def token_for(state_dir: Path) -> Path:
    """The token file of the servers whose state lives in `state_dir`, created on first use (mode 0600)."""
    path = state_dir / RASA_TOKEN_FILE
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

    def replicas(self) -> list[RasaApi]:
        """One API per IPv4 address of the URL's host name: a Kubernetes headless Service or a compose service with
        several replicas names them all with one name, and a model must be loaded into each. An address, or a
        name with one address (or none that resolves now), is itself."""
        parsed = urlsplit(self.url)
        try:
            found = socket.getaddrinfo(parsed.hostname or "", parsed.port or 80, socket.AF_INET, socket.SOCK_STREAM)
        except OSError:
            return [self]
        addresses = sorted({str(info[4][0]) for info in found})
        if len(addresses) <= 1:
            return [self]
        return [RasaApi(urlunsplit(parsed._replace(netloc=f"{a}:{parsed.port or 80}")), self.token) for a in addresses]

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
