"""`python -m actions` (`./lotse serve actions`): the action server, with readiness and metrics.

rasa-sdk's own server (`python -m rasa_sdk`) has only /health, which answers before the router is built,
so a load balancer would send messages to a replica that makes them wait tens of seconds. This runs the
same rasa-sdk application in one process (a `kill -9` of its pid stops it all, and a process manager
restarts exactly what it started) and adds:
- GET /ready: 200 once the router is built, 503 before (the readiness probe);
- GET /metrics: Prometheus (core/metrics.py).
It listens on LOTSE_LISTEN:LOTSE_ACTIONS_PORT and stops on SIGTERM within a few seconds.
"""

from __future__ import annotations

import logging

from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor
from sanic import HTTPResponse, Request, Sanic, response

from core import config
from core.metrics import exposition
from core.runtime import ready, warm_up_in_background

# Seconds a stopping server gives requests in flight (Rasa waits for the action's answer) before it exits.
GRACEFUL_SHUTDOWN_S = 5.0


def application() -> Sanic:
    """rasa-sdk's application for `actions.reply`, with /ready and /metrics."""
    executor = ActionExecutor()
    executor.register_package("actions.reply")
    app = create_app(executor, cors_origins=None)
    app.config.GRACEFUL_SHUTDOWN_TIMEOUT = GRACEFUL_SHUTDOWN_S

    @app.get("/ready")
    async def readiness(_: Request) -> HTTPResponse:
        return response.json({"ready": ready()}, status=200 if ready() else 503)

    @app.get("/metrics")
    async def metrics(_: Request) -> HTTPResponse:
        body, content_type = exposition()
        return response.raw(body, content_type=content_type)

    return app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = config.settings()
    app = application()
    warm_up_in_background()  # the router is built beside the starting server; /ready says when
    app.prepare(host=settings.listen, port=settings.actions_port, single_process=True, motd=False, access_log=False)
    Sanic.serve_single(primary=app)


if __name__ == "__main__":
    main()
