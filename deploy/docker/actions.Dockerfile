# syntax=docker/dockerfile:1
# The action server's environment: Python 3.11, .venv-actions from requirements/actions.lock.
# The build context is the repository root (see /.dockerignore). Two targets:
#   docker build -f deploy/docker/actions.Dockerfile --target actions -t lotse-actions:VERSION .
#     the action server (default command); the same image runs the Telegram gateway
#     (`python -m tools.cli serve telegram`) and the retention job (`python -m tools.cli cleanup`)
#   docker build -f deploy/docker/actions.Dockerfile --target editor -t lotse-editor:VERSION .
#     the volunteers' editor, with .venv-bot added: it retrains Rasa after a save
# docs/production.md says how they are run.

FROM python:3.10.18-slim-bookworm AS python310
FROM python:3.11.13-slim-bookworm AS python311

# Both venvs exactly as ./lotse builds them: pip 24.0, then the frozen set without resolving.
FROM python310 AS bot-venv
WORKDIR /app
COPY requirements/bot.lock requirements/bot.lock
RUN --mount=type=cache,target=/root/.cache/pip \
    python3.10 -m venv .venv-bot \
    && .venv-bot/bin/python -m pip install -q --disable-pip-version-check pip==24.0 \
    && .venv-bot/bin/python -m pip install -q --disable-pip-version-check --no-deps -r requirements/bot.lock \
    && sha256sum requirements/bot.lock | cut -d' ' -f1 >.venv-bot/.lotse-lock-sha256

# torch is the CPU build (PyTorch's CPU index), not the multi-GB CUDA one.
FROM python311 AS actions-venv
WORKDIR /app
COPY requirements/actions.lock requirements/actions.lock
RUN --mount=type=cache,target=/root/.cache/pip \
    python3.11 -m venv .venv-actions \
    && .venv-actions/bin/python -m pip install -q --disable-pip-version-check pip==24.0 \
    && .venv-actions/bin/python -m pip install -q --disable-pip-version-check --no-deps \
        --extra-index-url https://download.pytorch.org/whl/cpu -r requirements/actions.lock \
    && sha256sum requirements/actions.lock | cut -d' ' -f1 >.venv-actions/.lotse-lock-sha256

FROM python311 AS runtime
RUN groupadd --system --gid 10001 lotse \
    && useradd --system --uid 10001 --gid lotse --home-dir /home/lotse --create-home --shell /usr/sbin/nologin lotse
WORKDIR /app
COPY --from=actions-venv /app/.venv-actions .venv-actions
COPY . .
COPY --chmod=0755 deploy/docker/entrypoint.sh /usr/local/bin/lotse-entrypoint
# Writable by the servers: var/ (scratch) and the mount points of the shared volumes. A new Docker volume
# takes over the owner of its mount point, so uid 10001 can write it.
RUN mkdir -p var /srv/lotse/knowledge /srv/lotse/cache/embeddings /srv/lotse/cache/models /srv/lotse/data \
    && chown lotse:lotse var /srv/lotse /srv/lotse/knowledge /srv/lotse/cache /srv/lotse/cache/embeddings \
        /srv/lotse/cache/models /srv/lotse/data
# Servers bind every interface inside a container; the ports stay inside the container network.
ENV LOTSE_CACHE_DIR=/srv/lotse/cache \
    LOTSE_LISTEN=0.0.0.0 \
    LOTSE_TELEGRAM_LISTEN=0.0.0.0 \
    LOTSE_EDITOR_HOST=0.0.0.0 \
    RASA_TELEMETRY_ENABLED=false \
    PYTHONUNBUFFERED=1 \
    HOME=/home/lotse
ENTRYPOINT ["/usr/local/bin/lotse-entrypoint"]

FROM runtime AS editor
# Rasa's interpreter and venv, at the paths they were made with, for `rasa train` after a save.
COPY --from=python310 /usr/local/bin/python3.10 /usr/local/bin/python3.10
COPY --from=python310 /usr/local/lib/python3.10 /usr/local/lib/python3.10
COPY --from=python310 /usr/local/lib/libpython3.10.so.1.0 /usr/local/lib/libpython3.10.so.1.0
RUN ldconfig
COPY --from=bot-venv /app/.venv-bot .venv-bot
# Retraining regenerates data/nlu/knowledge_questions.yml from the live knowledge; Rasa's training cache
# goes to the home folder instead of the read-only /app.
RUN chown lotse:lotse data/nlu data/nlu/knowledge_questions.yml
ENV RASA_CACHE_DIRECTORY=/home/lotse/rasa-cache
USER 10001:10001
EXPOSE 8089
CMD [".venv-actions/bin/python", "-m", "tools.cli", "serve", "editor"]

# The default target (last stage): the action server.
FROM runtime AS actions
USER 10001:10001
EXPOSE 5055 8443
CMD [".venv-actions/bin/python", "-m", "tools.cli", "serve", "actions"]
