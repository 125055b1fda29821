"""The word lists the anonymiser decides with: common words, person names and place names.

No named-entity model for the bot's eight languages ships on PyPI, so names are
told apart from ordinary words by vocabulary (see core/privacy/names.py):

* common words: every word of the project's own texts (knowledge/ and locales/, in
  all eight languages; they hold no personal data), months and weekdays, and the word
  forms of spaCy's lemma tables (spacy-lookups-data) for German and English (the
  tables of the other languages are too large to load or hold no more than names).
  The lemma tables also hold person names (they were built from corpora), so a word
  that is also a person name counts as common only if the project's texts use it;
* person names: the first and last names Faker (a PyPI package) ships for the
  countries most newcomers in Germany come from and for Germany itself, in their
  own scripts, the Cyrillic ones also in Latin letters ("Olena" in German forms);
* place names: countries, German cities and states from Faker, and the cities the
  bot serves (core/handover/city_names.yml), so "Essen" or "Syrien" are kept;
* public numbers: the numbers the bot's own texts publish (hotlines) are no one's.

Everything is compared by `key()`: lower case, no accents ("ß" = "ss"), Arabic and
Persian letter variants unified. The lists are built once per process (two to four
seconds, about 150 MB) and kept; knowledge edits reach them at the next start.
"""

from __future__ import annotations

import gzip
import importlib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import spacy_lookups_data
import yaml

from core import config

# The cities the bot serves, in its eight languages (read here without core.handover.places, which loads spaCy).
CITY_NAMES_FILE = config.ROOT / "core" / "handover" / "city_names.yml"

# Where most people who ask the bot come from, and German-speaking countries: Faker's person-name locales.
NAME_LOCALES = (
    "de_DE",
    "de_AT",
    "de_CH",
    "en_GB",
    "en_US",
    "en_PK",
    "fr_FR",
    "ar_AA",
    "ar_PS",
    "ar_SA",
    "ar_DZ",
    "fa_IR",
    "tr_TR",
    "az_AZ",
    "ru_RU",
    "uk_UA",
    "pl_PL",
    "ro_RO",
    "bg_BG",
    "hr_HR",
    "ka_GE",
    "hy_AM",
    "en_NG",
    "yo_NG",
    "ig_NG",
    "ha_NG",
    "tw_GH",
    "en_KE",
    "sw",
)
# Countries in these languages; cities and states of Germany only (other countries' towns are often surnames too).
COUNTRY_LOCALES = ("de_DE", "en_US", "fr_FR", "ru_RU", "uk_UA", "fa_IR")
MIN_NAME_LENGTH = 3  # two-letter "names" (Al, Ay, Su) are far more often words or parts of words
MIN_PUBLIC_NUMBER_DIGITS = 4
MIN_DECLINED_FORMS = 2
MIN_LOG_PROBABILITY = -13.0  # about the 30,000 most frequent German words; rare surnames are far below
# Case endings of place names (after key()): Turkish, German genitive, Russian and Ukrainian.
_PLACE_ENDINGS = (
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
    "i",
    "u",
    "yi",
    "yu",
    "nin",
    "nun",
    "in",
    "un",
    "la",
    "le",
    "daki",
    "deki",
    "taki",
    "teki",
    "li",
    "lu",
    "s",
    "а",
    "я",
    "у",
    "ю",
    "е",
    "і",
    "и",
    "ы",
    "ом",
    "ем",
    "ой",
    "ою",
    "ові",
    "еві",
)
MIN_PLACE_STEM = 4
_VOWELS = frozenset("aeiouаяеиіоуюыь")

MONTHS = tuple(
    (
        # German, English, French, Turkish
        "januar jänner februar märz maerz april mai juni juli august september oktober november dezember "
        "january february march may june july october december "
        "janvier février fevrier mars avril juin juillet août aout septembre octobre novembre décembre decembre "
        "ocak şubat subat mart nisan mayıs mayis haziran temmuz ağustos agustos eylül eylul ekim kasım kasim "
        "aralık aralik "
        # Russian and Ukrainian (the genitive, used in dates) and the nominative
        "января февраля марта апреля мая июня июля августа сентября октября ноября декабря "
        "январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь "
        "січня лютого березня квітня травня червня липня серпня вересня жовтня листопада грудня "
        "січень лютий березень квітень травень червень липень серпень вересень жовтень листопад грудень "
        # Arabic (Egyptian/Gulf and Levantine names) and Persian (Gregorian and Solar Hijri)
        "يناير فبراير مارس أبريل إبريل ابريل مايو يونيو يوليو أغسطس اغسطس سبتمبر أكتوبر اكتوبر نوفمبر ديسمبر "
        "شباط آذار اذار نيسان أيار ايار حزيران تموز آب اب أيلول ايلول تشرين كانون "
        "ژانویه فوریه آوریل مه ژوئن ژوئیه اوت سپتامبر اکتبر نوامبر دسامبر "
        "فروردین اردیبهشت خرداد تیر مرداد شهریور مهر آبان آذر دی بهمن اسفند"
    ).split()
)
WEEKDAYS = tuple(
    [
        "montag",
        "dienstag",
        "mittwoch",
        "donnerstag",
        "freitag",
        "samstag",
        "sonnabend",
        "sonntag",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "lundi",
        "mardi",
        "mercredi",
        "jeudi",
        "vendredi",
        "samedi",
        "dimanche",
        "pazartesi",
        "salı",
        "sali",
        "çarşamba",
        "carsamba",
        "perşembe",
        "persembe",
        "cuma",
        "cumartesi",
        "pazar",
        "понедельник",
        "вторник",
        "среда",
        "среду",
        "четверг",
        "пятница",
        "пятницу",
        "суббота",
        "субботу",
        "воскресенье",
        "понеділок",
        "вівторок",
        "середа",
        "середу",
        "четвер",
        "п'ятниця",
        "п'ятницю",
        "субота",
        "суботу",
        "неділя",
        "неділю",
        "الاثنين",
        "الإثنين",
        "الثلاثاء",
        "الأربعاء",
        "الخميس",
        "الجمعة",
        "السبت",
        "الأحد",
        "دوشنبه",
        "سه\u200cشنبه",
        "چهارشنبه",
        "پنجشنبه",
        "پنج\u200cشنبه",
        "جمعه",
        "شنبه",
        "یکشنبه",
    ]
)


def _folding_table() -> dict[int, str]:
    """Lower-case letter -> its plain form: accents and marks off, Arabic/Persian letter variants unified.

    A translation table rather than Unicode decomposition, so that a million words are keyed in well under
    a second; the same table keys the messages, so both sides always agree.
    """
    table: dict[int, str] = {}
    for code in range(0xC0, 0x250):
        plain = "".join(c for c in unicodedata.normalize("NFKD", chr(code)) if not unicodedata.combining(c))
        if plain and plain != chr(code) and plain.isascii():
            table[code] = plain.lower()
    table.update(
        {
            ord(k): v
            for k, v in {
                "ß": "ss",
                "ı": "i",
                "’": "'",
                "ʼ": "'",
                "`": "'",
                "´": "'",
                "ø": "o",
                "æ": "ae",
                "œ": "oe",
                "đ": "d",
                "ł": "l",
                "й": "и",
                "ё": "е",
                "ї": "і",
                "أ": "ا",
                "إ": "ا",
                "آ": "ا",
                "ٱ": "ا",
                "ؤ": "و",
                "ئ": "ی",
                "ي": "ی",
                "ى": "ی",
                "ك": "ک",
                "ة": "ه",
                "ۀ": "ه",
            }.items()
        }
    )
    table.update({code: "" for code in (0x0307, 0x0640, *range(0x064B, 0x0660), 0x0670)})  # dot of İ, tatweel, harakat
    return table


_FOLDING = _folding_table()
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PHONE_LIKE = re.compile(r"\+?\d[\d /()-]*\d")
WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")  # letters, joined by apostrophes or hyphens
# Ukrainian and Russian letters in Latin, the way names are written in passports and German forms.
_CYRILLIC_TO_LATIN = str.maketrans(
    {
        "а": "a",
        "б": "b",
        "в": "v",
        "г": "h",
        "ґ": "g",
        "д": "d",
        "е": "e",
        "є": "ie",
        "ж": "zh",
        "з": "z",
        "и": "y",
        "і": "i",
        "ї": "i",
        "й": "i",
        "к": "k",
        "л": "l",
        "м": "m",
        "н": "n",
        "о": "o",
        "п": "p",
        "р": "r",
        "с": "s",
        "т": "t",
        "у": "u",
        "ф": "f",
        "х": "kh",
        "ц": "ts",
        "ч": "ch",
        "ш": "sh",
        "щ": "shch",
        "ь": "",
        "ю": "iu",
        "я": "ia",
        "ё": "e",
        "ы": "y",
        "э": "e",
        "ъ": "",
    }
)
# Russian romanisation differs in a few letters (г = g, и = i); both spellings are in use.
_RUSSIAN_DIFFERENCES = str.maketrans({"г": "g", "и": "i", "й": "y", "ю": "yu", "я": "ya", "х": "kh"})


def key(word: str) -> str:
    """How words are compared: lower-case, without accents, Arabic/Persian letter variants unified."""
    return word.lower().translate(_FOLDING)


@dataclass(frozen=True)
class Vocabulary:
    """The word lists, as keys.

    common: words of the project's texts and of the lemma tables that are not also first names; months
      and weekdays.
    german: the German lemma table's words and the German words of the project's texts, for compounds
      ("kita" + "platz", "sommer" + "ferien").
    lowercase: frequent German words that the lemma table writes in lower case (verbs, adjectives: "klein",
      "will"; not the rare verb form "ahmet"): written so they are no name, even if someone is called so.
    names: person names that are no common word ("mariam", "petrenko", "olga").
    any_names: every person name, also those that are words ("koch", "will", "rose").
    places: countries, German cities and states, and the cities the bot serves; place_stems: those
      ending in a vowel without it, for inflected forms ("україн-у", "германи-и").
    public_numbers: the digits of every number in knowledge/ (hotlines, office numbers): not personal.
    """

    common: frozenset[str]
    german: frozenset[str]
    lowercase: frozenset[str]
    names: frozenset[str]
    any_names: frozenset[str]
    places: frozenset[str]
    place_stems: frozenset[str]
    public_numbers: frozenset[str]


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """The lists, built once: the project's texts and the installed packages do not change while it runs."""
    project = frozenset(_keys((*_project_words(), *MONTHS, *WEEKDAYS)))  # a month or weekday is never a name
    any_names = frozenset(n for n in _keys(_person_names()) if len(n) >= MIN_NAME_LENGTH)
    first_names = frozenset(_keys(_person_names(("first_names", "middle_names"))))
    german, english = _LemmaTable("de"), _LemmaTable("en")
    # A declined or inflected word that is someone's surname ("Schüler", "Sommer", "Koch", "banks") is a word
    # unless a cue or a first name makes it a name ("Frau Koch", "Anna Koch"). The tables also hold plain
    # surnames ("Schmidt", "Hoffmann") and first names ("Olga"): those stay names.
    names = any_names - project - ((german.inflected() | english.inflected()) - first_names)
    german_words = german.keys() | frozenset(_keys(_german_project_words()))
    frequent = _frequent_german()
    places = frozenset(_keys(_place_names(any_names)))
    return Vocabulary(
        common=project | ((german_words | english.keys()) - names) | (frequent - any_names),
        german=german_words,
        lowercase=german.lowercase() & frequent,
        names=names,
        any_names=any_names,
        places=places,
        place_stems=frozenset(p[:-1] for p in places if len(p) > MIN_PLACE_STEM and p[-1] in _VOWELS),
        public_numbers=frozenset(_public_numbers()),
    )


def _keys(words: Iterable[str]) -> Iterator[str]:
    return (key(w) for w in words)


def _project_texts() -> Iterator[str]:
    for folder in (config.settings().knowledge_dir, config.settings().locales_dir):
        for path in sorted(Path(folder).rglob("*.yml")):
            yield path.read_text(encoding="utf-8")


def _project_words() -> Iterator[str]:
    """Every word of knowledge/ and locales/: the bot's own vocabulary in its eight languages."""
    for text in _project_texts():
        yield from WORD.findall(text)


def _german_project_words() -> Iterator[str]:
    """The words of the German texts in knowledge/ (every value under a `de:` key) and locales/de.yml."""
    for path in sorted(config.settings().knowledge_dir.rglob("*.yml")):
        yield from _words_in(yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER), "de")
    yield from WORD.findall((config.settings().locales_dir / "de.yml").read_text(encoding="utf-8"))


def _words_in(node: object, language: str | None, inside: bool = False) -> Iterator[str]:
    """The words of the strings in a YAML tree: all (language None) or those under a `language:` key."""
    if isinstance(node, dict):
        for name, value in node.items():
            yield from _words_in(value, language, inside or name == language)
    elif isinstance(node, list):
        for value in node:
            yield from _words_in(value, language, inside)
    elif isinstance(node, str) and (inside or language is None):
        yield from WORD.findall(node)


def _public_numbers() -> Iterator[str]:
    """The digits of the numbers the bot itself publishes ("116 117", "0800 ..."), at least four digits long."""
    for text in _project_texts():
        for number in _PHONE_LIKE.findall(text):
            digits = "".join(c for c in number if c.isdigit())
            if len(digits) >= MIN_PUBLIC_NUMBER_DIGITS:
                yield digits


class _LemmaTable:
    """spaCy's lemma table for a language (word form -> lemma), its words keyed once."""

    def __init__(self, language: str) -> None:
        with gzip.open(_lookups_path(f"{language}_lemma_lookup"), "rt", encoding="utf-8") as table:
            self.lemmas: dict[str, str] = json.load(table)
        self.key = {word: key(word) for word in {*self.lemmas, *self.lemmas.values()}}

    def keys(self) -> frozenset[str]:
        return frozenset(self.key.values())

    def lowercase(self) -> frozenset[str]:
        """The words the table writes in lower case (verbs, adjectives: "klein", "will")."""
        return frozenset(k for word, k in self.key.items() if word.islower())

    def inflected(self) -> frozenset[str]:
        """Inflected forms ("banks" of "bank") and lemmas with two or more of them ("Schüler": "Schülern",
        "Schülers"): words. A surname in the table has its genitive at most ("Schmidt": "Schmidts")."""
        forms = {form: lemma for form, lemma in self.lemmas.items() if form != lemma}
        declined = Counter(forms.values())
        return frozenset(
            self.key[word]
            for word in (*forms, *(lemma for lemma, count in declined.items() if count >= MIN_DECLINED_FORMS))
        )


def _lookups_path(name: str) -> Path:
    return Path(spacy_lookups_data.__file__).parent / "data" / f"{name}.json.gz"


def _frequent_german() -> frozenset[str]:
    """The most frequent words of German text ("Umgebung", "Jugend"), which the lemma table lacks.

    The table (a million words) lists one word per line, the most probable first: only its head is read.
    """
    head = []
    with gzip.open(_lookups_path("de_lexeme_prob"), "rt", encoding="utf-8") as lines:
        next(lines)  # "{"
        for line in lines:
            entry = line.strip().rstrip(",")
            if float(entry.rsplit(":", 1)[1]) < MIN_LOG_PROBABILITY:
                break
            head.append(entry)
    probabilities: dict[str, float] = json.loads("{" + ",".join(head) + "}")
    return frozenset(key(word) for word in probabilities if word[:1].isalpha())


def _person_names(kinds: tuple[str, ...] = ("first_names", "middle_names", "last_names")) -> Iterator[str]:
    """The names of Faker's person providers for NAME_LOCALES (first, middle and last by default), word by word."""
    for locale in NAME_LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for attribute in dir(provider):
            if attribute.startswith(kinds):
                for name in _strings(getattr(provider, attribute)):
                    for part in name.split():
                        yield part
                        yield from _transliterations(part)


def _strings(value: object) -> Iterator[str]:
    """Faker keeps names as tuples, lists or weighted dicts."""
    if isinstance(value, (dict, list, tuple, set, frozenset)):
        yield from (v for v in value if isinstance(v, str))


def _transliterations(name: str) -> tuple[str, ...]:
    """Latin spellings of a Cyrillic name, Ukrainian and Russian style ('Олена' -> 'olena')."""
    lower = name.lower()
    if not ("\u0400" <= lower[:1] <= "\u04ff"):
        return ()
    return lower.translate(_CYRILLIC_TO_LATIN), lower.translate(_RUSSIAN_DIFFERENCES).translate(_CYRILLIC_TO_LATIN)


def _place_names(any_names: frozenset[str]) -> Iterator[str]:
    """Single-word country names, German cities and states, the bot's cities; no word that is a person's name.

    Words of longer names ("Saint-Martin", "St. Vincent") would keep names such as "Martin" and "Vincent".
    """
    for locale in COUNTRY_LOCALES:
        for country in importlib.import_module(f"faker.providers.address.{locale}").Provider.countries:
            yield from _single_words(country, any_names)
    german = importlib.import_module("faker.providers.address.de_DE").Provider
    for place in (*german.cities, *german.states):
        yield from _single_words(place, any_names)
    yield from _words_in(yaml.load(CITY_NAMES_FILE.read_text(encoding="utf-8"), Loader=_YAML_LOADER), None)


def _single_words(place: str, any_names: frozenset[str]) -> list[str]:
    """A one-word place name, or the words of a longer one that are no person name."""
    words = WORD.findall(place)
    return words if len(words) == 1 else [w for w in words if key(w) not in any_names]


def is_place(words: Vocabulary, word_key: str) -> bool:
    """A place, also inflected: "Duisburg'da", "Bochumda", "в Дортмунде", "у Бохумі", "Essens"."""
    places = words.places
    if word_key in places or word_key.split("'")[0] in places:
        return True
    return any(
        word_key.endswith(ending)
        and (word_key[: -len(ending)] in places or word_key[: -len(ending)] in words.place_stems)
        for ending in _PLACE_ENDINGS
        if len(word_key) - len(ending) >= MIN_PLACE_STEM
    )
