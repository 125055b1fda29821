"""The process-wide knowledge, retriever and router, built once at start-up.

Knowledge problems are logged (file and line, never user text) and the valid
rest is served, so one broken file written by a volunteer cannot take the bot down.
"""
from __future__ import annotations

import logging
from functools import lru_cache

from actions import settings
from actions.knowledge_loader import load_knowledge
from actions.retrieval import LexicalRetriever
from actions.routing import Router

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def router() -> Router:
    """Load knowledge/ and build the router (cached for the life of the process)."""
    result = load_knowledge(settings.KNOWLEDGE_DIR)
    for problem in result.errors:
        logger.warning("knowledge file left out: %s:%s %s", problem.path, problem.line, problem.message)
    logger.info("knowledge loaded: %d entries, %d services, lexical retriever",
                len(result.knowledge.entries), len(result.knowledge.services))
    return Router(result.knowledge, LexicalRetriever(result.knowledge))
