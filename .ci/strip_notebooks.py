#!/usr/bin/env python3
"""Strip outputs from the notebooks (or, with --check, list those that have any and exit 1).

Usage: python .ci/strip_notebooks.py [--check] [NOTEBOOK ...]   (default: notebooks/*.ipynb)
Notebooks are committed without outputs, execution counts or widget state.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def dirty(nb: dict) -> list[str]:
    """What in ``nb`` is not stripped (empty list when clean)."""
    found = []
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") == "code":
            if cell.get("outputs"):
                found.append(f"cell {i}: outputs")
            if cell.get("execution_count") is not None:
                found.append(f"cell {i}: execution_count")
    if "widgets" in nb.get("metadata", {}):
        found.append("metadata.widgets")
    return found


def strip(nb: dict) -> dict:
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        cell.get("metadata", {}).pop("execution", None)
    nb.get("metadata", {}).pop("widgets", None)
    return nb


def main(argv: list[str]) -> int:
    check = "--check" in argv
    paths = [Path(a) for a in argv if a != "--check"] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    bad = 0
    for path in paths:
        nb = json.loads(path.read_text(encoding="utf-8"))
        problems = dirty(nb)
        if problems and check:
            print(f"{path}: not stripped ({', '.join(problems[:5])}); run python .ci/strip_notebooks.py")
            bad += 1
        elif problems:
            path.write_text(json.dumps(strip(nb), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            print(f"stripped {path}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
