"""The eight supported languages and how users name them when switching."""

from __future__ import annotations

import re

LANGUAGES: tuple[str, ...] = ("de", "en", "ar", "uk", "tr", "ru", "fa", "fr")
REFERENCE_LANGUAGE = "de"
# Where a text is missing in someone's language, the same order everywhere (the bot's texts, answers, button
# titles): English, which most newcomers read better than German, then German, which every entry has.
FALLBACK_LANGUAGES = ("en", "de")


def with_fallbacks(language: str) -> tuple[str, ...]:
    """`language` followed by the fallback languages, each once."""
    return tuple(dict.fromkeys((language, *FALLBACK_LANGUAGES)))


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
    "de": "Deutsch",
    "en": "Englisch",
    "ar": "Arabisch",
    "uk": "Ukrainisch",
    "tr": "Türkisch",
    "ru": "Russisch",
    "fa": "Persisch/Dari",
    "fr": "Französisch",
}


# Languages Lotse does not answer in but counsellors of its services speak (ISO 639-1): German name, own name.
OTHER_LANGUAGES: dict[str, tuple[str, str]] = {
    "ti": ("Tigrinya", "ትግርኛ"),
    "ku": ("Kurdisch", "Kurdî"),
    "so": ("Somali", "Soomaali"),
    "ps": ("Paschtu", "پښتو"),
    "sq": ("Albanisch", "Shqip"),
    "ro": ("Rumänisch", "Română"),
    "pl": ("Polnisch", "Polski"),
    "bg": ("Bulgarisch", "Български"),
    "am": ("Amharisch", "አማርኛ"),
    "ur": ("Urdu", "اردو"),
    "es": ("Spanisch", "Español"),
    "it": ("Italienisch", "Italiano"),
}


def language_names(codes: list[str] | tuple[str, ...], language: str) -> str:
    """Languages listed for a reader of `language`: German names in German texts, else each in itself."""
    german = language == REFERENCE_LANGUAGE

    def name(code: str) -> str:
        if code in OTHER_LANGUAGES:
            return OTHER_LANGUAGES[code][0 if german else 1]
        return (GERMAN_NAMES if german else NATIVE_NAMES).get(code, code)

    return ", ".join(name(code) for code in codes)


# Words by which people ask for a language ("English please", "بالعربية", "auf Deutsch").
# Matched as whole words in lower-cased text; ordered longest first per language.
_LANGUAGE_WORDS: dict[str, tuple[str, ...]] = {
    "de": ("deutsch", "german", "allemand", "almanca", "немецк", "німецьк", "الألمانية", "بالألمانية", "آلمانی"),
    "en": (
        "englisch",
        "english",
        "anglais",
        "ingilizce",
        "английск",
        "англійськ",
        "الإنجليزية",
        "بالإنجليزية",
        "الانجليزية",
        "بالانجليزي",
        "انگلیسی",
    ),
    "ar": ("arabisch", "arabic", "arabe", "arapça", "арабск", "العربية", "بالعربية", "بالعربي", "عربي", "عربی"),
    "uk": (
        "ukrainisch",
        "ukrainian",
        "ukrainien",
        "ukraynaca",
        "украинск",
        "українськ",
        "українською",
        "الأوكرانية",
        "اوکراینی",
    ),
    "tr": ("türkisch", "turkish", "turc", "türkçe", "turkce", "турецк", "турецьк", "التركية", "ترکی"),
    "ru": ("russisch", "russian", "russe", "rusça", "русск", "по-русски", "російськ", "الروسية", "روسی"),
    "fa": (
        "persisch",
        "farsi",
        "persian",
        "dari",
        "perse",
        "farsça",
        "фарси",
        "персидск",
        "перська",
        "الفارسية",
        "فارسی",
        "دری",
    ),
    "fr": (
        "französisch",
        "french",
        "français",
        "francais",
        "fransızca",
        "французск",
        "французьк",
        "الفرنسية",
        "فرانسوی",
    ),
}


# The same for languages Lotse does not answer in, so that a request for a person who speaks one is understood.
_OTHER_LANGUAGE_WORDS: dict[str, tuple[str, ...]] = {
    "ti": (
        "tigrinya",
        "tigrinisch",
        "tigrigna",
        "tigrinja",
        "tigrince",
        "тигринья",
        "тигрині",
        "التغرينية",
        "التيغرينية",
        "تغرينيا",
        "تیگرینیا",
        "ትግርኛ",
    ),
    "ku": (
        "kurdisch",
        "kurdish",
        "kurde",
        "kürtçe",
        "kurtce",
        "kurmanci",
        "kurmanji",
        "kurmancî",
        "sorani",
        "курдск",
        "курдськ",
        "الكردية",
        "بالكردي",
        "كردي",
        "کردی",
        "سورانی",
        "کورمانجی",
    ),
    "so": ("somali", "somalisch", "somalice", "сомали", "сомалі", "الصومالية", "صومالی", "soomaali"),
    "ps": ("paschtu", "paschto", "pashto", "pachto", "peştuca", "pestuca", "пушту", "البشتو", "البشتونية", "پشتو"),
    "sq": (
        "albanisch",
        "albanian",
        "albanais",
        "arnavutça",
        "arnavutca",
        "албанск",
        "албанськ",
        "الألبانية",
        "آلبانیایی",
        "shqip",
    ),
    "ro": (
        "rumänisch",
        "rumaenisch",
        "romanian",
        "roumain",
        "rumence",
        "румынск",
        "румунськ",
        "الرومانية",
        "رومانیایی",
    ),
    "pl": ("polnisch", "polish", "polonais", "lehçe", "lehce", "польск", "польськ", "البولندية", "بولندي", "لهستانی"),
    "bg": ("bulgarisch", "bulgarian", "bulgare", "bulgarca", "болгарськ", "болгарск", "البلغارية", "بلغاری"),
    "am": ("amharisch", "amharic", "amharique", "amharca", "амхарск", "الأمهرية", "امهری"),
    "ur": ("urdu", "урду", "الأردية", "الاوردو"),
    "es": ("spanisch", "spanish", "espagnol", "ispanyolca", "испанск", "іспанськ", "الإسبانية", "اسپانیایی"),
    "it": ("italienisch", "italian", "italien", "italyanca", "итальянск", "італійськ", "الإيطالية", "ایتالیایی"),
}


def _mentions(lowered: str, words: tuple[str, ...]) -> int | None:
    """Where the first of `words` starts in `lowered` (at a word start), or None."""
    found = [m.start() for word in words for m in re.finditer(rf"(?<!\w){re.escape(word)}", lowered)]
    return min(found) if found else None


def named_languages(text: str) -> tuple[str, ...]:
    """Every language a message names, Lotse's own and others, in the order named ("someone who speaks Tigrinya")."""
    lowered = text.lower()
    positions = {
        code: _mentions(lowered, words) for code, words in {**_LANGUAGE_WORDS, **_OTHER_LANGUAGE_WORDS}.items()
    }
    return tuple(
        code for code, at in sorted(((c, p) for c, p in positions.items() if p is not None), key=lambda item: item[1])
    )


def requested_language(text: str) -> str | None:
    """Return the language a message explicitly names, e.g. "English please" -> "en".

    Only an unambiguous single mention counts, so that "I speak Arabic but
    want German" does not switch at random.
    """
    found = {code for code in named_languages(text) if code in _LANGUAGE_WORDS}
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
