"""Find the names of persons in a message, in the bot's eight languages.

There is no named-entity model for these languages on PyPI, so this is done with
word lists (core/privacy/words.py) and a few rules; they err on the side of
removing, because volunteers only need the gist of a question:

1. After a cue, the next one to three words are a name when they look like one:
   introductions ("ich heiße", "меня зовут", "اسمي") and titles, also chained
   ("Frau Dr. Müller"), take capitalised words and words that are not common;
   sign-offs ("LG", "С уважением"), someone else's name ("heißt", "اسمه") and
   initials ("A. Schneider") take words that are no common word or are names;
   weaker cues ("ich bin", "c'est", "ben", family words such as "mein Sohn",
   "ابني") take lower-case words only if they are known names. Turkish titles
   follow the name ("Ayşe Hanım"); a signature ends the message after a sign-off.
2. Without a cue, a word is a name when it is a known person name that the project's
   texts do not use as a word ("Mariam", "ali", "Петренко", "محمد"), or when it is
   capitalised (Latin or Cyrillic) and neither a common word, a German compound of
   common words, nor a place.
3. A word next to a name is part of it if it can be ("Anna Koch", "kwame mensah",
   "فاطمة الحسن", but not "Anna Jobcenter"), and so is a name joined by "and".
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import Enum

from core.privacy.patterns import Found
from core.privacy.words import MIN_NAME_LENGTH, WORD, Vocabulary, is_place, key, vocabulary

MAX_NAME_WORDS = 3
MAX_TITLES = 4  # "Herrn Prof. Dr. med. X"
MIN_COMPOUND_PART = 3
MAX_ACRONYM = 4  # all-capital words up to this length are acronyms (BAMF, AOK) unless known names
_SENTENCE_END = re.compile(r"[.!?…:;\n]")
_ARABIC_CLITICS = ("و", "ف", "ب", "ل")  # and, so, with, for
_ARABIC_PREFIXES = ("وال", "بال", "لل", "ال", *_ARABIC_CLITICS)
_LINKING = ("s", "es", "n", "en", "er")  # German compounds: "Arbeit-s-vertrag", "Kinder-geld"
_FEMININE = ("in", "innen")  # "Vermieter-in", "Sachbearbeiter-innen"
MAX_COMPOUND_PARTS = 3  # "Kranken-versicherten-nummer"
MAX_COMPOUND_LENGTH = 40  # longer "words" are not split (the work grows with the cube of the length)
# Endings of Slavic surnames (after key()), for a lower-case word right after a name: "ольга петрова".
_SURNAME_ENDINGS = tuple(
    key(e)
    for e in (
        "ов",
        "ова",
        "овы",
        "ев",
        "ева",
        "ин",
        "ина",
        "ский",
        "ская",
        "ський",
        "ська",
        "енко",
        "чук",
        "юк",
        "ук",
        "вич",
        "вна",
        "ович",
        "евич",
        "івна",
        "овна",
    )
)


class Take(Enum):
    """Which words a cue takes as a name."""

    ANY = "any"  # every word (capitalised words after "Frau", "mein Name ist")
    UNCOMMON = "uncommon"  # words that are not common words
    UNCOMMON_OR_NAME = "uncommon or name"  # ... or are person names even if they are words too
    NAME = "name"  # known person names only


@dataclass(frozen=True)
class Cue:
    """What follows a cue phrase: how capitalised words and other words (lower-case, Arabic script) are taken,
    and whether capitalised words that end the message are a signature ("..., LG Mamadou Sow")."""

    capitalised: Take
    other: Take
    signature: bool = False


_INTRODUCTION = Cue(Take.ANY, Take.UNCOMMON)
_SIGN_OFF = Cue(Take.UNCOMMON_OR_NAME, Take.UNCOMMON, signature=True)
_NAMING = Cue(Take.UNCOMMON_OR_NAME, Take.UNCOMMON)  # "heißt Winter", not "heißt Duldung"
_WEAK = Cue(Take.UNCOMMON_OR_NAME, Take.NAME)  # also after an initial: "A. Schneider", not "e. V. unterstützt"

_INTRODUCTIONS = (
    "ich heiße",
    "ich heisse",
    "mein name ist",
    "mein name lautet",
    "mein vorname ist",
    "mein nachname ist",
    "my name is",
    "my name's",
    "i am called",
    "i'm called",
    "call me",
    "my first name is",
    "my surname is",
    "je m'appelle",
    "mon nom est",
    "mon prénom est",
    "moi c'est",
    "je me nomme",
    "меня зовут",
    "меня звать",
    "моё имя",
    "мое имя",
    "моя фамилия",
    "мене звати",
    "мене звуть",
    "моє ім'я",
    "моє прізвище",
    "benim adım",
    "adım",
    "ismim",
    "benim ismim",
    "soyadım",
    "اسمي",
    "إسمي",
    "اسمى",
    "انا اسمي",
    "اسم من",
    "نام من",
    "اسمم",
    "نامم",
    "نام خانوادگی من",
)
# Someone else's name: also "what ... means" ("Was heißt Duldung?"), so a common word that is no name stays.
_NAMINGS = (
    "heißt",
    "heisst",
    "sein name ist",
    "ihr name ist",
    "his name is",
    "her name is",
    "whose name is",
    "s'appelle",
    "son nom est",
    "зовут",
    "звать",
    "по имени",
    "фамилия",
    "звати",
    "звуть",
    "на ім'я",
    "прізвище",
    "adı",
    "ismi",
    "soyadı",
    "اسمه",
    "اسمها",
    "يدعى",
    "تدعى",
    "اسمش",
    "نامش",
    "به نام",
)
_TITLES = (
    "herr",
    "herrn",
    "frau",
    "hr",
    "fr",
    "dr",
    "prof",
    "med",
    "dipl",
    "ing",
    "mr",
    "mrs",
    "ms",
    "miss",
    "mister",
    "sir",
    "madam",
    "monsieur",
    "mme",
    "mlle",
    "madame",
    "maître",
    "docteur",
    "sayın",
    "bay",
    "bayan",
    "господин",
    "госпожа",
    "господина",
    "госпожи",
    "г-н",
    "г-жа",
    "пан",
    "пані",
    "пана",
    "пану",
    "доктор",
    "السيد",
    "السيدة",
    "سيد",
    "الأستاذ",
    "الأستاذة",
    "الدكتور",
    "الدكتورة",
    "دكتور",
    "آقای",
    "خانم",
    "دکتر",
    "مهندس",
    "abu",
    "abou",
    "أبو",
    "ابو",
    "фрау",
    "герр",
    "гер",
    "فراو",
    "هير",
    "هر",
)
_TITLES_AFTER = ("bey", "hanım", "hanim", "hoca", "abla", "ağabey")
_SIGN_OFFS = (
    "gruß",
    "grüße",
    "gruss",
    "grüsse",
    "lg",
    "vg",
    "mfg",
    "liebe grüße",
    "viele grüße",
    "beste grüße",
    "mit freundlichen grüßen",
    "danke",
    "vielen dank",
    "regards",
    "best regards",
    "kind regards",
    "best",
    "cheers",
    "thanks",
    "thank you",
    "cordialement",
    "bien à vous",
    "merci",
    "salutations",
    "bisous",
    "с уважением",
    "спасибо",
    "з повагою",
    "дякую",
    "teşekkürler",
    "teşekkür ederim",
    "saygılarımla",
    "selamlar",
    "sevgiler",
    "شكرا",
    "شكراً",
    "مع التحية",
    "تحياتي",
    "مع الشكر",
    "با تشکر",
    "ممنون",
    "مرسی",
    "با احترام",
)
_WEAK_INTRODUCTIONS = (
    "ich bin",
    "hier ist",
    "hier spricht",
    "hier schreibt",
    "i am",
    "i'm",
    "this is",
    "it's",
    "je suis",
    "c'est",
    "я",
    "это",
    "це",
    "ben",
    "أنا",
    "انا",
    "من",
    "بنده",
    "اینجا",
)
_RELATIVES = (
    "sohn",
    "sohnes",
    "tochter",
    "kind",
    "mann",
    "ehemann",
    "ehefrau",
    "bruder",
    "schwester",
    "mutter",
    "vater",
    "neffe",
    "nichte",
    "enkel",
    "enkelin",
    "cousin",
    "cousine",
    "onkel",
    "tante",
    "baby",
    "freund",
    "freundin",
    "oma",
    "opa",
    "grandma",
    "grandpa",
    "grandmother",
    "grandfather",
    "grand-mère",
    "grand-père",
    "бабушка",
    "дедушка",
    "бабуся",
    "дідусь",
    "babaanne",
    "anneanne",
    "dede",
    "جدتي",
    "جدي",
    "مادربزرگم",
    "پدربزرگم",
    "son",
    "daughter",
    "husband",
    "wife",
    "brother",
    "sister",
    "child",
    "kid",
    "mother",
    "father",
    "mom",
    "mum",
    "dad",
    "nephew",
    "niece",
    "friend",
    "fils",
    "fille",
    "mari",
    "femme",
    "frère",
    "sœur",
    "soeur",
    "enfant",
    "mère",
    "père",
    "bébé",
    "neveu",
    "nièce",
    "ami",
    "amie",
    "сын",
    "сына",
    "сыну",
    "дочь",
    "дочка",
    "дочери",
    "муж",
    "мужа",
    "жена",
    "жены",
    "брат",
    "брата",
    "сестра",
    "сестры",
    "ребенок",
    "ребёнок",
    "мама",
    "папа",
    "мать",
    "отец",
    "друг",
    "подруга",
    "син",
    "сина",
    "донька",
    "доньки",
    "чоловік",
    "чоловіка",
    "дружина",
    "дружини",
    "сестри",
    "дитина",
    "тато",
    "подруга",
    "oğlum",
    "oğlu",
    "kızım",
    "kızı",
    "eşim",
    "kocam",
    "karım",
    "kardeşim",
    "ablam",
    "abim",
    "annem",
    "babam",
    "çocuğum",
    "bebeğim",
    "arkadaşım",
    "ابني",
    "ابنتي",
    "بنتي",
    "زوجي",
    "زوجتي",
    "أخي",
    "أختي",
    "طفلي",
    "ابن",
    "بنت",
    "أمي",
    "أبي",
    "صديقي",
    "پسرم",
    "دخترم",
    "شوهرم",
    "همسرم",
    "برادرم",
    "خواهرم",
    "مادرم",
    "پدرم",
    "فرزندم",
    "دوستم",
)


def _phrases(phrases: Sequence[str], cue: Cue) -> dict[tuple[str, ...], Cue]:
    return {tuple(key(word) for word in WORD.findall(phrase)): cue for phrase in phrases}


_CUES: dict[tuple[str, ...], Cue] = {
    **_phrases(_WEAK_INTRODUCTIONS, _WEAK),
    **_phrases(_RELATIVES, _WEAK),
    **_phrases(_SIGN_OFFS, _SIGN_OFF),
    **_phrases(_NAMINGS, _NAMING),
    **_phrases(_INTRODUCTIONS, _INTRODUCTION),
    **_phrases(_TITLES, _INTRODUCTION),
}


def _by_first_word(cues: dict[tuple[str, ...], Cue]) -> dict[str, list[tuple[tuple[str, ...], Cue]]]:
    """Cue phrases by their first word, the longest first ("mein name ist" before "mein")."""
    index: dict[str, list[tuple[tuple[str, ...], Cue]]] = {}
    for phrase, cue in sorted(cues.items(), key=lambda item: -len(item[0])):
        index.setdefault(phrase[0], []).append((phrase, cue))
    return index


_CUES_BY_FIRST_WORD = _by_first_word(_CUES)
_TITLE_KEYS = frozenset(key(title) for title in _TITLES)
_AND = frozenset(key(w) for w in ("und", "and", "et", "ve", "и", "і", "та", "й", "و"))
_TITLE_AFTER_KEYS = frozenset(key(title) for title in _TITLES_AFTER)


@dataclass(frozen=True)
class Word:
    """A word of the message and what is known about it."""

    start: int
    end: int
    text: str
    key: str
    sentence_start: bool

    @property
    def capitalised(self) -> bool:
        """Starts with a capital (Latin, Cyrillic, Greek); Arabic script has no case."""
        return self.text[0].isupper()

    @property
    def cased(self) -> bool:
        """Written in a script with capitals (Arabic script has none)."""
        return self.text[0].isupper() or self.text[0].islower()

    @property
    def acronym(self) -> bool:
        return self.text.isupper() and len(self.text) <= MAX_ACRONYM


def find_names(text: str, taken: Sequence[Found] = ()) -> Iterator[Found]:
    """The names in `text`, leaving out words inside spans already found (sorted: numbers, addresses, ...)."""
    words = _words(text, taken)
    names = Names(vocabulary())
    is_name = [False] * len(words)
    _mark_after_cues(text, words, names, is_name)
    _mark_before_titles(words, names, is_name)
    for index, word in enumerate(words):
        is_name[index] = is_name[index] or names.looks_like_name(word)
    _extend(text, words, names, is_name)
    return (Found(w.start, w.end, "name") for w, name in zip(words, is_name) if name)


def _words(text: str, taken: Sequence[Found]) -> list[Word]:
    """The words outside `taken` (sorted, not overlapping), each knowing whether it starts a sentence."""
    words: list[Word] = []
    spans = iter(taken)
    span = next(spans, None)
    previous_end = -1
    for match in WORD.finditer(text):
        while span is not None and span.end <= match.start():
            span = next(spans, None)
        sentence_start = previous_end < 0 or _SENTENCE_END.search(text, previous_end, match.start()) is not None
        previous_end = match.end()
        if span is None or match.end() <= span.start:
            words.append(Word(match.start(), match.end(), match.group(), key(match.group()), sentence_start))
    return words


def _mark_after_cues(text: str, words: list[Word], names: Names, is_name: list[bool]) -> None:
    for index in range(len(words)):
        cue, after = _cue_at(text, words, index)
        if cue is None:
            continue
        while after < min(index + MAX_TITLES, len(words)) and words[after].key in _TITLE_KEYS:  # "Frau Dr. Müller"
            after += 1
        if cue.signature and _ends_message_after_break(text, words, index, after):
            is_name[after:] = [True] * (len(words) - after)
            continue
        for follower in range(after, min(after + MAX_NAME_WORDS, len(words))):
            joined = _adjacent if follower == after else _close
            if not joined(text, words[follower - 1], words[follower]) or not names.taken_by(cue, words[follower]):
                break
            is_name[follower] = True


def _cue_at(text: str, words: list[Word], index: int) -> tuple[Cue | None, int]:
    """The cue phrase starting at `index` (the longest) and the index of the first word after it.

    An initial ("A. Schneider", "M. Hoffmann" in French) is a cue too.
    """
    word = words[index]
    if len(word.text) == 1 and word.capitalised and text.startswith(".", word.end):
        return _WEAK, index + 1
    for phrase, cue in _CUES_BY_FIRST_WORD.get(word.key, ()):
        if tuple(w.key for w in words[index : index + len(phrase)]) == phrase:
            return cue, index + len(phrase)
    return None, index


def _ends_message_after_break(text: str, words: list[Word], cue: int, after: int) -> bool:
    """A signature: a sign-off that starts a sentence or follows a comma, then one to three capitalised
    words that end the message ("..., Cordialement, Mamadou Sow"; not "the best Krankenkasse")."""
    rest = words[after:]
    starts = words[cue].sentence_start or text[: words[cue].start].rstrip().endswith(",")
    return (
        starts
        and 0 < len(rest) <= MAX_NAME_WORDS
        and all(w.capitalised for w in rest)
        and not any(c.isalnum() for c in text[rest[-1].end :])
    )


def _mark_before_titles(words: list[Word], names: Names, is_name: list[bool]) -> None:
    """Turkish titles follow the name: "Ayşe Hanım", "Mehmet Bey"."""
    for index in range(1, len(words)):
        if words[index].key in _TITLE_AFTER_KEYS and names.taken_by(_INTRODUCTION, words[index - 1]):
            is_name[index - 1] = True


def _adjacent(text: str, left: Word, right: Word) -> bool:
    """Between a cue and a name: a few spaces or marks ("Frau Dr. X", "LG, X", "mein Name ist: X")."""
    return right.start - left.end <= 3


def _close(text: str, left: Word, right: Word) -> bool:
    """Between two words of one name: spaces only."""
    return not text[left.end : right.start].strip()


def _extend(text: str, words: list[Word], names: Names, is_name: list[bool]) -> None:
    """The word right after a name, and a capitalised word right before one, are part of it if they can be.

    "Hassan Rahimi", "kwame mensah", "فاطمة الحسن", "Claire Dubois" (Claire is also a French word); and
    a name joined to one by "and" is one too ("Lina und Adam": Adam is also a Turkish word).
    """
    for index in range(1, len(words)):
        if is_name[index - 1] and not is_name[index] and _close(text, words[index - 1], words[index]):
            is_name[index] = names.continues_name(words[index], after=words[index - 1])
        elif (
            index >= 2
            and is_name[index - 2]
            and words[index - 1].key in _AND
            and not is_name[index]
            and _close(text, words[index - 1], words[index])
        ):
            is_name[index] = names.coordinated_name(words[index])
    for index in range(len(words) - 2, -1, -1):
        if (
            is_name[index + 1]
            and not is_name[index]
            and _close(text, words[index], words[index + 1])
            and (words[index].key,) not in _CUES
        ):
            is_name[index] = words[index].capitalised and names.continues_name(words[index], after=None)


class Names:
    """The decisions about single words, on the word lists."""

    def __init__(self, words: Vocabulary) -> None:
        self.words = words

    def looks_like_name(self, word: Word) -> bool:
        """A name without a cue: a known name, or a capitalised word that is no common word, compound or place.

        A capitalised word that starts a sentence needs to be a known name: the vocabulary of some languages
        is too thin to tell every first word of a sentence.
        """
        if self.cannot_be_name(word):
            return False
        if self.is_known_name(word):
            return True
        return word.capitalised and not word.sentence_start and not self.is_common(word)

    def continues_name(self, word: Word, after: Word | None) -> bool:
        """A word next to a name that belongs to it: a surname, a second first name, "al-..." in Arabic.

        A lower-case word only continues a name written in lower case ("kwame mensah", "ольга петрова").
        """
        if self.cannot_be_name(word):
            return False
        if word.capitalised:
            return self.uncommon_or_name(word)
        if word.cased:
            return (
                after is not None
                and not after.capitalised
                and (
                    self.is_known_name(word)
                    or word.key.endswith(_SURNAME_ENDINGS)
                    or (word.key.isascii() and not self.is_common(word))
                )
            )
        return not self.is_common(word) or self.is_any_name(word)  # "محمد علی", "محمد وعلي"

    def coordinated_name(self, word: Word) -> bool:
        """A word after "<name> and": capitalised and no common word, or any person name."""
        if self.cannot_be_name(word):
            return False
        return self.is_any_name(word) or (word.capitalised and not self.is_common(word))

    def cannot_be_name(self, word: Word) -> bool:
        """Places, titles ("Hanım"), and acronyms that are no known name (BAMF, AOK)."""
        return (
            self.is_place(word)
            or word.key in _TITLE_KEYS
            or word.key in _TITLE_AFTER_KEYS
            or (word.acronym and word.key not in self.words.names)
        )

    def taken_by(self, cue: Cue, word: Word) -> bool:
        take = cue.capitalised if word.capitalised else cue.other
        if self.cannot_be_name(word):
            return False
        if take is Take.ANY:
            return True
        if take is Take.UNCOMMON:
            return not self.is_common(word)
        if take is Take.UNCOMMON_OR_NAME:
            return self.uncommon_or_name(word)
        return self.is_known_name(word) or (not word.cased and self.is_any_name(word))

    def uncommon_or_name(self, word: Word) -> bool:
        return not self.is_common(word) or self.is_any_name(word)

    def is_any_name(self, word: Word) -> bool:
        """Someone's name, even if it is a word too ("Koch", "Adam", "علی")."""
        return any(part in self.words.any_names for part in _forms(word.key))

    def is_known_name(self, word: Word) -> bool:
        """A person name that is no common word, nor a lower-case German word written so ("klein")."""
        if word.text.islower() and word.key in self.words.lowercase:
            return False
        return any(part in self.words.names for part in _forms(word.key, article=False))

    def is_place(self, word: Word) -> bool:
        return is_place(self.words, word.key)

    def is_common(self, word: Word) -> bool:
        """A common word, also with an Arabic prefix ("وأريد"), or a German compound of common words."""
        return all(self._common_part(part) for part in word.key.split("-") if part)

    def _common_part(self, part: str) -> bool:
        common = self.words.common
        if part in common or part.split("'")[0] in common:
            return True
        if any(part.startswith(p) and part[len(p) :] in common for p in _ARABIC_PREFIXES):
            return True
        return self._feminine(part) or self._compound(part)

    def _compound(self, part: str, parts_left: int = MAX_COMPOUND_PARTS) -> bool:
        """A German compound ('kitaplatz', 'sommerferien', 'krankenversichertennummer').

        Split from the right (the last part is a word of its own, 'kita|platz'), the rest again, with
        linking letters ('arbeit-s-erlaubnis|bescheinigung') or as a verb stem ('angel|schein'); the parts
        may be names ('sommer').
        """
        if parts_left == 1 or len(part) > MAX_COMPOUND_LENGTH:
            return False
        for cut in range(MIN_COMPOUND_PART, len(part) - MIN_COMPOUND_PART + 1):
            head = part[:cut]
            if self._german_word(part[cut:]) and any(
                self._head(h) or self._compound(h, parts_left - 1)
                for h in (head, *(head[: -len(s)] for s in _LINKING if head.endswith(s)))
            ):
                return True
        return False

    def _german_word(self, part: str) -> bool:
        return part in self.words.german or self._feminine(part)

    def _head(self, part: str) -> bool:
        """A compound's first part: a word, or a verb stem ('angel|schein' from 'angeln', 'wohn|ort')."""
        return self._german_word(part) or any(f"{part}{ending}" in self.words.german for ending in ("n", "en"))

    def _feminine(self, part: str) -> bool:
        """'Vermieterin', 'Sachbearbeiterinnen': the feminine of a German word."""
        return any(part.endswith(s) and part[: -len(s)] in self.words.german for s in _FEMININE)


def _forms(word_key: str, article: bool = True) -> tuple[str, ...]:
    """A word and its parts: 'al-hassan' -> hassan, "ahmet'in" -> ahmet, 'وأحمد' -> أحمد, 'الحسن' -> حسن.

    article=False keeps the Arabic article: a first name never has one ('الآباء', the fathers, is no 'إباء').
    """
    pieces = word_key.replace("'", "-").split("-")
    prefixes = _ARABIC_PREFIXES if article else _ARABIC_CLITICS
    stems = (
        word_key[len(p) :] for p in prefixes if word_key.startswith(p) and len(word_key) - len(p) >= MIN_NAME_LENGTH
    )
    return (word_key, *(pieces if len(pieces) > 1 else ()), *stems)
