"""The `./lotse` command line. Imports stay inside the commands so `--help` works before setup."""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HELP = """\
Lotse – a multilingual first-contact chatbot for newcomers in Germany.

commands:
  run                 set up, train if needed, start both servers and chat in this terminal
                      (with TELEGRAM_BOT_TOKEN set: serve Telegram instead)
  shell               like run, but shows the routing payload of every answer
  test [PYTEST ARGS]  set up, then run the whole test suite (e.g. ./lotse test -k emergency)
  train               rebuild NLU data from knowledge/ and train Rasa's model if anything changed
  knowledge check     validate knowledge/: every problem with file, line and fix
  eval [--json PATH] [--no-rasa-baseline]
                      measure routing: emergency recall, category accuracy (Integreat dev),
                      entry accuracy on held-out questions, against baselines (the Rasa default
                      pipeline baseline trains ~15 min once, then is cached)
  route               JSON lines {"id","text"} on stdin -> routing decisions on stdout
  bench [--messages N] [--users N] [--per-user N] [--skip-training] [--json PATH]
                      measure latency (1 user, N concurrent users), throughput, server memory
                      and training time against the targets; writes var/bench.json
  models download [NAME]
                      put a sentence-embedding model (default: the multilingual production model)
                      into the local cache; needs the internet, the bot itself never downloads
  lock                re-resolve requirements/*.in into the pinned requirements/*.lock
"""


def _model() -> Path:
    from tools.training import train

    return train()


def _chat(debug: bool) -> int:
    from tools import paths
    from tools.chat import chat
    from tools.servers import running

    if os.environ.get("TELEGRAM_BOT_TOKEN"):
        print("TELEGRAM_BOT_TOKEN is set, but the Telegram channel is not available yet in this version. "
              "Unset it to chat in the terminal.", file=sys.stderr)
        return 2
    model = _model()
    print("Starting the action server and the Rasa server ...", file=sys.stderr)
    with running(model, paths.VAR) as servers:
        chat(servers, debug=debug)
    return 0


def _route() -> int:
    from actions.runtime import router
    from tools.route import route_lines
    from tools.servers import running

    model = _model()
    with tempfile.TemporaryDirectory() as state, running(model, Path(state), with_actions=False) as servers:
        route_lines(router(), servers.rasa_url, sys.stdin)
    return 0


def _eval(args: list[str]) -> int:
    from tools import paths
    from tools.evaluation import evaluate

    parser = argparse.ArgumentParser(prog="./lotse eval")
    parser.add_argument("--json", type=Path, default=paths.VAR / "eval.json", help="where to write the results")
    parser.add_argument("--no-rasa-baseline", action="store_true", help="skip the slow Rasa default-pipeline baseline")
    options = parser.parse_args(args)
    evaluate(sys.stdout, options.json, with_rasa_baseline=not options.no_rasa_baseline)
    return 0


def _models(args: list[str]) -> int:
    from actions import settings
    from tools.models import download

    if args[:1] != ["download"] or len(args) > 2:
        print("usage: ./lotse models download [NAME]", file=sys.stderr)
        return 2
    return download(args[1] if len(args) > 1 else settings.DEFAULT_EMBEDDING_MODEL)


def _bench(args: list[str]) -> int:
    from tools import paths
    from tools.benchmark import benchmark

    parser = argparse.ArgumentParser(prog="./lotse bench")
    parser.add_argument("--messages", type=int, default=100, help="messages of the single-user run")
    parser.add_argument("--users", type=int, default=20, help="users of the concurrent run")
    parser.add_argument("--per-user", type=int, default=15, help="messages each concurrent user sends")
    parser.add_argument("--skip-training", action="store_true", help="leave out the training measurements")
    parser.add_argument("--json", type=Path, default=paths.VAR / "bench.json", help="where to write the results")
    options = parser.parse_args(args)
    benchmark(sys.stdout, options.json, options.messages, options.users, options.per_user, options.skip_training)
    return 0


def _test(args: list[str]) -> int:
    from tools import paths

    code = subprocess.call([str(paths.ACTIONS_PYTHON), "-m", "pytest", *args], cwd=paths.ROOT)
    return code


def _knowledge(args: list[str]) -> int:
    from actions import settings
    from tools.knowledge_check import report

    if args[:1] != ["check"]:
        print("usage: ./lotse knowledge check", file=sys.stderr)
        return 2
    return report(settings.KNOWLEDGE_DIR, settings.LOCALES_DIR, sys.stdout)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(HELP)
        return 0
    command, rest = argv[0], argv[1:]
    if command == "run":
        return _chat(debug=False)
    if command == "shell":
        return _chat(debug=True)
    if command == "train":
        print(_model())
        return 0
    if command == "test":
        return _test(rest)
    if command == "knowledge":
        return _knowledge(rest)
    if command == "eval":
        return _eval(rest)
    if command == "bench":
        return _bench(rest)
    if command == "route":
        return _route()
    if command == "models":
        return _models(rest)
    parser = argparse.ArgumentParser(prog="./lotse", description=HELP, formatter_class=argparse.RawTextHelpFormatter)
    parser.error(f"unknown command '{command}'")
    return 2


if __name__ == "__main__":
    sys.exit(main())
