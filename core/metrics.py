"""The Prometheus metrics of the action server and the Telegram gateway (GET /metrics on each).

Labels are closed sets only (a language code, a decision kind, a case state, an error reason), never
message text, a chat id or a pseudonym: these users are vulnerable, and a metrics store is kept long
and read by many. docs/production.md explains each metric.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

# Reply latency buckets in seconds: a cheap phone's user notices more than 2 s; Rasa gives up after 300 s.
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 60.0, 300.0)

# -- the action server --------------------------------------------------------------------------------
MESSAGES = Counter("lotse_messages", "Messages answered by the action server", ["language", "kind"])
EMERGENCIES = Counter("lotse_emergencies", "Messages answered with emergency numbers first", ["language"])
ACTION_SECONDS = Histogram("lotse_action_seconds", "Time the action server took per message", buckets=LATENCY_BUCKETS)
ACTION_ERRORS = Counter("lotse_action_errors", "Messages the action server failed to answer (an exception)")
KNOWLEDGE_RELOADS = Counter("lotse_knowledge_reloads", "Knowledge rebuilds after a change on disk", ["result"])

# -- the Telegram gateway -----------------------------------------------------------------------------
UPDATES = Counter("lotse_gateway_updates", "Telegram updates by what became of them", ["outcome"])
UPDATE_SECONDS = Histogram(
    "lotse_gateway_update_seconds", "Time from receiving an update to its last reply", buckets=LATENCY_BUCKETS
)
RASA_ERRORS = Counter("lotse_rasa_errors", "Messages Rasa did not answer (as the gateway saw it)", ["reason"])


def exposition() -> tuple[bytes, str]:
    """The process's metrics in Prometheus' text format, and its content type."""
    return generate_latest(), CONTENT_TYPE_LATEST


class _HandoverCases(Collector):
    """lotse_handover_cases{state}: counted in the database when scraped, so every replica reports all cases."""

    def __init__(self, counts: Callable[[], dict[str, int]], states: tuple[str, ...]) -> None:
        self._counts = counts
        self._states = states

    def collect(self) -> Iterator[GaugeMetricFamily]:
        counts = self._counts()
        family = GaugeMetricFamily("lotse_handover_cases", "Handover cases stored, by state", labels=["state"])
        for state in self._states:
            family.add_metric([state], counts.get(state, 0))
        yield family


def report_handover_cases(counts: Callable[[], dict[str, int]], states: tuple[str, ...]) -> None:
    """Expose the handover cases by state (the gateway, which owns the cases, calls this once)."""
    REGISTRY.register(_HandoverCases(counts, states))
