"""Train Rasa's model only when what it is trained from has changed.

The model is cached under a hash of config, domain, training data and the
pinned Rasa environment; the same inputs on the same machine never train twice.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from core import config as project  # `config` is the parameter naming Rasa's config file
from core.knowledge.base import KnowledgeBase
from core.knowledge.loader import load_knowledge
from core.model import nlu_data as nlu_generator

CONFIG = project.ROOT / "config.yml"


def training_hash(data_dir: Path, config: Path = CONFIG) -> str:
    """Hash of every input of `rasa train` (content, not timestamps)."""
    digest = hashlib.sha256()
    files = [("config.yml", config)] + [(name, project.ROOT / name) for name in ("domain.yml", "requirements/bot.lock")]
    files += [(str(path.relative_to(data_dir)), path) for path in sorted(data_dir.glob("**/*.yml"))]
    for name, path in files:
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def training_data(knowledge: KnowledgeBase, target: Path, holdout: set[tuple[str, str, str]] | None = None) -> Path:
    """A copy of data/ at `target` whose generated NLU comes from `knowledge` (minus `holdout`).

    For training on other knowledge than knowledge/ (evaluation, benchmarks) without touching data/.
    """
    shutil.copytree(project.ROOT / "data", target)
    nlu_generator.write(knowledge, target / "nlu" / project.GENERATED_NLU.name, holdout)
    return target


def generate_nlu() -> bool:
    """Rebuild data/nlu/knowledge_questions.yml from knowledge/; True when it changed."""
    knowledge = load_knowledge(project.settings().knowledge_dir).knowledge
    return nlu_generator.write(knowledge, project.GENERATED_NLU)


def train(data_dir: Path | None = None, quiet: bool = False, config: Path = CONFIG, nlu_only: bool = False) -> Path:
    """Return the path of a model trained on `data_dir` (default data/), training if needed.

    `config` and `nlu_only` serve the baselines of `./lotse eval` (Rasa's default pipeline).
    """
    data_dir = data_dir or project.ROOT / "data"
    if data_dir == project.ROOT / "data":
        generate_nlu()
    model = project.settings().model_cache / f"{training_hash(data_dir, config)}{'-nlu' if nlu_only else ''}.tar.gz"
    if model.exists():
        return model
    project.settings().model_cache.mkdir(parents=True, exist_ok=True)
    print(f"Training Rasa model from {data_dir} with {config.name} ...", file=sys.stderr)
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as out:
        # Rasa's own output goes to stderr (or is captured): stdout belongs to the command,
        # e.g. the JSON lines of `./lotse route`.
        output = subprocess.PIPE if quiet else sys.stderr
        result = subprocess.run(
            [
                str(project.RASA),
                "train",
                *(["nlu"] if nlu_only else []),
                "--config",
                str(config),
                *(["--nlu"] if nlu_only else ["--domain", "domain.yml", "--data"]),
                str(data_dir),
                "--out",
                out,
                "--fixed-model-name",
                model.stem.removesuffix(".tar"),
                "--quiet",
            ],
            cwd=project.ROOT,
            stdout=output,
            stderr=output,
            text=True,
            check=False,
            env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
        )
        if result.returncode != 0:
            raise RuntimeError(f"rasa train failed:\n{result.stdout or ''}{result.stderr or ''}")
        trained = next(Path(out).glob("*.tar.gz"))
        # Copied beside the target, then renamed: a Rasa replica that loads the newest model from a shared
        # model folder (tools/rasa_service.py) never sees a half-written file.
        partial = model.with_name(f".{model.name}.partial")
        shutil.move(str(trained), partial)
        os.replace(partial, model)
    print(f"Model trained in {time.monotonic() - start:.0f} s: {model}", file=sys.stderr)
    return model
