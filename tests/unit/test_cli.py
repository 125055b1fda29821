"""The `./lotse` command tree (tools/cli.py) and README.md describe the same commands."""

from __future__ import annotations

import argparse
import re

import pytest

from core import config
from tools.cli import parser


def commands() -> set[str]:
    subparsers = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    return set(subparsers.choices)


def test_readme_names_every_command_and_only_real_ones() -> None:
    readme = (config.ROOT / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"\./lotse ([a-z][a-z-]*)", readme))
    assert commands() <= named, f"not in README.md: {commands() - named}"
    assert named <= commands(), f"README.md names commands that do not exist: {named - commands()}"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["knowledge", "new", "kita_platz", "--category", "education"], {"action": "new", "entry_id": "kita_platz"}),
        (["editor", "add-volunteer", "Amina"], {"action": "add-volunteer", "name": "Amina"}),
        (["bench", "--users", "5", "--skip-training"], {"users": 5, "skip_training": True, "messages": 100}),
        (["triage-tune", "none"], {"models": ["none"]}),
    ],
)
def test_arguments_reach_their_command(argv: list[str], expected: dict[str, object]) -> None:
    options = vars(parser().parse_args(argv))
    assert {key: options[key] for key in expected} == expected


def test_an_unknown_command_is_refused_with_the_list_of_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        parser().parse_args(["serve-everything"])
    assert exit_.value.code == 2
    assert "choose from" in capsys.readouterr().err
