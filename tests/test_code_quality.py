"""Code quality gates run with the suite: ruff (lint and format) and mypy over the three packages."""

from __future__ import annotations

import ast
import io
import os
import re
import subprocess
import sys
import tokenize
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


# -- history stays out of comments: timings go to benchmarks/RESULTS.md, the reasons stay in the code -------------
_QUANTITY = r"\d+(?:[.,]\d+)?\s?"
_TIMING = re.compile(_QUANTITY + r"(?:ns|µs|us|ms|s|secs?|seconds?|min|minutes?)\b(?!-)")
_HISTORY = re.compile(r"\b(?:was|were|took|faster|slower|quicker|down from|up from|used to|speed-?ups?|previously|"
                      r"dropped|saved)\b|->|→", re.I)
_RATIO = re.compile(_QUANTITY + r"[x×]\s(?:faster|slower|quicker|less|more|the speed)\b|\bspeed-?up of " + _QUANTITY, re.I)
_ISSUE = re.compile(r"\b(?:issues?|pr|pull request|ticket)\s?#?\d+\b|\b(?:fixe[sd]|closes|see)\s#\d+\b", re.I)


def _history(text: str) -> str | None:
    """Why ``text`` (one comment or docstring line) reads as history, or None."""
    if _TIMING.search(text) and _HISTORY.search(text):
        return "a timing next to a comparison"
    if _RATIO.search(text):
        return "a speed ratio"
    if _ISSUE.search(text):
        return "an issue number"
    return None


def _comment_lines(path: Path):
    """``(line number, text)`` of every comment and docstring line of a Python file."""
    src = path.read_text(encoding="utf-8")
    for tok in tokenize.generate_tokens(io.StringIO(src).readline):
        if tok.type == tokenize.COMMENT:
            yield tok.start[0], tok.string
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node, clean=False)
            if doc is not None:
                for i, line in enumerate(doc.splitlines()):
                    yield node.body[0].lineno + i, line


def test_the_history_detector_tells_history_from_behaviour():
    for text in ("# this took 2.3 s before the rewrite", "# 40 ms -> 12 ms, faster", "# 3x faster than scipy",
                 "# see issue 12", "# fixes #123", "# Issue #7's rule", "# a speedup of 1.8 on 2 threads", "# was 0.5s per call"):
        assert _history(text), text
    for text in ("# retry after 5 s", "# one token per 0.2 s", "# colour #222", "# see 3 lines below", "# 2 threads, 3 passes",
                 "# the window is 60 s wide", "# faster than a Python loop because it stays in numba"):
        assert _history(text) is None, text


def test_no_comment_quotes_a_timing_or_an_issue_number():
    found = [
        f"{path.relative_to(ROOT)}:{line}: {why}: {text.strip()}"
        for name in PACKAGES
        for path in sorted((ROOT / name).rglob("*.py"))
        for line, text in _comment_lines(path)
        if (why := _history(text))
    ]
    assert not found, "measurements go to benchmarks/RESULTS.md, not comments:\n" + "\n".join(found)
