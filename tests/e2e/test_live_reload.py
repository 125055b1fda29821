"""Live reload: a saved knowledge change reaches the running bot without a restart."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.terminal import send
from core import config
from core.knowledge.loader import load_knowledge
from core.model.reload import reload_rasa, write_servers_file
from core.model.training import training_data
from tests.e2e.helpers import ARABIC_QUESTION, sample_knowledge, save, wait_for
from tests.overrides import OverrideSettings
from tools.servers import Servers, running

NEW_ANSWER = "نص جديد للاختبار: سجّل سكنك خلال أسبوعين في مكتب المواطنين (Bürgeramt)."


@pytest.fixture(scope="module")
def live(model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Servers, Path]]:
    state = tmp_path_factory.mktemp("live")
    # One entry per category: retraining Rasa on all 15,000 questions cost CI 130 s, and the subject here is
    # the reload and the hot swap, not how much there is to learn.
    knowledge = sample_knowledge(config.ROOT / "knowledge", state / "knowledge", keep=("anmeldung",))
    env = {
        "LOTSE_KNOWLEDGE_DIR": str(knowledge),
        "LOTSE_EMBEDDING_MODEL": "none",
        "LOTSE_RELOAD_POLL_SECONDS": "1",
        "LOTSE_DATABASE_URL": f"sqlite:///{state / 'lotse.db'}",
    }
    with running(model, state, extra_env=env) as servers:
        yield servers, knowledge


def test_a_changed_answer_is_served_within_a_minute(live: tuple[Servers, Path]) -> None:
    servers, knowledge = live
    assert not any(NEW_ANSWER in (r.get("text") or "") for r in send(servers.rasa_url, "live-before", ARABIC_QUESTION))
    save(knowledge / "entries" / "offices" / "anmeldung.yml", lambda doc: doc["answer"].__setitem__("ar", NEW_ANSWER))
    seconds = wait_for(servers, ARABIC_QUESTION, NEW_ANSWER)
    print(f"\nsave -> new answer: {seconds:.1f} s")


def test_a_new_question_is_understood_after_reload_and_rasa_is_hot_swapped(
    live: tuple[Servers, Path], tmp_path: Path, override_settings: OverrideSettings
) -> None:
    servers, knowledge = live
    override_settings(cache_dir=tmp_path / "cache")  # the sample's model stays out of this machine's model cache
    odd = "Wo stempelt man den Wohnsitzzettel ab"  # not among the questions of any entry
    save(knowledge / "entries" / "offices" / "anmeldung.yml", lambda doc: doc["questions"]["de"].append(odd))
    seconds = wait_for(servers, odd, "Quelle")
    print(f"\nsave -> new question answered: {seconds:.1f} s")

    before = servers.api.get("/status").json()["model_file"]
    data = training_data(load_knowledge(knowledge).knowledge, tmp_path / "data")  # Rasa's inputs changed
    result = reload_rasa(servers.api, data)
    print(f"Rasa retrain and hot swap: {result.seconds:.1f} s")
    assert result.swapped and servers.api.get("/status").json()["model_file"] != before
    assert any(
        "Quelle" in (r.get("text") or "") for r in send(servers.rasa_url, "live-after", odd)
    )  # no downtime, still answers


def test_lotse_reload_finds_the_running_bot_or_says_it_is_not_running(
    live: tuple[Servers, Path], tmp_path: Path
) -> None:
    command = [str(config.ACTIONS_PYTHON), "-m", "tools.cli", "reload"]
    missing = subprocess.run(
        command,
        cwd=config.ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "LOTSE_DATA_DIR": str(tmp_path)},
    )
    assert missing.returncode == 1 and "./lotse run" in missing.stderr
    servers, _ = live
    assert servers.token_file is not None
    write_servers_file(tmp_path, servers.rasa_url, servers.actions_url, servers.token_file)  # as `./lotse run` does
    found = subprocess.run(
        command,
        cwd=config.ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "LOTSE_DATA_DIR": str(tmp_path)},
    )
    assert found.returncode == 0 and "action server picks up knowledge changes" in found.stdout
