"""Hashtag campaign report on a large synthetic world, after analysis: read the run, build, report.

The world comes from :func:`graph_store.synth.generate` (its brand hashtag ``acme`` and the niche
hashtags are in the interactions and, unless ``--no-posts``, in its posts: the posts behind the
interactions and the original posts they engage with), loaded into a DuckDB store and analysed
once (cached in ``--cache``).  Then, in this process, each step is timed:

* ``read_run``: the four run tables a report reads (``accounts``, ``hashtag_uses``, ``engaged``,
  ``audience``);
* ``build``: what a report reads in memory (:func:`api.hashtag_campaign.campaign_run`, as
  ``nichegraph campaign`` builds it; the HTTP service shares its snapshot's instead);
* ``report``: :func:`api.hashtag_campaign.hashtag_campaign` for the brand hashtag over half a year
  with the brand's earlier fans, on follower and on engaged audiences, and a niche hashtag;
* ``naive``: the same follower-audience report's participants and exact reach recomputed with
  plain Python sets from the same tables, as the reference it must equal (and a speed peer).

Run:  .venv/bin/python benchmarks/bench_hashtag_campaign.py [--accounts 1000000 --edges 5000000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def build_store(path: Path, accounts: int, edges: int, seed: int, posts: bool = True) -> None:
    from nichegraph.api.analysis import run_analysis
    from nichegraph.graph_store.duckdb_store import DuckDBStore
    from nichegraph.graph_store.synth import generate

    t0 = time.perf_counter()
    world = generate(n_accounts=accounts, n_edges=edges, seed=seed)
    with DuckDBStore(str(path)) as st:
        st.load(world.batches(posts=posts))
        print(
            f"generate + load: {time.perf_counter() - t0:.1f} s ({'with' if posts else 'without'} posts: {st.counts()})"
        )
        t0 = time.perf_counter()
        run_analysis(st)
        print(f"analyze: {time.perf_counter() - t0:.1f} s")


def naive(tables, tag: str, since: int, until: int | None, brand: int | None):
    """Participants (the brand left out) and exact follower reach with Python sets over the run tables."""
    uses = tables["hashtag_uses"].to_pydict()
    parts: dict[int, int] = {}
    epoch = dt.datetime(1970, 1, 1)
    for s, t, when, n in zip(uses["source"], uses["tag"], uses["ts"], uses["n"], strict=True):
        ts = None if when is None else (when - epoch) // dt.timedelta(seconds=1)  # stored times are naive UTC
        if t == tag and s != brand and ts is not None and ts >= since and (until is None or ts < until):
            parts[s] = parts.get(s, 0) + n
    aud = tables["audience"].to_pydict()
    followers: dict[int, set] = {}
    for f, a in zip(aud["follower"], aud["account"], strict=True):
        if a in parts and f != a:
            followers.setdefault(a, set()).add(f)
    reached = set().union(*followers.values()) if followers else set()
    return parts, len(reached)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=1_000_000)
    ap.add_argument("--edges", type=int, default=5_000_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-posts", action="store_true", help="Load the world without its posts.")
    ap.add_argument("--store", type=Path, default=None, help="An analysed store to use instead of building one.")
    ap.add_argument("--cache", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "nichegraph-bench")
    args = ap.parse_args()
    kind = "noposts" if args.no_posts else "posts"
    store = args.store or args.cache / f"campaign-{args.accounts}-{args.edges}-{args.seed}-{kind}.duckdb"
    if not store.exists():
        store.parent.mkdir(parents=True, exist_ok=True)
        build_store(store, args.accounts, args.edges, args.seed, posts=not args.no_posts)

    from nichegraph.api.audiences import parse_time
    from nichegraph.api.commands.campaign import CAMPAIGN_TABLES
    from nichegraph.api.hashtag_campaign import CampaignRequest, campaign_run, hashtag_campaign
    from nichegraph.graph_store.duckdb_store import DuckDBStore

    print(f"store {store}; load average {os.getloadavg()[0]:.1f}")
    t0, c0 = time.perf_counter(), time.process_time()
    with DuckDBStore(str(store), read_only=True) as st:
        run, tables = st.read_run(tables=CAMPAIGN_TABLES)
    t_read, c_read = time.perf_counter() - t0, time.process_time() - c0
    rows = {k: v.num_rows for k, v in tables.items()}
    t0, c0 = time.perf_counter(), time.process_time()
    snap = campaign_run(run, tables)
    t_snap, c_snap = time.perf_counter() - t0, time.process_time() - c0
    print(
        f"read_run {t_read:.2f} s wall / {c_read:.2f} s CPU ({', '.join(f'{k} {v:,}' for k, v in rows.items())}); "
        f"build {t_snap:.2f} s wall / {c_snap:.2f} s CPU"
    )

    since, until = parse_time("2024-07-01", "since"), None
    niche_tag = max(
        (t for t in snap.tag_uses.slices if t != "acme"),
        key=lambda t: snap.tag_uses.slices[t][1] - snap.tag_uses.slices[t][0],
    )
    cases = [
        ("acme, followers", CampaignRequest("acme", since=since, brand="brand", audience="followers")),
        ("acme, engaged", CampaignRequest("acme", since=since, brand="brand", audience="engaged")),
        (f"{niche_tag}, followers", CampaignRequest(niche_tag, since=since, audience="followers")),
    ]
    first = None
    for label, req in cases:
        t0, c0 = time.perf_counter(), time.process_time()
        rep = hashtag_campaign(snap, req)
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        first = first or rep
        s = rep["summary"]
        print(
            f"report {label}: {dt:.2f} s wall / {dc:.2f} s CPU; participants {s['participants']:,} (first-time {s['first_time_voices']:,}), "
            f"reach {s['unique_reach']:,} (HLL {s['reach_estimate']:,.0f} ± {s['reach_std_error']:,.0f}), "
            f"niches entered {s['niches_entered']:,}, missed {s['niches_missed']:,}; "
            f"total with read + build {t_read + t_snap + dt:.2f} s wall / {c_read + c_snap + dc:.2f} s CPU"
        )
    print(f"load average {os.getloadavg()[0]:.1f}")
    t0 = time.perf_counter()
    parts, reach = naive(tables, "acme", since, until, snap.row_of("brand"))
    t_naive = time.perf_counter() - t0
    row_of = {a: i for i, a in enumerate(snap.table.column("id").to_pylist())}
    mine = {row_of[p["id"]]: p["uses"] for p in first["participants"]}
    same = mine == parts and reach == first["summary"]["unique_reach"]
    print(f"naive Python reference (participants + exact reach): {t_naive:.2f} s; equal: {same}")
    if not same:
        raise SystemExit("the report differs from the naive reference")


if __name__ == "__main__":
    main()
