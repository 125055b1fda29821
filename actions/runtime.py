"""The process-wide knowledge, ranker and router: built at start-up, rebuilt in place when knowledge/ changes.

Knowledge problems are logged (file and line, never user text) and the valid
rest is served, so one broken file written by a volunteer cannot take the bot
down. A rebuild happens beside the running router, which keeps answering until
the new one replaces it in one assignment: no downtime.
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time
from functools import lru_cache
from pathlib import Path

from actions import settings
from actions.knowledge_base import KnowledgeBase
from actions.knowledge_loader import load_knowledge
from actions.ranking import Ranker
from actions.routing import Router
from actions.semantic import Encoder, load_encoder

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def encoder() -> Encoder | None:
    """The configured embedding model, loaded once; None (and one warning) when it is not on disk."""
    return load_encoder()


def build_router(knowledge: KnowledgeBase) -> Router:
    """A router for `knowledge` with the process's embedding model (if any)."""
    return Router(knowledge, Ranker(knowledge, encoder()))


def knowledge_fingerprint(directory: Path) -> str:
    """Changes whenever a YAML file under `directory` is added, removed or written."""
    digest = hashlib.sha256()
    for path in sorted(directory.glob("**/*.yml")):
        stat = path.stat()
        digest.update(f"{path.relative_to(directory)}\0{stat.st_mtime_ns}\0{stat.st_size}\n".encode())
    return digest.hexdigest()


_first_build = threading.Lock()
_current: tuple[Router, str] | None = None


def router() -> Router:
    """The current router; the first call builds it (callers wait), later calls never wait for a rebuild."""
    global _current
    if _current is None:
        with _first_build:
            if _current is None:
                _current = _build(knowledge_fingerprint(settings.KNOWLEDGE_DIR))
    return _current[0]


def reload_if_changed() -> bool:
    """Rebuild the router if knowledge/ changed since the last build; True if it did."""
    global _current
    fingerprint = knowledge_fingerprint(settings.KNOWLEDGE_DIR)
    if _current is not None and _current[1] == fingerprint:
        return False
    start = time.monotonic()
    rebuilt = _build(fingerprint)
    _current = rebuilt  # one assignment: messages use the old router until here, the new one after
    logger.info("knowledge reloaded in %.1f s", time.monotonic() - start)
    return True


_watching = threading.Event()


def warm_up_in_background() -> None:
    """Build the router now, then keep watching knowledge/ and rebuild on changes (live reload).

    Once per process (later calls return at once). Without holding up the
    server's start-up: Sanic kills a worker that does not report ready within
    30 s, and a cold start with an embedding model takes minutes (encoding the
    knowledge once); a message that arrives before the first build simply waits.
    """
    with _first_build:
        if _watching.is_set():
            return
        _watching.set()

    def work() -> None:
        from actions.places import place_finder  # spaCy: only in the worker, see actions/handover_flow.py

        place_finder(router().knowledge)  # the handover's city lookup, so its first use is quick too
        while True:
            time.sleep(settings.RELOAD_POLL_SECONDS)
            try:
                reload_if_changed()
            except Exception as error:  # noqa: BLE001 - a failed rebuild must not stop the watching
                logger.error("knowledge reload failed (%s); still serving the previous knowledge",
                             type(error).__name__)

    threading.Thread(target=work, name="lotse-knowledge", daemon=True).start()


def _build(fingerprint: str) -> tuple[Router, str]:
    """The router for knowledge/ as it is now, with the fingerprint taken before loading it.

    Taken before: a file written during the load changes the fingerprint again, so the next check rebuilds.
    """
    result = load_knowledge(settings.KNOWLEDGE_DIR)
    for problem in result.errors:
        logger.warning("knowledge file left out: %s:%s %s", problem.path, problem.line, problem.message)
    built = build_router(result.knowledge)
    logger.info("knowledge loaded: %d entries, %d services, routing: %s",
                len(result.knowledge.entries), len(result.knowledge.services), built.ranker.mode)
    return built, fingerprint
