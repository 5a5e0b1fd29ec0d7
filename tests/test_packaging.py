"""Packaging: the three top-level folders install as the one ``nichegraph`` namespace."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOP = ("engine", "graph_store", "api")


def test_every_package_folder_is_listed():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    on_disk = {"nichegraph." + ".".join(p.parent.relative_to(ROOT).parts)
               for top in TOP for p in (ROOT / top).rglob("__init__.py")}
    assert set(config["packages"]) == on_disk
    assert config["package-dir"] == {f"nichegraph.{top}": top for top in TOP}


def test_install_puts_only_nichegraph_into_site_packages(tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "--target", str(target), str(ROOT)], check=True, cwd=tmp_path)
    names = sorted(p.name for p in target.iterdir() if p.name != "bin")
    assert names[0] == "nichegraph" and len(names) == 2 and names[1].startswith("nichegraph-")
    assert names[1].endswith(".dist-info")
    installed = {p.name for p in (target / "nichegraph").iterdir()}
    assert installed == set(TOP)
    assert not (target / "nichegraph" / "__init__.py").exists()  # a PEP 420 namespace
    assert (target / "nichegraph" / "api" / "samples" / "senators" / "SOURCE.md").exists()
