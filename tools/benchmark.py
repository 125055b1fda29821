"""`./lotse bench`: latency, throughput, memory and training time of the real servers.

Everything is measured end to end, as a user meets it: messages go over Rasa's
REST channel to a running Rasa server, which calls the running action server.
The numbers are compared with the targets below, and for the concurrent run the
CPU time of every process is recorded, so a missed target says where the time
went. The machine has 2 cores and may be busy with other work, so the load
average at the start is kept with the results.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import random
import shutil
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import httpx
import numpy as np
from ruamel.yaml import YAML

from core import config, runtime
from core.knowledge.base import KnowledgeBase
from core.knowledge.loader import load_knowledge
from core.languages import LANGUAGES, REFERENCE_LANGUAGE
from core.model.training import train, training_data
from core.payloads import payload
from core.routing.emergency import is_emergency
from core.routing.router import Router
from core.routing.semantic import model_dir
from core.taxonomy import CATEGORIES
from tools.servers import Servers, rasa_workers, running

TARGET_P95_MS = 150.0  # per-message p95 latency with one user
TARGET_TRIAGE_MS = 5.0  # what the triage layers may add per message (issue: at most 5 ms)
TARGET_THROUGHPUT = 30.0  # messages/s with the concurrent users
TARGET_TRAINING_S = 300.0  # full training from scratch

SEED = 20251123  # a fixed mix of messages, so runs are comparable
WARMUP_MESSAGES = 6
REQUEST_TIMEOUT_S = 60.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
NEW_QUESTION = "Wo bekomme ich dazu eine Beratung in meiner Nähe?"  # added to one entry for the retrain

# Openings and thanks people actually send, in the bot's languages (not in knowledge/).
SMALL_TALK = (
    "hallo",
    "Guten Tag",
    "hello",
    "hi, I need help",
    "مرحبا",
    "السلام عليكم",
    "привіт",
    "merhaba",
    "здравствуйте",
    "سلام",
    "bonjour",
    "danke",
    "thank you",
)
# Share of each kind of message in the mix; the rest are knowledge questions.
SMALL_TALK_SHARE = 0.15
BUTTON_SHARE = 0.15


# --- the message mix -------------------------------------------------------------------------


def _questions_by_language(knowledge: KnowledgeBase) -> dict[str, list[str]]:
    by_lang: dict[str, list[str]] = defaultdict(list)
    for _, lang, question in knowledge.questions():
        by_lang[lang].append(question)
    return by_lang


def _button(rng: random.Random, knowledge: KnowledgeBase) -> str:
    """A payload a real button sends (see core/replies.py), mostly entries as in menus."""
    choice = rng.random()
    if choice < 0.6:
        return payload("choose_entry", entry=rng.choice(sorted(knowledge.entries)))
    if choice < 0.8:
        return payload("choose_category", category=rng.choice(CATEGORIES))
    if choice < 0.9:
        return payload("choose_language", language=rng.choice(LANGUAGES))
    return payload("help")


def plan_messages(knowledge: KnowledgeBase, users: int, per_user: int, seed: int = SEED) -> list[list[str]]:
    """Each user's messages: knowledge questions in all languages (languages equally often), small talk, buttons."""
    rng = random.Random(seed)
    by_lang = _questions_by_language(knowledge)
    langs = sorted(by_lang)

    def one() -> str:
        kind = rng.random()
        if kind < SMALL_TALK_SHARE:
            return rng.choice(SMALL_TALK)
        if kind < SMALL_TALK_SHARE + BUTTON_SHARE:
            return _button(rng, knowledge)
        return rng.choice(by_lang[rng.choice(langs)])

    return [[one() for _ in range(per_user)] for _ in range(users)]


# --- sending load ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LatencyStats:
    """Per-message latency in milliseconds."""

    mean_ms: float
    p50_ms: float
    p95_ms: float
    max_ms: float

    @classmethod
    def of(cls, seconds: list[float]) -> LatencyStats:
        if not seconds:
            return cls(float("nan"), float("nan"), float("nan"), float("nan"))
        ms = np.array(seconds) * 1000.0
        return cls(float(ms.mean()), float(np.percentile(ms, 50)), float(np.percentile(ms, 95)), float(ms.max()))


@dataclass(frozen=True)
class LoadResult:
    """One run: `users` users at once, each sending its messages one after another."""

    users: int
    messages: int
    errors: int  # HTTP errors, timeouts and messages the bot did not answer at all
    wall_s: float
    throughput_per_s: float
    latency: LatencyStats


async def _user(client: httpx.AsyncClient, webhook: str, sender: str, messages: list[str]) -> tuple[list[float], int]:
    """One simulated user; only answered messages count as latencies, everything else as an error."""
    latencies: list[float] = []
    errors = 0
    for text in messages:
        start = time.perf_counter()
        try:
            response = await client.post(webhook, json={"sender": sender, "message": text})
            response.raise_for_status()
            answered = bool(response.json())
        except (httpx.HTTPError, ValueError):
            answered = False
        if answered:
            latencies.append(time.perf_counter() - start)
        else:
            errors += 1
    return latencies, errors


async def _load(webhook: str, plans: list[list[str]]) -> tuple[list[float], int, float]:
    run = uuid.uuid4().hex[:8]
    limits = httpx.Limits(max_connections=len(plans), max_keepalive_connections=len(plans))
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_S, limits=limits) as client:
        start = time.perf_counter()
        results = await asyncio.gather(
            *(_user(client, webhook, f"bench-{run}-{i}", messages) for i, messages in enumerate(plans))
        )
        wall = time.perf_counter() - start
    return [t for latencies, _ in results for t in latencies], sum(e for _, e in results), wall


def run_load(servers: Servers, plans: list[list[str]]) -> LoadResult:
    """Send every user's messages (each user with its own sender id), all users at the same time."""
    latencies, errors, wall = asyncio.run(_load(servers.webhook, plans))
    total = sum(len(messages) for messages in plans)
    return LoadResult(len(plans), total, errors, wall, total / wall if wall > 0 else 0.0, LatencyStats.of(latencies))


# --- processes: memory and CPU time from /proc ----------------------------------------------


def _stat_fields(pid: int) -> list[str]:
    """Fields of /proc/<pid>/stat from field 3 (state) on; the command name may contain spaces."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()


def process_tree(pid: int) -> list[int]:
    """`pid` and all its live descendants (workers a server may have spawned)."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                children[int(_stat_fields(int(entry.name))[1])].append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += children.get(current, [])
    return tree


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0  # a zombie has no VmRSS


def _cpu_s(pid: int) -> float:
    fields = _stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def _over_tree(pid: int, measure: Callable[[int], float]) -> float:
    """Sum over the process tree; a worker that exits while we read is simply left out."""
    total = 0.0
    for member in process_tree(pid):
        with contextlib.suppress(OSError, ValueError, IndexError):
            total += measure(member)
    return total


@dataclass(frozen=True)
class Memory:
    """Resident memory of one server with its child processes (pages shared between them count in each)."""

    rss_mb: float
    per_process_mb: list[float]  # largest first


def memory(pid: int) -> Memory:
    """RSS of a server and every process it spawned (the action server's Sanic runs workers)."""
    sizes = sorted((_rss_of(member) for member in process_tree(pid)), reverse=True)
    return Memory(sum(sizes), sizes)


def _rss_of(pid: int) -> float:
    """RSS of one process in MB; 0 when it exited meanwhile."""
    with contextlib.suppress(OSError, ValueError):
        return _rss_kb(pid) / 1024.0
    return 0.0


def _machine_busy_s() -> float:
    """CPU seconds all cores spent on anything but idling since boot (/proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / CLOCK_TICKS


MACHINE, OTHERS = "whole machine", "other processes"


def cpu_snapshot(servers: Servers) -> dict[str, float]:
    """CPU seconds used so far by each server, this benchmark process (the client) and the whole machine."""
    snapshot = {name: _over_tree(pid, _cpu_s) for name, pid in server_pids(servers).items()}
    return snapshot | {"benchmark client": time.process_time(), MACHINE: _machine_busy_s()}


def cpu_used(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU seconds between two snapshots, plus what everything else on the machine used meanwhile."""
    used = {name: after[name] - before[name] for name in before}
    used[OTHERS] = max(0.0, used[MACHINE] - sum(s for name, s in used.items() if name != MACHINE))
    return used


def server_pids(servers: Servers) -> dict[str, int]:
    pids = {"rasa server": servers.rasa_pid, "action server": servers.actions_pid}
    return {name: pid for name, pid in pids.items() if pid is not None}


# --- serving --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Serving:
    """Latency with one user, latency and throughput with many, and what each process used."""

    single: LoadResult
    concurrent: LoadResult
    cpu_s: dict[str, float]  # CPU seconds per process during the concurrent run
    memory: dict[str, Memory]  # after the load

    @property
    def bottleneck(self) -> str:
        """The process that used the most CPU during the concurrent run."""
        processes = {name: s for name, s in self.cpu_s.items() if name not in (MACHINE, OTHERS)}
        return max(processes, key=processes.__getitem__)


def measure_serving(
    servers: Servers, knowledge: KnowledgeBase, messages: int, users: int, per_user: int, seed: int = SEED
) -> Serving:
    """Warm up (not counted), then one user sequentially, then `users` users at once."""
    run_load(servers, plan_messages(knowledge, 1, WARMUP_MESSAGES, seed + 1))
    single = run_load(servers, plan_messages(knowledge, 1, messages, seed))
    before = cpu_snapshot(servers)
    concurrent = run_load(servers, plan_messages(knowledge, users, per_user, seed + 2))
    after = cpu_snapshot(servers)
    return Serving(
        single, concurrent, cpu_used(before, after), {name: memory(pid) for name, pid in server_pids(servers).items()}
    )


# --- training -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Training:
    """Full training from scratch, and what it takes to serve a changed entry."""

    full_training_s: float  # NLU generation + `rasa train` with empty caches
    encoder_load_s: float  # action server start-up: loading the embedding model (0 without one)
    router_first_build_s: float  # action server, first start: build the router, encoding every knowledge text
    router_rebuild_s: float  # action server: load the changed knowledge, build the router (only new texts encoded)
    rasa_retrain_s: float  # NLU regeneration + `rasa train` after the change (Rasa's own cache warm)
    changed_entry: str
    routing: str  # the ranker's mode: 'lexical' or 'semantic:<model>'


@contextlib.contextmanager
def isolated_caches(root: Path) -> Iterator[None]:
    """Train into `root` instead of the shared caches, for this process and its `rasa train`.

    Redirected: Lotse's model cache (else the model would be found and not trained),
    Rasa's own cache of trained components (else "from scratch" would reuse them) and
    the cache of knowledge embeddings (else the changed knowledge's vectors would stay
    behind). An embedding model must be loaded before: it is looked up in the real cache.
    Other commands and people keep using the real caches.
    """
    old_rasa = os.environ.get("RASA_CACHE_DIRECTORY")
    os.environ["RASA_CACHE_DIRECTORY"] = str(root / "rasa-cache")
    try:
        with config.overridden(cache_dir=root):
            yield
    finally:
        if old_rasa is None:
            os.environ.pop("RASA_CACHE_DIRECTORY", None)
        else:
            os.environ["RASA_CACHE_DIRECTORY"] = old_rasa


def _timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def _train_on(knowledge_dir: Path, data_dir: Path) -> None:
    """What `./lotse train` does, into copies: regenerate NLU data from knowledge, train Rasa."""
    train(training_data(load_knowledge(knowledge_dir).knowledge, data_dir), quiet=True)


def build_router(knowledge_dir: Path) -> Router:
    """What core.runtime.router() builds at start-up, from `knowledge_dir` (with the process's encoder)."""
    return runtime.build_router(load_knowledge(knowledge_dir).knowledge)


def routing_mode() -> str:
    """How the action server ranks entries: with the configured embedding model if it is on disk."""
    return (
        f"semantic:{config.settings().embedding_model}" if model_dir(config.settings().embedding_model) else "lexical"
    )


def changed_knowledge(target: Path) -> tuple[Path, str]:
    """A copy of knowledge/ in which the first entry has one more question; returns it and the entry id."""
    shutil.copytree(config.settings().knowledge_dir, target)
    path = sorted((target / "entries").glob("*/*.yml"))[0]
    yaml = YAML(typ="rt")
    doc = yaml.load(path.read_text(encoding="utf-8"))
    doc["questions"][REFERENCE_LANGUAGE].append(NEW_QUESTION)
    with path.open("w", encoding="utf-8") as out:
        yaml.dump(doc, out)
    return target, str(doc["id"])


def measure_training() -> Training:
    """Full training with empty caches, then the two halves of a retrain after one entry changed."""
    encoder = _timed(runtime.encoder)  # before the caches move: the model is found in the real one
    with tempfile.TemporaryDirectory() as tmp, isolated_caches(Path(tmp) / "cache"):
        full = _timed(lambda: _train_on(config.settings().knowledge_dir, Path(tmp) / "data"))
        routers: list[Router] = []
        first = _timed(lambda: routers.append(build_router(config.settings().knowledge_dir)))
        knowledge_dir, entry = changed_knowledge(Path(tmp) / "knowledge")
        rebuild = _timed(lambda: routers.append(build_router(knowledge_dir)))
        retrain = _timed(lambda: _train_on(knowledge_dir, Path(tmp) / "data-changed"))
    return Training(full, encoder, first, rebuild, retrain, entry, routers[-1].ranker.mode)


def measure_triage(router: Router, texts: list[str]) -> float:
    """Milliseconds the triage layers add per message (patterns and the learned model), in-process.

    The message's embedding is computed before the clock starts: the ranker computes it anyway and
    hands it to triage, so it is no added cost.
    """
    total = 0.0
    for text in texts:
        vector = router.ranker.embed(text)
        total += _timed(lambda: (router.triage.assess(text, vector), is_emergency(text)))  # noqa: B023 (called here)
    return 1000 * total / len(texts)


# --- targets and the report -----------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    name: str
    value: float | None  # None: not measured in this run
    limit: float
    unit: str
    at_most: bool  # True: the value must not exceed the limit

    @property
    def status(self) -> str:
        if self.value is None:
            return "skipped"
        met = self.value <= self.limit if self.at_most else self.value >= self.limit
        return "pass" if met else "MISS"


def targets(serving: Serving, training: Training | None, triage_ms: float | None = None) -> list[Target]:
    return [
        Target("triage per message", triage_ms, TARGET_TRIAGE_MS, "ms", True),
        Target("p95 latency, 1 user", serving.single.latency.p95_ms, TARGET_P95_MS, "ms", True),
        Target(
            f"throughput, {serving.concurrent.users} users",
            serving.concurrent.throughput_per_s,
            TARGET_THROUGHPUT,
            "msg/s",
            False,
        ),
        Target("full training", training.full_training_s if training else None, TARGET_TRAINING_S, "s", True),
    ]


def _load_rows(serving: Serving) -> list[str]:
    rows = [f"{'latency (ms)':<24}{'msgs':>6}{'mean':>8}{'p50':>8}{'p95':>8}{'max':>8}{'errors':>8}"]
    for label, run in (
        ("1 user, sequential", serving.single),
        (f"{serving.concurrent.users} users, concurrent", serving.concurrent),
    ):
        lat = run.latency
        rows.append(
            f"{label:<24}{run.messages:>6}{lat.mean_ms:>8.1f}{lat.p50_ms:>8.1f}{lat.p95_ms:>8.1f}"
            f"{lat.max_ms:>8.1f}{run.errors:>8}"
        )
    run = serving.concurrent
    rows.append(
        f"throughput, {run.users} users: {run.throughput_per_s:.1f} messages/s "
        f"({run.messages} messages in {run.wall_s:.1f} s)"
    )
    return rows


def _resource_rows(serving: Serving) -> list[str]:
    wall = serving.concurrent.wall_s
    messages = serving.concurrent.messages
    rows = [
        f"CPU during the {serving.concurrent.users}-user run ({wall:.1f} s wall; 100 % = one core):",
        f"  {'':<18}{'CPU s':>7}{'% core':>8}{'ms/msg':>8}",
    ]
    for name, seconds in serving.cpu_s.items():
        rows.append(f"  {name:<18}{seconds:>7.1f}{100 * seconds / wall:>8.0f}{1000 * seconds / messages:>8.1f}")
    rows.append(f"  bottleneck: {serving.bottleneck}")
    rows.append("memory after the load (RSS):")
    for name, mem in serving.memory.items():
        parts = " + ".join(f"{mb:.0f}" for mb in mem.per_process_mb)
        rows.append(f"  {name:<18}{mem.rss_mb:>7.0f} MB  ({len(mem.per_process_mb)} process(es): {parts})")
    return rows


def _training_rows(training: Training | None) -> list[str]:
    if training is None:
        return ["training: skipped (--skip-training)"]
    changed = f"after adding a question to '{training.changed_entry}'"
    rows = [
        ("full training, from scratch (empty caches)", training.full_training_s),
        (f"action server: load embedding model ({training.routing})", training.encoder_load_s),
        ("action server: first router build (encodes all knowledge)", training.router_first_build_s),
        (f"{changed}: action-server router", training.router_rebuild_s),
        (f"{changed}: rasa retrain", training.rasa_retrain_s),
    ]
    width = max(len(label) for label, _ in rows) + 2
    return ["training:"] + [f"  {label:<{width}}{seconds:>7.1f} s" for label, seconds in rows]


def _target_rows(results: list[Target], serving: Serving) -> list[str]:
    rows = ["targets:"]
    for target in results:
        value = "—" if target.value is None else f"{target.value:.1f} {target.unit}"
        limit = f"{'≤' if target.at_most else '≥'} {target.limit:g} {target.unit}"
        rows.append(f"  {target.name:<24}{value:>14}   target {limit:<12} {target.status}")
    missed = [t.name for t in results if t.status == "MISS"]
    if missed:
        rows.append(
            f"missed: {', '.join(missed)}; during the concurrent run {serving.bottleneck} used the most CPU "
            f"({serving.cpu_s[serving.bottleneck]:.1f} s)."
        )
    return rows


def report(results: dict[str, Any], serving: Serving, training: Training | None, checked: list[Target]) -> str:
    load = " / ".join(f"{v:.2f}" for v in results["loadavg_at_start"])
    lines = [
        f"Lotse benchmark ({os.cpu_count()} CPUs, load average at start {load}, "
        f"routing {results['routing']}, {results['rasa_workers']} Rasa worker(s))",
        "",
    ]
    for block in (
        _load_rows(serving),
        _resource_rows(serving),
        _training_rows(training),
        _target_rows(checked, serving),
    ):
        lines += block + [""]
    return "\n".join(lines).rstrip() + "\n"


def benchmark(
    out: TextIO, json_path: Path, messages: int = 100, users: int = 20, per_user: int = 15, skip_training: bool = False
) -> dict[str, Any]:
    """Measure serving against the current model, then (unless skipped) training; print and write JSON."""
    results: dict[str, Any] = {
        "loadavg_at_start": list(os.getloadavg()),
        "cpus": os.cpu_count(),
        "seed": SEED,
        "routing": routing_mode(),
        "rasa_workers": rasa_workers(dict(os.environ)),
    }
    knowledge = load_knowledge(config.settings().knowledge_dir).knowledge
    model = train()
    # Encode what the vector cache lacks first, so that the action server starts semantic (as on any start
    # after the first) instead of answering lexically while it encodes; training is timed below.
    router = runtime.build_router(knowledge)
    sample = [question for _, _, question in knowledge.questions()][::40]
    results["triage_ms_per_message"] = round(measure_triage(router, sample), 3)
    with tempfile.TemporaryDirectory() as state, running(model, Path(state)) as servers:
        serving = measure_serving(servers, knowledge, messages, users, per_user)
    training = None if skip_training else measure_training()
    checked = targets(serving, training, results["triage_ms_per_message"])
    results |= {
        "serving": dataclasses.asdict(serving),
        "bottleneck": serving.bottleneck,
        "training": dataclasses.asdict(training) if training else None,
        "targets": [{**dataclasses.asdict(t), "status": t.status} for t in checked],
    }
    out.write(report(results, serving, training, checked))
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"\nwritten: {json_path}", file=out)
    return results
