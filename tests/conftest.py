"""The two lanes: tests/unit/ (plain functions and classes, seconds) and tests/e2e/ (real Rasa, action server,
gateway, editor and databases, minutes), marked `e2e` here so `./lotse test` can run the fast lane first."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from core import config
from tests.overrides import OverrideSettings


@pytest.fixture
def override_settings() -> Iterator[OverrideSettings]:
    with contextlib.ExitStack() as stack:
        yield lambda **changes: stack.enter_context(config.overridden(**changes))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "e2e" in item.path.parts:
            item.add_marker(pytest.mark.e2e)
