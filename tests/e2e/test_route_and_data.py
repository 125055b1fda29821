"""`./lotse route` (the evaluation interface) and `rasa data validate`, run as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from core import config

ROUTE_FIELDS = {"id", "language", "action", "category", "entry", "confidence", "intent", "candidates"}


def test_rasa_data_validate_passes(model: Path) -> None:
    result = subprocess.run(
        [str(config.RASA), "data", "validate", "--config", "config.yml", "--domain", "domain.yml", "--data", "data"],
        cwd=config.ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_route_answers_1000_lines_in_one_process(model: Path) -> None:
    samples = [
        ("Wie melde ich meine Wohnung an?", "answer", "offices"),
        ("kindergeld beantragen wie", "answer", "benefits"),
        ("زوجي يضربني", "emergency", "protection"),
        ("what's the weather tomorrow?", "out_of_scope", "out_of_scope"),
        ("I want to talk to a person", "handover", None),
    ]
    lines = [json.dumps({"id": i, "text": samples[i % len(samples)][0]}) for i in range(1000)]
    lines.insert(3, "this is not json")
    # Lexical routing: with the default model a fresh machine first encodes the whole knowledge
    # (minutes); the semantic path is tested in tests/e2e/test_routing_quality.py.
    result = subprocess.run(
        [str(config.ROOT / "lotse"), "route"],
        input="\n".join(lines) + "\n",
        cwd=config.ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "LOTSE_EMBEDDING_MODEL": "none"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outputs = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(outputs) == 1001
    assert "error" in outputs[3] and outputs[3]["id"] is None
    routed = [o for o in outputs if "error" not in o]
    assert all(set(o) == ROUTE_FIELDS for o in routed)
    for output in routed[:10]:
        text, action, category = samples[output["id"] % len(samples)]
        assert (output["action"], output["category"] if category else None) == (action, category), (text, output)
    assert {o["language"] for o in routed[:5]} == {"de", "ar", "en"}
