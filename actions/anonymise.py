"""Remove what identifies a person from a message before it is kept for volunteers.

Phone and other long numbers, e-mail addresses, exact dates and names of persons
(after "my name is"-style phrases and titles such as "Frau", "Mr", in the eight
languages) become placeholders. Postcodes and city names stay: they say where
help is missing, not who asked. This is a rule-based filter (no NER model is
available offline); it errs on the side of removing.
"""
from __future__ import annotations

import re

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# IBANs, case numbers, phone numbers: 7 or more digits, possibly grouped with spaces, dashes, slashes, dots.
NUMBER = re.compile(r"(?<![\w])(?:\+|00)?(?:[A-Z]{2}\d{2}[ ]?)?\d(?:[\d \-/().]{5,}\d)(?![\w])")
_MONTHS = ("januar|jänner|februar|märz|maerz|april|mai|juni|juli|august|september|oktober|november|dezember|"
           "january|february|march|may|june|july|october|december|"
           "janvier|février|fevrier|mars|avril|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre|"
           "ocak|şubat|subat|mart|nisan|mayıs|mayis|haziran|temmuz|ağustos|agustos|eylül|eylul|ekim|kasım|kasim|aralık|"
           "январ[яь]|феврал[яь]|марта?|апрел[яь]|ма[яй]|июн[яь]|июл[яь]|августа?|сентябр[яь]|октябр[яь]|ноябр[яь]|"
           "декабр[яь]|січня|лютого|березня|квітня|травня|червня|липня|серпня|вересня|жовтня|листопада|грудня")
DATE = re.compile(rf"(?<!\w)(?:\d{{1,2}}[./-]\d{{1,2}}[./-]\d{{2,4}}|\d{{4}}-\d{{2}}-\d{{2}}|"
                  rf"\d{{1,2}}\.?\s*(?:{_MONTHS})(?:\s+\d{{4}})?)(?!\w)", re.IGNORECASE)
_INTRODUCTIONS = ("ich heiße", "ich heisse", "mein name ist", "my name is", "i am called", "je m'appelle",
                  "je m’appelle", "mon nom est", "меня зовут", "мене звати", "моє ім'я", "benim adım", "adım",
                  "اسمي", "إسمي", "اسم من", "نام من")
_TITLES = ("herr", "herrn", "frau", "mr", "mrs", "ms", "dr", "monsieur", "madame", "mme", "bay", "bayan",
           "господин", "госпожа", "пан", "пані", "السيد", "السيدة", "آقای", "خانم")
# A name: one to three capitalised words, or one or two words in Arabic script (which has no capitals).
_CAPITALISED = r"[A-ZÄÖÜÀ-ÞА-ЯІЇЄҐ][\w'’-]*"
_ARABIC_WORD = r"[\u0600-\u06FF]+"
_NAME = rf"(?:{_CAPITALISED}(?:\s+{_CAPITALISED}){{0,2}}|{_ARABIC_WORD}(?:\s+{_ARABIC_WORD})?)"
NAME_AFTER_INTRODUCTION = re.compile(
    rf"((?i:(?<!\w)(?:{'|'.join(map(re.escape, _INTRODUCTIONS))}))\s+)({_NAME})")
NAME_AFTER_TITLE = re.compile(rf"((?i:(?<!\w)(?:{'|'.join(map(re.escape, _TITLES))}))\.?\s+)({_NAME})")


def anonymise(text: str) -> str:
    """The message with e-mail addresses, long numbers, exact dates and person names replaced."""
    text = EMAIL.sub("[e-mail]", text)
    text = DATE.sub("[date]", text)
    text = NUMBER.sub(lambda m: m.group() if _digits(m.group()) < 7 else "[number]", text)
    for pattern in (NAME_AFTER_INTRODUCTION, NAME_AFTER_TITLE):
        text = pattern.sub(r"\1[name]", text)
    return text


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)
