"""The gateway's pure parts: message splitting, rendering Rasa replies, the rate limit, language codes."""

from __future__ import annotations

import pytest

from bot.telegram.handlers import as_typed
from bot.telegram.rendering import render, split_text
from core.languages import language_from_code
from core.text_normalisation import clean


def test_split_prefers_paragraphs_then_lines_then_spaces() -> None:
    paragraphs = ["a" * 30, "b" * 30, "c" * 30]
    assert split_text("\n\n".join(paragraphs), limit=70) == ["a" * 30 + "\n\n" + "b" * 30, "c" * 30]
    assert split_text("x" * 30 + "\n" + "y" * 30, limit=40) == ["x" * 30, "y" * 30]
    assert split_text(" ".join(["word"] * 20), limit=22) == ["word word word word"] * 5
    assert all(len(part) <= 22 for part in split_text("word " * 20, limit=22))
    assert "".join(split_text("z" * 100, limit=30)) == "z" * 100  # one unbroken word is cut hard, nothing lost


def test_render_puts_source_and_feedback_under_answers_only() -> None:
    replies = [
        {"text": "Answer", "buttons": [{"title": "Talk to a person", "payload": "/talk_to_person"}]},
        {"custom": {"type": "answer", "entry": "kita", "language": "de", "source": "https://example.org"}},
        {"text": "Menu", "buttons": []},
        {"custom": {"type": "clarify", "entry": None, "language": "de"}},
    ]
    answer, menu = render(replies, lambda key, lang: f"{key}:{lang}")
    assert answer.rows[0][0].url == "https://example.org" and answer.rows[0][0].title == "📄 button_source:de"
    assert [b.callback for b in answer.rows[1]] == ["#fb:kita:1", "#fb:kita:0"]
    assert answer.rows[2][0].callback == "/talk_to_person"
    assert menu.rows == [] and menu.language == "de"


def test_render_refuses_payloads_telegram_would_reject() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        render(
            [{"text": "x", "buttons": [{"title": "t", "payload": "/choose_entry" + "ü" * 30}]}],
            lambda key, language: key,
        )


@pytest.mark.parametrize(
    ("code", "language"),
    [("de", "de"), ("uk-UA", "uk"), ("pt-br", None), ("prs", "fa"), ("AR", "ar"), (None, None), ("", None)],
)
def test_language_from_app_setting(code: str | None, language: str | None) -> None:
    assert language_from_code(code) == language


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("how do I register?", "how do I register?"),
        ("and/or 24/7", "and/or 24/7"),
        ("\u200bhello", "\u200bhello"),  # no slash: left to Rasa and the action server as it is
        ('\u3000/handover{"service":"mbe-duisburg"}', 'handover{"service":"mbe-duisburg"}'),
        ('\u200b\u2066/choose_entry{"entry":"kita"}', 'choose_entry{"entry":"kita"}'),
        ('\ufffd /rate{"entry":"kita"}', 'rate{"entry":"kita"}'),
        (" / /start", "start"),
        ("/привет, мой номер 0176", "привет, мой номер 0176"),
        ("/", ""),
    ],
)
def test_typed_text_never_starts_with_a_slash_for_rasa_or_the_action_server(typed: str, sent: str) -> None:
    assert as_typed(typed) == sent
    assert not as_typed(typed).strip().startswith("/") and not clean(as_typed(typed)).startswith("/")
