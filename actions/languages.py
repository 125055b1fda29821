"""The eight supported languages and how users name them when switching."""
from __future__ import annotations

import re

LANGUAGES: tuple[str, ...] = ("de", "en", "ar", "uk", "tr", "ru", "fa", "fr")
REFERENCE_LANGUAGE = "de"
RTL_LANGUAGES = frozenset({"ar", "fa"})

# What a language is called in itself: shown on language buttons.
NATIVE_NAMES: dict[str, str] = {
    "de": "Deutsch",
    "en": "English",
    "ar": "العربية",
    "uk": "Українська",
    "tr": "Türkçe",
    "ru": "Русский",
    "fa": "فارسی / دری",
    "fr": "Français",
}

# What German-speaking counsellors call the languages (German texts of a handover).
GERMAN_NAMES: dict[str, str] = {
    "de": "Deutsch", "en": "Englisch", "ar": "Arabisch", "uk": "Ukrainisch", "tr": "Türkisch", "ru": "Russisch",
    "fa": "Persisch/Dari", "fr": "Französisch",
}


def language_names(codes: list[str] | tuple[str, ...], language: str) -> str:
    """Languages listed for a reader of `language`: German names in German texts, else each in itself."""
    names = GERMAN_NAMES if language == REFERENCE_LANGUAGE else NATIVE_NAMES
    return ", ".join(names.get(code, code) for code in codes)


# Words by which people ask for a language ("English please", "بالعربية", "auf Deutsch").
# Matched as whole words in lower-cased text; ordered longest first per language.
_LANGUAGE_WORDS: dict[str, tuple[str, ...]] = {
    "de": ("deutsch", "german", "allemand", "almanca", "немецк", "німецьк", "الألمانية", "بالألمانية", "آلمانی"),
    "en": ("englisch", "english", "anglais", "ingilizce", "английск", "англійськ", "الإنجليزية", "بالإنجليزية",
           "الانجليزية", "بالانجليزي", "انگلیسی"),
    "ar": ("arabisch", "arabic", "arabe", "arapça", "арабск", "العربية", "بالعربية", "بالعربي", "عربي", "عربی"),
    "uk": ("ukrainisch", "ukrainian", "ukrainien", "ukraynaca", "украинск", "українськ", "українською",
           "الأوكرانية", "اوکراینی"),
    "tr": ("türkisch", "turkish", "turc", "türkçe", "turkce", "турецк", "турецьк", "التركية", "ترکی"),
    "ru": ("russisch", "russian", "russe", "rusça", "русск", "по-русски", "російськ", "الروسية", "روسی"),
    "fa": ("persisch", "farsi", "persian", "dari", "perse", "farsça", "фарси", "персидск", "перська",
           "الفارسية", "فارسی", "دری"),
    "fr": ("französisch", "french", "français", "francais", "fransızca", "французск", "французьк",
           "الفرنسية", "فرانسوی"),
}


def requested_language(text: str) -> str | None:
    """Return the language a message explicitly names, e.g. "English please" -> "en".

    Only an unambiguous single mention counts, so that "I speak Arabic but
    want German" does not switch at random.
    """
    lowered = text.lower()
    found = {
        code
        for code, words in _LANGUAGE_WORDS.items()
        if any(re.search(rf"(?<!\w){re.escape(word)}", lowered) for word in words)
    }
    return found.pop() if len(found) == 1 else None


# Telegram's language_code is an IETF tag ("de-DE", "pt-br"); Dari speakers' apps may send "prs".
_CODE_ALIASES: dict[str, str] = {"prs": "fa"}


def language_from_code(code: str | None) -> str | None:
    """The supported language an app's language setting names, e.g. "uk-UA" -> "uk"; None if unsupported."""
    if not code:
        return None
    primary = code.lower().replace("_", "-").split("-")[0]
    primary = _CODE_ALIASES.get(primary, primary)
    return primary if primary in LANGUAGES else None
