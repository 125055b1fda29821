"""The `lotse` entry script on a machine without the Python it needs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from core import config


def test_missing_python_310_is_explained_with_how_to_get_it(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(config.ROOT / "lotse", project / "lotse")
    shutil.copytree(config.ROOT / "requirements", project / "requirements")
    bare_path = tmp_path / "bin"
    bare_path.mkdir()
    for tool in ("bash", "sha256sum", "cut", "cat", "dirname", "grep", "tail", "date", "du", "rm"):
        found = shutil.which(tool)
        assert found
        (bare_path / tool).symlink_to(found)
    result = subprocess.run(
        [str(project / "lotse"), "train"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": str(bare_path), "HOME": str(tmp_path)},
        cwd=project,
    )
    assert result.returncode == 3
    assert "Lotse needs Python 3.10, which was not found on this machine." in result.stderr
    assert "pyenv install 3.10" in result.stderr
    assert not (project / ".venv-bot").exists()
