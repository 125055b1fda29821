"""`./lotse serve COMPONENT` as production runs it: each component its own process, PostgreSQL for Rasa's
tracker and the project's database, Redis as Rasa's lock store, the gateway by webhook.

What an operator relies on: health and readiness, metrics without anything personal, a conversation stored
in PostgreSQL and deleted from it by /delete, a redelivered update answered once, a knowledge change reaching
every action server within a minute, Rasa down without losing the message, and SIGTERM stopping each
component within seconds. (tests/e2e/test_topology.py kills replicas under load.)
"""

from __future__ import annotations

import concurrent.futures
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from bot.telegram.pseudonyms import Pseudonyms, load_key
from core import config
from core.knowledge.loader import load_knowledge
from core.model.rasa_api import token_for
from core.payloads import DELETE_YES
from tests.e2e.fake_telegram import TOKEN, Call, FakeBotApi, TelegramUser
from tests.e2e.helpers import Component, fresh_database, save
from tools.servers import ask_action_server, free_port

pytestmark = pytest.mark.e2e

SECRET = "serve-test-secret_0123456789abcdefghijkl"
ENTRY = ("offices", "anmeldung")
QUESTION = "How do I register my flat?"
CHANGED = "Changed answer for the replicas test: register within two weeks."


@dataclass
class Production:
    api: FakeBotApi
    components: dict[str, Component]
    tracker_url: str
    database_url: str
    knowledge: Path
    pseudonyms: Pseudonyms

    @property
    def webhook(self) -> str:
        return f"{self.components['telegram'].url}/telegram"

    def post(self, update: dict[str, Any], secret: str = SECRET) -> int:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
        return httpx.post(self.webhook, json=update, headers=headers, timeout=120).status_code

    def replies(self, user: TelegramUser, update: dict[str, Any], status: int = 200) -> list[Call]:
        mark = self.api.mark()
        assert self.post(update) == status
        return [c for c in self.api.calls_since(mark, "sendMessage") if c.chat_id == user.chat_id]

    def events(self, user: TelegramUser) -> int:
        with create_engine(self.tracker_url).connect() as connection:
            query = text("SELECT count(*) FROM events WHERE sender_id = :s")
            return int(connection.execute(query, {"s": self.pseudonyms.sender(user.chat_id)}).scalar_one())


@pytest.fixture(scope="module")
def production(model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Production]:
    state = tmp_path_factory.mktemp("serve")
    knowledge = state / "knowledge"
    shutil.copytree(config.ROOT / "knowledge", knowledge)
    tracker_url, database_url = fresh_database("lotse_serve_tracker"), fresh_database("lotse_serve")
    key_file = state / "pseudonym.key"
    common = {
        **os.environ,
        "LOTSE_KNOWLEDGE_DIR": str(knowledge),
        "LOTSE_EMBEDDING_MODEL": "none",
        "LOTSE_DATABASE_URL": database_url,
        "LOTSE_TRACKER_DB_URL": tracker_url,
        "LOTSE_REDIS_URL": "redis://127.0.0.1:6379/6",
        "LOTSE_LISTEN": "127.0.0.1",
        "LOTSE_DATA_DIR": str(state),
    }
    logs = state / "logs"
    logs.mkdir()
    with FakeBotApi() as api:
        # A second action server on the same knowledge folder: a change must reach both.
        components = {
            name: Component(name, kind, free_port(), {}, logs)
            for name, kind in (
                ("actions", "actions"),
                ("actions-b", "actions"),
                ("rasa", "rasa"),
                ("telegram", "telegram"),
                ("editor", "editor"),
            )
        }
        ports = {name: component.port for name, component in components.items()}
        components["actions"].env = {**common, "LOTSE_ACTIONS_PORT": str(ports["actions"])}
        components["actions-b"].env = {**common, "LOTSE_ACTIONS_PORT": str(ports["actions-b"])}
        components["rasa"].env = {
            **common,
            "LOTSE_RASA_PORT": str(ports["rasa"]),
            "LOTSE_ACTIONS_URL": f"http://127.0.0.1:{ports['actions']}",
            "LOTSE_RASA_MODEL": str(model),
            "LOTSE_RASA_TOKEN_FILE": str(token_for(state)),
        }
        components["telegram"].env = {
            **common,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "LOTSE_TELEGRAM_API_URL": api.url,
            "LOTSE_TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{ports['telegram']}/telegram",
            "LOTSE_TELEGRAM_WEBHOOK_SECRET": SECRET,
            "LOTSE_TELEGRAM_PORT": str(ports["telegram"]),
            "LOTSE_RASA_URL": f"http://127.0.0.1:{ports['rasa']}",
            "LOTSE_PSEUDONYM_KEY_FILE": str(key_file),
        }
        components["editor"].env = {**common, "LOTSE_EDITOR_PORT": str(ports["editor"])}
        try:
            for component in components.values():
                component.start()
            for component in components.values():
                component.wait_ready()
            yield Production(api, components, tracker_url, database_url, knowledge, Pseudonyms(load_key(key_file)))
        finally:
            for component in components.values():
                if component.pid is not None:
                    component.kill()


def test_health_and_readiness_of_every_component(production: Production) -> None:
    for name in ("actions", "actions-b", "telegram"):
        assert production.components[name].get("/health").status_code == 200
        assert production.components[name].get("/ready").json() == {"ready": True}
    assert production.components["rasa"].get("/").status_code == 200
    assert production.components["editor"].get("/health").json() == {"status": "ok"}


def test_a_conversation_is_stored_in_postgresql_and_delete_removes_it(production: Production) -> None:
    user = TelegramUser(production.api, 720_000_001, "en")
    replies = production.replies(user, user.message_update(QUESTION))
    assert replies and "Bürgeramt" in " ".join(c.text for c in replies)
    assert production.events(user) > 0
    assert production.post(user.message_update("hello"), secret="wrong-" + SECRET) == 403
    production.replies(user, user.message_update("/delete"))
    done = production.replies(user, user.callback_update(DELETE_YES))
    assert production.events(user) == 0
    assert any("deleted" in c.text.lower() for c in done), [c.text for c in done]


def test_an_update_delivered_twice_at_once_is_answered_once(production: Production) -> None:
    """Telegram retries while the first delivery is still being handled (e.g. a slow answer): the chat's lock in
    PostgreSQL makes the second wait, and then it finds the update handled."""
    user = TelegramUser(production.api, 720_000_002, "de")
    update = user.message_update("Wie melde ich meine Wohnung an?")
    mark = production.api.mark()
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        statuses = list(pool.map(production.post, [update, update]))
    assert statuses == [200, 200]
    answers = [c for c in production.api.calls_since(mark, "sendMessage") if c.chat_id == user.chat_id]
    again = production.replies(user, update)
    assert len(answers) >= 1 and again == []
    assert len({c.text for c in answers}) == len(answers)  # no reply twice


def test_metrics_count_messages_without_anything_personal(production: Production) -> None:
    user = TelegramUser(production.api, 720_000_003, "uk")
    production.replies(user, user.message_update("Як зареєструвати квартиру?"))
    gateway = production.components["telegram"].get("/metrics").text
    actions = production.components["actions"].get("/metrics").text
    assert 'lotse_gateway_updates_total{outcome="handled"}' in gateway
    assert 'lotse_handover_cases{state="consented"}' in gateway
    assert "lotse_gateway_update_seconds_bucket" in gateway
    assert re.search(r'lotse_messages_total\{kind="[a-z_]+",language="uk"\} 1\.0', actions)
    assert "lotse_action_seconds_count" in actions
    sender = production.pseudonyms.sender(user.chat_id)
    for personal in (str(user.chat_id), sender, sender[3:13], "зареєструвати", "Anmeldung"):
        assert personal not in gateway + actions


def test_a_knowledge_change_reaches_every_action_server_within_a_minute(production: Production) -> None:
    entry = load_knowledge(production.knowledge).knowledge.entries[ENTRY[1]]
    question = entry.questions["en"][0]
    save(
        production.knowledge / "entries" / ENTRY[0] / f"{ENTRY[1]}.yml",
        lambda doc: doc["answer"].__setitem__("en", CHANGED),
    )
    start = time.monotonic()
    seen: dict[str, float] = {}
    while time.monotonic() - start < 60 and len(seen) < 2:
        for name in ("actions", "actions-b"):
            if name not in seen and CHANGED in _answer(production.components[name].url, question):
                seen[name] = time.monotonic() - start
        time.sleep(0.5)
    print(f"\nknowledge change served by each action server after: {seen}")
    assert set(seen) == {"actions", "actions-b"}


def test_with_rasa_down_the_person_is_told_once_and_the_redelivery_is_answered(production: Production) -> None:
    rasa = production.components["rasa"]
    rasa.kill()
    user = TelegramUser(production.api, 720_000_004, "ar")
    update = user.message_update("كيف أسجل سكني؟")
    told = production.replies(user, update, status=503)  # not acknowledged: Telegram delivers it again
    assert [c.text for c in told] == [production_text("answer_delayed", "ar")]
    assert production.replies(user, update, status=503) == []  # told once per message
    rasa.start()
    rasa.wait_ready()
    answered = production.replies(user, update)
    assert answered and production_text("answer_delayed", "ar") not in [c.text for c in answered]
    assert production.replies(user, update) == []  # handled: a later redelivery is only acknowledged


def test_retention_clears_rasa_s_postgresql_tracker_and_the_shared_chat_state(production: Production) -> None:
    user = TelegramUser(production.api, 720_000_005, "fr")
    production.replies(user, user.message_update("Comment déclarer mon logement ?"))
    assert production.events(user) > 0
    env = {
        **production.components["telegram"].env,
        "LOTSE_CONVERSATION_RETENTION_DAYS": "0",
    }
    done = subprocess.run(
        [str(config.ACTIONS_PYTHON), "-m", "tools.cli", "cleanup"], env=env, capture_output=True, text=True, check=True
    )
    assert production.events(user) == 0
    with create_engine(production.database_url).connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM gateway_chats")).scalar_one() == 0
    assert "chat states" in done.stdout


def test_sigterm_stops_every_component_within_seconds(production: Production) -> None:
    stopped: dict[str, float] = {}
    for name, component in production.components.items():
        assert component.process is not None
        start = time.monotonic()
        component.process.send_signal(signal.SIGTERM)
        code = component.process.wait(timeout=30)
        stopped[name] = time.monotonic() - start
        assert code in (0, -signal.SIGTERM, 128 + signal.SIGTERM), (name, code)
    print(f"\nSIGTERM -> exit: { {name: round(s, 1) for name, s in stopped.items()} }")
    assert max(stopped.values()) < 10


def production_text(key: str, language: str) -> str:
    from core.i18n.messages import messages

    return messages().text(key, language)


def _answer(actions_url: str, question: str) -> str:
    """The action server's answer to `question`, asked directly as Rasa would ask it."""
    return " ".join(str(r.get("text") or "") for r in ask_action_server(actions_url, question, {"language": "en"}))
