"""The production topology on one machine, under load and faults (issue 18, "Prove it on this machine").

Real processes on loopback: two Rasa servers (PostgreSQL tracker store, Redis lock store), two action
servers and two webhook gateways behind a real HAProxy, the project database in PostgreSQL, and the fake
Bot API, whose webhook side (tests/e2e/webhook_pusher.py) POSTs updates to the balancer as Telegram does.
Thirty simulated people hold conversations in eight languages (questions, button presses taken from the
bot's own buttons, a warm handover that a counsellor claims and answers in the counsellors' group) while
components are killed and restarted and PostgreSQL and Redis go away for a while.

Three runs share the processes, the databases and the scripts (each with fresh chats):
1. `single`: one Rasa, one action server, one gateway (HAProxy keeps the second set out), no pauses, no
   faults. It gives the replies each step is expected to get, and the one-set throughput and latency.
2. `pair`: both sets, no pauses, no faults: the same numbers for the doubled topology.
3. `faults`: both sets, people pausing between messages so the load spans the fault schedule.
CPU seconds per message per component come from /proc for the two fault-free runs.

What is counted (see `assess`): messages that never got a reply, replies that came twice, replies that
came after the chat's next update had gone out, handover cases lost or stuck, updates the pusher gave up,
and per fault what people were told and which deliveries failed.

Run: `python -m tests.e2e.topology --json var/topology.json` (or tests/e2e/test_topology.py). It needs
PostgreSQL (127.0.0.1:5432, trust, user postgres), Redis (127.0.0.1:6379), Debian's /usr/sbin/haproxy,
and root for pg_ctlcluster and redis-server (the PostgreSQL restart and the Redis outage), as on CI.
About six minutes on two cores: start-up two, the fault-free runs half a minute, the fault run three.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import dataclasses
import json
import os
import random
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from core import config
from core.i18n.messages import messages
from core.languages import LANGUAGES
from tests.e2e.fake_telegram import TOKEN, FakeBotApi, TelegramUser
from tests.e2e.helpers import POSTGRES_SERVER, READY_PATHS, Component, fresh_database
from tests.e2e.webhook_pusher import WebhookPusher
from tools.servers import ask_action_server, free_port

HAPROXY = Path("/usr/sbin/haproxy")
PROJECT_DB, TRACKER_DB = "lotse_topology", "lotse_topology_tracker"
REDIS_PORT, REDIS_DB = 6379, 7
REDIS_START = [
    "redis-server",
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "-::1",
    "--port",
    str(REDIS_PORT),
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    "/var/lib/redis",
    "--logfile",
    "/var/log/redis/ci.log",
]

SERVICE = "mbe-hochfeld-duisburg"  # the sample MBE whose handover channel is Telegram (knowledge/services)
GROUP = -100_555_018
COUNSELLOR_ID = 9018
COUNSELLOR = {"id": COUNSELLOR_ID, "is_bot": False, "first_name": "Olena", "last_name": "K."}

STEP_TIMEOUT_S = 60.0  # a person waits this long for an answer, then writes the next message
CASE_TIMEOUT_S = 30.0  # how long the counsellor looks for a consented case before calling it lost
FAULT_GRACE_S = 5.0  # a fault's window lasts this long after the component is back
# The fault run: people arrive every ARRIVAL_S seconds and spread their steps over SPAN_S, so the load
# (about 1.2 updates/s) covers the fault schedule (Topology.faults) to its end.
ARRIVAL_S = 1.5
SPAN_S = 120.0
CPU_TICKS = os.sysconf("SC_CLK_TCK")
HARNESS = "harness"  # the load generator's own CPU, reported beside the components and left out of the capacity
# The gateway's own messages when it cannot answer at once: told to people, never an answer to a step.
NOTICE_KEYS = ("answer_delayed", "try_again", "rate_limited")


# -- the machine's PostgreSQL and Redis ------------------------------------------------------------------


def _redis(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["redis-cli", "-p", str(REDIS_PORT), *command], capture_output=True, text=True, timeout=10, check=False
    )


def redis_up() -> bool:
    return _redis("ping").stdout.strip() == "PONG"


def postgres_up() -> bool:
    result = subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"], check=False, timeout=10)
    return result.returncode == 0


def _pg_ctlcluster(action: str) -> None:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action],
        check=True,
        timeout=120,
        capture_output=True,
    )


def restart_postgres() -> None:
    _pg_ctlcluster("restart")


def stop_redis() -> None:
    _redis("shutdown", "nosave")


def start_redis() -> None:
    subprocess.run(REDIS_START, check=True, timeout=30, capture_output=True)
    deadline = time.monotonic() + 20
    while not redis_up():
        if time.monotonic() > deadline:
            raise RuntimeError("redis-server did not come back")
        time.sleep(0.2)


def restore_services() -> None:
    """PostgreSQL and Redis running again, whatever a fault left behind: the rest of the suite needs them."""
    if not postgres_up():
        _pg_ctlcluster("start")
    if not redis_up():
        start_redis()


def _service_pid(kind: str) -> int | None:
    """The pid of the machine's PostgreSQL postmaster or redis-server, for their CPU time."""
    if kind == "redis":
        match = re.search(r"process_id:(\d+)", _redis("info", "server").stdout)
        return int(match.group(1)) if match else None
    pid_files = sorted(Path("/var/lib/postgresql").glob("*/main/postmaster.pid"))
    with contextlib.suppress(OSError, ValueError, IndexError):
        return int(pid_files[-1].read_text().split()[0])
    return None


# -- CPU time from /proc ---------------------------------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()  # fields from the state on (the name may hold spaces)


def cpu_seconds(root: int | None) -> float:
    """CPU time (user + system) of a process, its live descendants and the children it has already reaped."""
    if root is None:
        return 0.0
    children: dict[int, list[int]] = collections.defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))):
            children[int(fields[1])].append(int(entry.name))
    total, stack, first = 0, [root], True
    while stack:
        pid = stack.pop()
        fields = _stat(pid)
        if fields is None:
            continue
        # after the state: ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
        total += int(fields[11]) + int(fields[12])
        if first:
            total += int(fields[13]) + int(fields[14])
            first = False
        stack.extend(children.get(pid, []))
    return total / CPU_TICKS


# -- the components and the balancer ----------------------------------------------------------------------

BACKENDS = {"telegram": "gateways", "rasa": "rasa", "actions": "actions"}


class Balancer:
    """HAProxy in front of each kind of component: a frontend port per kind, health checks, retries.

    Which failures are retried differs by what a retry costs:
    - actions: any retryable error, also after the request was sent: an action call is stateless (Rasa sends
      the whole tracker and keeps the state), so a second try on the other server is safe (at worst a
      volunteers' inbox item is stored twice);
    - rasa: only a refused connection: a message that reached Rasa may have been stored already, and
      sending it again would make a second turn (the gateway answers 503 and Telegram redelivers instead);
    - gateways: a refused connection or a connection that died without an answer: the update was not
      acknowledged, and the gateways deduplicate by update id, so the other gateway may take it at once.
    """

    def __init__(self, directory: Path, components: list[Component]) -> None:
        self.directory = directory
        self.components = components
        self.ports = {kind: free_port() for kind in BACKENDS}
        self.socket = directory / "haproxy.sock"
        self.config = directory / "haproxy.cfg"
        self.log = directory / "logs" / "haproxy.log"
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, kind: str) -> str:
        return f"http://127.0.0.1:{self.ports[kind]}"

    def render(self) -> str:
        retry_on = {
            "telegram": "conn-failure empty-response",
            "rasa": "conn-failure",
            "actions": "all-retryable-errors",
        }
        lines = [
            "global",
            "    maxconn 1000",
            f"    stats socket {self.socket} mode 600 level admin",
            "    log stdout format raw local0",
            # Rasa's action calls carry the domain and the whole tracker; a request is retried only if it fits a buffer.
            "    tune.bufsize 262144",
            "defaults",
            "    mode http",
            "    log global",
            # the connection's accept time, handshake and idle ms before this request (keep-alive), backend/server,
            # status, active ms, retries ("+": redispatched), bytes in, termination state
            '    log-format "%Ts.%ms %Th %Ti %b/%s %ST %Ta %rc %U %tsc %{+Q}r"',
            "    timeout connect 1s",
            "    timeout client 60s",
            "    timeout server 60s",
            "    timeout queue 30s",
            # A busy Rasa answers its health check late; the default (`inter`, 500 ms) would mark it down.
            "    timeout check 3s",
            "    retries 3",
            "    option redispatch 1",
            "    default-server inter 500ms fall 2 rise 2",
        ]
        for kind, backend in BACKENDS.items():
            lines += [
                f"frontend {backend}_in",
                f"    bind 127.0.0.1:{self.ports[kind]}",
                f"    default_backend {backend}",
                f"backend {backend}",
                "    balance roundrobin",
                f"    option httpchk GET {READY_PATHS[kind]}",
                f"    retry-on {retry_on[kind]}",
            ]
            if kind == "actions":
                # A retry needs the whole request in HAProxy's buffer: without waiting for the body, a call whose
                # body was still streaming when its server died came back as 502 instead of going to the other.
                lines.append("    option http-buffer-request")
            lines += [f"    server {c.name} 127.0.0.1:{c.port} check" for c in self.components if c.kind == kind]
        return "\n".join(lines) + "\n"

    def start(self) -> None:
        if not HAPROXY.exists():
            raise RuntimeError(f"{HAPROXY} is missing: install Debian's package (apt-get install -y haproxy)")
        self.config.write_text(self.render(), encoding="utf-8")
        check = subprocess.run([str(HAPROXY), "-c", "-q", "-f", str(self.config)], capture_output=True, text=True)
        if check.returncode:
            raise RuntimeError(f"HAProxy refuses its configuration:\n{check.stdout}{check.stderr}")
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [str(HAPROXY), "-f", str(self.config), "-db"],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 10
        while not self.socket.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"HAProxy did not start:\n{self.log.read_text(errors='replace')}")
            time.sleep(0.05)

    def command(self, line: str) -> str:
        """One command on HAProxy's admin socket, and its answer."""
        with socket.socket(socket.AF_UNIX) as connection:
            connection.settimeout(5)
            connection.connect(str(self.socket))
            connection.sendall(line.encode() + b"\n")
            data = b""
            while chunk := connection.recv(65536):
                data += chunk
        return data.decode()

    def states(self) -> dict[str, str]:
        """Server name -> HAProxy's health state (UP, DOWN, MAINT, ...)."""
        rows = self.command("show stat").splitlines()
        header = rows[0].lstrip("# ").split(",")
        states = {}
        for row in rows[1:]:
            values = dict(zip(header, row.split(",")))
            if values.get("svname") not in (None, "FRONTEND", "BACKEND"):
                states[values["svname"]] = values["status"]
        return states

    def busy(self, server: str) -> bool:
        """Whether HAProxy has a request in flight at `server` (its current sessions)."""
        for row in self.command("show stat").splitlines()[1:]:
            fields = row.split(",")
            if len(fields) > 4 and fields[1] == server:
                return int(fields[4] or 0) > 0
        return False

    def wait_up(self, components: list[Component], timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            states = self.states()
            if all(states.get(c.name, "").startswith("UP") for c in components):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"HAProxy does not see {[c.name for c in components]} up: {states}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def cpu(self) -> float:
        return cpu_seconds(self.process.pid if self.process else None)


# -- the fake Bot API with a clock ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """A Bot API call of the gateway and when it arrived: what a person or the group saw, and when."""

    at: float
    method: str
    chat_id: int | None
    text: str
    buttons: tuple[tuple[str, int], ...]  # (callback data, id of the message that carries it)
    callback_query_id: str | None


@dataclass
class TimedBotApi(FakeBotApi):
    """The fake Bot API, keeping each call's arrival time per chat for the counts."""

    seen: dict[int, list[Shown]] = field(default_factory=lambda: collections.defaultdict(list))
    callback_answers: dict[str, list[Shown]] = field(default_factory=lambda: collections.defaultdict(list))
    _clock: threading.Condition = field(default_factory=threading.Condition)

    def __enter__(self) -> TimedBotApi:
        super().__enter__()
        return self

    def _handle(self, method: str, params: dict[str, Any]) -> Any:
        at = time.monotonic()
        result = super()._handle(method, params)
        if method not in ("sendMessage", "answerCallbackQuery"):
            return result
        message_id = result.get("message_id", 0) if isinstance(result, dict) else 0
        markup = params.get("reply_markup") or {}
        buttons = tuple(
            (str(button["callback_data"]), message_id)
            for row in markup.get("inline_keyboard", [])
            for button in row
            if "callback_data" in button
        )
        chat_id = int(params["chat_id"]) if "chat_id" in params else None
        entry = Shown(at, method, chat_id, str(params.get("text", "")), buttons, params.get("callback_query_id"))
        with self._clock:
            if chat_id is not None:
                self.seen[chat_id].append(entry)
            if entry.callback_query_id:
                self.callback_answers[str(entry.callback_query_id)].append(entry)
            self._clock.notify_all()
        return result

    def messages_to(self, chat_id: int, since: float = 0.0) -> list[Shown]:
        with self._clock:
            return [s for s in self.seen.get(chat_id, []) if s.method == "sendMessage" and s.at >= since]

    def answered(self, callback_query_id: str) -> bool:
        with self._clock:
            return bool(self.callback_answers.get(callback_query_id))

    def pause(self, seconds: float) -> None:
        """Wait for the next call (or `seconds`)."""
        with self._clock:
            self._clock.wait(seconds)


# -- the people and their scripts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One thing a person or the counsellor does.

    kind: `say` (value: the text), `press` (value: a pattern; the first of the bot's buttons whose callback
    data matches it, newest message first), or the counsellor's `claim`, `reply` (value: the text) and `close`
    in the group, each of which the person notices by a message from the bot.
    """

    kind: str
    value: str = ""


@dataclass(frozen=True)
class Phrases:
    greeting: str
    questions: tuple[str, str]
    handover_question: str  # a residence question: the Duisburg MBE (SERVICE) counsels on residence
    city: str


PHRASES = {
    "de": Phrases(
        "Hallo",
        ("Wie bekomme ich Kindergeld?", "Ich suche eine Wohnung, wo finde ich Hilfe?"),
        "Mein Aufenthaltstitel läuft bald ab, was muss ich tun?",
        "Duisburg",
    ),
    "en": Phrases(
        "hello",
        ("how do i register my address after moving", "I need health insurance, what do I do"),
        "My residence permit expires next month, how do I extend it?",
        "Duisburg",
    ),
    "ar": Phrases(
        "مرحبا",
        ("كيف أعمل Anmeldung للسكن", "أي تأمين صحي أختار؟"),
        "إقامتي بتخلص الشهر الجاي، كيف أمددها؟",
        "Duisburg",
    ),
    "uk": Phrases(
        "привіт",
        ("Як отримати Kindergeld?", "Де знайти лікаря?"),
        "Мій дозвіл на проживання закінчується через місяць, як його продовжити?",
        "Дуйсбург",
    ),
    "tr": Phrases(
        "merhaba",
        ("Almanca kursu nerede bulabilirim?", "Çocuk parası için nereye başvururum?"),
        "Oturum iznim gelecek ay bitiyor, nasıl uzatırım?",
        "Duisburg",
    ),
    "ru": Phrases(
        "привет",
        ("Как найти квартиру?", "Как получить Bürgergeld?"),
        "Мой ВНЖ заканчивается в следующем месяце, как его продлить?",
        "Дуйсбург",
    ),
    "fa": Phrases(
        "سلام",
        ("چطور بیمه درمانی بگیرم؟", "کلاس زبان آلمانی کجاست؟"),
        "اقامتم ماه بعد تموم میشه، چطور تمدیدش کنم؟",
        "Duisburg",
    ),
    "fr": Phrases(
        "bonjour",
        ("Comment obtenir les allocations familiales (Kindergeld) ?", "Comment ouvrir un compte bancaire ?"),
        "Mon titre de séjour expire le mois prochain, comment le renouveler ?",
        "Duisburg",
    ),
}
CATEGORIES = ("health", "housing", "work", "offices", "education", "benefits", "family", "daily_life")
USERS = 30


def script(index: int) -> tuple[str, list[Step]]:
    """Person `index`'s language and steps; every third one asks for a person at SERVICE.

    Twenty people: greeting, question, 👍 (or the first topic of a clarify), question, topic menu, a
    category, its first entry (7 updates). Ten: question, "talk to a person", languages, city, age,
    SERVICE, consent; the counsellor claims, replies and closes; a last question (8 + 3 group updates).
    """
    language = tuple(PHRASES)[index % len(PHRASES)]
    words = PHRASES[language]
    if index % 3 == 2:
        return language, [
            Step("say", words.handover_question),
            Step("press", r"^/talk_to_person$"),
            Step("press", r'"languages":"\w+\+de"|"languages":"de"'),
            Step("say", words.city),
            Step("press", r'"age":"adult"'),
            Step("press", re.escape(f'"service":"{SERVICE}"')),
            Step("press", r"^#consent:send$"),
            Step("claim"),
            Step("reply", f"Guten Tag! Bitte schicken Sie uns eine Kopie Ihres Aufenthaltstitels ({index})."),
            Step("close"),
            Step("say", words.questions[index % 2]),
        ]
    return language, [
        Step("say", words.greeting),
        Step("say", words.questions[0]),
        Step("press", r"^#fb:\w+:1$|^/choose_entry"),
        Step("say", words.questions[1]),
        Step("press", r"^/menu$"),
        Step("press", re.escape(f'"category":"{CATEGORIES[index % len(CATEGORIES)]}"')),
        Step("press", r"^/choose_entry"),
    ]


def normalised(text_: str) -> str:
    """A reply's text for comparing runs: numbers (case ids, counts) may differ between runs."""
    return re.sub(r"\d+", "#", text_).strip()


@dataclass
class StepRecord:
    """One step as a person took it: what went out when, and how long they waited."""

    user: int
    index: int
    kind: str
    chat_id: int
    update_id: int
    sent: float
    pressed: str | None = None
    silent: bool = False  # a 👍: the answer is the button's notice, no message
    timed_out: bool = False


@dataclass
class Person:
    """A simulated person: their chat, script and the handover case they started."""

    index: int
    chat_id: int
    language: str
    steps: list[Step]
    case_id: int | None = None
    case_message_id: int | None = None
    records: list[StepRecord] = field(default_factory=list)


# -- one run of the load -------------------------------------------------------------------------------------


@dataclass
class Fault:
    """A fault injected at `at` seconds into a run's load; a kill waits (a little) for a request in flight at
    its `target` server, so that it cuts one off, which is the case that matters."""

    name: str
    at: float
    action: Callable[[], None]
    target: str | None = None


@dataclass
class FaultWindow:
    name: str
    started: float
    recovered: float | None = None
    error: str | None = None

    @property
    def ended(self) -> float:
        return (self.recovered or time.monotonic()) + FAULT_GRACE_S


@dataclass
class Run:
    """One load run: its people, what went out, and the faults that were injected."""

    name: str
    people: list[Person]
    pusher: WebhookPusher
    api: TimedBotApi
    database: Engine
    expected: dict[tuple[int, int], list[str]] | None
    span_s: float = 0.0  # how long each person's conversation lasts, paused evenly between steps (0: no pauses)
    started: float = 0.0
    finished: float = 0.0
    windows: list[FaultWindow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    limit_s: float = 300.0  # people stop after this, whatever is left of their scripts: a hung run ends
    deadline: float = 0.0
    busy: Callable[[str], bool] = lambda server: True  # is a request in flight at this server (HAProxy)?

    def play(self, faults: list[Fault]) -> None:
        self.started = time.monotonic()
        self.deadline = self.started + self.limit_s
        threads = [threading.Thread(target=self._live, args=(p,), name=f"person {p.index}") for p in self.people]
        for thread in threads:
            thread.start()
        for fault in faults:
            due = max([self.started + fault.at, *(window.ended for window in self.windows)])
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self._inject(fault)
        for thread in threads:
            thread.join()
        self.finished = time.monotonic()
        self.pusher.wait_idle(timeout=max(10.0, min(self.pusher.deadline + 10, self.deadline - time.monotonic())))

    def _inject(self, fault: Fault) -> None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if fault.target is None and self.pusher.in_flight() or fault.target and self.busy(fault.target):
                break
            time.sleep(0.01)
        window = FaultWindow(fault.name, time.monotonic())
        self.windows.append(window)
        try:
            fault.action()
        except Exception as error:  # the run goes on; the report names the fault that failed
            window.error = f"{type(error).__name__}: {error}"
        window.recovered = time.monotonic()

    def _live(self, person: Person) -> None:
        rng = random.Random(person.index)
        time.sleep(person.index * (ARRIVAL_S if self.span_s else 0.05))
        pause = self.span_s / len(person.steps)
        for index, step in enumerate(person.steps):
            if time.monotonic() > self.deadline:
                self.errors.append(f"person {person.index} stopped at step {index}: the run's time was up")
                return
            try:
                self._take(person, index, step)
            except Exception as error:  # one person's trouble must not stop the others
                self.errors.append(f"person {person.index} step {index}: {type(error).__name__}: {error}")
            if pause:
                time.sleep(pause * rng.uniform(0.6, 1.4))

    def _take(self, person: Person, index: int, step: Step) -> None:
        user = TelegramUser(self.api, person.chat_id, person.language)
        pressed = None
        if step.kind == "say":
            update = user.message_update(step.value)
        elif step.kind == "press":
            pressed, message_id = self._button(person, step.value)
            update = user.callback_update(pressed, message_id)
        else:
            if person.case_id is None and not self._find_case(person):
                return  # counted as a lost case; the counsellor has nothing to act on
            update = self._group_update(person, step)
        record = StepRecord(
            person.index,
            index,
            step.kind,
            person.chat_id,
            int(update["update_id"]),
            time.monotonic(),
            pressed,
            silent=bool(pressed and pressed.startswith("#fb:")),
        )
        person.records.append(record)
        self.pusher.push(update)
        self._wait(person, record)

    def _button(self, person: Person, pattern: str) -> tuple[str, int]:
        """The first button matching `pattern`, newest message first, as a person scrolls up to find it."""
        for shown in reversed(self.api.messages_to(person.chat_id)):
            for data, message_id in shown.buttons:
                if re.search(pattern, data):
                    return data, message_id
        return "/menu", 1  # the button is missing: press something harmless (counted as a mismatch)

    def _find_case(self, person: Person) -> bool:
        deadline = time.monotonic() + CASE_TIMEOUT_S
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception), self.database.connect() as connection:
                row = connection.execute(
                    text(
                        "SELECT id, group_message_id FROM handover_cases WHERE chat_id = :chat "
                        "AND group_message_id IS NOT NULL ORDER BY id DESC LIMIT 1"
                    ),
                    {"chat": person.chat_id},
                ).first()
                if row:
                    person.case_id, person.case_message_id = int(row[0]), int(row[1])
                    return True
            time.sleep(0.5)
        return False

    def _group_update(self, person: Person, step: Step) -> dict[str, Any]:
        update_id = TelegramUser(self.api, GROUP).next_update_id()
        chat = {"id": GROUP, "type": "supergroup", "title": "MBE Hochfeld"}
        if step.kind == "reply":
            return {
                "update_id": update_id,
                "message": {
                    "message_id": 80_000_000 + update_id,
                    "date": int(time.time()),
                    "from": COUNSELLOR,
                    "chat": chat,
                    "text": step.value,
                    "reply_to_message": {
                        "message_id": person.case_message_id,
                        "date": int(time.time()),
                        "chat": chat,
                        "text": "…",
                    },
                },
            }
        return {
            "update_id": update_id,
            "callback_query": {
                "id": f"g{update_id}",
                "from": COUNSELLOR,
                "chat_instance": "group",
                "data": f"#{step.kind}:{person.case_id}",
                "message": {"message_id": person.case_message_id, "date": int(time.time()), "chat": chat, "text": "…"},
            },
        }

    def _wait(self, person: Person, record: StepRecord) -> None:
        """Until the step's replies are there (as many as expected, or all the gateway sent), or the timeout."""
        expected = self.expected.get((person.index, record.index)) if self.expected is not None else None
        deadline = min(record.sent + STEP_TIMEOUT_S, self.deadline)
        while time.monotonic() < deadline:
            shown = self.api.messages_to(person.chat_id, record.sent)
            delivered = self.pusher.deliveries[record.update_id].outcome == "delivered"
            quiet = time.monotonic() - max([record.sent, *(s.at for s in shown)]) > 0.3
            if expected is not None:
                left = collections.Counter(expected)
                left.subtract(normalised(s.text) for s in shown)
                if expected and all(count <= 0 for count in left.values()):
                    break
                if delivered and quiet and len(shown) >= len(expected):
                    break
            elif delivered and quiet and (shown or record.silent or record.kind in ("claim", "reply", "close")):
                break
            self.api.pause(0.2)
        else:
            record.timed_out = True


# -- the counts -----------------------------------------------------------------------------------------------


@dataclass
class Stats:
    """Load and speed of one run."""

    run: str
    sets: int
    updates: int
    duration_s: float
    throughput_per_s: float
    latency_p50_s: float
    latency_p95_s: float
    cpu_s_per_message: dict[str, float] = field(default_factory=dict)


@dataclass
class FaultReport:
    name: str
    start_s: float
    recovered_s: float
    end_s: float
    error: str | None
    told: dict[str, int]  # texts people got in the window that are no expected answer (first 80 characters)
    answers: int  # expected answers that arrived in the window
    distinct_texts: int
    failed_deliveries: dict[str, int]  # non-2xx statuses (or the error) of the pusher's attempts in the window
    balancer: dict[str, dict[str, int]]  # per backend: requests, failed (5xx), retried by HAProxy (its log)
    slowest_answer_s: float  # the longest wait for an answer among the steps waiting during the window


@dataclass
class Assessment:
    """What the people of one run got, compared with what the fault-free run gave for the same steps."""

    steps: int = 0
    lost: int = 0
    duplicates: int = 0
    out_of_order: int = 0
    mismatched: int = 0  # a reply came, but not the expected one (a missing button, a different answer)
    timed_out: int = 0  # the person stopped waiting (the answer may still have come later)
    notices: int = 0
    given_up: int = 0
    handover_users: int = 0
    handover_lost: int = 0
    handover_stuck: int = 0
    handover_states: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)  # evidence: which step of whom, and what happened


@dataclass
class Report:
    single: Stats
    pair: Stats | None
    faults: Stats
    assessment: Assessment
    fault_windows: list[FaultReport]
    capacity: dict[str, Any]
    phases_s: dict[str, float]  # wall time of start-up, each run and the whole experiment
    logs: str
    machine: dict[str, Any]  # cores and load when the experiment began: other work on the machine skews the speeds

    def summary(self) -> str:
        a = self.assessment
        lines = [
            f"topology: {a.steps} steps, lost {a.lost}, duplicates {a.duplicates}, out of order {a.out_of_order}, "
            f"mismatched {a.mismatched}, timed out {a.timed_out}, notices {a.notices}, given up {a.given_up}",
            f"handover: {a.handover_users} people, lost {a.handover_lost}, stuck {a.handover_stuck}, "
            f"states {a.handover_states}",
        ]
        for stats in (self.single, self.pair, self.faults):
            if stats:
                cpu = ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in stats.cpu_s_per_message.items())
                lines.append(
                    f"{stats.run} ({stats.sets} set{'s' if stats.sets > 1 else ''}): {stats.updates} updates in "
                    f"{stats.duration_s:.1f} s = {stats.throughput_per_s:.2f}/s, latency p50 "
                    f"{stats.latency_p50_s:.2f} s p95 {stats.latency_p95_s:.2f} s"
                    + (f"; CPU/message: {cpu}" if cpu else "")
                )
        for window in self.fault_windows:
            lines.append(
                f"fault {window.name} at {window.start_s:.0f} s, back after {window.recovered_s - window.start_s:.1f} s"
                f"{' (' + window.error + ')' if window.error else ''}: {window.answers} answers, failed deliveries "
                f"{window.failed_deliveries}, balancer {window.balancer}, slowest answer "
                f"{window.slowest_answer_s} s, told {window.told}"
            )
        lines.append(f"capacity: {self.capacity}")
        lines += [f"  {example}" for example in a.examples[:30]]
        lines.append(f"machine: {self.machine}; wall time (s): {self.phases_s}; logs in {self.logs}")
        return "\n".join(lines)


def notice_texts() -> set[str]:
    catalogue = messages()
    found = set()
    for key in NOTICE_KEYS:
        for language in LANGUAGES:
            with contextlib.suppress(KeyError):
                found.add(normalised(catalogue.text(key, language)))
    return found


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def replies_in_windows(run: Run, person: Person) -> list[list[Shown]]:
    """Per step, the messages the person got between it and their next step."""
    bounds = [r.sent for r in person.records] + [run.finished + 60]
    return [
        [s for s in run.api.messages_to(person.chat_id, record.sent) if s.at < end]
        for record, end in zip(person.records, bounds[1:])
    ]


def expectations(run: Run) -> dict[tuple[int, int], list[str]]:
    """What each step got in a fault-free run (notices aside): the replies before the person's next step."""
    notices = notice_texts()
    expected = {}
    for person in run.people:
        for record, shown in zip(person.records, replies_in_windows(run, person)):
            texts = [normalised(s.text) for s in shown]
            expected[(person.index, record.index)] = [t for t in texts if t not in notices]
    return expected


def answered_at(run: Run, person: Person, record: StepRecord, window: list[Shown]) -> float | None:
    """When the step had all its replies (a 👍: the button's notice); None if it never had.

    With expectations, the replies are the first arrivals of the step's expected texts, wherever they came,
    so a late answer counts with its full delay. Without (the fault-free run that sets them), the step's
    replies are those in its window.
    """
    if run.expected is None:
        shown = window
    else:
        left = collections.Counter(run.expected.get((person.index, record.index), []))
        shown = []
        for candidate in run.api.messages_to(person.chat_id, record.sent):
            if left[normalised(candidate.text)] > 0:
                left[normalised(candidate.text)] -= 1
                shown.append(candidate)
        if any(count > 0 for count in left.values()):
            return None
    if shown:
        return shown[-1].at
    answers = run.api.callback_answers.get(f"cb{record.update_id}")
    return answers[0].at if record.silent and answers else None


def latencies(run: Run) -> list[float]:
    """Per step: from the update going out to its last reply; a step never answered has none (it is lost)."""
    values = []
    for person in run.people:
        for record, window in zip(person.records, replies_in_windows(run, person)):
            done = answered_at(run, person, record, window)
            if done is not None:
                values.append(done - record.sent)
    return values


def stats(run: Run, sets: int, cpu: dict[str, float]) -> Stats:
    duration = run.finished - run.started
    updates = sum(len(p.records) for p in run.people)
    values = latencies(run)
    return Stats(
        run.name,
        sets,
        updates,
        round(duration, 2),
        round(updates / duration, 3) if duration else 0.0,
        round(statistics.median(values), 3) if values else float("nan"),
        round(percentile(values, 0.95), 3),
        {kind: round(seconds / updates, 4) for kind, seconds in cpu.items()} if updates else {},
    )


def assess(run: Run, expected: dict[tuple[int, int], list[str]]) -> Assessment:
    """Compare each person's replies with what the same step got in the fault-free run.

    A reply is given to the step in whose window (from the step to the person's next step) it arrived when
    it is one of that step's expected texts, else to the nearest earlier step that expects it. A reply that
    arrives after the update of its step's successor went out (first delivery attempt) is out of order; an
    expected text more often than expected is a duplicate; a step with expected replies that got no
    reply at all (only notices like "I will answer later", or nothing) is lost.
    """
    result = Assessment()
    notices = notice_texts()
    first_attempts: dict[int, float] = {}
    for attempt in run.pusher.attempts:
        first_attempts.setdefault(attempt.update_id, attempt.started)
    for person in run.people:
        records = person.records
        result.steps += len(records)
        left = [collections.Counter(expected.get((person.index, r.index), [])) for r in records]
        got = [0] * len(records)
        for shown in run.api.messages_to(person.chat_id):
            window = max((i for i, r in enumerate(records) if r.sent <= shown.at), default=None)
            if window is None:
                continue
            body = normalised(shown.text)
            owner = next(
                (i for i in range(window, -1, -1) if body in expected.get((person.index, records[i].index), [])),
                None,
            )
            if owner is None:
                if body in notices:
                    result.notices += 1
                else:
                    got[window] += 1  # a reply, but not one this step ever got
                continue
            got[owner] += 1
            if left[owner][body] > 0:
                left[owner][body] -= 1
            else:
                result.duplicates += 1
                result.examples.append(
                    f"duplicate: person {person.index} step {owner} at {shown.at - run.started:.1f} s "
                    f"({trace(run, records[owner].update_id)}): {shown.text[:60]!r}"
                )
            following = first_attempts.get(records[owner + 1].update_id) if owner + 1 < len(records) else None
            if following is not None and shown.at > following:
                result.out_of_order += 1
                result.examples.append(
                    f"out of order: person {person.index} step {owner} ({trace(run, records[owner].update_id)}) "
                    f"answered {shown.at - following:.1f} s after update {records[owner + 1].update_id} went out: "
                    f"{shown.text[:60]!r}"
                )
        for i, record in enumerate(records):
            wanted = expected.get((person.index, record.index), [])
            if record.timed_out:
                result.timed_out += 1
                result.examples.append(f"timed out: person {person.index} step {i} ({trace(run, record.update_id)})")
            if not wanted:
                if record.silent and not run.api.answered(f"cb{record.update_id}"):
                    result.lost += 1
                    result.examples.append(f"lost: person {person.index} step {i} ({trace(run, record.update_id)})")
                continue
            matched = len(wanted) - sum(max(0, count) for count in left[i].values())
            if matched == 0 and got[i] == 0:
                result.lost += 1
                result.examples.append(
                    f"lost: person {person.index} step {i} {record.kind} ({trace(run, record.update_id)})"
                )
            elif matched == 0:
                result.mismatched += 1
                result.examples.append(f"mismatched: person {person.index} step {i} {record.kind} {record.pressed}")
    result.given_up = len(run.pusher.given_up())
    _assess_cases(run, result)
    return result


def trace(run: Run, update_id: int) -> str:
    """An update's delivery for the evidence: its attempts, seconds into the run, with their answers."""
    attempts = [
        f"{a.started - run.started:.1f} s {a.status or a.error}"
        for a in run.pusher.attempts
        if a.update_id == update_id
    ]
    return f"update {update_id} {run.pusher.deliveries[update_id].outcome}: {', '.join(attempts)}"


def _assess_cases(run: Run, result: Assessment) -> None:
    """Every person who consented has a case, and every case was driven to `closed` by the counsellor."""
    with run.database.connect() as connection:
        rows = connection.execute(text("SELECT chat_id, state FROM handover_cases")).all()
    by_chat: dict[int, list[str]] = collections.defaultdict(list)
    for chat_id, state in rows:
        by_chat[int(chat_id)].append(str(state))
    for person in run.people:
        if not any(step.kind == "claim" for step in person.steps):
            continue
        result.handover_users += 1
        states = by_chat.get(person.chat_id, [])
        for state in states:
            result.handover_states[state] = result.handover_states.get(state, 0) + 1
        if not states:
            result.handover_lost += 1
            result.examples.append(f"handover lost: person {person.index} has no case")
        elif any(state != "closed" for state in states) or len(states) > 1:
            result.handover_stuck += 1
            result.examples.append(f"handover stuck: person {person.index} cases {states}")


@dataclass(frozen=True)
class Proxied:
    """One request in HAProxy's log."""

    at: float  # time.monotonic() of its acceptance
    backend: str
    status: int
    retried: bool


def proxied(log: Path) -> list[Proxied]:
    """The requests HAProxy logged (see Balancer.render's log-format), on the monotonic clock of the runs."""
    offset = time.time() - time.monotonic()
    requests = []
    for line in log.read_text(errors="replace").splitlines():
        fields = line.split()
        if len(fields) < 7 or not re.fullmatch(r"\d+\.\d+", fields[0]) or "/" not in fields[3]:
            continue
        received = float(fields[0]) + (max(0, int(fields[1])) + max(0, int(fields[2]))) / 1000
        requests.append(
            Proxied(received - offset, fields[3].split("/")[0], int(fields[4]), fields[6].lstrip("+") != "0")
        )
    return requests


def fault_reports(run: Run, expected: dict[tuple[int, int], list[str]], balanced: list[Proxied]) -> list[FaultReport]:
    wanted = {text_ for texts in expected.values() for text_ in texts}
    people = {p.chat_id for p in run.people}
    reports = []
    for window in run.windows:
        shown = [s for chat_id in people for s in run.api.messages_to(chat_id, window.started) if s.at <= window.ended]
        told = collections.Counter(s.text[:80] for s in shown if normalised(s.text) not in wanted)
        failed = collections.Counter(
            str(a.status or a.error)
            for a in run.pusher.attempts
            if not a.ok and window.started <= a.started <= window.ended
        )
        waits = [
            (done or run.finished) - record.sent
            for person in run.people
            for record, replies in zip(person.records, replies_in_windows(run, person))
            for done in [answered_at(run, person, record, replies)]
            if record.sent <= window.ended and (done or run.finished) >= window.started
        ]
        backends: dict[str, dict[str, int]] = {}
        for request in balanced:
            if window.started <= request.at <= window.ended:
                counts = backends.setdefault(request.backend, {"requests": 0, "failed": 0, "retried": 0})
                counts["requests"] += 1
                counts["failed"] += request.status >= 500 or request.status < 0
                counts["retried"] += request.retried
        reports.append(
            FaultReport(
                window.name,
                round(window.started - run.started, 1),
                round((window.recovered or window.started) - run.started, 1),
                round(window.ended - run.started, 1),
                window.error,
                dict(told),
                sum(normalised(s.text) in wanted for s in shown),
                len({s.text[:80] for s in shown}),
                dict(failed),
                backends,
                round(max(waits, default=0.0), 1),
            )
        )
    return reports


def capacity(per_message: dict[str, float], cores_per_machine: int = 2, utilisation: float = 0.7) -> dict[str, Any]:
    """On paper: messages per second per core from the CPU a message costs all components together."""
    total = sum(seconds for name, seconds in per_message.items() if name != HARNESS)
    if not total:
        return {}
    per_core = 1 / total
    return {
        "cpu_s_per_message_all_components": round(total, 4),
        "messages_per_s_per_core": round(per_core, 2),
        "assumed": f"{cores_per_machine} cores per machine at {utilisation:.0%} CPU",
        "messages_per_s_by_machines": {
            n: round(n * cores_per_machine * utilisation * per_core, 1) for n in (1, 2, 4, 8)
        },
    }


# -- the whole experiment ------------------------------------------------------------------------------------


class Topology:
    """Processes, balancer, fake Telegram and databases of one experiment; `measure()` runs it."""

    def __init__(self, model: Path, knowledge: Path, directory: Path) -> None:
        self.directory = directory
        self.logs = directory / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.model, self.knowledge = model, knowledge
        self.secret = secrets.token_urlsafe(30)[:40]
        self.groups = directory / "counsellor_groups.yml"
        self.groups.write_text(f"{SERVICE}: {GROUP}\n", encoding="utf-8")
        self.token_file = self._secret_file("rasa.token")
        self.key_file = self._secret_file("pseudonym.key")
        self.components = [
            Component(f"{kind}{n}", kind, free_port(), {}, self.logs)
            for n in (1, 2)
            for kind in ("actions", "rasa", "telegram")
        ]
        self.balancer = Balancer(directory, self.components)
        self.database = create_engine(f"{POSTGRES_SERVER}/{PROJECT_DB}", pool_pre_ping=True)
        self.machine: dict[str, Any] = {}

    def _secret_file(self, name: str) -> Path:
        path = self.directory / name
        path.write_text(secrets.token_hex(32), encoding="ascii")
        path.chmod(0o600)
        return path

    def component(self, name: str) -> Component:
        return next(c for c in self.components if c.name == name)

    def _environment(self, component: Component, api: FakeBotApi) -> dict[str, str]:
        data = self.directory / "data" / component.name
        data.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "RASA_TELEMETRY_ENABLED": "false",
            "LOTSE_KNOWLEDGE_DIR": str(self.knowledge),
            "LOTSE_EMBEDDING_MODEL": "none",
            "LOTSE_DATABASE_URL": f"{POSTGRES_SERVER}/{PROJECT_DB}",
            "LOTSE_TRACKER_DB_URL": f"{POSTGRES_SERVER}/{TRACKER_DB}",
            "LOTSE_REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/{REDIS_DB}",
            "LOTSE_DATA_DIR": str(data),
            "LOTSE_LISTEN": "127.0.0.1",
        }
        if component.kind == "rasa":
            env |= {
                "LOTSE_RASA_PORT": str(component.port),
                "LOTSE_ACTIONS_URL": self.balancer.url("actions"),
                "LOTSE_RASA_MODEL": str(self.model),
                "LOTSE_RASA_TOKEN_FILE": str(self.token_file),
                "LOTSE_RASA_WORKERS": "1",
            }
        elif component.kind == "actions":
            env |= {"LOTSE_ACTIONS_PORT": str(component.port)}
        else:
            env |= {
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "LOTSE_TELEGRAM_API_URL": api.url,
                "LOTSE_TELEGRAM_WEBHOOK_URL": f"{self.balancer.url('telegram')}/telegram",
                "LOTSE_TELEGRAM_WEBHOOK_SECRET": self.secret,
                "LOTSE_TELEGRAM_LISTEN": "127.0.0.1",
                "LOTSE_TELEGRAM_PORT": str(component.port),
                "LOTSE_RASA_URL": self.balancer.url("rasa"),
                "LOTSE_PSEUDONYM_KEY_FILE": str(self.key_file),
                "LOTSE_COUNSELLOR_GROUPS_FILE": str(self.groups),
                "LOTSE_HANDOVER_CHECK_SECONDS": "2",
                "LOTSE_RASA_TIMEOUT": "20",
                "LOTSE_RATE_LIMIT_PER_MINUTE": "60",
            }
        return env

    def start_all(self) -> None:
        """Start all six at once (as a deployment does) and return when each is ready and warmed up."""
        for component in self.components:
            component.start()
        for component in self.components:
            component.wait_ready()
            if component.kind == "actions":
                warm_up(component)

    def set_of(self, number: int) -> list[Component]:
        return [c for c in self.components if c.name.endswith(str(number))]

    def kill_and_restart(self, name: str, down_s: float = 2.0) -> Callable[[], None]:
        def fault() -> None:
            component = self.component(name)
            component.kill()
            time.sleep(down_s)
            component.start()
            component.wait_ready()
            self.balancer.wait_up([component])

        return fault

    def people(self, first_chat: int) -> list[Person]:
        people = []
        for index in range(USERS):
            language, steps = script(index)
            people.append(Person(index, first_chat + index, language, steps))
        return people

    def cpu(self, sets: list[Component]) -> dict[str, float]:
        usage: dict[str, float] = collections.defaultdict(float)
        for component in sets:
            usage[component.kind] += cpu_seconds(component.pid)
        usage["haproxy"] = self.balancer.cpu()
        usage["postgresql"] = cpu_seconds(_service_pid("postgresql"))
        usage["redis"] = cpu_seconds(_service_pid("redis"))
        own = os.times()
        usage[HARNESS] = own.user + own.system  # this process only: the people, the pusher, the fake Bot API
        return usage

    def play(
        self,
        name: str,
        api: TimedBotApi,
        pusher: WebhookPusher,
        first_chat: int,
        expected: dict[tuple[int, int], list[str]] | None,
        running: list[Component],
        span_s: float = 0.0,
        faults: list[Fault] | None = None,
    ) -> tuple[Run, Stats]:
        limit = span_s + ARRIVAL_S * USERS + 120 if span_s else 150
        run = Run(name, self.people(first_chat), pusher, api, self.database, expected, span_s, limit_s=limit)
        run.busy = self.balancer.busy
        before = self.cpu(running)
        run.play(faults or [])
        after = self.cpu(running)
        sets = len({c.name[-1] for c in running})
        cpu = {kind: after[kind] - before[kind] for kind in after} if not faults else {}
        return run, stats(run, sets, cpu)

    def faults(self) -> list[Fault]:
        """The schedule, seconds into the fault run's load (about three minutes). A fault waits until the previous
        one's window is over; the action server comes last, as it takes longest to come back (it builds its
        router), so the others cannot be pushed past the end of the load."""
        return [
            Fault("kill -9 rasa1", 8, self.kill_and_restart("rasa1"), "rasa1"),
            Fault("kill -9 telegram1", 40, self.kill_and_restart("telegram1"), "telegram1"),
            Fault("restart postgresql", 55, restart_postgres),
            Fault("redis down 10 s", 68, self._redis_outage),
            Fault("kill -9 actions2", 90, self.kill_and_restart("actions2"), "actions2"),
        ]

    @staticmethod
    def _redis_outage() -> None:
        stop_redis()
        time.sleep(10)
        start_redis()

    def measure(self, with_pair_run: bool = True) -> Report:
        began = time.monotonic()
        self.machine = {"cores": len(os.sched_getaffinity(0)), "loadavg_at_start": os.getloadavg()}
        phases: dict[str, float] = {}

        def phase(name: str, since: float) -> float:
            now = time.monotonic()
            phases[name] = round(now - since, 1)
            return now

        # Fresh, empty databases: the run's counts must not see an earlier run's rows.
        fresh_database(PROJECT_DB)
        fresh_database(TRACKER_DB)
        _redis("-n", str(REDIS_DB), "flushdb")
        with TimedBotApi(members={GROUP: {COUNSELLOR_ID}}) as api:
            for component in self.components:
                component.env = self._environment(component, api)
            self.balancer.start()
            try:
                with WebhookPusher(f"{self.balancer.url('telegram')}/telegram", self.secret) as pusher:
                    first, second = self.set_of(1), self.set_of(2)
                    for component in second:  # the one-set run must not reach them
                        self.balancer.command(f"disable server {BACKENDS[component.kind]}/{component.name}")
                    self.start_all()
                    self.balancer.wait_up(first)
                    mark = phase("start (all six at once, warmed up)", began)
                    single, single_stats = self.play("single", api, pusher, 810_000_000, None, first)
                    expected = expectations(single)
                    mark = phase("single run", mark)
                    for component in second:
                        self.balancer.command(f"enable server {BACKENDS[component.kind]}/{component.name}")
                    self.balancer.wait_up(second)
                    pair_stats = None
                    if with_pair_run:
                        _, pair_stats = self.play("pair", api, pusher, 820_000_000, expected, first + second)
                        mark = phase("pair run", mark)
                    faulty, fault_stats = self.play(
                        "faults", api, pusher, 830_000_000, expected, first + second, SPAN_S, self.faults()
                    )
                    mark = phase("fault run", mark)
                    assessment = assess(faulty, expected)
                    assessment.examples += faulty.errors
                    windows = fault_reports(faulty, expected, proxied(self.balancer.log))
            finally:
                for component in self.components:
                    component.stop()
                self.balancer.stop()
                restore_services()
        phase("total", began)
        basis = (pair_stats or single_stats).cpu_s_per_message
        return Report(
            single_stats,
            pair_stats,
            fault_stats,
            assessment,
            windows,
            capacity(basis),
            phases,
            str(self.logs),
            self.machine,
        )


def warm_up(component: Component) -> None:
    """The action server loads what a script or language needs at its first message (seconds for Arabic);
    the measured runs should not pay for that, nor see it as a slow reply."""
    for words in PHRASES.values():
        for message in (words.greeting, words.questions[0]):
            ask_action_server(component.url, message)


def write_json(report: Report, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dataclasses.asdict(report), indent=2, ensure_ascii=False), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    from core.model.training import train

    parser = argparse.ArgumentParser(prog="python -m tests.e2e.topology", description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the report here as JSON")
    parser.add_argument("--no-pair-run", action="store_true", help="skip the fault-free run with both sets")
    args = parser.parse_args(argv)
    directory = Path(tempfile.mkdtemp(prefix="lotse-topology-"))
    knowledge = directory / "knowledge"
    shutil.copytree(config.ROOT / "knowledge", knowledge)
    report = Topology(train(quiet=True), knowledge, directory).measure(with_pair_run=not args.no_pair_run)
    print(report.summary())
    if args.json:
        write_json(report, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
