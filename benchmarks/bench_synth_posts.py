"""Posts of a synthetic world: what they add to ``generate`` in time and memory.

Side by side in one process: :func:`graph_store.synth.generate` (the world without posts), then
:meth:`World.posts` (the posts' arrays, :mod:`graph_store.synth.posts`), then the posts as canonical
Arrow batches (what ``nichegraph synth`` writes and ``World.batches(posts=True)`` loads).  Wall and
CPU seconds of each step, and the peak resident memory.  With ``--load``, also the world loaded
into a fresh DuckDB store without and then with its posts, one after the other.

Run:  .venv/bin/python benchmarks/bench_synth_posts.py [--accounts 1000000 --edges 5000000 --seed 1]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=1_000_000)
    ap.add_argument("--edges", type=int, default=5_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--load", action="store_true", help="Also time DuckDB loads without and with the posts.")
    args = ap.parse_args()
    from nichegraph.graph_store.synth import generate

    def timed(fn):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        return out, time.perf_counter() - w0, time.process_time() - c0

    world, w_gen, c_gen = timed(lambda: generate(n_accounts=args.accounts, n_edges=args.edges, seed=args.seed))
    rss_world = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    posts, w_posts, c_posts = timed(world.posts)
    rows, w_rows, c_rows = timed(lambda: sum(tb.batch.num_rows for tb in world.batches("posts")))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(
        f"world: {world.n_accounts:,} accounts, {world.n_follows:,} follows, {world.n_interactions:,} interactions; "
        f"posts {posts.n_posts:,} ({posts.n_posts - posts.n_events:,} originals); load average {os.getloadavg()[0]:.1f}"
    )
    print(f"generate (no posts):  {w_gen:6.1f} s wall, {c_gen:6.1f} s CPU; peak RSS {rss_world:.2f} GiB")
    print(f"posts arrays:         {w_posts:6.1f} s wall, {c_posts:6.1f} s CPU")
    print(f"posts Arrow batches:  {w_rows:6.1f} s wall, {c_rows:6.1f} s CPU ({rows:,} rows); peak RSS {rss:.2f} GiB")
    print(f"posts / generate CPU: {(c_posts + c_rows) / c_gen:.2f}")
    if args.load:
        import tempfile

        from nichegraph.graph_store.duckdb_store import DuckDBStore

        with tempfile.TemporaryDirectory() as tmp:
            for posts_too in (False, True):
                with DuckDBStore(Path(tmp) / f"posts-{posts_too}.duckdb") as st:
                    _, w_load, c_load = timed(lambda st=st, p=posts_too: st.load(world.batches(posts=p)))
                    print(
                        f"DuckDB load {'with' if posts_too else 'without'} posts: {w_load:6.1f} s wall, "
                        f"{c_load:6.1f} s CPU; {st.counts()}"
                    )


if __name__ == "__main__":
    main()
