"""The engagement rate's per-account medians and peer quartiles at scale, against pandas in the same run.

Builds random posts (Zipf-like posts per account, random engagements, views on half of them) and
times ``engine.engagement.post_rates`` (per-account medians by followers and by views) and
``peer_benchmarks`` (quartiles per group), then the same answers with pandas ``groupby`` (the
obvious reference), checking that both agree.

    .venv/bin/python benchmarks/bench_engagement.py --accounts 1000000 --posts 5000000
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

from nichegraph.engine.engagement import peer_benchmarks, post_rates


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=1_000_000)
    ap.add_argument("--posts", type=int, default=5_000_000)
    ap.add_argument("--groups", type=int, default=20_000, help="peer groups (niche x tier)")
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}")
    rng = np.random.default_rng(0)
    n, p = args.accounts, args.posts
    author = np.minimum(rng.zipf(1.6, p) - 1, n - 1).astype(np.int64)
    author = rng.permutation(n)[author]
    eng = rng.integers(0, 1000, p).astype(np.float64)
    views = np.where(rng.random(p) < 0.5, rng.integers(1, 100_000, p).astype(np.float64), np.nan)
    followers = rng.integers(1, 2_000_000, n).astype(np.float64)
    groups = rng.integers(0, args.groups, n)

    t0 = time.perf_counter()
    r = post_rates(n, author, eng, followers, views=views)
    q, _ = peer_benchmarks(r.by_followers, groups, args.groups)
    ours = time.perf_counter() - t0

    t0 = time.perf_counter()
    df = pd.DataFrame({"a": author, "rf": eng / followers[author], "rv": eng / views})
    med = df.groupby("a")[["rf", "rv"]].median().reindex(range(n))
    acc = pd.DataFrame({"g": groups, "r": med["rf"].to_numpy()})
    ref_q = acc.groupby("g")["r"].quantile([0.25, 0.5, 0.75]).unstack().reindex(range(args.groups))
    theirs = time.perf_counter() - t0

    same_f = np.allclose(r.by_followers, med["rf"].to_numpy(), equal_nan=True, rtol=1e-12)
    same_v = np.allclose(r.by_views, med["rv"].to_numpy(), equal_nan=True, rtol=1e-12)
    same_q = np.allclose(q, ref_q.to_numpy()[groups], equal_nan=True, rtol=1e-12)
    print(f"{n:,} accounts, {p:,} posts, {args.groups:,} peer groups")
    print(f"ours {ours:.2f}s  pandas {theirs:.2f}s  pandas/ours {theirs / ours:.2f}  "
          f"equal: medians {same_f and same_v}, quartiles {same_q}")


if __name__ == "__main__":
    main()
