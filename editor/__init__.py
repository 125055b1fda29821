"""The volunteer editor: a small web app in which MO volunteers edit knowledge/ without touching YAML.

Server-rendered pages (Sanic + Jinja2, plain CSS, no JavaScript) that work on a
phone. Every save is validated like `./lotse knowledge check`, written through
core/knowledge/yaml_edit.py and recorded in an audit log.

    python -m editor                               # listens on LOTSE_EDITOR_HOST:LOTSE_EDITOR_PORT
    from editor import create_app, serve           # app factory (tests) and runner
    from editor.tokens import add_volunteer        # admin commands; no web stack imported

`create_app` and `serve` are imported on first use, so the admin commands
(editor.tokens) load without Sanic.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name in ("create_app", "serve"):
        from editor import app

        return getattr(app, name)
    raise AttributeError(f"module 'editor' has no attribute {name!r}")
