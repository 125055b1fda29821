"""The process-wide knowledge, ranker and router, built once at start-up.

Knowledge problems are logged (file and line, never user text) and the valid
rest is served, so one broken file written by a volunteer cannot take the bot down.
"""
from __future__ import annotations

import logging
import threading
from functools import lru_cache

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


_building = threading.Lock()


def router() -> Router:
    """Load knowledge/ and build the router once for the life of the process; callers wait while it builds."""
    with _building:
        return _load_router()


def warm_up_in_background() -> None:
    """Start building the router now, without holding up the server's start-up.

    Sanic kills a worker that does not report ready within 30 s, and a cold start
    with an embedding model takes minutes (encoding the knowledge once); a message
    that arrives before the build is done simply waits for it.
    """
    threading.Thread(target=router, name="lotse-warm-up", daemon=True).start()


@lru_cache(maxsize=1)
def _load_router() -> Router:
    result = load_knowledge(settings.KNOWLEDGE_DIR)
    for problem in result.errors:
        logger.warning("knowledge file left out: %s:%s %s", problem.path, problem.line, problem.message)
    built = build_router(result.knowledge)
    logger.info("knowledge loaded: %d entries, %d services, routing: %s",
                len(result.knowledge.entries), len(result.knowledge.services), built.ranker.mode)
    return built
