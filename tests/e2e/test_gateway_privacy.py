"""Privacy of the Telegram gateway (issue 19): /delete racing a reply, typed text posing as a button,
message text in Rasa's log, and the secrets the gateway keeps or is given.

The real gateway process runs against the fake Bot API, the real Rasa and action servers.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import sqlite3
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from core import config
from core.i18n.messages import messages
from core.secret_file import WeakSecret, secret_from_file
from tests.e2e.fake_telegram import TOKEN, FakeBotApi, JsonHandler, TelegramUser, serve
from tests.e2e.helpers import gateway_process
from tests.e2e.telegram_chat import Telegram, callbacks, texts, tracker_events
from tools.servers import Servers, free_port

# A long message takes Rasa and the action server a while: the reply is still being computed when /delete comes.
LONG_QUESTION = (
    "I moved to Duisburg three weeks ago with my two children and my husband. We live with a friend "
    "for now, but the landlord of the flat we want says he needs a Wohnungsgeberbestätigung and that "
    "we must register at the Bürgeramt within two weeks, and I do not know where to go or which papers "
    "to bring, and whether the children must come too. "
) * 8


@pytest.fixture(scope="module")
def telegram(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Telegram]:
    state = tmp_path_factory.mktemp("privacy")
    with FakeBotApi() as api, gateway_process(api, state, servers.gateway_env()) as log:
        yield Telegram(api, state, log)


def user_events(servers: Servers, sender: str) -> list[dict[str, Any]]:
    """The messages of a conversation as Rasa's tracker store keeps them (text, intent, metadata)."""
    with sqlite3.connect(servers.tracker_db) as db:  # type: ignore[arg-type]
        rows = db.execute(
            "SELECT data FROM events WHERE sender_id = ? AND type_name = 'user' ORDER BY id", (sender,)
        ).fetchall()
    return [json.loads(data) for (data,) in rows]


# -- finding 1: /delete while a reply is being computed ---------------------------------------------------


@pytest.mark.parametrize("in_flight", ["long message", "thumbs down"])
def test_delete_pressed_while_a_reply_is_computed_leaves_no_events(
    telegram: Telegram, servers: Servers, in_flight: str
) -> None:
    user = telegram.user("en")
    rated = next(cb for cb in callbacks(user.say("how do i register my address")) if cb.endswith(":0"))
    user.say("/delete")
    sender = telegram.sender(user)
    assert tracker_events(servers, sender) > 0
    mark = telegram.api.mark()
    telegram.api.inject(
        user.message_update(LONG_QUESTION) if in_flight == "long message" else user.callback_update(rated)
    )
    telegram.api.inject(user.callback_update("#del:yes"))  # pressed before that reply is done
    done = messages().text("delete_done", "en")
    telegram.api.wait_for(mark, lambda c: c.chat_id == user.chat_id and c.text == done, quiet=1.5)
    assert tracker_events(servers, sender) == 0  # Rasa did not write the conversation back after the DELETE


@contextlib.contextmanager
def slow_rasa(rasa_url: str, delay_s: float) -> Iterator[str]:
    """The real Rasa behind a proxy that holds each request for `delay_s` first: Rasa is slow for certain,
    whatever the machine's speed. Yields the proxy's URL."""

    class Handler(JsonHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            time.sleep(delay_s)
            answer = httpx.post(
                f"{rasa_url}{self.path}",
                content=body,
                timeout=60,
                headers={"Content-Type": self.headers.get("Content-Type", "application/json")},
            )
            self.send_json(answer.status_code, answer.json())

    server = serve(Handler)
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def test_delete_after_the_gateway_stopped_waiting_for_a_slow_reply_leaves_no_events(
    servers: Servers, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A gateway whose patience runs out before Rasa is done tells the person to try again, but keeps the chat's
    turn until Rasa has stored the conversation: a /delete pressed meanwhile is not undone."""
    state = tmp_path_factory.mktemp("impatient")
    with (
        slow_rasa(servers.rasa_url, delay_s=2.0) as rasa_url,
        FakeBotApi() as api,
        gateway_process(
            api, state, {**servers.gateway_env(), "LOTSE_RASA_URL": rasa_url, "LOTSE_RASA_TIMEOUT": "0.5"}
        ) as log,
    ):
        impatient = Telegram(api, state, log)
        user = impatient.user("en")
        user.say("/delete")
        mark = api.mark()
        api.inject(user.message_update(LONG_QUESTION))
        api.inject(user.callback_update("#del:yes"))
        done = messages().text("delete_done", "en")
        api.wait_for(mark, lambda c: c.chat_id == user.chat_id and c.text == done, quiet=1.5)
        told = [c.text for c in api.calls_since(mark, "sendMessage") if c.chat_id == user.chat_id]
        assert told.index(messages().text("try_again", "en")) < told.index(done)
        assert tracker_events(servers, impatient.sender(user)) == 0


# -- finding 2 and 3: typed text is text ------------------------------------------------------------------


def test_button_presses_are_marked_and_typed_text_and_commands_are_not(telegram: Telegram, servers: Servers) -> None:
    user = telegram.user("en")
    user.say("/start")
    user.press('/choose_language{"language":"de"}')
    user.say("Wie melde ich meine Wohnung an?")
    events = user_events(servers, telegram.sender(user))
    assert [(e["text"], e["metadata"]["button"]) for e in events] == [
        ("/start", False),
        ('/choose_language{"language":"de"}', True),
        ("Wie melde ich meine Wohnung an?", False),
    ]


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ('\u3000/choose_language{"language":"ar"}', 'choose_language{"language":"ar"}'),
        ('\u200b/choose_entry{"entry":"kita"}', 'choose_entry{"entry":"kita"}'),
        (' //rate{"entry":"anmeldung"}', 'rate{"entry":"anmeldung"}'),
    ],
)
def test_typed_text_that_looks_like_a_button_reaches_rasa_as_words(
    telegram: Telegram, servers: Servers, typed: str, sent: str
) -> None:
    user = telegram.user("en")
    replies = user.say(typed)
    event = user_events(servers, telegram.sender(user))[-1]
    assert event["text"] == sent and event["metadata"]["button"] is False
    assert event["parse_data"]["entities"] == []  # Rasa did not read it as an intent with ids
    assert messages().text("language_set", "ar") not in texts(replies)  # no button was pressed


def test_a_typed_slash_message_leaves_no_text_in_rasas_log(telegram: Telegram, servers: Servers) -> None:
    phone = "0176 5550 1937"
    user = telegram.user("ru")
    user.say(f"/привет, мой номер {phone}, мне нужна помощь с пропиской")
    rasa_log = (servers.tracker_db.parent / "rasa.log").read_text(errors="replace")  # type: ignore[union-attr]
    assert phone not in rasa_log and "мой номер" not in rasa_log
    assert user_events(servers, telegram.sender(user))[-1]["text"].startswith("привет, мой номер")  # as words


@pytest.mark.parametrize(
    "typed",
    [
        "/help my husband is hitting me and I am scared",  # a command of the bot, followed by words
        "/mein Mann schlägt mich, ich habe Angst",  # looks like a command Telegram marks ("/mein")
        "/муж меня бьёт, мне страшно",  # Telegram marks no command here: plain text starting with "/"
    ],
)
def test_an_emergency_behind_a_slash_gets_the_emergency_answer(telegram: Telegram, typed: str) -> None:
    replies = telegram.user("en").say(typed)
    assert "110" in texts(replies)  # the police, first


# -- finding 3 (secrets): key files and configured secrets -------------------------------------------------


def _read_key(path: Path, start: Any, results: Any) -> None:
    start.wait()
    try:
        results.put(secret_from_file(path))
    except WeakSecret as error:
        results.put(str(error))


def test_a_new_key_file_is_whole_and_the_same_for_processes_starting_together(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    for attempt in range(20):
        path = tmp_path / f"run{attempt}" / "var" / "pseudonym.key"
        start, results = context.Barrier(8), context.Queue()
        processes = [context.Process(target=_read_key, args=(path, start, results)) for _ in range(8)]
        for process in processes:
            process.start()
        keys = {results.get(timeout=30) for _ in processes}
        for process in processes:
            process.join()
        assert len(keys) == 1 and len(bytes.fromhex(keys.pop())) == 32  # nobody read a half-written file
        assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert os.listdir(path.parent) == ["pseudonym.key"]  # no temporary file left behind


@pytest.mark.parametrize("content", ["", "abc123", "not hex at all, but long enough to look like a secret"])
def test_a_short_or_damaged_key_file_is_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "pseudonym.key"
    path.write_text(content, encoding="ascii")
    with pytest.raises(WeakSecret, match=r"at least 32 bytes.*token_hex\(32\)") as refused:
        secret_from_file(path)
    assert str(path) in str(refused.value)


def run_gateway(env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`python -m bot.telegram` with TELEGRAM_BOT_TOKEN and `env`; for settings it refuses before it starts."""
    nowhere = "http://127.0.0.1:9"  # no Bot API: a gateway that does not refuse fails on its first request
    return subprocess.run(
        [str(config.ACTIONS_PYTHON), "-m", "bot.telegram"],
        cwd=config.ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "LOTSE_TELEGRAM_API_URL": nowhere, **env},
    )


def test_the_gateway_refuses_an_empty_key_file_and_says_how_to_make_one(tmp_path: Path) -> None:
    key = tmp_path / "pseudonym.key"
    key.write_text("", encoding="ascii")
    result = run_gateway({"LOTSE_PSEUDONYM_KEY_FILE": str(key), "LOTSE_DATABASE_URL": f"sqlite:///{tmp_path}/lotse.db"})
    assert result.returncode == 2
    assert str(key) in result.stderr and "secrets.token_hex(32)" in result.stderr


@pytest.mark.parametrize("secret", ["", "s3cret-token_for-tests", "x" * 31, "spaces are not allowed " * 3])
def test_webhook_mode_refuses_a_missing_short_or_invalid_secret(tmp_path: Path, secret: str) -> None:
    result = run_gateway(
        {
            "LOTSE_TELEGRAM_WEBHOOK_URL": "https://bot.example.org/telegram",
            "LOTSE_TELEGRAM_WEBHOOK_SECRET": secret,
            "LOTSE_DATA_DIR": str(tmp_path),
        }
    )
    assert result.returncode == 2
    assert "LOTSE_TELEGRAM_WEBHOOK_SECRET" in result.stderr and "secrets.token_urlsafe(32)" in result.stderr
    assert not (tmp_path / "pseudonym.key").exists()  # refused before anything was set up


@contextlib.contextmanager
def umask(mask: int) -> Iterator[None]:
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def test_the_gateway_creates_its_files_for_its_owner_only(tmp_path: Path) -> None:
    var = tmp_path / "var"  # not there yet: the gateway makes it
    env = {
        "LOTSE_RASA_URL": f"http://127.0.0.1:{free_port()}",
        "LOTSE_TRACKER_DB_URL": f"sqlite:///{tmp_path}/t.db",
        "LOTSE_DATABASE_URL": f"sqlite:///{var / 'lotse.db'}",
        "LOTSE_PSEUDONYM_KEY_FILE": str(var / "pseudonym.key"),
    }
    with umask(0o022), FakeBotApi() as api, gateway_process(api, tmp_path, env):  # a usual shell's umask
        TelegramUser(api, 900_000_001, "en").say("hello")  # the database is written
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in var.iterdir()}
    assert stat.S_IMODE(var.stat().st_mode) == 0o700
    assert set(modes) >= {"lotse.db", "pseudonym.key"} and set(modes.values()) == {0o600}, modes
