"""Detect which of the eight languages a message is written in.

Writing system first (Arabic script, Cyrillic, Latin), because it is decisive
even for one word; within a script, letters that only one language uses, then
py3langid restricted to the candidates of that script; Arabic and Persian
written in Latin letters (Arabizi, Finglish) are told from German, English,
Turkish and French by a classifier learned from the triage corpus. Short or ambiguous
messages ("ok", "kindergeld?", a city name like "Дуйсбург") are reported as not
confident, so the conversation keeps its current language.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from core.languages import LANGUAGES
from core.routing.text_classifier import CharNgramClassifier
from core.routing.triage_corpus import training_corpus


@dataclass(frozen=True)
class Detection:
    """A detected language; `confident` means strong enough to switch languages."""

    language: str | None
    confident: bool


# First words in Latin script that langid cannot judge from so few letters ("hallo" looks English to it).
_LATIN_OPENERS: dict[str, str] = {
    **dict.fromkeys(
        (
            "hallo",
            "moin",
            "servus",
            "guten tag",
            "guten morgen",
            "guten abend",
            "danke",
            "tschüss",
            "grüß gott",
            "hilfe",
        ),
        "de",
    ),
    **dict.fromkeys(("hi", "hello", "hey", "thanks", "thank you", "help", "good morning"), "en"),
    **dict.fromkeys(("merhaba", "selam", "mrb", "slm", "teşekkürler", "günaydın", "yardım"), "tr"),
    **dict.fromkeys(("bonjour", "salut", "bonsoir", "merci", "coucou", "aide"), "fr"),
}

# Languages people also write in Latin letters; a classifier margin from which a message counts as one.
LATIN_WRITTEN = ("ar", "fa")
LATIN_WRITTEN_MARGIN = 0.0
_PERSIAN_ONLY = set("پچژگکی")
_ARABIC_ONLY = set("ةيكىؤ")
_UKRAINIAN_ONLY = set("іїєґ")
_RUSSIAN_ONLY = set("ыэъё")
_TURKISH_ONLY = set("ğışİ")
# Two languages share each non-Latin script here; letters only one of them uses decide first.
_SCRIPT_PAIRS: dict[str, tuple[tuple[str, set[str]], tuple[str, set[str]]]] = {
    "arabic": (("fa", _PERSIAN_ONLY), ("ar", _ARABIC_ONLY)),
    "cyrillic": (("uk", _UKRAINIAN_ONLY), ("ru", _RUSSIAN_ONLY)),
}


@lru_cache(maxsize=1)
def _identifier() -> Any:  # py3langid has no type information
    """Load the bundled py3langid model once (about 0.5 s)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def writing_system(text: str) -> str | None:
    """ "arabic", "cyrillic" or "latin": the script most of the letters are in (None without letters)."""
    counts = {"arabic": 0, "cyrillic": 0, "latin": 0}
    for char in text:
        if not char.isalpha():
            continue
        name = unicodedata.name(char, "")
        for script in counts:
            if name.startswith(script.upper()):
                counts[script] += 1
    # German office words mixed into Arabic or Russian ("كيف أعمل Anmeldung")
    # must not turn the message into Latin script: a non-Latin script wins.
    non_latin = max(("arabic", "cyrillic"), key=counts.__getitem__)
    if counts[non_latin] >= 2:
        return non_latin
    return "latin" if counts["latin"] else None


def _classify(text: str, candidates: list[str]) -> tuple[str, float]:
    """py3langid restricted to `candidates`, with probabilities renormalised."""
    ranked = [(lang, p) for lang, p in _identifier().rank(text) if lang in candidates]
    total = sum(p for _, p in ranked) or 1.0
    lang, prob = ranked[0]
    return lang, prob / total


@lru_cache(maxsize=1)
def _latin_script_classifier() -> CharNgramClassifier:
    """Arabic and Persian written in Latin letters (Arabizi "el iqame taba3i 5elset", Finglish) against the
    Latin-script languages, learned from the triage corpus's messages in Latin letters (about a second)."""
    examples = [
        (e.text, e.language if e.language in LATIN_WRITTEN else "latin")
        for e in training_corpus()
        if writing_system(e.text) == "latin"
    ]
    return CharNgramClassifier([text for text, _ in examples], [label for _, label in examples])


def _latin_written(text: str) -> str | None:
    """ "ar" or "fa" when a Latin-script message is Arabic or Persian in Latin letters, else None."""
    classifier = _latin_script_classifier()
    scores = classifier.scores([text])[0]
    best = classifier.labels[int(np.argmax(scores))]
    return best if best in LATIN_WRITTEN and float(np.max(scores)) >= LATIN_WRITTEN_MARGIN else None


def detect(text: str) -> Detection:
    """Guess the language of `text`; see the module docstring for the rules."""
    script = writing_system(text)
    letters = set(text.lower())
    if script in _SCRIPT_PAIRS:
        (first, first_only), (second, second_only) = _SCRIPT_PAIRS[script]
        if letters & first_only and not letters & second_only:
            return Detection(first, True)
        if letters & second_only and not letters & first_only:
            return Detection(second, True)
        lang, _ = _classify(text, [first, second])
        # Without a telling letter, one or two words (a city name like "Дуйсбург") cannot switch the language.
        return Detection(lang, len(text.split()) >= 3)
    if script == "latin":
        words = len(text.split())
        opener = _LATIN_OPENERS.get(" ".join(text.lower().strip(" !.?,").split()))
        if opener:
            return Detection(opener, False)
        if letters & _TURKISH_ONLY:
            return Detection("tr", words >= 2)
        written = _latin_written(text)
        if written:
            return Detection(written, words >= 2)
        lang, prob = _classify(text, ["de", "en", "tr", "fr"])
        return Detection(lang, (words >= 3 and prob >= 0.95) or (words >= 2 and prob >= 0.99))
    return Detection(None, False)
