"""core.payloads: the button payloads Rasa parses and the gateway's own callbacks, built and read in one place."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from core.knowledge.base import KnowledgeBase
from core.knowledge.loader import load_knowledge
from core.payloads import (
    CALLBACK_DATA_LIMIT,
    CASE_PATTERN,
    CONSENT_CANCEL,
    CONSENT_PATTERN,
    CONSENT_REMOVE_QUESTION,
    CONSENT_SEND,
    DELETE_NO,
    DELETE_PATTERN,
    DELETE_YES,
    FEEDBACK_PATTERN,
    CaseAction,
    Feedback,
    handover_payload,
    payload,
    rate_payload,
)
from tests.entry_files import GOOD_ENTRY, TODAY, write_entry


def rasa_parse(text: str) -> tuple[str, dict[str, str]]:
    """What Rasa makes of a "/intent{json}" payload: the intent and its entities (no NLU involved)."""
    match = re.fullmatch(r"/(\w+)(\{.*\})?", text)
    assert match, text
    return match.group(1), json.loads(match.group(2) or "{}")


def test_payload_without_entities_is_the_bare_intent() -> None:
    assert payload("help") == "/help"
    assert payload("talk_to_person") == "/talk_to_person"


def test_payload_is_compact_json_that_rasa_reads_back() -> None:
    """No spaces: every byte counts against Telegram's 64."""
    assert payload("choose_entry", entry="kita") == '/choose_entry{"entry":"kita"}'
    assert rasa_parse(payload("choose_entry", entry="kita")) == ("choose_entry", {"entry": "kita"})


def test_payload_keeps_non_ascii_as_it_is() -> None:
    """Escaped umlauts (\\u00f6) would take six bytes each of the 64."""
    assert payload("handover", city="köln") == '/handover{"city":"köln"}'


def test_handover_and_rate_payloads() -> None:
    assert handover_payload(languages="ar+de") == '/handover{"languages":"ar+de"}'
    assert handover_payload(age="young") == '/handover{"age":"young"}'
    assert rate_payload("kita") == '/rate{"entry":"kita"}'
    assert rasa_parse(handover_payload(service="mbeon")) == ("handover", {"service": "mbeon"})


@pytest.mark.parametrize("helpful", [True, False])
def test_feedback_round_trip(helpful: bool) -> None:
    feedback = Feedback("aufenthalt_verlaengern", helpful)
    assert feedback.data == f"#fb:aufenthalt_verlaengern:{int(helpful)}"
    assert Feedback.parse(feedback.data) == feedback


def test_every_entry_fits_in_its_buttons(project_knowledge: KnowledgeBase) -> None:
    """Each answer carries 👍/👎 and may be offered as a button or rated: all must fit Telegram's 64 bytes."""
    for entry_id in project_knowledge.entries:
        for data in (
            Feedback(entry_id, False).data,
            payload("choose_entry", entry=entry_id),
            rate_payload(entry_id),
        ):
            assert len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT, data


def test_the_loader_accepts_no_entry_id_too_long_for_its_buttons(tmp_path: Path) -> None:
    """The editor names a new entry after its topic ("Kindergeld für mein zweites Kind beantragen"): an id the
    bot serves must fit its 64-byte buttons, or every menu listing the entry fails to send."""
    entry_id = "kindergeld_fuer_mein_zweites_kind_beantragen"
    write_entry(tmp_path, GOOD_ENTRY.replace("testthema", entry_id), name=entry_id)
    if entry_id in load_knowledge(tmp_path, TODAY).knowledge.entries:
        assert len(payload("choose_entry", entry=entry_id).encode("utf-8")) <= CALLBACK_DATA_LIMIT


@pytest.mark.parametrize("action", ["claim", "close"])
def test_case_action_round_trip(action: str) -> None:
    pressed = CaseAction(action, 123456789)
    assert pressed.data == f"#{action}:123456789"
    assert CaseAction.parse(pressed.data) == pressed


@pytest.mark.parametrize(
    "data",
    ["#claim:", "#claim:abc", "#claim:-1", "#claim:1.5", "#claim:12:3", "#open:12", "#fb:kita:1", DELETE_YES, ""],
)
def test_case_action_rejects_damaged_data(data: str) -> None:
    """A counsellor's button with a damaged id must be ignored, not act on some other case."""
    assert CaseAction.parse(data) is None


@pytest.mark.parametrize("data", ["#claim:²", "#close:¹²"])
def test_case_action_rejects_unicode_digits(data: str) -> None:
    """str.isdigit accepts superscripts, int() does not: forged callback data must give None, not an exception."""
    assert CaseAction.parse(data) is None


GATEWAY_BUTTONS: dict[str, list[str]] = {
    FEEDBACK_PATTERN: [Feedback("kita", True).data, Feedback("kita", False).data],
    DELETE_PATTERN: [DELETE_YES, DELETE_NO],
    CONSENT_PATTERN: [CONSENT_SEND, CONSENT_REMOVE_QUESTION, CONSENT_CANCEL],
    CASE_PATTERN: [CaseAction("claim", 7).data, CaseAction("close", 7).data],
}
RASA_BUTTONS = [
    payload("choose_entry", entry="kita"),
    handover_payload(service="mbeon"),
    rate_payload("kita"),
    payload("help"),
    payload("talk_to_person"),
]


@pytest.mark.parametrize("pattern", list(GATEWAY_BUTTONS))
def test_each_callback_handler_takes_its_own_buttons_only(pattern: str) -> None:
    """python-telegram-bot gives a press to the first handler whose pattern matches (re.match): a pattern that
    also matched another kind would send a consent to the feedback handler, or a Rasa payload nowhere."""
    for owner, datas in GATEWAY_BUTTONS.items():
        for data in datas:
            assert bool(re.match(pattern, data)) == (owner == pattern), (pattern, data)
    for data in RASA_BUTTONS:
        assert re.match(pattern, data) is None, data


def test_every_gateway_button_fits_telegram() -> None:
    for datas in GATEWAY_BUTTONS.values():
        for data in datas:
            assert len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT, data
