"""The type of the `override_settings` fixture (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable

from core import config

# Called with Settings fields to change them for the rest of one test (config.overridden, undone afterwards).
OverrideSettings = Callable[..., config.Settings]
