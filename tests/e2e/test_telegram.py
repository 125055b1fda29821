"""The Telegram channel: the real gateway (python-telegram-bot) against a fake Bot API, the real Rasa
server and the real action server."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from core import config
from core.i18n.messages import messages
from core.languages import LANGUAGES
from tests.e2e.fake_telegram import TOKEN, FakeBotApi, JsonHandler, TelegramUser, serve
from tests.e2e.helpers import gateway_process
from tests.e2e.telegram_chat import Telegram, callbacks, texts, tracker_events
from tools.servers import Servers, free_port, spawn, stop

WEBHOOK_SECRET = "s3cret-token_for-tests_0123456789abcdef"
ARABIC_QUESTION = "كيف أعمل Anmeldung للسكن"


@pytest.fixture(scope="module")
def telegram(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Telegram]:
    state = tmp_path_factory.mktemp("telegram")
    with FakeBotApi() as api, gateway_process(api, state, servers.gateway_env()) as log:
        yield Telegram(api, state, log)


def feedback_rows(telegram: Telegram, sender: str) -> list[tuple[str, int]]:
    with sqlite3.connect(telegram.state / "lotse.db") as db:
        return db.execute("SELECT entry, helpful FROM feedback WHERE chat = ?", (sender,)).fetchall()


def test_start_language_button_arabic_answer_feedback_and_delete(telegram: Telegram, servers: Servers) -> None:
    user = telegram.user("de")
    replies = user.say("/start")
    assert "Lotse" in texts(replies) and "Ämter" in texts(replies)  # the app says German: greeting in German
    language_buttons = [b for b in replies[-1].buttons if b["callback_data"].startswith("/choose_language")]
    assert [b["text"] for b in language_buttons][:3] == ["Deutsch", "English", "العربية"]

    replies = user.press('/choose_language{"language":"ar"}')
    assert messages().text("language_set", "ar") in texts(replies)

    replies = user.say(ARABIC_QUESTION)
    answer = replies[0]
    assert "المصدر" in answer.text  # "source" in Arabic, with the official link
    source_buttons = [b for b in answer.buttons if "url" in b]
    assert source_buttons and source_buttons[0]["url"].startswith("https://")
    assert {"#fb:anmeldung:1", "#fb:anmeldung:0"} <= set(callbacks(replies))
    assert answer.params.get("link_preview_options", {}).get("is_disabled") is True

    mark = telegram.api.mark()
    telegram.api.inject(user.callback_update("#fb:anmeldung:1"))
    thanks = telegram.api.wait_for(mark, lambda c: c.method == "answerCallbackQuery" and c.params.get("text"))
    assert messages().text("feedback_thanks", "ar") in [c.params.get("text") for c in thanks]
    sender = telegram.sender(user)
    assert feedback_rows(telegram, sender) == [("anmeldung", 1)]
    assert tracker_events(servers, sender) > 0

    replies = user.say("/delete")
    assert set(callbacks(replies)) == {"#del:yes", "#del:no"}
    assert tracker_events(servers, sender) > 0  # nothing is deleted before the confirmation
    replies = user.press("#del:yes")
    assert messages().text("delete_done", "ar") in texts(replies)
    assert tracker_events(servers, sender) == 0
    assert feedback_rows(telegram, sender) == []


def test_delete_can_be_cancelled(telegram: Telegram, servers: Servers) -> None:
    user = telegram.user("en")
    user.say("how do i register my address")
    user.say("/delete")
    replies = user.press("#del:no")
    assert "nothing was deleted" in texts(replies)
    assert tracker_events(servers, telegram.sender(user)) > 0


def test_app_language_is_the_first_guess_and_clear_text_overrides_it(telegram: Telegram) -> None:
    user = telegram.user("uk-UA")
    assert messages().text("greeting", "uk") in texts(user.say("/start"))
    replies = user.say("Wie melde ich meine Wohnung an? Ich bin gerade umgezogen.")
    assert "Quelle" in texts(replies)  # the German text wins over the Ukrainian app setting


def test_command_menu_is_set_in_all_eight_languages(telegram: Telegram) -> None:
    menus = {
        c.params.get("language_code"): c.params["commands"] for c in telegram.api.calls if c.method == "setMyCommands"
    }
    assert set(menus) == {None, *LANGUAGES}
    for commands in menus.values():
        assert [c["command"] for c in commands] == ["start", "language", "help", "person", "delete"]
    assert menus["de"][4]["description"] != menus["fa"][4]["description"]
    assert menus["fa"][4]["description"] != menus["en"][4]["description"]


def test_help_says_what_lotse_cannot_do_and_how_to_delete(telegram: Telegram) -> None:
    text = texts(telegram.user("en").say("/help"))
    assert "cannot give legal advice" in text and "/delete" in text and "Privacy" in text


def test_language_command_offers_all_eight_languages_and_unknown_commands_get_help(telegram: Telegram) -> None:
    user = telegram.user("ru")
    replies = user.say("/language")
    assert texts(replies) == messages().text("choose_language", "ru")
    assert len([c for c in callbacks(replies) if c.startswith("/choose_language{")]) == 8
    assert texts(user.say("/foo")) == messages().text("about", "ru")


def test_person_command_starts_the_handover(telegram: Telegram) -> None:
    replies = telegram.user("en").say("/person")
    assert texts(replies) == messages().text("handover_ask_languages", "en")
    assert '/handover{"languages":"en"}' in callbacks(replies)


@pytest.mark.parametrize(
    "content",
    [
        {"photo": [{"file_id": "p1", "file_unique_id": "u1", "width": 90, "height": 90}]},
        {"voice": {"file_id": "v1", "file_unique_id": "u2", "duration": 3}},
        {
            "sticker": {
                "file_id": "s1",
                "file_unique_id": "u3",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
        },
        {"location": {"latitude": 51.43, "longitude": 6.76}},
        {"document": {"file_id": "d1", "file_unique_id": "u4", "file_name": "brief.pdf"}},
    ],
)
def test_non_text_messages_get_a_polite_explanation_in_the_users_language(
    telegram: Telegram, content: dict[str, Any]
) -> None:
    replies = telegram.user("tr").send(**content)
    assert texts(replies) == messages().text("non_text", "tr")
    assert "/talk_to_person" in callbacks(replies)


def test_groups_channel_posts_and_edits_are_ignored_without_crashing(telegram: Telegram) -> None:
    user = telegram.user("en")
    group = {"id": -100123, "type": "supergroup", "title": "Some group"}
    message = {"message_id": 5, "date": int(time.time()), "chat": group, "from": user.user, "text": "hello bot"}
    mark = telegram.api.mark()
    telegram.api.inject({"update_id": user.next_update_id(), "message": message})
    telegram.api.inject(
        {"update_id": user.next_update_id(), "channel_post": {**message, "chat": {**group, "type": "channel"}}}
    )
    telegram.api.inject(
        {
            "update_id": user.next_update_id(),
            "edited_message": {**user.message_update("hi")["message"], "edit_date": int(time.time())},
        }
    )
    replies = user.say("hello")  # the gateway is still alive and answers private messages
    assert "Lotse" in texts(replies)
    assert all(c.chat_id == user.chat_id for c in telegram.api.calls_since(mark, "sendMessage"))


def test_rate_limit_answers_twenty_messages_a_minute_then_says_so_once(telegram: Telegram) -> None:
    user = telegram.user("en")
    mark = telegram.api.mark()
    for _ in range(23):
        telegram.api.inject(user.message_update("thanks"))
    telegram.api.wait_for(mark, lambda c: "many messages" in c.text, quiet=2.0)
    sent = [c for c in telegram.api.calls_since(mark, "sendMessage") if c.chat_id == user.chat_id]
    notices = [c for c in sent if "many messages" in c.text]
    assert len(notices) == 1
    assert len(sent) - len(notices) == 20


def test_logs_hold_neither_message_text_nor_chat_ids(telegram: Telegram) -> None:
    user = telegram.user("en")
    user.say("my landlord wants to evict me what can i do")
    log = telegram.log.read_text(errors="replace")
    assert "message chat=" in log  # the gateway does log each message ...
    assert "landlord" not in log and ARABIC_QUESTION not in log and str(user.chat_id) not in log  # ... but not this
    assert "TEST-token" not in log  # the Bot API URLs (with the token) are not logged either


# -- webhook mode --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def webhook(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeBotApi, str]]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    env = {
        **servers.gateway_env(),
        "LOTSE_TELEGRAM_WEBHOOK_URL": url,
        "LOTSE_TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "LOTSE_TELEGRAM_PORT": str(port),
    }
    with FakeBotApi() as api, gateway_process(api, tmp_path_factory.mktemp("webhook"), env):
        yield api, url


def post(url: str, update: dict[str, Any], secret: str | None) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
    return httpx.post(url, json=update, headers=headers, timeout=30).status_code


def test_webhook_registers_its_secret_and_refuses_requests_without_it(webhook: tuple[FakeBotApi, str]) -> None:
    api, url = webhook
    registered = [c for c in api.calls if c.method == "setWebhook"]
    assert registered[0].params["url"] == url and registered[0].params["secret_token"] == WEBHOOK_SECRET
    user = TelegramUser(api, 700_000_001, "en")
    mark = api.mark()
    assert post(url, user.message_update("hello"), None) == 403
    assert post(url, user.message_update("hello"), "wrong") == 403
    time.sleep(1.5)
    assert api.calls_since(mark, "sendMessage") == []  # nothing was processed

    assert post(url, user.message_update("hello"), WEBHOOK_SECRET) == 200
    assert "Lotse" in texts(api.wait_for(mark, lambda c: c.method == "sendMessage"))


def test_a_redelivered_update_is_answered_once(webhook: tuple[FakeBotApi, str]) -> None:
    api, url = webhook
    user = TelegramUser(api, 700_000_002, "en")
    update = user.message_update("how do i register my address")
    mark = api.mark()
    assert post(url, update, WEBHOOK_SECRET) == 200
    api.wait_for(mark, lambda c: c.method == "sendMessage", quiet=1.0)
    assert post(url, update, WEBHOOK_SECRET) == 200  # Telegram retries after a slow answer
    time.sleep(2.0)
    answers = [c for c in api.calls_since(mark, "sendMessage") if "register" in c.text.lower() or "Anmeldung" in c.text]
    assert len(answers) == 1


# -- a Rasa that is slow, down or talks too much ---------------------------------------------------------


class StubRasa:
    """Stands in for Rasa where the real one cannot produce the case: a reply longer than Telegram's
    4096 characters (knowledge answers are capped far below) or no answer in time."""

    LONG_PARAGRAPH = "Lorem ipsum dolor sit amet, " * 40

    def __enter__(self) -> StubRasa:
        stub = self

        class Handler(JsonHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if body["message"] == "slow":
                    time.sleep(5)
                text = "\n\n".join(f"{i}. {stub.LONG_PARAGRAPH}" for i in range(8))
                self.send_json(200, [{"recipient_id": body["sender"], "text": text}])

        self.server = serve(Handler)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture(scope="module")
def stubbed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeBotApi]:
    state = tmp_path_factory.mktemp("stubbed")
    with (
        StubRasa() as rasa,
        FakeBotApi() as api,
        gateway_process(
            api,
            state,
            {
                "LOTSE_RASA_URL": rasa.url,
                "LOTSE_RASA_TIMEOUT": "2",
                "LOTSE_TRACKER_DB_URL": f"sqlite:///{state / 'tracker.db'}",
            },
        ),
    ):
        yield api


def test_long_replies_are_split_on_paragraph_boundaries(stubbed: FakeBotApi) -> None:
    replies = TelegramUser(stubbed, 800_000_001, "en").say("anything")
    assert len(replies) >= 2 and all(len(c.text) <= 4096 for c in replies)
    assert all(c.text.rstrip().endswith("amet,") for c in replies)  # every message ends with a whole paragraph
    assert sum(c.text.count("Lorem") for c in replies) == 8 * 40


def test_a_slow_rasa_gets_please_try_again_instead_of_silence(stubbed: FakeBotApi) -> None:
    replies = TelegramUser(stubbed, 800_000_002, "fr").say("slow")
    assert "minute" in texts(replies) and "Lorem" not in texts(replies)


def test_an_unreachable_rasa_gets_please_try_again(tmp_path: Path) -> None:
    env = {"LOTSE_RASA_URL": f"http://127.0.0.1:{free_port()}", "LOTSE_TRACKER_DB_URL": f"sqlite:///{tmp_path}/t.db"}
    with FakeBotApi() as api, gateway_process(api, tmp_path, env):
        replies = TelegramUser(api, 800_000_003, "de").say("Hallo")
    assert "Bitte versuchen Sie es in einer Minute noch einmal" in texts(replies)


def test_thumbs_down_puts_the_question_into_the_volunteers_inbox(telegram: Telegram, servers: Servers) -> None:
    user = telegram.user("en")
    question = "how do i register my address after moving in, my name is Peter Novak"
    replies = user.say(question)
    rated = next(cb for cb in callbacks(replies) if cb.startswith("#fb:") and cb.endswith(":0"))
    user.api.inject(user.callback_update(rated))
    deadline = time.monotonic() + 20
    kept: list[tuple[str, str, str]] = []
    while time.monotonic() < deadline:
        with sqlite3.connect(servers.tracker_db.parent / "lotse.db") as db:  # type: ignore[union-attr]
            try:
                rows = db.execute(
                    "SELECT text, reason, candidates FROM inbox_messages WHERE reason = 'rated_unhelpful'"
                ).fetchall()
            except sqlite3.OperationalError:  # no table yet: nothing has been kept so far
                rows = []
        kept = [r for r in rows if "register my address after moving in" in r[0]]
        if kept:
            break
        time.sleep(0.5)
    assert kept, "the rated question should reach the inbox"
    text, _, candidates = kept[0]
    assert "Novak" not in text and rated.split(":")[1] in candidates


def editor_page(port: int, timeout: float = 60.0) -> str:
    """The editor's first page, once it is up."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/", timeout=10, follow_redirects=True).raise_for_status().text
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_lotse_run_with_a_token_serves_telegram(tmp_path: Path) -> None:
    """What an operator does: `./lotse run` with TELEGRAM_BOT_TOKEN starts both servers and the gateway."""
    with FakeBotApi() as api:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "LOTSE_TELEGRAM_API_URL": api.url,
            "LOTSE_DATA_DIR": str(tmp_path),
            "LOTSE_EMBEDDING_MODEL": "none",
            "LOTSE_EDITOR_PORT": str(free_port()),
        }
        process = spawn([str(config.ROOT / "lotse"), "run"], tmp_path / "run.log", env)
        try:
            api.wait_for(0, lambda c: c.method == "deleteWebhook", timeout=300)
            replies = TelegramUser(api, 555_000_001, "fr").say("/start")
            assert messages().text("greeting", "fr") in texts(replies)
            assert (tmp_path / "tracker.db").exists() and (tmp_path / "pseudonym.key").exists()
            assert "token" in editor_page(int(env["LOTSE_EDITOR_PORT"]))  # the volunteers' editor runs beside it
        finally:
            stop(process)
