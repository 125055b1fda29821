"""A terminal chat with the running bot over Rasa's REST channel.

Buttons are shown numbered; typing the number presses the button. Text is
printed as it comes (right-to-left scripts are left to the terminal).
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from typing import Any, TextIO

import httpx


def send(rasa_url: str, sender: str, text: str, timeout: float = 30.0) -> list[dict[str, Any]]:
    """Send one user message; returns the bot's messages as the REST channel gives them."""
    response = httpx.post(
        f"{rasa_url.rstrip('/')}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=timeout
    )
    response.raise_for_status()
    return list(response.json())


def chat(rasa_url: str, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout, debug: bool = False) -> None:
    """Read lines until end of input or /quit; print the bot's answers."""
    sender = f"terminal-{uuid.uuid4().hex[:8]}"
    buttons: list[dict[str, str]] = []
    print("Lotse – type your question (/quit to leave; numbers press buttons).", file=stdout)
    for line in stdin:
        text = line.rstrip("\n")
        if text.strip() == "/quit":
            break
        if text.strip().isdigit() and 0 < int(text) <= len(buttons):
            text = buttons[int(text) - 1]["payload"]
        buttons = []
        try:
            replies = send(rasa_url, sender, text)
        except httpx.HTTPError as error:
            print(f"(the bot did not answer: {error}; please try again in a minute)", file=stdout)
            continue
        for reply in replies:
            if reply.get("text"):
                print(f"\n{reply['text']}", file=stdout)
            for button in reply.get("buttons") or []:
                buttons.append(button)
                print(f"  [{len(buttons)}] {button['title']}", file=stdout)
            if debug and reply.get("custom"):
                print(f"  · {json.dumps(reply['custom'], ensure_ascii=False)}", file=stdout)
        print("", file=stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.terminal", description="Chat with a running Lotse.")
    parser.add_argument("rasa_url", help="the Rasa server, e.g. http://127.0.0.1:5005")
    parser.add_argument("--debug", action="store_true", help="show the routing payload of every answer")
    options = parser.parse_args(argv)
    chat(options.rasa_url, debug=options.debug)
    return 0


if __name__ == "__main__":
    sys.exit(main())
