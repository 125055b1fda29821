"""A message delivered again after Rasa stored its turn gets the earlier answer, not a second turn."""

from __future__ import annotations

from actions.redelivery import earlier_answer


def user(update_id: int | None) -> dict[str, object]:
    return {"event": "user", "text": "Duisburg", "metadata": {"update_id": update_id} if update_id else {}}


def bot(text: str, buttons: list[dict[str, str]] | None = None) -> dict[str, object]:
    return {"event": "bot", "text": text, "data": {"buttons": buttons, "custom": {"type": "handover_step"}}}


AGE = [{"title": "18 or older", "payload": '/handover{"age":"adult"}'}]


def test_the_replies_to_the_earlier_delivery_are_given_again() -> None:
    events = [user(7), {"event": "slot", "name": "handover_city"}, bot("How old are you?", AGE), user(7)]
    assert earlier_answer(events, 7) == [
        {"text": "How old are you?", "buttons": AGE, "json_message": {"type": "handover_step"}}
    ]


def test_a_first_delivery_or_one_never_answered_is_handled_as_new() -> None:
    assert earlier_answer([user(6), bot("Hello"), user(7)], 7) is None
    assert earlier_answer([user(7)], 7) is None  # the message being answered now
    assert earlier_answer([user(7), user(7)], 7) is None  # stored, but no answer came: answer it now
    assert earlier_answer([user(None), bot("Hello"), user(7)], 7) is None  # messages from other channels
