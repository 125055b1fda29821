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
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

from core import config
from core.knowledge.base import KnowledgeBase
from core.knowledge.loader import load_knowledge
from core.metrics import KNOWLEDGE_RELOADS
from core.routing.ranking import Ranker, can_rank, embedded_texts
from core.routing.router import Router
from core.routing.semantic import Encoder, load_encoder
from core.routing.triage import TriageModel, triage_texts

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def encoder() -> Encoder | None:
    """The configured embedding model, loaded once; None (and one warning) when it is not on disk."""
    return load_encoder()


def build_router(knowledge: KnowledgeBase, semantic: bool = True, previous: Router | None = None) -> Router:
    """A router for `knowledge`, with the process's embedding model if `semantic` and it is on disk; the previous
    router's triage model where its inputs did not change."""
    model = encoder() if semantic else None
    triage_encoder = model if can_rank(knowledge) else None  # the ranker's encoder when it ranks semantically
    kept = previous.triage if previous and previous.triage.trained_for(knowledge, triage_encoder) else None
    # Both train linear SVMs, which release the GIL: side by side they take about two thirds of the time.
    with ThreadPoolExecutor(2) as pool:
        ranker = pool.submit(Ranker, knowledge, model)
        triage = pool.submit(TriageModel, knowledge, triage_encoder) if kept is None else None
        return Router(knowledge, ranker.result(), triage=triage.result() if triage else kept)


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
    """The current router; the first call builds it (callers wait), later calls never wait for a rebuild.

    The first build does not encode: with every knowledge text's vector on disk it is semantic,
    otherwise lexical (seconds; on a fresh machine encoding the knowledge takes minutes on two
    cores) and the background thread of `warm_up_in_background` swaps the semantic router in.
    """
    global _current
    if _current is None:
        with _first_build:
            if _current is None:
                _current = _build(knowledge_fingerprint(config.settings().knowledge_dir), encode=False)
    return _current[0]


def reload_if_changed() -> bool:
    """Rebuild the router if knowledge/ changed, or it still lacks the embedding model; True if it did."""
    global _current
    fingerprint = knowledge_fingerprint(config.settings().knowledge_dir)
    lacks_model = _current is not None and _current[0].ranker.encoder is None and encoder() is not None
    if _current is not None and _current[1] == fingerprint and not lacks_model:
        return False
    start = time.monotonic()
    rebuilt = _build(fingerprint)
    _current = rebuilt  # one assignment: messages use the old router until here, the new one after
    KNOWLEDGE_RELOADS.labels("ok").inc()
    logger.info("knowledge reloaded in %.1f s", time.monotonic() - start)
    return True


def ready() -> bool:
    """True once the first router is built: a message is then answered without waiting for a build."""
    return _current is not None


_watching = threading.Event()


def warm_up_in_background() -> None:
    """Build the router now, then keep watching knowledge/ and rebuild on changes (live reload).

    Once per process (later calls return at once). Without holding up the
    server's start-up: Sanic kills a worker that does not report ready within
    30 s. A message that arrives before the first (lexical) build simply waits;
    the semantic router follows when the knowledge is encoded (minutes on a fresh
    machine, seconds once the vectors are on disk).
    """
    with _first_build:
        if _watching.is_set():
            return
        _watching.set()

    def work() -> None:
        from core.handover.places import place_finder  # spaCy: only in the worker, see core/handover/flow.py
        from core.privacy.words import vocabulary

        place_finder(router().knowledge)  # the handover's city lookup, so its first use is quick too
        vocabulary()  # the anonymiser's word lists (about 3 s), so the first inbox write does not wait
        while True:
            try:
                reload_if_changed()  # at once the first time: swaps in the semantic router
            except Exception as error:  # noqa: BLE001 - a failed rebuild must not stop the watching
                KNOWLEDGE_RELOADS.labels("failed").inc()
                logger.error("knowledge reload failed (%s); still serving the previous knowledge", type(error).__name__)
            time.sleep(config.settings().reload_poll_seconds)

    threading.Thread(target=work, name="lotse-knowledge", daemon=True).start()


def _build(fingerprint: str, encode: bool = True) -> tuple[Router, str]:
    """The router for knowledge/ as it is now, with the fingerprint taken before loading it.

    Taken before: a file written during the load changes the fingerprint again, so the next check rebuilds.
    encode=False: use the embedding model only if no knowledge text needs encoding first.
    """
    result = load_knowledge(config.settings().knowledge_dir)
    for problem in result.errors:
        logger.warning("knowledge file left out: %s:%s %s", problem.path, problem.line, problem.message)
    model = encoder()
    semantic = model is not None and (
        encode or model.has_cached(embedded_texts(result.knowledge) + triage_texts(result.knowledge))
    )
    built = build_router(result.knowledge, semantic, _current[0] if _current else None)
    logger.info(
        "knowledge loaded: %d entries, %d services, routing: %s",
        len(result.knowledge.entries),
        len(result.knowledge.services),
        built.ranker.mode,
    )
    return built, fingerprint
