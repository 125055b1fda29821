"""Issue 18, "Prove it on this machine": the production topology keeps every conversation through faults.

Two Rasa servers, two action servers and two webhook gateways behind HAProxy, PostgreSQL and Redis, thirty
people and a counsellor, while a Rasa server, an action server and a gateway are killed and restarted,
PostgreSQL restarts and Redis is away for 10 s (tests/e2e/topology.py). The report is printed and written
to var/topology.json.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from core import config
from tests.e2e.topology import HAPROXY, Topology, write_json

# The gateways promise at least once with deduplication by update id: a reply can come twice only when
# something fails after Rasa stored the turn and before the gateway acknowledged the update (a gateway
# killed, PostgreSQL restarting under the gateway's last write), which each fault can cause for the few
# updates in flight.
MAX_DUPLICATES = 6


@pytest.mark.e2e
def test_the_topology_loses_nothing_through_kills_and_outages(
    model: Path, test_knowledge: Path, tmp_path: Path
) -> None:
    if not HAPROXY.exists():
        pytest.fail(f"{HAPROXY} is missing: the topology test needs Debian's haproxy (apt-get install -y haproxy)")
    began = time.monotonic()
    report = Topology(model, test_knowledge, tmp_path).measure()
    print(f"\n{report.summary()}\ntest wall time {time.monotonic() - began:.0f} s")
    write_json(report, config.ROOT / "var" / "topology.json")

    found = report.assessment
    assert not [w for w in report.fault_windows if w.error], "a fault could not be injected or recovered from"
    assert found.lost == 0, "messages that never got a reply"
    assert found.out_of_order == 0, "replies that came after the chat's next update"
    assert found.given_up == 0, "updates Telegram would have dropped"
    assert found.handover_lost == 0 and found.handover_stuck == 0, "handover cases lost or stuck"
    assert found.duplicates <= MAX_DUPLICATES, "more replies came twice than the faults can explain"
