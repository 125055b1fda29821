"""Start the action server and the Rasa server as real processes on free local ports.

Used by `./lotse run`, `./lotse route`, the benchmarks and the tests, so the
tests exercise exactly the processes a user runs.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from core import config
from core.config import Settings
from core.model.rasa_api import RasaApi, token_for
from core.model.reload import write_servers_file

STARTUP_TIMEOUT_S = 240


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Servers:
    """Addresses of a running Rasa server (and its action server, if started)."""

    rasa_url: str
    actions_url: str | None
    # Process ids, so measurements (./lotse bench) can read each server's memory and CPU time from /proc.
    rasa_pid: int | None = None
    actions_pid: int | None = None
    # Rasa's SQLite tracker store: the Telegram gateway deletes a chat's conversation there (/delete).
    tracker_db: Path | None = None
    # The file with Rasa's HTTP API token (core/model/rasa_api.py): parse, trackers and model swaps need it.
    token_file: Path | None = None

    @property
    def api(self) -> RasaApi:
        """Rasa's HTTP API with the token (the REST channel at `webhook` needs none)."""
        return (
            RasaApi.from_token_file(self.rasa_url, self.token_file) if self.token_file else RasaApi(self.rasa_url, "")
        )

    @property
    def webhook(self) -> str:
        return f"{self.rasa_url}/webhooks/rest/webhook"

    def gateway_env(self) -> dict[str, str]:
        """Environment that points the Telegram gateway (`python -m bot.telegram`) at these servers."""
        return {"LOTSE_RASA_URL": self.rasa_url, "LOTSE_TRACKER_DB_URL": f"sqlite:///{self.tracker_db}"}


def _wait_until_up(
    url: str,
    process: subprocess.Popen[bytes],
    log: Path,
    ready: Callable[[httpx.Response], bool],
    params: dict[str, str] | None = None,
) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"{url} exited with code {process.returncode}; see {log}:\n" + log.read_text(errors="replace")[-3000:]
            )
        with contextlib.suppress(httpx.HTTPError):
            if ready(httpx.get(url, params=params, timeout=2)):
                return
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up within {STARTUP_TIMEOUT_S} s; see {log}")


def ask_action_server(actions_url: str, text: str, slots: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The action server's replies to `text`, asked the way Rasa asks it (a tracker with only that message).

    Nothing is stored: the action server answers without Rasa's tracker store.
    """
    tracker = {
        "sender_id": "lotse-direct",
        "slots": slots or {},
        "events": [],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": None,
        "latest_message": {"text": text, "intent": {}, "entities": []},
    }
    call = {"next_action": "action_reply", "sender_id": "lotse-direct", "version": "3.6.21", "domain": {}}
    response = httpx.post(f"{actions_url}/webhook", json={**call, "tracker": tracker}, timeout=STARTUP_TIMEOUT_S)
    response.raise_for_status()
    return list(response.json().get("responses", []))


def _wait_for_router(actions_url: str) -> None:
    """Return once the action server has built its router (knowledge, ranker, triage: tens of seconds).

    Its /ready answers once the router is built, but the first user message would still wait for what the
    first answer loads (docs/decisions/005-serving-performance.md) and could time out in the channel (the
    Telegram gateway gives up after LOTSE_RASA_TIMEOUT, 20 s): an empty message makes it load now.
    """
    ask_action_server(actions_url, "")


def spawn(command: list[str], log: Path, env: dict[str, str], umask: int = 0o077) -> subprocess.Popen[bytes]:
    """Start a server process in the project folder, its output in `log` (umask -1: the caller's umask)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        # umask 077: the databases, logs and keys the servers create hold conversations; only their owner reads them.
        return subprocess.Popen(
            command, cwd=config.ROOT, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True, umask=umask
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate a server process, killing it if it does not exit within 15 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def rasa_workers(env: dict[str, str]) -> int:
    """Rasa server processes: LOTSE_RASA_WORKERS, else 2 where Redis answers (and 2+ CPUs), else 1.

    Rasa's per-message work is single-threaded (mostly tracker handling and the action call), so a
    second worker uses the second core while the first waits for the action server
    (docs/decisions/005-serving-performance.md). Several workers need a lock store shared across
    processes: Redis.
    """
    settings = Settings.from_env(env)
    if settings.rasa_workers:
        return settings.rasa_workers
    if (os.cpu_count() or 1) < 2:
        return 1
    try:
        with socket.create_connection((settings.redis.host, settings.redis.port), timeout=0.5) as connection:
            connection.sendall(b"PING\r\n")
            return 2 if connection.recv(16).startswith(b"+PONG") else 1
    except OSError:
        return 1


@contextlib.contextmanager
def running(
    model: Path, state_dir: Path, with_actions: bool = True, extra_env: dict[str, str] | None = None
) -> Iterator[Servers]:
    """Run the servers until the block ends; logs and the SQLite tracker live in `state_dir`."""
    state_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", **(extra_env or {})}
    processes: list[subprocess.Popen[bytes]] = []
    try:
        actions_url = None
        if with_actions:
            port = free_port()
            actions_url = f"http://127.0.0.1:{port}"
            log = state_dir / "actions.log"
            actions_env = {**env, "LOTSE_LISTEN": "127.0.0.1", "LOTSE_ACTIONS_PORT": str(port)}
            processes.append(spawn([str(config.ACTIONS_PYTHON), "-m", "actions"], log, actions_env))
            _wait_until_up(f"{actions_url}/ready", processes[-1], log, lambda r: r.status_code == 200)
            _wait_for_router(actions_url)
        tracker_db = state_dir / "tracker.db"
        port = free_port()
        rasa_url = f"http://127.0.0.1:{port}"
        log = state_dir / "rasa.log"
        token_file = token_for(state_dir)
        rasa_env = {
            **env,
            "LOTSE_LISTEN": "127.0.0.1",
            "LOTSE_RASA_PORT": str(port),
            "LOTSE_RASA_MODEL": str(model),
            "LOTSE_RASA_TOKEN_FILE": str(token_file),
            "LOTSE_RASA_WORKERS": str(rasa_workers(env)),
            "LOTSE_ACTIONS_URL": actions_url or "http://127.0.0.1:9",  # no action server: a port nothing serves
            "LOTSE_TRACKER_DB_URL": f"sqlite:///{tracker_db}",
            "LOTSE_DATA_DIR": str(state_dir),
        }
        processes.append(spawn([str(config.BOT_PYTHON), "-m", "tools.rasa_service"], log, rasa_env))
        servers = Servers(
            rasa_url,
            actions_url,
            rasa_pid=processes[-1].pid,
            actions_pid=processes[0].pid if with_actions else None,
            tracker_db=tracker_db,
            token_file=token_file,
        )
        _wait_until_up(
            f"{rasa_url}/status",
            processes[-1],
            log,
            lambda r: r.status_code == 200 and bool(r.json().get("model_file")),
            {"token": servers.api.token},
        )
        write_servers_file(state_dir, rasa_url, actions_url, token_file)
        yield servers
    finally:
        for process in reversed(processes):
            stop(process)
