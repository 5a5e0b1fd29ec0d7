"""Every notebook runs top to bottom on small data; committed notebooks carry no outputs.

The notebooks run in a kernel of this test's own Python (the project's venv),
registered in a temporary kernelspec folder, with ``NICHEGRAPH_SMALL=1`` and
the working directory ``notebooks/`` as in Jupyter.  A cell that raises fails
the test with the cell's source and traceback.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
KERNEL = "nichegraph-test-venv"
CELL_TIMEOUT_S = 300
#: Budget for one notebook on small data (kernel start and first JIT compilations included).
NOTEBOOK_BUDGET_S = 420
PACKAGES = ("nichegraph.engine", "nichegraph.graph_store", "nichegraph.api")


def test_there_are_notebooks():
    names = [p.name for p in NOTEBOOKS]
    assert len(names) >= 3, names


@pytest.fixture(scope="module")
def kernel_dir(tmp_path_factory) -> Path:
    """A kernelspec folder whose one kernel runs this interpreter (the venv's python)."""
    root = tmp_path_factory.mktemp("kernels")
    spec = root / KERNEL
    spec.mkdir()
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "nichegraph (test venv)", "language": "python",
    }))
    return root


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_clean_on_small_data(path, kernel_dir, monkeypatch):
    monkeypatch.setenv("NICHEGRAPH_SMALL", "1")
    monkeypatch.setenv("PYTHONPATH", str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(path, as_version=4)
    km = KernelManager(kernel_name=KERNEL, kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernel_dir)]))
    assert km.kernel_spec.argv[0] == sys.executable
    client = NotebookClient(nb, km=km, timeout=CELL_TIMEOUT_S, kernel_name=KERNEL,
                            resources={"metadata": {"path": str(path.parent)}})
    t0 = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as exc:
        pytest.fail(f"{path.name}: a cell failed:\n{exc}")
    elapsed = time.perf_counter() - t0
    assert elapsed < NOTEBOOK_BUDGET_S, f"{path.name} took {elapsed:.0f} s on small data (budget {NOTEBOOK_BUDGET_S} s)"
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert images, f"{path.name} drew no plot"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_notebook_has_no_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    nbformat.validate(nbformat.from_dict(nb))
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{path.name} cell {i} has outputs: run .ci/strip_notebooks.py"
            assert cell.get("execution_count") is None, f"{path.name} cell {i} has an execution count"
    assert "widgets" not in nb.get("metadata", {})


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_uses_nichegraph_and_defines_nothing(path):
    """Reusable code belongs in the packages: no def/class in notebooks, and they import nichegraph."""
    nb = nbformat.read(path, as_version=4)
    imported: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        tree = ast.parse(source)
        for node in ast.walk(tree):
            assert not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)), \
                f"{path.name} defines {getattr(node, 'name', 'a lambda')}: move it into the package"
            if isinstance(node, ast.Import):
                imported.update(".".join(a.name.split(".")[:2]) for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(".".join(node.module.split(".")[:2]))
                if node.module == "nichegraph":
                    imported.update(f"nichegraph.{a.name}" for a in node.names)
    assert imported & set(PACKAGES), f"{path.name} imports none of {PACKAGES}"


def test_strip_script_checks_and_strips(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    nb.cells[0].outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "2"}, execution_count=1)]
    nb.cells[0].execution_count = 1
    path = tmp_path / "x.ipynb"
    nbformat.write(nb, path)
    script = ROOT / ".ci" / "strip_notebooks.py"
    check = subprocess.run([sys.executable, str(script), "--check", str(path)], capture_output=True, text=True)
    assert check.returncode == 1 and "not stripped" in check.stdout
    assert subprocess.run([sys.executable, str(script), str(path)], capture_output=True).returncode == 0
    again = subprocess.run([sys.executable, str(script), "--check", str(path)], capture_output=True, text=True)
    assert again.returncode == 0, again.stdout
    assert nbformat.read(path, as_version=4).cells[0].outputs == []
