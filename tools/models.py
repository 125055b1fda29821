"""`./lotse models download`: put a sentence-embedding model into the local cache, once.

The bot itself never downloads (HF_HUB_OFFLINE at run time); this command is
the one place that talks to the model hub, run by an admin where the internet
is reachable. Afterwards the model loads from config.settings().embedding_cache.
"""

from __future__ import annotations

import shutil
import sys
from typing import TextIO

from core import config
from core.routing.semantic import model_dir


def download(name: str, out: TextIO = sys.stdout) -> int:
    """Download `name` (a sentence-transformers model id) into the cache; 0 on success, 1 if unreachable."""
    existing = model_dir(name)
    if existing is not None:
        print(f"{name} is already on this machine: {existing}", file=out)
        return 0
    from sentence_transformers import SentenceTransformer

    hub_id = name if "/" in name else f"sentence-transformers/{name}"
    target = config.settings().embedding_cache / name.replace("/", "__")
    partial = target.with_name(target.name + ".partial")
    try:
        model = SentenceTransformer(hub_id, device="cpu")
    except OSError as error:  # no network, unknown model, hub refused
        print(
            f"Could not download {hub_id}: {error}\nThe bot keeps running without it (lexical routing). "
            f"Try again where https://huggingface.co is reachable, or copy a saved model folder and set "
            f"LOTSE_EMBEDDING_MODEL to its path.",
            file=out,
        )
        return 1
    shutil.rmtree(partial, ignore_errors=True)
    model.save(str(partial))
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    print(f"{name} saved to {target}; restart the bot to use it.", file=out)
    return 0
