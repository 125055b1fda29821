# syntax=docker/dockerfile:1
# Rasa's image: Python 3.10, .venv-bot from requirements/bot.lock, the trained model baked in.
# The build context is the repository root (see /.dockerignore):
#   docker build -f deploy/docker/bot.Dockerfile -t lotse-bot:VERSION .
# Runs `python -m tools.rasa_service` (= ./lotse serve rasa) on 0.0.0.0:5005; docs/production.md.

FROM python:3.10.18-slim-bookworm AS python310
FROM python:3.11.13-slim-bookworm AS python311

# .venv-bot exactly as ./lotse builds it: pip 24.0, then the frozen set without resolving.
FROM python310 AS bot-venv
WORKDIR /app
COPY requirements/bot.lock requirements/bot.lock
RUN --mount=type=cache,target=/root/.cache/pip \
    python3.10 -m venv .venv-bot \
    && .venv-bot/bin/python -m pip install -q --disable-pip-version-check pip==24.0 \
    && .venv-bot/bin/python -m pip install -q --disable-pip-version-check --no-deps -r requirements/bot.lock \
    && sha256sum requirements/bot.lock | cut -d' ' -f1 >.venv-bot/.lotse-lock-sha256

# .venv-actions, only to run ./lotse train here. torch is the CPU build (PyTorch's CPU index).
FROM python311 AS actions-venv
WORKDIR /app
COPY requirements/actions.lock requirements/actions.lock
RUN --mount=type=cache,target=/root/.cache/pip \
    python3.11 -m venv .venv-actions \
    && .venv-actions/bin/python -m pip install -q --disable-pip-version-check pip==24.0 \
    && .venv-actions/bin/python -m pip install -q --disable-pip-version-check --no-deps \
        --extra-index-url https://download.pytorch.org/whl/cpu -r requirements/actions.lock \
    && sha256sum requirements/actions.lock | cut -d' ' -f1 >.venv-actions/.lotse-lock-sha256

# Training needs both environments (the command line runs in .venv-actions, `rasa train` in .venv-bot):
# Python 3.10 is copied beside 3.11 so both venvs find their interpreter at the path they were made with.
FROM python311 AS train
COPY --from=python310 /usr/local/bin/python3.10 /usr/local/bin/python3.10
COPY --from=python310 /usr/local/lib/python3.10 /usr/local/lib/python3.10
COPY --from=python310 /usr/local/lib/libpython3.10.so.1.0 /usr/local/lib/libpython3.10.so.1.0
RUN ldconfig
WORKDIR /app
COPY --from=bot-venv /app/.venv-bot .venv-bot
COPY --from=actions-venv /app/.venv-actions .venv-actions
COPY . .
ENV LOTSE_CACHE_DIR=/build/cache RASA_TELEMETRY_ENABLED=false
RUN ./lotse train

FROM python310 AS rasa
RUN groupadd --system --gid 10001 lotse \
    && useradd --system --uid 10001 --gid lotse --home-dir /home/lotse --create-home --shell /usr/sbin/nologin lotse
WORKDIR /app
COPY --from=bot-venv /app/.venv-bot .venv-bot
COPY . .
# The baked model; the entry point copies it into the shared model folder (LOTSE_CACHE_DIR/models).
COPY --from=train /build/cache/models/ /app/models/
COPY --chmod=0755 deploy/docker/entrypoint.sh /usr/local/bin/lotse-entrypoint
# Writable by the server: var/ (endpoints file) and the model folder (a volume shared with the editor).
RUN mkdir -p var /srv/lotse/cache/models \
    && chown lotse:lotse var /srv/lotse /srv/lotse/cache /srv/lotse/cache/models
ENV LOTSE_CACHE_DIR=/srv/lotse/cache \
    LOTSE_LISTEN=0.0.0.0 \
    RASA_TELEMETRY_ENABLED=false \
    PYTHONUNBUFFERED=1 \
    HOME=/home/lotse
USER 10001:10001
EXPOSE 5005
ENTRYPOINT ["/usr/local/bin/lotse-entrypoint"]
CMD [".venv-bot/bin/python", "-m", "tools.rasa_service"]
