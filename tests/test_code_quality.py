"""Code quality gates run with the suite: ruff (lint and format) and mypy over the three packages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("engine", "graph_store", "api")


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True)


def test_ruff_lint_is_clean():
    out = _run([sys.executable, "-m", "ruff", "check", *PACKAGES], ROOT)
    assert out.returncode == 0, out.stdout + out.stderr


def test_ruff_format_is_clean():
    out = _run([sys.executable, "-m", "ruff", "format", "--check", *PACKAGES], ROOT)
    assert out.returncode == 0, "run `ruff format engine graph_store api`:\n" + out.stdout + out.stderr


def test_mypy_is_clean(tmp_path):
    # mypy cannot follow setuptools' editable-install finder, so it checks a link tree that has the
    # installed layout: nichegraph/{engine,graph_store,api} -> the repository's folders.
    tree = tmp_path / "nichegraph"
    tree.mkdir()
    for name in PACKAGES:
        os.symlink(ROOT / name, tree / name, target_is_directory=True)
    out = _run([sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
                "--cache-dir", str(ROOT / ".mypy_cache"), "-p", "nichegraph"], tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
