"""Bring a saved knowledge change into the running bot without a restart.

The action server notices changed knowledge files by itself (core/runtime.py,
every LOTSE_RELOAD_POLL_SECONDS) and swaps in rebuilt retrievers. Rasa is
retrained only when its own training data changed (questions are part of it,
answers are not) and the new model is hot-swapped through Rasa's HTTP API
(`PUT /model`), which keeps the old model serving until the new one is loaded.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from core.model.rasa_api import RasaApi
from core.model.training import train

SERVERS_FILE = "servers.json"
DEBOUNCE_S = 2.0  # several saves in a row train once
STATUS_PROBES = 16  # fresh connections that all must report it (why 16: docs/decisions/005-serving-performance.md)
SWAP_DEADLINE_S = 180.0  # a busy 2-core machine: loading a model takes a worker several seconds
CONCURRENT_PUTS = 2  # one per worker: a worker busy loading does not accept, so the next PUT reaches another


@dataclass(frozen=True)
class RasaReload:
    model: str
    swapped: bool
    seconds: float


def reload_rasa(rasa: RasaApi, data_dir: Path | None = None) -> RasaReload:
    """Retrain if Rasa's training data changed, and load the model into the running server if it differs.

    data_dir: training data other than data/ (regenerated from knowledge/), for tests.
    """
    start = time.monotonic()
    model = train(data_dir, quiet=True)
    swapped = not _serving_everywhere(rasa, model.name)
    if swapped:
        _swap(rasa, model)
    return RasaReload(model.name, swapped, time.monotonic() - start)


def _serving_everywhere(rasa: RasaApi, model_name: str) -> bool:
    """True if every one of several fresh connections reports `model_name`.

    With several Rasa workers (tools/servers.py) each connection lands on one of them, and each
    worker holds its own model: one answer says nothing about the others.
    """
    return all(Path(rasa.get("/status").json().get("model_file", "")).name == model_name for _ in range(STATUS_PROBES))


def _swap(rasa: RasaApi, model: Path) -> None:
    """PUT the model until every worker serves it.

    Each PUT reaches one worker. Which one is up to the kernel, and on a loaded machine the same
    worker can win many times in a row (docs/decisions/005-serving-performance.md).
    Sending the PUTs at the same time fixes that: the worker that took the first one is busy loading
    the model and does not accept, so the second reaches the other worker.
    """
    deadline = time.monotonic() + SWAP_DEADLINE_S

    def put(_: int) -> None:
        rasa.put("/model", {"model_file": str(model)}).raise_for_status()

    with ThreadPoolExecutor(CONCURRENT_PUTS) as pool:
        while True:
            list(pool.map(put, range(CONCURRENT_PUTS)))
            if _serving_everywhere(rasa, model.name):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"not every Rasa worker took {model.name} within {SWAP_DEADLINE_S:.0f} s")


def write_servers_file(state_dir: Path, rasa_url: str, actions_url: str | None, token_file: Path) -> None:
    """Where `./lotse reload` finds the servers that `./lotse run` started (and the file with Rasa's token)."""
    (state_dir / SERVERS_FILE).write_text(
        json.dumps({"rasa_url": rasa_url, "actions_url": actions_url, "rasa_token_file": str(token_file)}),
        encoding="utf-8",
    )


def running_rasa(state_dir: Path) -> RasaApi | None:
    """The Rasa server that `./lotse run` started with `state_dir`, or None."""
    path = state_dir / SERVERS_FILE
    if not path.exists():
        return None
    servers = json.loads(path.read_text(encoding="utf-8"))
    return RasaApi.from_token_file(servers["rasa_url"], Path(servers["rasa_token_file"]))


class Reloader:
    """Reloads Rasa in a background thread after saves (the editor's on_saved hook), one at a time, on every
    server: each Rasa of the list, and each replica behind one name (RasaApi.replicas)."""

    def __init__(self, rasa: list[RasaApi]) -> None:
        self.rasa = rasa
        self._wanted = threading.Event()
        threading.Thread(target=self._work, name="lotse-rasa-reload", daemon=True).start()

    def request(self, *_: object) -> None:
        self._wanted.set()

    def _work(self) -> None:
        while True:
            self._wanted.wait()
            time.sleep(DEBOUNCE_S)
            self._wanted.clear()
            for server in [replica for rasa in self.rasa for replica in rasa.replicas()]:
                try:
                    result = reload_rasa(server)  # trains once: the next servers find the model trained
                    outcome = f"new model {result.model}" if result.swapped else "model unchanged"
                    print(f"Rasa reload at {server.url}: {outcome} ({result.seconds:.0f} s)", flush=True)
                except (httpx.HTTPError, RuntimeError) as error:
                    print(f"Rasa reload at {server.url} failed ({error}); its previous model keeps serving", flush=True)
