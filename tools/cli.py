"""The `./lotse` command line. Imports stay inside the commands so `--help` works before setup."""
from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:
    from tools.servers import Servers

HELP = """\
Lotse – a multilingual first-contact chatbot for newcomers in Germany.

commands:
  run                 set up, train if needed, start both servers and the volunteers' editor, and chat
                      in this terminal (with TELEGRAM_BOT_TOKEN set: serve Telegram instead)
  shell               like run, but shows the routing payload of every answer
  test [PYTEST ARGS]  set up, then run the whole test suite (e.g. ./lotse test -k emergency)
  train               rebuild NLU data from knowledge/ and train Rasa's model if anything changed
  knowledge check     validate knowledge/: every problem with file, line and fix
  knowledge status [--json PATH]
                      translations per entry and language (present, missing, stale), totals per language
  knowledge new ID --category CATEGORY
                      start knowledge/entries/CATEGORY/ID.yml with every TODO to fill in marked
  knowledge export PATH
                      all entries in all languages as a sheet for translators (.xlsx or .csv)
  knowledge import PATH
                      write an edited sheet back to knowledge/: only changed values, all or nothing
  eval [--json PATH] [--no-rasa-baseline]
                      measure routing: emergency recall, category accuracy (Integreat dev),
                      entry accuracy on held-out questions, against baselines (the Rasa default
                      pipeline baseline trains about an hour on 2 cores, then is cached until
                      knowledge/ changes)
  triage-tune [MODEL ...]
                      choose the triage thresholds (emergency, person, off-topic) by 5-fold cross-validation
                      on the training corpus only, lexical and with the default model; writes var/triage_tuning.json
  route               JSON lines {"id","text"} on stdin -> routing decisions on stdout
  bench [--messages N] [--users N] [--per-user N] [--skip-training] [--json PATH]
                      measure latency (1 user, N concurrent users), throughput, server memory
                      and training time against the targets; writes var/bench.json
  models download [NAME]
                      put a sentence-embedding model into the local cache; needs the internet, the bot
                      itself never downloads (the default multilingual-e5-small comes with the setup)
  cleanup             retention, daily from cron: delete conversations 30 days after their last message,
                      feedback after 90 days, handover cases 90 days after closing (or after consent if
                      never closed), inbox messages after 90 days (LOTSE_*_RETENTION_DAYS, README)
  editor add-volunteer NAME | remove-volunteer NAME | volunteers
                      give a volunteer a personal code for the editor (started by run), or take it back
  reload              bring knowledge changes into the bot started by `./lotse run`: retrain Rasa if its
                      training data changed and hot-swap the model (the action server reloads by itself)
  lock                re-resolve requirements/*.in into the pinned requirements/*.lock
"""


def _model() -> Path:
    from tools.training import train

    return train()


def _chat(debug: bool) -> int:
    from tools import paths
    from tools.chat import chat
    from tools.servers import running

    model = _model()
    telegram = bool(os.environ.get("TELEGRAM_BOT_TOKEN"))
    print(f"Starting the action server, the Rasa server{', the Telegram gateway' if telegram else ''} "
          "and the volunteers' editor ...", file=sys.stderr)
    with running(model, paths.VAR) as servers, _editor(servers):
        if telegram:
            from gateway.__main__ import main as gateway

            os.environ.update(servers.gateway_env())
            return gateway()
        chat(servers, debug=debug)
    return 0


@contextlib.contextmanager
def _editor(servers: "Servers") -> Iterator[None]:
    """The volunteers' editor beside the bot; its saves reach the running bot (live reload)."""
    from editor.settings import from_environment
    from tools import paths
    from tools.servers import spawn, stop

    settings = from_environment()
    process = spawn([str(paths.ACTIONS_PYTHON), "-m", "editor"], paths.VAR / "editor.log",
                    {**os.environ, "LOTSE_RASA_URL": servers.rasa_url,
                     "LOTSE_RASA_TOKEN_FILE": str(servers.token_file)})
    print(f"Editor for volunteers: http://{settings.host}:{settings.port}{settings.base_path}/ "
          "(add a volunteer with ./lotse editor add-volunteer NAME)", file=sys.stderr)
    try:
        yield
    finally:
        stop(process)


def _editor_admin(args: list[str]) -> int:
    from editor.settings import from_environment
    from editor.tokens import add_volunteer, remove_volunteer, volunteers

    tokens_file = from_environment().tokens_file
    if args[:1] == ["add-volunteer"] and len(args) == 2:
        token = add_volunteer(tokens_file, args[1])
        print(f"Personal code for {args[1]} (shown only now; give it to them privately):\n{token}")
        return 0
    if args[:1] == ["remove-volunteer"] and len(args) == 2:
        if remove_volunteer(tokens_file, args[1]):
            print(f"{args[1]} can no longer sign in.")
            return 0
        print(f"No volunteer named {args[1]!r}.", file=sys.stderr)
        return 1
    if args == ["volunteers"]:
        print("\n".join(volunteers(tokens_file)) or "(none yet)")
        return 0
    print("usage: ./lotse editor add-volunteer NAME | remove-volunteer NAME | volunteers", file=sys.stderr)
    return 2


def _route() -> int:
    from actions.runtime import reload_if_changed, router
    from tools.route import route_lines
    from tools.servers import running

    model = _model()
    # The one build, with the embedding model: it encodes the knowledge first if this machine has not yet
    # (router() alone would route lexically until then, as the action server does while it encodes).
    reload_if_changed()
    with tempfile.TemporaryDirectory() as state, running(model, Path(state), with_actions=False) as servers:
        route_lines(router(), servers.api, sys.stdin)
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


def _cleanup() -> int:
    from gateway.settings import database_url
    from tools import paths
    from tools.retention import Retention, cleanup

    tracker_url = os.environ.get("LOTSE_TRACKER_DB_URL", f"sqlite:///{paths.VAR / 'tracker.db'}")
    cleanup(database_url(), tracker_url, Retention.from_environment(), sys.stdout)
    return 0


def _reload() -> int:
    import httpx

    from tools import paths
    from tools.reload import reload_rasa, running_rasa

    rasa = running_rasa(paths.VAR)
    if rasa is None:
        print("No running bot found (start it with ./lotse run).", file=sys.stderr)
        return 1
    try:
        result = reload_rasa(rasa)
    except httpx.HTTPError as error:
        print(f"The running Rasa server at {rasa.url} did not take the new model ({error}).", file=sys.stderr)
        return 1
    print(f"{'loaded new model ' + result.model if result.swapped else 'Rasa model unchanged'} "
          f"in {result.seconds:.0f} s; the action server picks up knowledge changes within "
          f"LOTSE_RELOAD_POLL_SECONDS (5 s)")
    return 0


def _test(args: list[str]) -> int:
    from tools import paths

    code = subprocess.call([str(paths.ACTIONS_PYTHON), "-m", "pytest", *args], cwd=paths.ROOT)
    return code


def _knowledge(args: list[str]) -> int:
    from actions import settings

    parser = argparse.ArgumentParser(prog="./lotse knowledge")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("check", help="validate knowledge/: every problem with file, line and fix")
    status_command = commands.add_parser("status", help="translations per entry and language: present, missing, stale")
    status_command.add_argument("--json", type=Path, help="also write the table as JSON to this file")
    new_command = commands.add_parser("new", help="start a new entry file with every TODO to fill in marked")
    new_command.add_argument("entry_id", help="a-z, 0-9 and _; also the file name")
    new_command.add_argument("--category", required=True, help="a category id of ../shared/taxonomy.md")
    commands.add_parser("export", help="all entries in all languages as a sheet for translators").add_argument(
        "path", type=Path, help="a .xlsx or .csv file to write")
    commands.add_parser("import", help="write an edited sheet back: only changed values, all or nothing").add_argument(
        "path", type=Path, help="the .xlsx or .csv file from export, edited")
    options = parser.parse_args(args)
    if options.command == "check":
        from tools.knowledge_check import report

        return report(settings.KNOWLEDGE_DIR, settings.LOCALES_DIR, sys.stdout)
    if options.command == "status":
        from tools.knowledge_status import status

        return status(settings.KNOWLEDGE_DIR, sys.stdout, options.json)
    if options.command == "new":
        from tools.knowledge_scaffold import new_entry

        return new_entry(settings.KNOWLEDGE_DIR, options.entry_id, options.category, sys.stdout)
    from tools.knowledge_spreadsheet import export_sheet, import_sheet

    transfer = export_sheet if options.command == "export" else import_sheet
    return transfer(settings.KNOWLEDGE_DIR, options.path, sys.stdout)


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
    if command == "triage-tune":
        from tools.triage_tuning import main as tune

        return tune(rest)
    if command == "models":
        return _models(rest)
    if command == "cleanup":
        return _cleanup()
    if command == "reload":
        return _reload()
    if command == "editor":
        return _editor_admin(rest)
    parser = argparse.ArgumentParser(prog="./lotse", description=HELP, formatter_class=argparse.RawTextHelpFormatter)
    parser.error(f"unknown command '{command}'")
    return 2


if __name__ == "__main__":
    sys.exit(main())
