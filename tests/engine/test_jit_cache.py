"""The on-disk kernel cache: it really hits in a new process (parallel kernels included), and a module
that is imported under a new name (an upgrade that moved it) never loads entries written under the old one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

# Counts the compilations (cache misses) of kernels whose module starts with PREFIX, runs BODY, prints the count.
_COUNTING = textwrap.dedent("""
    import json, sys
    from numba.core import event
    misses = []
    class Count(event.Listener):
        def on_start(self, ev):
            misses.append(ev.data["dispatcher"].py_func.__module__)
        def on_end(self, ev):
            pass
    event.register("numba:compile", Count())
    {body}
    print(json.dumps([m for m in misses if m.startswith({prefix!r})]))
""")


def _run(body: str, prefix: str, cache: Path, cwd: Path | None = None) -> list[str]:
    code = _COUNTING.format(body=textwrap.dedent(body).strip(), prefix=prefix)
    env = {**os.environ, "NICHEGRAPH_CACHE_DIR": str(cache)}
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_engine_kernels_hit_the_cache_in_a_new_process(tmp_path):
    body = """
    import numpy as np
    from nichegraph import engine
    g = engine.from_edges(np.array([0, 1, 2, 3]), np.array([1, 2, 0, 0]))
    print(engine.pagerank(g).tolist())
    """
    first = _run(body, "nichegraph.engine", tmp_path)
    assert "nichegraph.engine.centrality" in first  # the parallel PageRank sweep compiled once
    assert _run(body, "nichegraph.engine", tmp_path) == []  # and every kernel came from the cache
    assert any((tmp_path / d / "nichegraph.engine.centrality").is_dir() for d in os.listdir(tmp_path))


_MODULE = '''
import numpy as np
from nichegraph.engine._jit import kernel, parallel_kernel, prange

@kernel
def _inner(x):
    return x * 2.0

@parallel_kernel
def doubled_sum(a):
    out = np.empty(a.shape[0])
    for i in prange(a.shape[0]):
        out[i] = _inner(a[i])
    return out.sum()
'''


def test_a_module_under_a_new_name_does_not_load_the_old_names_entries(tmp_path):
    """The same file (same source, same bytecode) imported as ``oldpkg.kernels`` then ``newpkg.kernels``
    (the namespace move of ``engine.graph`` to ``nichegraph.engine.graph``): the new name compiles
    afresh and runs, then hits its own entries."""
    src = tmp_path / "src"
    for pkg in ("oldpkg", "newpkg"):
        (src / pkg).mkdir(parents=True)
        (src / pkg / "__init__.py").write_text("")
    (src / "oldpkg" / "kernels.py").write_text(_MODULE)
    os.link(src / "oldpkg" / "kernels.py", src / "newpkg" / "kernels.py")  # one file, two module names
    cache = tmp_path / "cache"
    body = "import numpy as np\nfrom {pkg}.kernels import doubled_sum\nassert doubled_sum(np.arange(4.0)) == 12.0"
    assert _run(body.format(pkg="oldpkg"), "oldpkg", cache, cwd=src) == ["oldpkg.kernels", "oldpkg.kernels"]
    assert _run(body.format(pkg="newpkg"), "newpkg", cache, cwd=src) == ["newpkg.kernels", "newpkg.kernels"]
    assert _run(body.format(pkg="newpkg"), "newpkg", cache, cwd=src) == []
    assert _run(body.format(pkg="oldpkg"), "oldpkg", cache, cwd=src) == []


def test_cache_dir_is_keyed_by_version_and_install(tmp_path, monkeypatch):
    from importlib import metadata

    from nichegraph.engine import _jit

    where = _jit.cache_dir()
    assert where.name.startswith(metadata.version("nichegraph") + "-")
