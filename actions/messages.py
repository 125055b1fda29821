"""The bot's own texts (greeting, menus, notices) in eight languages, from locales/*.yml.

A text missing in one language falls back to English, then German, so a gap in
a translation never leaves the user without an answer; `./lotse knowledge check`
lists such gaps.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from actions import settings
from actions.languages import LANGUAGES

FALLBACK_ORDER = ("en", "de")


class Messages:
    """Look-up of UI texts by key and language."""

    def __init__(self, locales_dir: Path) -> None:
        self._texts: dict[str, dict[str, Any]] = {}
        for lang in LANGUAGES:
            path = locales_dir / f"{lang}.yml"
            self._texts[lang] = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}

    def text(self, key: str, language: str, **values: str) -> str:
        """The text `key` in `language` (or the fallback), with {placeholders} filled."""
        for lang in (language, *FALLBACK_ORDER):
            template = self._texts.get(lang, {}).get(key)
            if isinstance(template, str):
                return template.format(**values) if values else template
        raise KeyError(f"no text for '{key}' in locales/")

    def category(self, category: str, language: str) -> str:
        """Display name of a taxonomy category."""
        for lang in (language, *FALLBACK_ORDER):
            name = (self._texts.get(lang, {}).get("category") or {}).get(category)
            if name:
                return str(name)
        return category

    def missing(self) -> dict[str, list[str]]:
        """Language -> keys that exist in English but not in that language."""
        reference = self._texts["en"]
        gaps: dict[str, list[str]] = {}
        for lang in LANGUAGES:
            texts = self._texts.get(lang, {})
            keys = [k for k in reference if k not in texts]
            keys += [f"category.{c}" for c in reference.get("category", {}) if c not in texts.get("category", {})]
            if keys:
                gaps[lang] = keys
        return gaps


@lru_cache(maxsize=1)
def messages() -> Messages:
    """The process-wide message catalogue."""
    return Messages(settings.LOCALES_DIR)
