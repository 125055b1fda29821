"""Personal data with a shape: e-mail addresses, dates, phone and id numbers, case numbers, street addresses.

Each finder returns the spans it found; core/privacy/anonymise.py merges them with the
names and replaces them. The shapes are the ones used in Germany and by the people
who write to the bot, in every script they write in:

* numbers: a run of digit groups and short capital-letter groups joined by spaces,
  dashes, slashes, dots or brackets is an identifier when it has 7 or more digits
  (phones, tax ids, IBANs, account numbers) or 5 or more with a letter or slash in it
  ("12 K 345/23.A", "123/4567"); a single token mixing letters and digits of length
  6 or more is one too (passport, eAT, health insurance, Jobcenter numbers:
  "L01X00T47", "A123456789", "123D456789"); after a label ("Aktenzeichen",
  "Kundennummer", "номер", "رقم", ...) any number of 4 or more digits is one.
  Postcodes (five digits alone), amounts, years, "§ 16g", "B1" stay;
* dates with day and month, numeric or with a month name in the eight languages
  (and the Levantine and Persian month names);
* street addresses: a street word ("-straße", "Str.", "-weg", "Allee", "вулиця",
  "шارع", "خیابان", "Sokak", "rue", ...) with a house number, a prepositional street
  name ("Am Ring 3") before the end of the phrase or a postcode, and a street name
  ending in "-straße" or "-allee" even without a number. Postcode and city stay.

Every pattern starts where its match can only start (a look-behind), so a long
message is scanned in linear time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import NamedTuple

from core.privacy.words import MONTHS, is_place, key, vocabulary


class Found(NamedTuple):
    """A piece of personal data: where it is and what it is ("e-mail", "date", "number", "address", "name")."""

    start: int
    end: int
    kind: str


EMAIL = re.compile(
    r"(?<![\w.+-])[\w.+-]+(?:@|\s?[(\[]at[)\]]\s?)[\w-]+(?:(?:\.|\s?[(\[]dot[)\]]\s?)[\w-]+)+", re.IGNORECASE
)

_MONTHS = (*MONTHS, *["jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"])
_MONTH = "(?:" + "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True)) + ")"
_DAY = r"\d{1,2}(?:\.|st|nd|rd|th|er|-?(?:го|е|ого))?"
_AFTER_MONTH = r"(?:['’][^\W\d_]+)?(?![^\W\d_])"  # "Mart'ta" is a date, "Maigret" is not
DATE = re.compile(
    r"(?<![\w.])(?:"
    r"\d{1,2}\.\s?\d{1,2}\.\s?(?:\d{4}|\d{2})(?![\d.]\d)"  # 03.05.2017, 3. 5. 17
    r"|\d{1,2}[/-]\d{1,2}[/-](?:\d{4}|\d{2})(?!\d)"  # 03/05/2017, 3-5-17
    r"|\d{4}[/.-]\d{1,2}[/.-]\d{1,2}(?!\d)"  # 2025-01-31, ۱۴۰۲/۰۵/۱۲
    r"|\d{1,2}\.\d{1,2}\.(?![\d])"  # 3.5. (no year)
    rf"|{_DAY}\s*(?:of\s+|de\s+)?{_MONTH}{_AFTER_MONTH}(?:\s*,?\s*\d{{4}})?"  # 3. März 2025, 3rd of March
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?!\d)(?:,?\s*\d{{4}})?"  # March 3, 2025
    r")",
    re.IGNORECASE,
)

# Labels after which any number of 4 or more digits is an identifier.
_LABEL_WORDS = frozenset(
    key(w)
    for w in (
        "nr",
        "no",
        "nummer",
        "number",
        "num",
        "id",
        "az",
        "aktenzeichen",
        "geschäftszeichen",
        "zeichen",
        "kennzeichen",
        "ref",
        "reference",
        "referenz",
        "numéro",
        "numero",
        "dossier",
        "номер",
        "numara",
        "numarası",
        "numarasi",
        "رقم",
        "الرقم",
        "شماره",
        "کد",
        "بطاقة",
        "پرونده",
        "ملف",
        "справа",
        "дело",
    )
)
_LABEL_ENDINGS = ("nummer", "nr", "number", "numero", "zeichen", "номер", "numara", "numarası", "numarasi")
_LABEL_REACH = 5  # words between a label and its number ("Kundennummer vom Jobcenter ist 123...")

_PIECE = re.compile(r"[^\W_]+")
_SEPARATOR = re.compile(r"[ \-/.()\u2013]{1,3}")
_UPPER_GROUP = re.compile(r"[A-ZА-ЯІЇЄҐ]{1,3}")
# IBAN: country, check digits, then groups of letters and digits ("GB29 NWBK 6016 1331 9268 19").
_IBAN = re.compile(r"(?<![\w])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![\w])")
_COURT_CASE = re.compile(r"(?<!\w)(?:\d{1,3}\s?)?[A-Z][A-Za-z]{0,2}\s?\d{1,5}/\d{2,4}(?:\.[A-Z]{1,3})?(?!\w)")
MIN_DIGITS = 7
MIN_DIGITS_WITH_LETTER_OR_SLASH = 5
MIN_DIGITS_AFTER_LABEL = 4
MIN_MIXED_TOKEN = 6
_NUMBER_WITH_SUFFIX = re.compile(r"\d+[^\W\d_]+")  # "1990er", "100km", "3te": a number with a word ending


def find_emails(text: str) -> Iterator[Found]:
    """E-mail addresses, also written "name(at)web.de" to fool spam robots."""
    return (Found(m.start(), m.end(), "e-mail") for m in EMAIL.finditer(text))


def find_dates(text: str) -> Iterator[Found]:
    """Dates with a day (birthdays, appointments): a month or a year alone stays."""
    return (Found(m.start(), m.end(), "date") for m in DATE.finditer(text))


def find_numbers(text: str) -> Iterator[Found]:
    """Phone numbers, ids and case numbers: runs of digit and capital-letter groups (see the module doc)."""
    public = vocabulary().public_numbers
    for run, after_label in _runs(text):
        yield from _identifier(text, run, after_label, public)
    for pattern in (_IBAN, _COURT_CASE):
        yield from (Found(m.start(), m.end(), "number") for m in pattern.finditer(text))


def _runs(text: str) -> Iterator[tuple[list[re.Match[str]], bool]]:
    """Runs of id pieces joined by separators, each with whether a label came shortly before it."""
    run: list[re.Match[str]] = []
    run_label = False
    label_until = -1
    for index, piece in enumerate(_PIECE.finditer(text)):
        if run and not (_is_id_piece(piece.group()) and _joins(text, run[-1], piece)):
            yield run, run_label
            run = []
        if _is_id_piece(piece.group()):
            if not run:
                run_label = index <= label_until
            run.append(piece)
        elif _is_label(piece.group()):
            label_until = index + _LABEL_REACH
    if run:
        yield run, run_label


def _joins(text: str, left: re.Match[str], right: re.Match[str]) -> bool:
    """Two pieces of one number: only one to three spaces, dashes, slashes, dots or brackets between them."""
    return _SEPARATOR.fullmatch(text, left.end(), right.start()) is not None


def _is_id_piece(piece: str) -> bool:
    """A piece of an identifier: it has a digit, or it is a group of one to three capitals ("K" in "12 K 345")."""
    return any(c.isdigit() for c in piece) or _UPPER_GROUP.fullmatch(piece) is not None


def _is_label(word: str) -> bool:
    word_key = key(word)
    return word_key in _LABEL_WORDS or word_key.endswith(_LABEL_ENDINGS)


def _identifier(text: str, run: list[re.Match[str]], after_label: bool, public: frozenset[str]) -> Iterator[Found]:
    """The run as one identifier if it is one, else its single mixed letter-digit tokens that are ids."""
    run = _without_trailing_words(text, run)
    digits = "".join(c for piece in run for c in piece.group() if c.isdigit())
    if not digits or digits in public:
        return
    start, end = run[0].start(), run[-1].end()
    has_letter = any(c.isalpha() for piece in run for c in piece.group())
    if (
        len(digits) >= MIN_DIGITS
        or (len(digits) >= MIN_DIGITS_WITH_LETTER_OR_SLASH and (has_letter or "/" in text[start:end]))
        or (after_label and len(digits) >= MIN_DIGITS_AFTER_LABEL)
    ):
        yield Found(_with_plus(text, start), end, "number")
        return
    for piece in run:
        if _is_mixed_id(piece.group()):
            yield Found(piece.start(), piece.end(), "number")


def _without_trailing_words(text: str, run: list[re.Match[str]]) -> list[re.Match[str]]:
    """Drop capital-letter groups after a space at the end ("0176 1234567. I ..."); "345/23.A" keeps its A."""
    while (
        len(run) > 1 and not any(c.isdigit() for c in run[-1].group()) and " " in text[run[-2].end() : run[-1].start()]
    ):
        run = run[:-1]
    return run


def _with_plus(text: str, start: int) -> int:
    """The start of a phone number including its "+" (the country code shows where someone is from)."""
    return start - 1 if start and text[start - 1] == "+" else start


def _is_mixed_id(token: str) -> bool:
    """A token of letters and digits that is an id ("A123456789", "L01X00T47"), not "B1" or "1990er"."""
    digits = sum(c.isdigit() for c in token)
    return (
        len(token) >= MIN_MIXED_TOKEN
        and digits >= 2
        and len(token) > digits
        and _NUMBER_WITH_SUFFIX.fullmatch(token) is None
    )


# --- street addresses ----------------------------------------------------------------------------------------
# A house number: up to three digits (years and amounts have more), a letter, a range ("12-14", "5/1").
_HOUSE = r"\d{1,3}(?:\s?[a-zA-Z](?![^\W\d_]))?(?:\s?[-/]\s?\d{1,3}[a-zA-Z]?)?(?!\d)"
_STREET_ENDINGS = (
    "straße|strasse|str\\.?|weg|allee|platz|ring|gasse|damm|ufer|chaussee|pfad|steig|stieg|markt|"
    "graben|wall|kamp|twiete|promenade|hof|berg|feld|tor|brücke|bruecke|garten|park|anger|grund|"
    "hang|höhe|hoehe|heide|siedlung|zeile|bogen|blick|dorf|busch|wiese|aue|kai"
)
# Up to two capitalised words before a street word ("Gladbecker Str.", "Karl-Marx-Allee"); the ones that are
# ordinary words ("Ich", "J'habite", "Bochum'da") are cut off again by _street_name_start.
_LEAD = r"(?P<lead>(?:[A-ZÄÖÜÇĞİŞ][\w'’-]*\.?\s+){0,2})"
_LATIN_STREET = re.compile(rf"(?<![\w-]){_LEAD}[\w-]*?(?i:{_STREET_ENDINGS})(?![^\W\d_])\.?,?\s*(?i:nr\.?\s*)?{_HOUSE}")
_STREET_WITHOUT_NUMBER = re.compile(r"(?<![\w-])[A-ZÄÖÜ][\w-]*?(?:stra(?:ß|ss)e|str\.|allee|gasse|chaussee)(?!\w)")
_PREPOSITION_STREET = re.compile(
    r"(?<![\w-])(?:Am|An\s+der|An\s+den|Auf\s+dem|Auf\s+der|Im|In\s+der|In\s+den|Zum|Zur|Unter\s+den|"
    r"Hinter\s+dem|Hinter\s+der|Vor\s+dem|Beim|Bei\s+der)\s+[A-ZÄÖÜ][\w'’-]+"
    rf"(?:\s+[A-ZÄÖÜ][\w'’-]+)?\s+{_HOUSE}"
    r"(?=\s*(?:[,;)]|$|\.(?:\s|$)|\s(?:in|bei|im|\d{5})\b|\s[^\x00-\u024f]))"
)  # or text in another script
# Capitalised words with a house number right before a postcode: "Hauptstr 5a, 12345".
_BEFORE_POSTCODE = re.compile(rf"(?<![\w-]){_LEAD}[A-ZÄÖÜ][\w'’-]*\.?\s+{_HOUSE}(?=,?\s+\d{{5}}(?!\d))")
# A street type that stays in the text ("ул.", "вулиця", "شارع", "خیابان"), then the name and number that go.
_STREET_TYPE_FIRST = re.compile(
    r"(?<![\w-])(?i:ул\.|улица|вул\.|вулиця|пр\.|просп\.|проспект|переулок|пер\.|провулок|площадь|площа|бульвар|"
    r"б-р|шоссе|шосе|شارع|خیابان|خيابان|کوچه|كوچه|بلوار|زقاق)\s*(?P<street>(?:[\w'’-]+\s+){0,3}"
    r"(?:پلاک\s*|رقم\s*|№\s*)?" + _HOUSE + ")"
)
# German street names written in Cyrillic or Arabic letters: "Мюнстерштрассе 9", "موستر شتراسه 12".
_TRANSLITERATED_STREET = re.compile(
    r"(?<![\w-])(?P<lead>(?:[\w'’-]+\s+)?)[\w-]*"
    r"(?i:штрассе|штрасе|штр\.|аллее|алее|плац|вег|ринг|гассе|شتراسه|شتراسة|شتراس|اشتراسه|شترازه|ستراسه|ستراسة)"
    r"\.?\s*(?:پلاک\s*|رقم\s*)?" + _HOUSE
)
_HOUSE_NUMBER_WORD = re.compile(r"(?<![\w])پلاک\s*" + _HOUSE)  # Persian "plate": the house number
_TURKISH_STREET = re.compile(
    rf"(?<![\w-]){_LEAD}(?i:sokak|sokağı|sokagi|sok\.|sk\.|cadde|caddesi|cad\.|cd\.|bulvarı|bulvari)"
    r"\s*(?i:no\s*[:.]?\s*)?" + _HOUSE
)
_NUMBER_FIRST_STREET = re.compile(
    rf"(?<![\w-]){_HOUSE},?\s+(?:"
    r"(?i:rue|avenue|av\.|boulevard|bd|allée|chemin|impasse|quai|place)"
    r"(?:\s+(?:de|du|des|la|le|l['’]|d['’])?\s*[\w'’-]+){1,2}"
    r"|(?:[A-Z][\w'’-]*\s+){1,2}(?i:street|st\.|road|rd\.|avenue|ave\.|lane|way|drive))"
)
_STREET_PATTERNS = (
    _LATIN_STREET,
    _STREET_WITHOUT_NUMBER,
    _PREPOSITION_STREET,
    _BEFORE_POSTCODE,
    _STREET_TYPE_FIRST,
    _TRANSLITERATED_STREET,
    _HOUSE_NUMBER_WORD,
    _TURKISH_STREET,
    _NUMBER_FIRST_STREET,
)
# Words that begin street names ("Alte Landstraße", "Am Ring", "Zum Hafen"); other common words are no part of one.
_STREET_NAME_WORDS = frozenset(
    key(w)
    for w in (
        "alte",
        "alter",
        "alten",
        "neue",
        "neuer",
        "neuen",
        "große",
        "großer",
        "kleine",
        "kleiner",
        "hohe",
        "hoher",
        "lange",
        "langer",
        "obere",
        "untere",
        "breite",
        "kurze",
        "mittlere",
        "schöne",
        "grüne",
        "rote",
        "weiße",
        "am",
        "an",
        "im",
        "in",
        "zum",
        "zur",
        "auf",
        "unter",
        "hinter",
        "vor",
        "bei",
        "beim",
    )
)
_WORD_AND_SPACE = re.compile(r"\S+\s+")


def find_addresses(text: str) -> Iterator[Found]:
    """Street addresses, from where the street name begins (see _street_name_start) to the house number."""
    for pattern in _STREET_PATTERNS:
        for match in pattern.finditer(text):
            start = _street_name_start(match)
            yield Found(start, match.end(), "address")


def _street_name_start(match: re.Match[str]) -> int:
    """Where the street name begins: after a kept street type ("ул."), and after common words before it."""
    groups = match.groupdict()
    if groups.get("street") is not None:
        return match.start("street")
    if not groups.get("lead"):
        return match.start()
    start = match.start("lead")
    for word in _WORD_AND_SPACE.finditer(match.group("lead")):
        if not _ordinary_word(word.group().strip()):
            break
        start = match.start("lead") + word.end()
    return start


def _ordinary_word(word: str) -> bool:
    """A common word or a place that is not part of a street name ("Ich", "J'habite", "Bochum'da")."""
    words = vocabulary()
    word_key = key(word.rstrip("."))
    if word_key in _STREET_NAME_WORDS or (word_key.endswith("er") and not word_key.endswith("'er")):
        return False
    return word_key in words.common or word_key.split("'")[-1] in words.common or is_place(words, word_key)


FINDERS: tuple[Callable[[str], Iterator[Found]], ...] = (find_emails, find_dates, find_numbers, find_addresses)
