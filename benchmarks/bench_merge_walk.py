"""The two kernels that walk two sorted rows together: run time and first (cold) compile time.

``authenticity.pods._triangles`` (triangles through every node) and
``influence.overlap._intersections`` (shared audience of account pairs) both step through
neighbour lists with ``engine._merge_walk.next_common``.  Prints CPU seconds (minimum and median
of ``--repeats``) on a random undirected graph, the outputs' checksum (equal across versions means
the same results), and each kernel's compile CPU seconds in a fresh process with an empty cache.
Compare two versions by running it at each, one after the other::

    NUMBA_NUM_THREADS=1 .venv/bin/python benchmarks/bench_merge_walk.py
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import scipy.sparse as sp

_COMPILE = """
import time
from nichegraph.engine._warmup import dispatcher, parse_signature
for module, name, sig in (("authenticity.pods", "_triangles", "i8[], i4[]"),
                          ("influence.overlap", "_intersections", "i8[], i4[], i8[], i8[]")):
    t0 = time.process_time()
    dispatcher(module, name, "").compile(parse_signature(sig))
    print(f"compile {name}: {time.process_time() - t0:.2f} s CPU")
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=200_000)
    ap.add_argument("--edges", type=int, default=3_000_000)
    ap.add_argument("--pairs", type=int, default=2_000_000)
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        out = subprocess.run([sys.executable, "-c", _COMPILE], env={**os.environ, "NICHEGRAPH_CACHE_DIR": cache},
                             capture_output=True, text=True, check=True)
        print(out.stdout, end="")

    from nichegraph.engine.authenticity.pods import _triangles
    from nichegraph.engine.influence.overlap import _intersections

    rng = np.random.default_rng(5)
    n, m = a.nodes, a.edges
    r = rng.integers(0, n, m)
    c = (r + rng.geometric(0.001, m)) % n
    A = sp.coo_matrix((np.ones(m), (r, c)), shape=(n, n)).tocsr()
    A = ((A + A.T) > 0).astype(np.int8).tocsr()
    A.setdiag(0)
    A.eliminate_zeros()
    A.sort_indices()
    indptr, indices = A.indptr.astype(np.int64), A.indices.astype(np.int32)
    pa, pb = rng.integers(0, n, a.pairs), rng.integers(0, n, a.pairs)
    h = hashlib.sha256()
    for name, run in (("_triangles", lambda: _triangles(indptr, indices)),
                      ("_intersections", lambda: _intersections(indptr, indices, pa, pb))):
        run()
        times = []
        for _ in range(a.repeats):
            t0 = time.process_time()
            res = run()
            times.append(time.process_time() - t0)
        h.update(res.tobytes())
        print(f"run {name}: min {min(times):.3f} s, median {float(np.median(times)):.3f} s CPU")
    print(f"checksum {h.hexdigest()[:16]}  ({n:,} nodes, {A.nnz // 2:,} edges, {a.pairs:,} pairs)")


if __name__ == "__main__":
    main()
