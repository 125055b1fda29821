"""core.handover.places: cities and postcodes in answers to "where do you live?", on the real knowledge/."""

from __future__ import annotations

import time

import pytest

from core import config
from core.handover.places import Place, PlaceFinder, cities_of, place_finder
from core.knowledge.loader import load_knowledge


@pytest.fixture(scope="module")
def knowledge():
    return load_knowledge(config.settings().knowledge_dir).knowledge


@pytest.fixture(scope="module")
def finder(knowledge) -> PlaceFinder:
    return place_finder(knowledge)


# (text, language, expected city, expected postcode)
FOUND = [
    # German
    ("Ich wohne in Duisburg", "de", "duisburg", None),
    ("aus Dortmund", "de", "dortmund", None),
    ("BOCHUM", "de", "bochum", None),
    ("duisburg", None, "duisburg", None),
    ("Duisburgs Innenstadt", "de", "duisburg", None),
    ("Ich wohne in Duisburg-Hochfeld", "de", "duisburg", None),
    ("47053", None, "duisburg", "47053"),
    ("Musterstraße 1, 47053 Duisburg", "de", "duisburg", "47053"),
    ("Musterstraße 1 47053 Duisburg", "de", "duisburg", "47053"),
    ("Musterstr. 12a 44787", "de", "bochum", "44787"),
    ("PLZ:44135", "de", "dortmund", "44135"),
    ("D-47053 Duisburg", "de", "duisburg", "47053"),
    ("Seit 2019 wohne ich in 44135", "de", "dortmund", "44135"),
    ("Ich wohne in der Dortmunder Straße in Bochum", "de", "bochum", None),  # street named after a city
    # English, French
    ("I live in Bochum, near the station", "en", "bochum", None),
    ("Bochum's city centre", "en", "bochum", None),
    ("J'habite à Duisbourg", "fr", "duisburg", None),
    ("je suis de Dortmund", "fr", "dortmund", None),
    # Russian, Ukrainian: case endings
    ("Я живу в Дуйсбурге", "ru", "duisburg", None),
    ("Я из Дортмунда", "ru", "dortmund", None),
    ("в Бохуме", "ru", "bochum", None),
    ("Дуйсбург", "ru", "duisburg", None),
    ("Я живу у Дортмунді", "uk", "dortmund", None),
    ("Я живу в Бохумі", "uk", "bochum", None),
    ("Ми з Дуйсбурга", "uk", "duisburg", None),
    # Turkish: suffixes with and without apostrophe
    ("Duisburg'da oturuyorum", "tr", "duisburg", None),
    ("Dortmund’ta yaşıyorum", "tr", "dortmund", None),
    ("Bochumda yaşıyorum", "tr", "bochum", None),
    ("Bochumluyum", "tr", "bochum", None),
    ("Dortmund'dan geldim, posta kodu 44137", "tr", "dortmund", "44137"),
    # Arabic, Persian/Dari: spellings, attached prepositions, Eastern digits
    ("أسكن في دويسبورغ", "ar", "duisburg", None),
    ("بدويسبورغ", "ar", "duisburg", None),
    ("أعيش في دورتموند", "ar", "dortmund", None),
    ("انا من بوخوم", "ar", "bochum", None),
    ("٤٧٠٥٣", "ar", "duisburg", "47053"),
    ("در دویسبورگ زندگی می‌کنم", "fa", "duisburg", None),
    ("من در بوخوم هستم", "fa", "bochum", None),
    ("کد پستی من ۴۴۷۸۷ است", "fa", "bochum", "44787"),
    # A postcode outside the service areas is still returned, without a city.
    ("10115 Berlin", "de", None, "10115"),
]

NOT_FOUND = [
    ("", None),
    ("   ", None),
    ("😀🙏", None),
    ("Ich brauche Hilfe mit meinem Aufenthaltstitel", "de"),
    ("Ich wohne in Berlin", "de"),  # a city without services
    ("Ich wohne in der Hauptstraße 12", "de"),  # house number
    ("Seit 2024 in Deutschland", "de"),  # year
    ("Ruf an: +49 30 23125 501", "de"),  # phone number with a five-digit group
    ("Tel.: 23125", "de"),
    ("0203/23125", "de"),
    ("030 23125", "de"),
    ("Telefon 30 23125", "de"),
    ("Ich verdiene 12000 € im Jahr", "de"),
    ("Kundennummer 470531", "de"),  # longer number
    ("00123", None),  # no German postcode starts with 00
    ("Ich bin Dortmunder", "de"),  # demonym, not a place
    ("Дортмундский вокзал", "ru"),
]


@pytest.mark.parametrize(("text", "language", "city", "postcode"), FOUND)
def test_finds_city_and_postcode(
    finder: PlaceFinder, text: str, language: str | None, city: str | None, postcode: str | None
) -> None:
    place = finder.find(text, language)
    assert place is not None, text
    assert (place.city, place.postcode) == (city, postcode), text


@pytest.mark.parametrize(("text", "language"), NOT_FOUND)
def test_finds_nothing(finder: PlaceFinder, text: str, language: str | None) -> None:
    assert finder.find(text, language) is None


def test_several_cities_are_candidates_without_a_city(finder: PlaceFinder) -> None:
    assert finder.find("Dortmund oder Bochum?", "de") == Place(None, None, ("dortmund", "bochum"))


def test_postcode_decides_between_named_cities(finder: PlaceFinder) -> None:
    place = finder.find("Früher Dortmund, jetzt 47057 Duisburg", "de")
    assert place == Place("duisburg", "47057", ("dortmund", "duisburg"))


def test_cities_come_from_the_services(knowledge) -> None:
    cities = cities_of(knowledge)
    assert {"duisburg", "dortmund", "bochum"} <= set(cities)
    assert "470" in cities["duisburg"]
    local = {c for s in knowledge.services.values() if not s.national for c in s.cities}
    assert set(cities) == local


def test_postcode_prefixes(finder: PlaceFinder) -> None:
    assert finder.city_for_postcode("47053") == "duisburg"
    assert finder.city_for_postcode("44135") == "dortmund"
    assert finder.city_for_postcode("44787") == "bochum"
    assert finder.city_for_postcode("10115") is None


def test_a_city_missing_from_the_table_is_found_by_its_latin_name() -> None:
    finder = PlaceFinder({"gelsenkirchen": ("458", "459")}, names={})
    assert finder.find("Ich wohne in Gelsenkirchen", "de") == Place("gelsenkirchen", None, ("gelsenkirchen",))
    assert finder.find("Gelsenkirchen'de oturuyorum", "tr").city == "gelsenkirchen"
    assert finder.find("45879", None) == Place("gelsenkirchen", "45879", ())
    assert finder.display_name("gelsenkirchen", "ru") == "Gelsenkirchen"


def test_multi_word_names_and_umlauts() -> None:
    finder = PlaceFinder({"muelheim_an_der_ruhr": ("454",)})
    for text in (
        "Mülheim an der Ruhr",
        "muelheim an der ruhr",
        "Mulheim an der Ruhr",
        "в Мюльхайме-на-Руре",
        "Ich wohne in Mülheim",
    ):
        place = finder.find(text, None)
        assert place is not None and place.city == "muelheim_an_der_ruhr", text


def test_a_name_that_is_also_a_word_needs_context() -> None:
    finder = PlaceFinder({"essen": ("451",)})
    assert finder.find("Ich brauche Essen", "de") is None
    assert finder.find("nach dem Essen", "de") is None
    for text in ("Ich wohne in Essen", "Essen", "45127 Essen", "aus Essen."):
        assert finder.find(text, "de").city == "essen", text
    assert finder.find("Essen is my city", "en").city == "essen"  # not a word in English
    assert finder.find("Essen'de oturuyorum", "tr").city == "essen"
    assert finder.find("в Эссене", "ru").city == "essen"


def test_display_names(finder: PlaceFinder) -> None:
    assert finder.display_name("duisburg", "ru") == "Дуйсбург"
    assert finder.display_name("duisburg", "fr") == "Duisbourg"
    assert finder.display_name("bochum", "ar") == "بوخوم"
    assert finder.display_name("dortmund", None) == "Dortmund"


def test_find_place_and_cache(knowledge, finder: PlaceFinder) -> None:
    assert place_finder(knowledge) is finder
    assert place_finder(knowledge).find("Я живу в Дуйсбурге", "ru") == Place("duisburg", None, ("duisburg",))


def test_fast(finder: PlaceFinder) -> None:
    messages = [
        "Ich wohne in Duisburg, Musterstraße 1, 47053",
        "Я живу в Дуйсбурге",
        "أسكن في بوخوم منذ سنتين",
        "Dortmund'ta yaşıyorum ve iş arıyorum",
        "I need help with my residence permit, please",
    ] * 100
    start = time.perf_counter()
    for message in messages:
        finder.find(message, None)
    per_call_ms = (time.perf_counter() - start) * 1000 / len(messages)
    assert per_call_ms < 2.0, per_call_ms
