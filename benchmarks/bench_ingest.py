"""Ingest benchmark: rows per second from CSV and Parquet files into the DuckDB store.

What is measured
----------------
For each size N (interactions), a world from :func:`graph_store.synth.generate`
with N interactions, N/4 follows and max(10k, N/20) accounts is written once as
CSV and as Parquet (not timed).  Then, per format, into a fresh DuckDB file:

``accounts+follows``
    ``graph_store.ingest.load_files(store, accounts=..., follows=...)``, one load.
``interactions``
    ``load_files(store, interactions=...)`` into that store (accounts exist);
    this is the headline rows/s (targets: >= 1M rows/s CSV, >= 2M rows/s Parquet).

Each load is split into its two halves, measured separately on the same file:

``read``
    ``load_files`` into a sink store that only consumes the batches (parse,
    validate and convert to canonical Arrow batches; no database);
``store``
    ``DuckDBStore.load`` of the already-converted canonical batches (held in
    memory), i.e. the database's share; with ``--profile`` the time of every
    SQL statement it runs is listed.

Wall-clock seconds (``time.perf_counter``), one run each (the loads are long
enough), on whatever else the machine is doing: the load average is printed.

Usage::

    .venv/bin/python benchmarks/bench_ingest.py                        # 1M and 20M
    .venv/bin/python benchmarks/bench_ingest.py --interactions 1000000 --profile
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nichegraph.graph_store.base import LoadCounts  # noqa: E402
from nichegraph.graph_store.duckdb_store import DuckDBStore  # noqa: E402
from nichegraph.graph_store.schema import TableBatch  # noqa: E402
from nichegraph.graph_store.synth import generate, write_world  # noqa: E402

try:
    from nichegraph.graph_store.ingest import load_files
except ImportError:  # pragma: no cover - the readers are not written yet
    load_files = None


class _Sink:
    """A store that only consumes batches: measures the readers alone."""

    location = ":sink:"

    def __init__(self) -> None:
        self.batches: list[TableBatch] = []
        self.keep = False

    def load(self, batches, *, source=None) -> LoadCounts:
        for tb in batches:
            if self.keep:
                self.batches.append(tb)
        return LoadCounts()


class _TimedConnection:
    """Wraps a DuckDB connection and times every ``execute`` by its SQL's first words."""

    def __init__(self, con) -> None:
        self._con = con
        self.times: dict[str, float] = defaultdict(float)

    def execute(self, sql, params=None):
        t = time.perf_counter()
        r = self._con.execute(sql) if params is None else self._con.execute(sql, params)
        key = " ".join(str(sql).split())[:90]
        self.times[key] += time.perf_counter() - t
        return r

    def __getattr__(self, name):
        return getattr(self._con, name)


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def bench_size(n_int: int, fmt_list: list[str], work: Path, seed: int, profile: bool) -> list[dict]:
    n_accounts = max(10_000, n_int // 20)
    w, gen_s = _timed(lambda: generate(n_accounts=n_accounts, n_edges=0, n_follows=n_int // 4,
                                       n_interactions=n_int, seed=seed))
    print(f"# world: {w.n_accounts:,} accounts, {w.n_follows:,} follows, {w.n_interactions:,} interactions "
          f"(generated in {gen_s:.1f} s)", flush=True)
    rows = []
    for fmt in fmt_list:
        folder = work / f"{n_int}-{fmt}"
        paths, write_s = _timed(lambda: write_world(w, folder, fmt=fmt))
        sizes = {k: p.stat().st_size for k, p in paths.items()}
        print(f"# {fmt}: files written in {write_s:.1f} s, interactions file {sizes['interactions'] / 1e6:,.0f} MB",
              flush=True)
        db = folder / "store.duckdb"
        for stage, kw, n_rows in (
            ("accounts+follows", dict(accounts=paths["accounts"], follows=paths["follows"]),
             w.n_accounts + w.n_follows),
            ("interactions", dict(interactions=paths["interactions"]), w.n_interactions),
        ):
            with DuckDBStore(db) as st:
                _, total_s = _timed(lambda: load_files(st, **kw))
            sink = _Sink()
            sink.keep = True
            _, read_s = _timed(lambda: load_files(sink, **kw))
            # the database's share: load the converted batches into a copy of the store as it was before
            with DuckDBStore(folder / f"store-{stage}.duckdb") as st2:
                if stage == "interactions":
                    st2.load(w.batches("accounts"))
                timed_con = _TimedConnection(st2.con) if profile else None
                if timed_con is not None:
                    st2.con = timed_con
                _, store_s = _timed(lambda: st2.load(iter(sink.batches)))
                if timed_con is not None:
                    st2.con = timed_con._con
            del sink
            row = {"interactions_n": n_int, "format": fmt, "stage": stage, "rows": n_rows,
                   "seconds": total_s, "rows_per_s": n_rows / total_s, "read_s": read_s, "store_s": store_s,
                   "file_mb": sum(sizes[k] for k in kw) / 1e6}
            rows.append(row)
            print(f"{n_int:>11,} {fmt:>8} {stage:>17} {n_rows:>11,} | {total_s:>7.2f} s {n_rows / total_s / 1e6:>6.2f} "
                  f"M rows/s | read {read_s:>6.2f} s ({n_rows / read_s / 1e6:>5.2f} M/s) "
                  f"store {store_s:>6.2f} s ({n_rows / store_s / 1e6:>5.2f} M/s)", flush=True)
            if timed_con is not None:
                top = sorted(timed_con.times.items(), key=lambda kv: -kv[1])[:8]
                for sql, s in top:
                    print(f"{'':>20} {s:7.2f} s  {sql}")
        for p in folder.iterdir():
            p.unlink()
        folder.rmdir()
    return rows


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--interactions", type=int, nargs="+", default=[1_000_000, 20_000_000])
    p.add_argument("--format", dest="formats", nargs="+", default=["csv", "parquet"], choices=["csv", "parquet"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workdir", type=Path, default=None, help="where to write the files (default: a temp dir)")
    p.add_argument("--profile", action="store_true", help="time every SQL statement of the store's load")
    p.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = p.parse_args(argv)
    if load_files is None:
        sys.exit("graph_store.ingest.load_files is not available")

    import duckdb

    print(f"# ingest into DuckDB {duckdb.__version__}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'N':>11} {'format':>8} {'stage':>17} {'rows':>11} | {'total':>9} {'':>6} {'':>8} | "
          "read (parse+validate) | store (DuckDBStore.load)")
    results = []
    with tempfile.TemporaryDirectory(prefix="nichegraph-bench-ingest-", dir=args.workdir) as tmp:
        for n_int in args.interactions:
            results += bench_size(n_int, args.formats, Path(tmp), args.seed, args.profile)
    print("# targets: >= 1M rows/s from CSV, >= 2M rows/s from Parquet (interactions)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
