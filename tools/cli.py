"""The `./lotse` command line: one argparse tree. Imports stay inside the commands so `--help` works before setup."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tools.servers import Servers


def _model() -> Path:
    from core.model.training import train

    return train()


def _chat(debug: bool) -> int:
    from core import config
    from tools.servers import running

    model = _model()
    telegram = bool(os.environ.get("TELEGRAM_BOT_TOKEN"))
    print(
        f"Starting the action server, the Rasa server{', the Telegram gateway' if telegram else ''} "
        "and the volunteers' editor ...",
        file=sys.stderr,
    )
    with running(model, config.settings().data_dir) as servers, _editor(servers):
        # The bots are programs of their own: started as processes, in this terminal, not imported.
        if telegram:
            return _foreground(
                [str(config.ACTIONS_PYTHON), "-m", "bot.telegram"], {**os.environ, **servers.gateway_env()}
            )
        bot = [str(config.ACTIONS_PYTHON), "-m", "bot.terminal", servers.rasa_url, *(["--debug"] if debug else [])]
        return _foreground(bot, dict(os.environ))


def _foreground(command: list[str], env: dict[str, str]) -> int:
    """Run a program in this terminal until it ends; stopped (Ctrl-C, SIGTERM) it is asked to stop too, and the
    servers around it are stopped by their context managers."""
    process = subprocess.Popen(command, env=env)
    try:
        return process.wait()
    except BaseException:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        raise


@contextlib.contextmanager
def _editor(servers: Servers) -> Iterator[None]:
    """The volunteers' editor beside the bot; its saves reach the running bot (live reload)."""
    from core import config
    from tools.servers import spawn, stop

    settings = config.settings().editor
    process = spawn(
        [str(config.ACTIONS_PYTHON), "-m", "editor"],
        config.settings().data_dir / "editor.log",
        {**os.environ, "LOTSE_RASA_URL": servers.rasa_url, "LOTSE_RASA_TOKEN_FILE": str(servers.token_file)},
    )
    print(
        f"Editor for volunteers: http://{settings.host}:{settings.port}{settings.base_path}/ "
        "(add a volunteer with ./lotse editor add-volunteer NAME)",
        file=sys.stderr,
    )
    try:
        yield
    finally:
        stop(process)


def _editor_admin(args: list[str]) -> int:
    from core import config

    # The editor's own command line (python -m editor), a program of its own.
    return subprocess.call([str(config.ACTIONS_PYTHON), "-m", "editor", *args])


def _route() -> int:
    from core.runtime import reload_if_changed, router
    from tools.route import route_lines
    from tools.servers import running

    model = _model()
    # The one build, with the embedding model: it encodes the knowledge first if this machine has not yet
    # (router() alone would route lexically until then, as the action server does while it encodes).
    reload_if_changed()
    with tempfile.TemporaryDirectory() as state, running(model, Path(state), with_actions=False) as servers:
        route_lines(router(), servers.api, sys.stdin)
    return 0


def _eval(options: argparse.Namespace) -> int:
    from core import config
    from tools.evaluation import evaluate

    target = options.json or config.settings().data_dir / "eval.json"
    evaluate(sys.stdout, target, with_rasa_baseline=not options.no_rasa_baseline)
    return 0


def _models(options: argparse.Namespace) -> int:
    from core import config
    from tools.models import download

    return download(options.name or config.DEFAULT_EMBEDDING_MODEL)


def _bench(options: argparse.Namespace) -> int:
    from core import config
    from tools.benchmark import benchmark

    target = options.json or config.settings().data_dir / "bench.json"
    benchmark(sys.stdout, target, options.messages, options.users, options.per_user, options.skip_training)
    return 0


SERVED = ("actions", "rasa", "telegram", "editor")


def _component(name: str) -> list[str]:
    """The command of one component: each runs in its own environment, as its own program."""
    from core import config

    if name == "rasa":
        return [str(config.BOT_PYTHON), "-m", "tools.rasa_service"]
    return [str(config.ACTIONS_PYTHON), "-m", {"actions": "actions", "telegram": "bot.telegram"}.get(name, name)]


def _serve(component: str | None) -> int:
    """One component in place of this process (its pid is the component's, for process managers and containers),
    or all of them on this machine."""
    from core import config

    if component is None:
        return _serve_all()
    os.chdir(config.ROOT)
    command = _component(component)
    os.execv(command[0], command)


def _serve_all() -> int:
    """Every component headless on this machine, until SIGTERM or Ctrl-C, or until one of them ends."""
    from core import config
    from core.model.reload import write_servers_file
    from tools.servers import spawn, stop

    settings = config.settings()
    local = "127.0.0.1" if settings.listen in ("0.0.0.0", "::") else settings.listen
    rasa_url, actions_url = f"http://{local}:{settings.rasa_port}", f"http://{local}:{settings.actions_port}"
    env = {
        **os.environ,
        "LOTSE_RASA_MODEL": str(_model()),
        "LOTSE_ACTIONS_URL": actions_url,
        "LOTSE_RASA_URL": rasa_url,
        "LOTSE_RASA_TOKEN_FILE": str(settings.rasa_token_path),
    }
    names = [name for name in SERVED if name != "telegram" or os.environ.get("TELEGRAM_BOT_TOKEN")]
    processes = {}
    try:
        for name in names:
            processes[name] = spawn(_component(name), settings.data_dir / f"{name}.log", env)
        write_servers_file(settings.data_dir, rasa_url, actions_url, settings.rasa_token_path)
        print(f"Serving {', '.join(names)}; logs in {settings.data_dir}/*.log; stop with SIGTERM or Ctrl-C", flush=True)
        while True:
            for name, process in processes.items():
                if process.poll() is not None:
                    print(f"{name} ended with code {process.returncode}; stopping the others", file=sys.stderr)
                    return process.returncode or 1
            time.sleep(0.5)
    finally:
        for process in reversed(list(processes.values())):
            stop(process)


def _cleanup() -> int:
    from core import config
    from tools.retention import cleanup

    configured = config.settings()
    cleanup(configured.database_url, configured.tracker_url, configured.retention, sys.stdout)
    return 0


def _reload() -> int:
    import httpx

    from core import config
    from core.model.reload import reload_rasa, running_rasa

    rasa = running_rasa(config.settings().data_dir)
    if rasa is None:
        print("No running bot found (start it with ./lotse run).", file=sys.stderr)
        return 1
    try:
        result = reload_rasa(rasa)
    except httpx.HTTPError as error:
        print(f"The running Rasa server at {rasa.url} did not take the new model ({error}).", file=sys.stderr)
        return 1
    print(
        f"{'loaded new model ' + result.model if result.swapped else 'Rasa model unchanged'} "
        f"in {result.seconds:.0f} s; the action server picks up knowledge changes within "
        f"LOTSE_RELOAD_POLL_SECONDS (5 s)"
    )
    return 0


def _test(args: list[str]) -> int:
    """With pytest arguments: just those tests. Without: the fast lane (lint, format, types, import contracts, unit
    tests), then the end-to-end lane; every step runs, and the summary names the ones that failed."""
    from core import config

    python = str(config.ACTIONS_PYTHON)
    if args:
        return subprocess.call([python, "-m", "pytest", *args], cwd=config.ROOT)
    steps = {
        "ruff check": [python, "-m", "ruff", "check", "."],
        "ruff format --check": [python, "-m", "ruff", "format", "--check", "."],
        "mypy": [python, "-m", "mypy"],
        "import contracts": [str(config.ACTIONS_VENV / "bin" / "lint-imports")],
        "unit lane": [python, "-m", "pytest", "-m", "not e2e"],
        "e2e lane": [python, "-m", "pytest", "-m", "e2e"],
    }
    env = {**os.environ, "PYTHONPATH": str(config.ROOT)}
    results: dict[str, tuple[int, float]] = {}
    for name, command in steps.items():
        print(f"\n=== {name} ===", flush=True)
        start = time.monotonic()
        results[name] = subprocess.call(command, cwd=config.ROOT, env=env), time.monotonic() - start
    print("\n=== summary ===")
    for name, (code, seconds) in results.items():
        print(f"{name:<22} {'ok' if code == 0 else 'FAILED'}  {seconds:6.1f} s")
    return 0 if all(code == 0 for code, _ in results.values()) else 1


def _knowledge(options: argparse.Namespace) -> int:
    from core import config

    knowledge_dir = config.settings().knowledge_dir
    if options.action == "check":
        from core.knowledge.check import report

        return report(knowledge_dir, config.settings().locales_dir, sys.stdout)
    if options.action == "status":
        from core.knowledge.status import status

        return status(knowledge_dir, sys.stdout, options.json)
    if options.action == "new":
        from core.knowledge.scaffold import new_entry

        return new_entry(knowledge_dir, options.entry_id, options.category, sys.stdout)
    from core.knowledge.spreadsheet import export_sheet, import_sheet

    transfer = export_sheet if options.action == "export" else import_sheet
    return transfer(knowledge_dir, options.path, sys.stdout)


def parser() -> argparse.ArgumentParser:
    """Every command, its arguments and its help, written once: `./lotse --help` prints them, and README.md's
    command table is checked against them (tests/unit/test_cli.py)."""
    root = argparse.ArgumentParser(
        prog="./lotse", description="Lotse – a multilingual first-contact chatbot for newcomers in Germany."
    )
    commands = root.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help: str, handler: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        sub.set_defaults(handler=handler)
        return sub

    command(
        "run",
        "set up, train if needed, start both servers and the volunteers' editor, and chat in this "
        "terminal (with TELEGRAM_BOT_TOKEN set: serve Telegram instead)",
        lambda _: _chat(debug=False),
    )
    command("shell", "like run, but shows the routing payload of every answer", lambda _: _chat(debug=True))
    command(
        "serve",
        "run the components headless, for production: all of them on this machine, or one (for process managers "
        "and containers); health and readiness on each HTTP component, SIGTERM stops them (docs/production.md)",
        lambda o: _serve(o.component),
    ).add_argument("component", nargs="?", choices=SERVED, help="just this one (default: all)")
    command(
        "test",
        "set up, then the fast lane (ruff, mypy, import contracts, unit tests) and the end-to-end lane; "
        "with pytest arguments only those tests (./lotse test -k emergency)",
        lambda _: _test([]),
    )
    command(
        "train",
        "rebuild NLU data from knowledge/ and train Rasa's model if anything changed",
        lambda _: print(_model()) or 0,
    )

    knowledge = command("knowledge", "check, report on, start, export and import the knowledge entries", _knowledge)
    actions = knowledge.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("check", help="validate knowledge/: every problem with file, line and fix")
    actions.add_parser("status", help="translations per entry and language: present, missing, stale").add_argument(
        "--json", type=Path, help="also write the table as JSON to this file"
    )
    new = actions.add_parser("new", help="start knowledge/entries/CATEGORY/ID.yml with every TODO to fill in marked")
    new.add_argument("entry_id", help="a-z, 0-9 and _; also the file name")
    new.add_argument("--category", required=True, help="a category id of ../shared/taxonomy.md")
    actions.add_parser("export", help="all entries in all languages as a sheet for translators").add_argument(
        "path", type=Path, help="a .xlsx or .csv file to write"
    )
    actions.add_parser("import", help="write an edited sheet back: only changed values, all or nothing").add_argument(
        "path", type=Path, help="the .xlsx or .csv file from export, edited"
    )

    evaluation = command(
        "eval",
        "measure routing: emergency recall, category and entry accuracy per language "
        "against baselines (table + var/eval.json)",
        _eval,
    )
    evaluation.add_argument("--json", type=Path, help="where to write the results (default var/eval.json)")
    evaluation.add_argument(
        "--no-rasa-baseline",
        action="store_true",
        help="skip the Rasa default-pipeline baseline (trains about an hour on 2 cores, "
        "then is cached until knowledge/ changes)",
    )
    command(
        "triage-tune",
        "choose the triage thresholds (emergency, person, off-topic) by 5-fold cross-validation "
        "on the training corpus only; writes var/triage_tuning.json",
        _triage_tune,
    ).add_argument(
        "models", nargs="*", help="embedding models to tune for (default: lexical and multilingual-e5-small)"
    )
    command(
        "route",
        'evaluation interface: JSON lines {"id","text"} on stdin, routing decisions on stdout',
        lambda _: _route(),
    )
    bench = command(
        "bench",
        "measure latency (1 user, N concurrent users), throughput, server memory and training "
        "time against the targets (table + var/bench.json)",
        _bench,
    )
    bench.add_argument("--messages", type=int, default=100, help="messages of the single-user run")
    bench.add_argument("--users", type=int, default=20, help="users of the concurrent run")
    bench.add_argument("--per-user", type=int, default=15, help="messages each concurrent user sends")
    bench.add_argument("--skip-training", action="store_true", help="leave out the training measurements")
    bench.add_argument("--json", type=Path, help="where to write the results (default var/bench.json)")

    models = command(
        "models",
        "put another sentence-embedding model into the local cache (needs a reachable model "
        "hub; the default model comes with the setup)",
        _models,
    )
    models.add_argument("action", choices=["download"])
    models.add_argument("name", nargs="?", help="a sentence-transformers model name (default: the default model)")
    command(
        "cleanup",
        "retention, daily from cron: conversations, feedback, handover cases and inbox messages after "
        "their periods (LOTSE_*_RETENTION_DAYS, README's privacy section)",
        lambda _: _cleanup(),
    )
    command(
        "reload",
        "bring knowledge changes into the bot that run started: retrain Rasa if its training data "
        "changed and hot-swap the model (the action server reloads by itself)",
        lambda _: _reload(),
    )
    editor = command(
        "editor",
        "give a volunteer a personal code for the editor (shown once), take it back, or list the volunteers",
        lambda o: _editor_admin([o.action, *([o.name] if o.name else [])]),
    )
    editor.add_argument("action", choices=["add-volunteer", "remove-volunteer", "volunteers"])
    editor.add_argument("name", nargs="?", help="the volunteer's name (add-volunteer, remove-volunteer)")
    command(
        "lock",
        "re-resolve requirements/*.in into the pinned requirements/*.lock (done by the ./lotse script)",
        lambda _: _handled_by_the_script(),
    )
    return root


def _handled_by_the_script() -> int:
    print("./lotse lock is run by the ./lotse shell script itself.", file=sys.stderr)
    return 2


def _triage_tune(options: argparse.Namespace) -> int:
    from tools.triage_tuning import main as tune

    return tune(options.models)


def main(argv: list[str] | None = None) -> int:
    # SIGTERM (a process manager, a test) ends the command like Ctrl-C: the servers it started are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["test"] and argv[1:2] not in (["-h"], ["--help"]):
        return _test(argv[1:])  # everything after `test` is pytest's, passed as it is
    arguments = parser()
    options = arguments.parse_args(["--help"] if argv == ["help"] else argv)
    if options.command is None:
        arguments.print_help()
        return 0
    return int(options.handler(options))


if __name__ == "__main__":
    sys.exit(main())
