"""Find where a person lives in a free-text answer: a known city and/or a German postcode.

Used for the handover question "where do you live?". The cities are the ones the
services in knowledge/services cover (`region: {cities: [...], postcodes: [...]}`);
how they are written in the eight languages comes from core/handover/city_names.yml.

    finder = place_finder(knowledge)           # built once per set of cities, cached
    finder.find("Я живу в Дуйсбурге")          # Place(city='duisburg', postcode=None, ...)
    finder.find("47053")                       # Place(city='duisburg', postcode='47053', ...)

A spaCy blank multi-language pipeline does the work: its tokenizer (with a few
extra splits such as "PLZ:47053"), a small component that reduces inflected
city names to their base form ("Дуйсбурге", "Dortmund'ta", "بدويسبورغ" ->
the name), and an EntityRuler with one phrase pattern per name (matched on that
base form) and a token pattern for five-digit numbers. Postcode candidates that
are part of a phone number, an amount or a longer number are dropped afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import spacy
from ruamel.yaml import YAML
from spacy.language import Language
from spacy.pipeline import EntityRuler
from spacy.tokens import Doc, Span, Token
from spacy.util import compile_infix_regex

from core.text_normalisation import fold

if TYPE_CHECKING:
    from core.knowledge.base import KnowledgeBase

CITY_NAMES_FILE = Path(__file__).with_name("city_names.yml")

CITY_LABEL = "CITY"
POSTCODE_LABEL = "POSTCODE"
_NORMALISER = "lotse_place_normaliser"

# spaCy keeps every token string it has seen; a long-running action server would
# slowly grow. The pipeline is rebuilt (a few ms) once it has seen this many strings.
_MAX_STRINGS = 200_000

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_POSTCODE = re.compile(r"^(?!00)\d{5}$")  # German postcodes run from 01001 to 99998
_HOUSE_NUMBER = re.compile(r"^[1-9]\d{0,3}[a-zA-Z]?$")
_APOSTROPHES = re.compile(r"['’ʼ`´‘]")
_ARABIC_LETTERS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "ة": "ه", "ۀ": "ه"})

# Endings a city name takes, after fold() (so ı stays, ş -> s, й -> и, ї -> і).
_TURKISH_CASES = (
    "da",
    "de",
    "ta",
    "te",
    "dan",
    "den",
    "tan",
    "ten",
    "a",
    "e",
    "ya",
    "ye",
    "ı",
    "i",
    "u",
    "yı",
    "yi",
    "yu",
    "nın",
    "nin",
    "nun",
    "ın",
    "in",
    "un",
    "la",
    "le",
    "yla",
    "yle",
    "daki",
    "deki",
    "taki",
    "teki",
    "lı",
    "li",
    "lu",
)
_TURKISH_COPULA = ("yım", "yim", "yum", "ım", "im", "um")
_LATIN_SUFFIXES = frozenset(
    ("s",)  # German genitive: "Duisburgs"
    + _TURKISH_CASES
    + tuple(case + cop for case in ("da", "de", "ta", "te", "lı", "li", "lu") for cop in _TURKISH_COPULA)
)
_CYRILLIC_SUFFIXES = frozenset(("а", "я", "у", "ю", "е", "і", "и", "ы", "ом", "ем", "ой", "ою", "ові", "еві"))
_ARABIC_SUFFIXES = frozenset(("ی", "م", "ام"))
_ARABIC_PREFIXES = ("وب", "ول", "فب", "فل", "و", "ب", "ل", "ف")
_STEM_ENDINGS = frozenset("ьиаяо")  # a Cyrillic name ending in one of these drops it before the case ending

# Words before an ambiguous name that show it is a place ("in Essen", "aus Essen").
_PLACE_WORDS = frozenset(
    fold(w)
    for w in (
        "in",
        "im",
        "aus",
        "nach",
        "bei",
        "von",
        "nahe",
        "stadt",
        "from",
        "near",
        "to",
        "at",
        "city",
        "à",
        "a",
        "de",
        "d",
        "près",
        "ville",
        "в",
        "во",
        "у",
        "из",
        "із",
        "з",
        "до",
        "под",
        "під",
        "город",
        "місто",
        "في",
        "من",
        "الى",
        "إلى",
        "مدينة",
        "در",
        "از",
        "به",
        "نزدیک",
        "شهر",
    )
)

# Tokens next to a five-digit number that make it something other than a postcode.
_NOT_POSTCODE_NEIGHBOURS = frozenset(
    fold(w)
    for w in (
        "€",
        "$",
        "eur",
        "euro",
        "euros",
        "dollar",
        "tl",
        "lira",
        "евро",
        "євро",
        "грн",
        "руб",
        "يورو",
        "یورو",
        "tel",
        "telefon",
        "telefonnummer",
        "phone",
        "fax",
        "mobil",
        "handy",
        "nr",
        "nummer",
        "number",
        "no",
        "numara",
        "numarasi",
        "numero",
        "номер",
        "телефон",
        "رقم",
        "هاتف",
        "شماره",
        "تلفن",
        "km",
        "qm",
        "m²",
        "kg",
    )
)


@dataclass(frozen=True)
class Place:
    """Where someone said they live.

    city: canonical city id as in knowledge/services ("duisburg"), or None when no
      known city was named (or several were and the postcode does not decide).
    postcode: the five-digit German postcode, if one was given.
    candidates: every known city named in the text, in order (lets the bot ask
      "Dortmund or Bochum?" when `city` is None but there are several).
    """

    city: str | None
    postcode: str | None
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True)
class CityNames:
    """Spellings of one city (see city_names.yml)."""

    by_language: Mapping[str, tuple[str, ...]]
    ambiguous: Mapping[str, tuple[str, ...]]


def _key(text: str) -> str:
    """How a token is compared: folded, Eastern digits as ASCII, Arabic/Persian letter variants unified."""
    return fold(text).translate(_DIGITS).translate(_ARABIC_LETTERS)


def _latin_variants(name: str) -> set[str]:
    """'muelheim an der ruhr' -> also 'mulheim an der ruhr' (and the reverse), since fold('Mülheim') == 'mulheim'."""
    variants = {name}
    for umlaut, spelled in (("u", "ue"), ("o", "oe"), ("a", "ae")):
        variants |= {v.replace(spelled, umlaut) for v in variants}
    return variants


@lru_cache(maxsize=4)
def load_city_names(path: Path = CITY_NAMES_FILE) -> dict[str, CityNames]:
    """City id -> its spellings, from city_names.yml (empty when the file is missing)."""
    if not path.is_file():
        return {}
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
    table: dict[str, CityNames] = {}
    for city, spec in data.items():
        spec = spec or {}
        names = {lang: tuple(str(n) for n in (value or ())) for lang, value in spec.items() if lang != "ambiguous"}
        ambiguous = {
            lang: tuple(str(n) for n in (value or ())) for lang, value in (spec.get("ambiguous") or {}).items()
        }
        table[str(city)] = CityNames(names, ambiguous)
    return table


class _NameIndex:
    """Base forms of every token of every city name, and how to reduce an inflected token to one."""

    def __init__(self, name_tokens: Iterable[str]) -> None:
        self.tokens = frozenset(name_tokens)
        # Cyrillic names ending in -ь/-й/-а lose it before a case ending: "Кельн" -> "Кельне".
        self.stems = {t[:-1]: t for t in self.tokens if len(t) > 4 and t[-1] in _STEM_ENDINGS and _is_cyrillic(t)}

    def base(self, key: str) -> tuple[str | None, bool]:
        """(base name token, inflected?) for a token key, or (None, False) when it is not a city name."""
        if key in self.tokens:
            return key, False
        if len(key) < 4:
            return None, False
        parts = _APOSTROPHES.split(key)
        if len(parts) > 1:  # Turkish "duisburg'da", English "bochum's", French "d'essen"
            for part in (parts[0], parts[-1]):
                if part in self.tokens:
                    return part, True
            return None, False
        base = self._strip_suffix(key)
        if base:
            return base, True
        if _is_arabic(key):
            for prefix in _ARABIC_PREFIXES:
                if key.startswith(prefix) and len(key) - len(prefix) >= 3:
                    rest = key[len(prefix) :]
                    base = rest if rest in self.tokens else self._strip_suffix(rest)
                    if base:
                        return base, True
        return None, False

    def _strip_suffix(self, key: str) -> str | None:
        suffixes = _CYRILLIC_SUFFIXES if _is_cyrillic(key) else _ARABIC_SUFFIXES if _is_arabic(key) else _LATIN_SUFFIXES
        for length in range(min(6, len(key) - 3), 0, -1):
            if key[-length:] not in suffixes:
                continue
            stem = key[:-length]
            if stem in self.tokens and len(stem) >= 4:
                return stem
            if stem in self.stems:
                return self.stems[stem]
        return None


def _is_cyrillic(text: str) -> bool:
    return "\u0400" <= text[0] <= "\u04ff"


def _is_arabic(text: str) -> bool:
    return "\u0600" <= text[0] <= "\u06ff"


@Language.factory(_NORMALISER)
def _make_normaliser(nlp: Language, name: str) -> _Normaliser:
    return _Normaliser()


class _Normaliser:
    """Sets token.norm_ of every city-name token (also inflected) to its base form, for the EntityRuler."""

    def __init__(self) -> None:
        self.index = _NameIndex(())

    def __call__(self, doc: Doc) -> Doc:
        inflected = set()
        for token in doc:
            if token.is_punct or token.is_space or token.like_num:
                continue
            base, was_inflected = self.index.base(_key(token.text))
            if base is not None:
                token.norm_ = base  # always a string spaCy already knows: no growth per message
                if was_inflected:
                    inflected.add(token.i)
        doc.user_data["lotse_inflected"] = inflected
        return doc


def _make_pipeline(patterns: list[dict], name_tokens: set[str]) -> Language:
    nlp = spacy.blank("xx")
    assert nlp.Defaults.infixes is not None  # spaCy's defaults for "xx" have them
    # Also split "PLZ:47053", "47053,Duisburg", "D-47053" so the postcode is a token of its own.
    infixes = list(nlp.Defaults.infixes) + [
        r"(?<=[^\W\d_])[:,;](?=\d)",
        r"(?<=\d)[:,;](?=[^\W\d_])",
        r"(?<=\b[A-Za-z])-(?=\d)",
    ]
    # spaCy types its tokenizer as a plain callable; it is a Tokenizer (a compiled module without stubs)
    nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer  # type: ignore[union-attr]
    normaliser = nlp.add_pipe(_NORMALISER)
    assert isinstance(normaliser, _Normaliser)  # add_pipe gives the component, typed only as a callable
    normaliser.index = _NameIndex(name_tokens)
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "NORM"})
    assert isinstance(ruler, EntityRuler)
    ruler.add_patterns(patterns + [{"label": POSTCODE_LABEL, "pattern": [{"TEXT": {"REGEX": r"^\d{5}$"}}]}])
    return nlp


class PlaceFinder:
    """Finds known cities and postcodes in messages. Build it once (`place_finder`); `find` takes well under 1 ms."""

    def __init__(self, cities: Mapping[str, Sequence[str]], names: Mapping[str, CityNames] | None = None) -> None:
        """cities: city id -> postcode prefixes of the services there (may be empty).

        names: spellings per city id; defaults to core/handover/city_names.yml. Every city is also
        found by its Latin name derived from the id.
        """
        names = load_city_names() if names is None else names
        self.cities: tuple[str, ...] = tuple(sorted(cities))
        self._prefixes: dict[str, set[str]] = {}
        for city, prefixes in cities.items():
            for prefix in prefixes:
                self._prefixes.setdefault(str(prefix), set()).add(city)
        self._display: dict[str, dict[str, str]] = {}
        self._ambiguous: dict[str, set[str]] = {}  # language -> names marked ambiguous in city_names.yml
        self._texts: list[tuple[str, str]] = []  # (city, spelling) for the patterns
        for city in self.cities:
            spec = names.get(city, CityNames({}, {}))
            self._display[city] = {lang: spelled[0] for lang, spelled in spec.by_language.items() if spelled}
            spellings = {n for spelled in spec.by_language.values() for n in spelled}
            spellings |= _latin_variants(re.sub(r"[_\-]+", " ", city))
            for spelling in sorted(spellings):
                self._texts.append((city, spelling))
            for lang, spelled in spec.ambiguous.items():
                self._ambiguous.setdefault(lang, set()).update(spelled)
        self._build()

    def _build(self) -> None:
        probe = spacy.blank("xx")
        patterns, name_tokens = [], set()
        for city, spelling in self._texts:
            keys = [_key(t.text) for t in probe(spelling) if not t.is_space]
            name_tokens |= {k for k in keys if k and not all(c in "-.'’" for c in k)}
            patterns.append({"label": CITY_LABEL, "pattern": spelling, "id": city})
        self._nlp = _make_pipeline(patterns, name_tokens)
        self._ambiguous_keys = {
            lang: {tuple(_key(t.text) for t in self._nlp(n)) for n in spelled}
            for lang, spelled in self._ambiguous.items()
        }

    def city_for_postcode(self, postcode: str) -> str | None:
        """The city whose services' longest matching postcode prefix covers `postcode` (None if none or several)."""
        for length in range(len(postcode), 0, -1):
            owners = self._prefixes.get(postcode[:length])
            if owners:
                return next(iter(owners)) if len(owners) == 1 else None
        return None

    def display_name(self, city: str, language: str | None = None) -> str:
        """How to write the city in a reply: the first spelling in that language, else German, else from the id."""
        shown = self._display.get(city, {})
        return shown.get(language or "de") or shown.get("de") or city.replace("_", " ").title()

    def find(self, text: str, language: str | None = None) -> Place | None:
        """The place named in `text`, or None when it names no known city and no postcode.

        language: the user's language (or None). Matching is otherwise language-independent,
        since people write city names in Latin letters whatever their language; the language
        decides where names marked ambiguous in city_names.yml need a place word around them.
        """
        if not text or not text.strip():
            return None
        if len(self._nlp.vocab.strings) > _MAX_STRINGS:
            self._build()
        doc = self._nlp(text.translate(_DIGITS))
        named: list[str] = []
        postcode: str | None = None
        for span in doc.ents:
            if span.label_ == POSTCODE_LABEL:
                if postcode is None and _is_postcode(span):
                    postcode = span.text
            elif span.label_ == CITY_LABEL and self._accept_city(span, language) and span.ent_id_ not in named:
                named.append(span.ent_id_)
        if not named and postcode is None:
            return None
        by_postcode = self.city_for_postcode(postcode) if postcode else None
        city = by_postcode or (named[0] if len(named) == 1 else None)
        return Place(city=city, postcode=postcode, candidates=tuple(named))

    def _accept_city(self, span: Span, language: str | None) -> bool:
        languages = self._ambiguous if language is None else {language: None}
        key = tuple(_key(t.text) for t in span)
        if not any(key in self._ambiguous_keys.get(lang, ()) for lang in languages):
            return True
        doc = span.doc
        if any(t.i in doc.user_data.get("lotse_inflected", ()) for t in span):
            return True
        words = [t for t in doc if not (t.is_punct or t.is_space)]
        if len(words) == len(span):
            return True  # the whole message is the name
        before = doc[span.start - 1] if span.start > 0 else None
        after = doc[span.end] if span.end < len(doc) else None
        return (before is not None and (_key(before.text) in _PLACE_WORDS or bool(_POSTCODE.match(before.text)))) or (
            after is not None and bool(_POSTCODE.match(after.text))
        )


def _is_postcode(span: Span) -> bool:
    """A five-digit token that is not part of a phone number, an amount or a longer number."""
    if not _POSTCODE.match(span.text):
        return False
    doc, i = span.doc, span.start
    for step in (-1, 1):
        j = i + step
        # Skip one separator ("Tel.: 23125", "0203 / 23125", "23125-501") and look at what is behind it.
        while 0 <= j < len(doc) and doc[j].text in (".", ":", "-", "/", "–") and abs(j - i) < 3:
            if doc[j].text in ("-", "/", "–") and 0 <= j + step < len(doc) and _has_digit(doc[j + step]):
                return False
            j += step
        if not 0 <= j < len(doc):
            continue
        neighbour = doc[j]
        if _key(neighbour.text) in _NOT_POSTCODE_NEIGHBOURS:
            return False
        if abs(j - i) == 1 and (_has_digit(neighbour) or neighbour.text.startswith("+")):
            if step == -1 and _is_house_number(doc, j):
                continue  # "Musterstraße 1 47053 Duisburg"
            return False  # "+49 30 23125 501", "23125 501"
    return True


def _is_house_number(doc: Doc, j: int) -> bool:
    """doc[j] is a house number ("1", "12a") right after a word, not a group of a phone number ("030", "+49 30")."""
    if not _HOUSE_NUMBER.match(doc[j].text) or j == 0:
        return False
    street = doc[j - 2] if doc[j - 1].text == "." and j > 1 else doc[j - 1]  # "Musterstr. 1"
    return street.is_alpha and _key(street.text) not in _NOT_POSTCODE_NEIGHBOURS


def _has_digit(token: Token) -> bool:
    return any(c.isdigit() for c in token.text)


def cities_of(knowledge: KnowledgeBase) -> dict[str, tuple[str, ...]]:
    """City id -> sorted postcode prefixes, over all local (non-national) services."""
    found: dict[str, set[str]] = {}
    for service in knowledge.services.values():
        if service.national:
            continue
        for city in service.cities:
            found.setdefault(str(city), set()).update(service.postcodes)
    return {city: tuple(sorted(prefixes)) for city, prefixes in sorted(found.items())}


@lru_cache(maxsize=4)
def _cached_finder(cities: tuple[tuple[str, tuple[str, ...]], ...]) -> PlaceFinder:
    return PlaceFinder(dict(cities))


def place_finder(knowledge: KnowledgeBase) -> PlaceFinder:
    """The PlaceFinder for the cities of `knowledge`, built once per distinct set of cities and prefixes."""
    return _cached_finder(tuple(cities_of(knowledge).items()))
