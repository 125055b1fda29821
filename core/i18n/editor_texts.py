"""The editor's interface texts: locales/editor/<ui>.yml, read by the same loader as the bot's texts.

Volunteers are not programmers: texts say what to do in plain words. A new interface language is one
more file in locales/editor/ (plus its code in UI_LANGUAGES). A text missing in one falls back like every
text of Lotse (English, then German); tests/unit checks that both files have every key.
"""

from __future__ import annotations

import re
from functools import lru_cache

from core import config
from core.i18n.messages import Messages
from core.languages import NATIVE_NAMES

UI_LANGUAGES: tuple[str, ...] = ("de", "en")
DEFAULT_UI = "de"


@lru_cache(maxsize=1)
def _texts() -> Messages:
    return Messages(config.settings().locales_dir / "editor")


def text(key: str, ui: str, /, **values: object) -> str:
    """The text `key` in interface language `ui`, with {placeholders} filled."""
    return _texts().text(key, ui, **values)


def keys(ui: str) -> set[str]:
    """Every text key of the interface language `ui`."""
    return _texts().keys(ui)


def language_name(code: str, ui: str) -> str:
    """A content language as a volunteer reading `ui` knows it, with its own name: 'Arabisch (العربية)'."""
    name = _texts().name("language", code, ui) or code
    return name if NATIVE_NAMES.get(code) in (None, name) else f"{name} ({NATIVE_NAMES[code]})"


def service_kind_name(kind: str, ui: str) -> str:
    return _texts().name("service_kind", kind, ui) or kind


_ACCEPT = re.compile(r"\s*([A-Za-z]{1,8})(?:-[A-Za-z0-9]{1,8})*\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*")


def ui_from_accept_language(header: str | None) -> str:
    """The interface language the browser prefers most among UI_LANGUAGES; German if none of them."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")):
        match = _ACCEPT.fullmatch(part)
        if not match:
            continue
        try:
            quality = float(match.group(2) or 1)
        except ValueError:
            continue
        if match.group(1).lower() in UI_LANGUAGES and quality > 0:
            ranked.append((-quality, position, match.group(1).lower()))
    return min(ranked)[2] if ranked else DEFAULT_UI
