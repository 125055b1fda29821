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

from core import config
from core.languages import LANGUAGES, with_fallbacks


class Messages:
    """Look-up of UI texts by key and language."""

    def __init__(self, locales_dir: Path) -> None:
        self._texts: dict[str, dict[str, Any]] = {}
        for lang in LANGUAGES:
            path = locales_dir / f"{lang}.yml"
            self._texts[lang] = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}

    def text(self, key: str, language: str, /, **values: object) -> str:
        """The text `key` in `language` (or the fallback), with {placeholders} filled."""
        for lang in with_fallbacks(language):
            template = self._texts.get(lang, {}).get(key)
            if isinstance(template, str):
                return template.format(**values) if values else template
        raise KeyError(f"no text for '{key}' in locales/")

    def category(self, category: str, language: str) -> str:
        """Display name of a taxonomy category."""
        return self.name("category", category, language) or category

    def name(self, group: str, key: str, language: str) -> str | None:
        """A name from a group of names (`category:`, `language:`, ...), with the same fallbacks as texts."""
        for lang in with_fallbacks(language):
            name = (self._texts.get(lang, {}).get(group) or {}).get(key)
            if name:
                return str(name)
        return None

    def keys(self, language: str) -> set[str]:
        """The text keys `language` has (not the groups of names)."""
        return {key for key, value in self._texts.get(language, {}).items() if isinstance(value, str)}

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
    return Messages(config.settings().locales_dir)
