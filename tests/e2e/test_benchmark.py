"""`./lotse bench` measures for real: a tiny load against the session's running servers (no training)."""

from __future__ import annotations

import math
from pathlib import Path

from core import runtime
from core.knowledge.loader import load_knowledge
from core.routing.semantic import NO_MODEL
from tests.overrides import OverrideSettings
from tools.benchmark import (
    NEW_QUESTION,
    Serving,
    build_router,
    changed_knowledge,
    measure_serving,
    plan_messages,
    report,
    targets,
)
from tools.servers import Servers


def test_message_mix_is_fixed_and_varied(test_knowledge: Path) -> None:
    knowledge = load_knowledge(test_knowledge).knowledge
    plan = plan_messages(knowledge, 3, 40)
    assert plan == plan_messages(knowledge, 3, 40), "the same seed must give the same messages"
    messages = [m for user in plan for m in user]
    assert any(m.startswith("/choose_entry{") for m in messages)
    assert sum(not m.startswith("/") for m in messages) > len(messages) / 2


def test_serving_measurements_are_sane(servers: Servers, test_knowledge: Path) -> None:
    knowledge = load_knowledge(test_knowledge).knowledge
    serving: Serving = measure_serving(servers, knowledge, messages=3, users=3, per_user=2)
    assert (serving.single.users, serving.single.messages) == (1, 3)
    assert (serving.concurrent.users, serving.concurrent.messages) == (3, 6)
    for run in (serving.single, serving.concurrent):
        assert run.errors == 0
        assert 0 < run.latency.p50_ms <= run.latency.p95_ms <= run.latency.max_ms
        assert run.throughput_per_s > 0 and not math.isnan(run.latency.mean_ms)
    assert set(serving.memory) == {"rasa server", "action server"}
    assert all(m.rss_mb > 0 and m.per_process_mb for m in serving.memory.values())
    assert serving.cpu_s["rasa server"] > 0 and serving.bottleneck in serving.cpu_s
    text = report(
        {"loadavg_at_start": [0.0, 0.0, 0.0], "routing": "lexical", "rasa_workers": 1},
        serving,
        None,
        targets(serving, None),
    )
    assert "skipped" in text and "p95 latency, 1 user" in text


def test_changed_entry_rebuilds_the_router(tmp_path: Path, override_settings: OverrideSettings) -> None:
    override_settings(embedding_model=NO_MODEL)  # lexical: encoding all knowledge takes minutes
    runtime.encoder.cache_clear()
    knowledge_dir, entry = changed_knowledge(tmp_path / "knowledge")
    router = build_router(knowledge_dir)
    runtime.encoder.cache_clear()
    assert NEW_QUESTION in router.knowledge.entries[entry].questions["de"]
