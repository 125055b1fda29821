#!/bin/sh
# Entry point of the Lotse images (docs/production.md). Before the command (the image's CMD, compose's
# `command:`, Kubernetes' `args:`) it fills shared volumes that are still empty from the copies in the image:
#
# - LOTSE_KNOWLEDGE_DIR, where it is set (the editor and the action servers): a container that may write it
#   (the editor) copies the image's knowledge/ into it on the first start; a container that mounts it
#   read-only (an action server) waits until that is done, so it never answers from an empty folder.
#   From then on the volume is the live knowledge: later images do not overwrite what volunteers edited.
# - LOTSE_CACHE_DIR/models, in the Rasa image: its trained model (/app/models) is copied in unless it is
#   there already. A copy is the newest file there, so after an upgrade Rasa starts with the new image's
#   model; after that the editor's retrained models are newer.
set -eu

SEEDED=.lotse-seeded      # written last: the folder is complete
WAIT_SECONDS=600

knowledge="${LOTSE_KNOWLEDGE_DIR:-}"
if [ -n "$knowledge" ] && [ "$knowledge" != /app/knowledge ] && [ ! -e "$knowledge/$SEEDED" ]; then
    if [ -w "$knowledge" ]; then
        echo "lotse-entrypoint: first start, copying the image's knowledge/ into $knowledge" >&2
        cp -R /app/knowledge/. "$knowledge/"
        touch "$knowledge/$SEEDED"
    else
        echo "lotse-entrypoint: waiting for the editor to fill $knowledge (first start) ..." >&2
        waited=0
        until [ -e "$knowledge/$SEEDED" ]; do
            if [ "$waited" -ge "$WAIT_SECONDS" ]; then
                echo "lotse-entrypoint: $knowledge is still empty after $WAIT_SECONDS s; start the editor, which fills it" >&2
                exit 1
            fi
            sleep 2
            waited=$((waited + 2))
        done
    fi
fi

if [ -d /app/models ]; then
    models="${LOTSE_CACHE_DIR:?LOTSE_CACHE_DIR is set in the image}/models"
    mkdir -p "$models"
    for model in /app/models/*.tar.gz; do
        [ -e "$model" ] || continue
        name="$(basename "$model")"
        if [ ! -e "$models/$name" ]; then
            # copied beside it, then renamed: no Rasa server ever loads half a model
            cp "$model" "$models/.$name.$$.tmp"
            mv "$models/.$name.$$.tmp" "$models/$name"
        fi
    done
fi

exec "$@"
