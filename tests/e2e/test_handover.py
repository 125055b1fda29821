"""Warm handover end to end: the real gateway against the fake Bot API, the real Rasa and action servers,
and the case store on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from core import config
from core.i18n.messages import messages
from core.store.cases import Case
from core.store.database import Base, utcnow
from core.store.gateway_records import connect
from tests.e2e.fake_telegram import Call, FakeBotApi, TelegramUser
from tests.e2e.helpers import gateway_process
from tools.servers import Servers

SERVICE = "mbe-hochfeld-duisburg"  # sample MBE in Duisburg with handover: telegram
GROUP = -100_555_001
COUNSELLOR = {"id": 9001, "is_bot": False, "first_name": "Olena", "last_name": "K."}
STRANGER = {"id": 9002, "is_bot": False, "first_name": "Someone"}
QUESTION = "Я інженерка з Києва, як мені визнати свій диплом у Німеччині?"
POSTGRES_URL = os.environ.get("LOTSE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def database_url(kind: str, state: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{state / 'lotse.db'}"
    engine = create_engine(POSTGRES_URL)
    try:
        with engine.begin() as connection:  # a clean slate: these tables belong to the tests
            Base.metadata.drop_all(connection)
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))  # so the migrations run again
    except OperationalError as error:
        pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL} (.ci/run starts it): {error}")
    return POSTGRES_URL


class Desk:
    """A running gateway with counsellor groups, its fake Bot API and its database."""

    def __init__(self, api: FakeBotApi, url: str, state: Path, env: dict[str, str]) -> None:
        self.api, self.url, self.state, self.env = api, url, state, env
        self._chats = iter(range(610_000_001, 700_000_000, 11))

    def user(self) -> TelegramUser:
        return TelegramUser(self.api, next(self._chats), "uk")

    def cases(self, chat_id: int) -> list[Case]:
        from sqlalchemy.orm import Session

        with Session(create_engine(self.url)) as session:
            return list(session.query(Case).filter(Case.chat_id == chat_id).order_by(Case.id))

    def group_calls(self, mark: int) -> list[Call]:
        return [c for c in self.api.calls_since(mark, "sendMessage") if c.chat_id == GROUP]

    def group_press(self, who: dict[str, Any], data: str, message_id: int) -> list[Call]:
        mark = self.api.mark()
        update_id = TelegramUser(self.api, 1).next_update_id()
        self.api.inject(
            {
                "update_id": update_id,
                "callback_query": {
                    "id": f"g{update_id}",
                    "from": who,
                    "chat_instance": "g",
                    "data": data,
                    "message": {
                        "message_id": message_id,
                        "date": int(time.time()),
                        "chat": {"id": GROUP, "type": "supergroup", "title": "MBE"},
                        "text": "…",
                    },
                },
            }
        )
        return self.api.wait_for(mark, lambda c: c.method == "answerCallbackQuery", quiet=1.0)

    def group_reply(self, who: dict[str, Any], reply_to: int, text_: str) -> list[Call]:
        mark = self.api.mark()
        update_id = TelegramUser(self.api, 1).next_update_id()
        self.api.inject(
            {
                "update_id": update_id,
                "message": {
                    "message_id": 70_000 + update_id,
                    "date": int(time.time()),
                    "from": who,
                    "text": text_,
                    "chat": {"id": GROUP, "type": "supergroup", "title": "MBE"},
                    "reply_to_message": {
                        "message_id": reply_to,
                        "date": int(time.time()),
                        "text": "…",
                        "chat": {"id": GROUP, "type": "supergroup", "title": "MBE"},
                    },
                },
            }
        )
        return self.api.wait_for(mark, lambda c: c.method == "sendMessage", quiet=1.0)


@contextlib.contextmanager
def desk(servers: Servers, state: Path, url: str, unreachable: set[int] = frozenset()) -> Iterator[Desk]:
    groups = state / "counsellor_groups.yml"
    groups.write_text(f"{SERVICE}: {GROUP}\n", encoding="utf-8")
    env = {
        **servers.gateway_env(),
        "LOTSE_DATABASE_URL": url,
        "LOTSE_COUNSELLOR_GROUPS_FILE": str(groups),
        "LOTSE_HANDOVER_CHECK_SECONDS": "1",
    }
    with (
        FakeBotApi(members={GROUP: {COUNSELLOR["id"]}}, unreachable=set(unreachable)) as api,
        gateway_process(api, state, env),
    ):
        yield Desk(api, url, state, env)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def counselling(
    request: pytest.FixtureRequest, servers: Servers, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Desk]:
    state = tmp_path_factory.mktemp(f"handover-{request.param}")
    with desk(servers, state, database_url(request.param, state)) as running:
        yield running


def texts(calls: list[Call]) -> str:
    return "\n".join(c.text for c in calls)


def callbacks(calls: list[Call]) -> list[str]:
    return [b["callback_data"] for c in calls for b in c.buttons if "callback_data" in b]


def t(key: str, **values: str) -> str:
    return messages().text(key, "uk", **values)


def walk_to_proposal(user: TelegramUser) -> None:
    """Ukrainian user in Duisburg: question, answer, person, languages, city, age; the warm service is offered."""
    user.say(QUESTION)
    assert "/handover" in str(user.press("/talk_to_person")[-1].buttons)
    user.press('/handover{"languages":"uk+de"}')
    user.say("Дуйсбург")
    proposal = user.press('/handover{"age":"adult"}')
    assert f'/handover{{"service":"{SERVICE}"}}' in callbacks(proposal)


def walk_to_consent(user: TelegramUser) -> list[Call]:
    """To the proposal, then choose the warm service."""
    walk_to_proposal(user)
    return user.press(f'/handover{{"service":"{SERVICE}"}}')


def test_ukrainian_in_duisburg_is_handed_over_and_talks_to_a_counsellor(counselling: Desk) -> None:
    user = counselling.user()
    replies = user.say(QUESTION)
    assert "anerkennung" in str(replies[0].buttons)  # answered (👍/👎 for the recognition entry)

    consent = walk_to_consent(user)  # Rasa's REST channel sends each paragraph as a message of its own
    assert QUESTION in texts(consent) and "Duisburg" in texts(consent)
    assert t("handover_consent_german") in texts(consent) and "Thema: " in texts(consent)  # German for them
    assert counselling.cases(user.chat_id) == []  # nothing is stored before the person confirms

    consent = user.press("#consent:noq")  # drop the free-text question
    assert QUESTION not in texts(consent) and "#consent:noq" not in str(consent[-1].buttons)
    assert "#consent:send" in str(consent[-1].buttons)
    mark = counselling.api.mark()
    sent = user.press("#consent:send")
    case = counselling.cases(user.chat_id)[0]
    assert case.state == "sent" and case.summary["question"] is None
    assert t(
        "handover_sent", service=case.summary["service_name"], response_time=case.summary["response_time"]
    ) in texts(sent)
    posted = counselling.group_calls(mark)[0]
    assert "Neue Anfrage" in posted.text and f"Thema: {case.summary['topic']['de']}" in posted.text
    assert "Sprachen: Ukrainisch, Deutsch" in posted.text and "Ort: Duisburg" in posted.text
    assert QUESTION not in posted.text  # the person removed it
    message_id = case.group_message_id

    answered = counselling.group_press(STRANGER, f"#claim:{case.id}", message_id)
    assert any(c.params.get("show_alert") for c in answered if c.method == "answerCallbackQuery")
    assert counselling.cases(user.chat_id)[0].state == "sent"  # a non-member cannot claim

    mark = counselling.api.mark()
    counselling.group_press(COUNSELLOR, f"#claim:{case.id}", message_id)
    told = counselling.api.wait_for(mark, lambda c: c.chat_id == user.chat_id)
    assert "/bot" in texts([c for c in told if c.chat_id == user.chat_id])
    assert counselling.cases(user.chat_id)[0].state == "claimed"

    counselling.group_reply(COUNSELLOR, message_id, "Добрий день! Надішліть, будь ласка, копію диплома.")
    human = [c for c in counselling.api.calls if c.chat_id == user.chat_id][-1]
    assert human.text.startswith("👤") and "копію диплома" in human.text
    assert counselling.cases(user.chat_id)[0].state == "answered"

    mark = counselling.api.mark()
    user.api.inject(user.message_update("Дякую! Коли можна прийти?"))
    relayed = counselling.api.wait_for(mark, lambda c: c.chat_id == GROUP, quiet=1.0)
    assert any("Коли можна прийти" in c.text for c in relayed if c.chat_id == GROUP)
    assert not [c for c in relayed if c.chat_id == user.chat_id]  # the bot stays silent: a person is talking

    mark = counselling.api.mark()
    counselling.group_press(COUNSELLOR, f"#close:{case.id}", message_id)
    closed = counselling.api.wait_for(mark, lambda c: c.chat_id == user.chat_id)
    assert t("handover_closed") in texts(closed)
    final = counselling.cases(user.chat_id)[0]
    assert final.state == "closed" and all(
        (final.proposed_at, final.consented_at, final.sent_at, final.claimed_at, final.answered_at, final.closed_at)
    )
    assert final.proposed_at <= final.consented_at <= final.sent_at <= final.claimed_at <= final.closed_at

    replies = user.say(QUESTION)  # the bot answers again
    assert "anerkennung" in str(replies[0].buttons)


def test_back_to_the_bot_closes_the_case_and_tells_the_group(counselling: Desk) -> None:
    user = counselling.user()
    walk_to_consent(user)
    user.press("#consent:send")
    case = counselling.cases(user.chat_id)[0]
    counselling.group_press(COUNSELLOR, f"#claim:{case.id}", case.group_message_id)
    mark = counselling.api.mark()
    replies = user.say("/bot")
    assert messages().text("handover_left", "uk", service=case.summary["service_name"]) in texts(replies)
    assert any("zurückgekehrt" in c.text for c in counselling.group_calls(mark))
    assert counselling.cases(user.chat_id)[0].state == "closed"


def sent_case(counselling: Desk, user: TelegramUser) -> Case:
    """The user's request, consented and posted in the counsellors' group."""
    walk_to_consent(user)
    user.press("#consent:send")
    case = counselling.cases(user.chat_id)[0]
    assert case.state == "sent"
    return case


def shown_about(counselling: Desk, case: Case) -> list[str]:
    """What the counsellors' group shows now of Lotse's messages about the case."""
    return [text_ for text_ in counselling.api.shown(GROUP) if re.search(rf"#{case.id}\b", text_)]


def delete(user: TelegramUser) -> str:
    user.say("/delete")
    return texts(user.press("#del:yes"))


def test_delete_removes_the_case_and_lotses_messages_about_it_from_the_group(counselling: Desk) -> None:
    user = counselling.user()
    case = sent_case(counselling, user)
    counselling.group_press(COUNSELLOR, f"#claim:{case.id}", case.group_message_id)
    mark = counselling.api.mark()
    user.api.inject(user.message_update("Мій телефон 0176 5550 1937"))  # relayed to the counsellor
    counselling.api.wait_for(mark, lambda c: c.chat_id == GROUP and "5550 1937" in c.text)
    assert len(shown_about(counselling, case)) == 3  # the case, "claimed", the person's words

    assert t("delete_done") in delete(user)
    assert counselling.cases(user.chat_id) == []
    assert shown_about(counselling, case) == [messages().text("group_withdrawn", "de", id=case.id)]
    assert not any("5550 1937" in text_ for text_ in counselling.api.shown(GROUP))


def test_delete_after_48_hours_overwrites_what_telegram_no_longer_deletes(counselling: Desk) -> None:
    user = counselling.user()
    case = sent_case(counselling, user)
    counselling.api.pass_time(hours=49)
    assert t("delete_done") in delete(user)
    assert counselling.cases(user.chat_id) == []
    assert shown_about(counselling, case) == [
        messages().text("group_removed", "de", id=case.id),
        messages().text("group_withdrawn", "de", id=case.id),
    ]


def test_delete_that_cannot_reach_the_group_says_so_and_a_second_delete_finishes(counselling: Desk) -> None:
    user = counselling.user()
    case = sent_case(counselling, user)
    counselling.api.unreachable.add(GROUP)
    try:
        told = delete(user)
    finally:
        counselling.api.unreachable.discard(GROUP)
    assert t("delete_failed") in told and t("delete_done") not in told
    assert [c.state for c in counselling.cases(user.chat_id)] == ["closed"]  # kept for the retry, nobody can claim it
    assert len(shown_about(counselling, case)) == 1

    assert t("delete_done") in delete(user)
    assert counselling.cases(user.chat_id) == []
    assert shown_about(counselling, case) == [messages().text("group_withdrawn", "de", id=case.id)]


def test_a_typed_service_payload_is_not_a_button_press(counselling: Desk) -> None:
    user = counselling.user()
    walk_to_proposal(user)
    replies = user.say(f'\u3000/handover{{"service":"{SERVICE}"}}')  # an ideographic space, which Rasa strips
    assert "#consent:send" not in callbacks(replies) and t("handover_consent_german") not in texts(replies)


def test_cancel_at_consent_sends_and_stores_nothing(counselling: Desk) -> None:
    user = counselling.user()
    walk_to_consent(user)
    mark = counselling.api.mark()
    assert t("handover_cancelled") in texts(user.press("#consent:cancel"))
    assert counselling.group_calls(mark) == [] and counselling.cases(user.chat_id) == []


def test_unclaimed_case_is_reported_honestly_with_alternatives(counselling: Desk) -> None:
    user = counselling.user()
    walk_to_consent(user)
    user.press("#consent:send")
    case = counselling.cases(user.chat_id)[0]
    mark = counselling.api.mark()
    with create_engine(counselling.url).begin() as connection:  # the promised response time has passed
        connection.execute(
            text("UPDATE handover_cases SET deadline_at = :past WHERE id = :id"),
            {"past": utcnow().replace(year=2020), "id": case.id},
        )
    told = counselling.api.wait_for(mark, lambda c: c.chat_id == user.chat_id and "•" in c.text, timeout=20)
    overdue = [c for c in told if c.chat_id == user.chat_id][-1].text
    assert case.summary["service_name"] in overdue
    alternatives = case.summary["alternatives"]  # the other proposals, with their contacts
    assert alternatives and all(f"• {a['name']}: {a['contact']}" in overdue for a in alternatives)
    assert counselling.cases(user.chat_id)[0].overdue_notified_at is not None


def test_restart_between_consent_and_delivery_loses_nothing(servers: Servers, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lotse.db'}"
    with desk(servers, tmp_path, url, unreachable={GROUP}) as first:  # the group cannot be reached
        user = first.user()
        walk_to_consent(user)
        saved = user.press("#consent:send")
        case = first.cases(user.chat_id)[0]
        assert case.state == "consented"
        assert t("handover_saved", service=case.summary["service_name"]) in texts(saved)
    with desk(servers, tmp_path, url) as second:  # a new process on the same database
        second.api.wait_for(0, lambda c: c.chat_id == GROUP, timeout=30)
        second.api.wait_for(0, lambda c: c.chat_id == user.chat_id, timeout=30)
        assert second.cases(user.chat_id)[0].state == "sent"


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_cleanup_deletes_closed_cases_after_the_retention_period(kind: str, tmp_path: Path) -> None:
    url = database_url(kind, tmp_path)
    engine = connect(url)
    now = utcnow()
    with engine.begin() as connection:
        for chat_id, state, closed_days_ago in ((1, "closed", 91), (2, "closed", 10), (3, "sent", None)):
            closed = now - dt.timedelta(days=closed_days_ago) if closed_days_ago else None
            connection.execute(
                Case.__table__.insert().values(
                    chat=f"c{chat_id}",
                    chat_id=chat_id,
                    service=SERVICE,
                    language="uk",
                    summary={},
                    state=state,
                    proposed_at=now,
                    consented_at=now,
                    closed_at=closed,
                )
            )
    result = subprocess.run(
        [str(config.ROOT / "lotse"), "cleanup"],
        cwd=config.ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "LOTSE_DATABASE_URL": url},
        timeout=300,
    )
    assert result.returncode == 0 and "deleted 1 handover case" in result.stdout
    with engine.connect() as connection:
        left = sorted(r[0] for r in connection.execute(text("SELECT chat_id FROM handover_cases")))
    assert left == [2, 3]
