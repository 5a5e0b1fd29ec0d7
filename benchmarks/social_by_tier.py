"""Social vs parasocial ratio by tier on two real data sets (numbers quoted in docs/metrics.md).

* US Senators on Twitter, ca. 2018 (shared/datasets/qmss-us-senators-twitter-2018):
  follow graph among the 100 senators + platform follower counts.  No
  interactions, so the social measure is the follow-back ratio.
* SNAP Higgs Twitter (shared/datasets/snap-higgs-twitter, De Domenico et al. 2013):
  563,069 timestamped retweets / mentions / replies; no follower layer and no
  platform counts, so every tier is ``unknown``.

Run:  .venv/bin/python benchmarks/social_by_tier.py [--datasets DIR]
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from nichegraph.api.stages.metrics import compute_metrics, social_by_tier
from nichegraph.engine import aggregate_by_group, social_ratio
from nichegraph.graph_store import EdgeArrays

KIND = {"MT": 0, "RE": 1, "RT": 2}  # mention, reply, repost (INTERACTION_KINDS codes)


def senators(root: Path) -> tuple[EdgeArrays, np.ndarray]:
    d = root / "qmss-us-senators-twitter-2018"
    with open(d / "senators_follow.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    handles = sorted({r["source"].lower() for r in rows} | {r["target"].lower() for r in rows})
    pos = {h: i for i, h in enumerate(handles)}
    fol = [(pos[r["source"].lower()], pos[r["target"].lower()]) for r in rows
           if r["following"] == "TRUE" and r["source"].lower() != r["target"].lower()]
    counts = np.full(len(handles), np.nan)
    with open(d / "senators_wfollowers.csv", newline="") as f:
        for r in csv.DictReader(f):
            h = r["Official.Twitter"].lower()
            if h in pos:
                counts[pos[h]] = float(r["followers_count"])
    party = np.zeros(len(handles), dtype=np.int64)
    with open(d / "senators_twitter.csv", newline="") as f:
        for r in csv.DictReader(f):
            h = r["Official Twitter"].lower()
            if h in pos:
                party[pos[h]] = {"Republican Party": 0, "Democratic Party": 1}.get(r["Party affiliation"], 2)
    src = np.array([a for a, _ in fol], dtype=np.int32)
    dst = np.array([b for _, b in fol], dtype=np.int32)
    e32 = np.zeros(0, dtype=np.int32)
    edges = EdgeArrays(np.array(handles, dtype=object), counts, src, dst, e32, e32, np.zeros(0, np.int8),
                       np.zeros(0, np.int64), np.zeros(0))
    return edges, party


def higgs(root: Path) -> EdgeArrays:
    t = pacsv.read_csv(root / "snap-higgs-twitter" / "higgs-activity_time.txt",
                       read_options=pacsv.ReadOptions(column_names=["a", "b", "ts", "kind"]),
                       parse_options=pacsv.ParseOptions(delimiter=" "),
                       convert_options=pacsv.ConvertOptions(column_types={"a": pa.int64(), "b": pa.int64(),
                                                                          "ts": pa.int64(), "kind": pa.string()}))
    a, b = t.column("a").to_numpy(), t.column("b").to_numpy()
    ids, inv = np.unique(np.concatenate([a, b]), return_inverse=True)
    m = a.shape[0]
    kind = np.array([KIND[k] for k in t.column("kind").to_pylist()], dtype=np.int8)
    e32 = np.zeros(0, dtype=np.int32)
    return EdgeArrays(ids.astype(str).astype(object), np.full(ids.shape[0], np.nan), e32, e32,
                      inv[:m].astype(np.int32), inv[m:].astype(np.int32), kind, t.column("ts").to_numpy(),
                      np.ones(m))


def fmt(x) -> str:
    return "-" if x != x else f"{x:.3f}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", default=str(Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets"))
    root = Path(ap.parse_args().datasets)

    edges, party = senators(root)
    m = compute_metrics(edges, None, party)
    print(f"## US senators 2018: {edges.n_nodes} accounts, {edges.follow_src.shape[0]} follows "
          f"({int(np.isnan(edges.followers_count).sum())} without a platform count -> tier unknown)\n")
    print("| tier | accounts | estimated | follow-back mean | follow-back median | follow-back pooled | asymmetry mean |")
    print("|---|---|---|---|---|---|---|")
    fb = aggregate_by_group(m["follow_back_ratio"], m["tier"].astype(str))
    asy = aggregate_by_group(m["asymmetry"], m["tier"].astype(str))
    pooled = {r["tier"]: r["follow_back_pooled"] for r in social_by_tier(edges, m)}
    order = {"nano": 0, "micro": 1, "macro": 2, "mega": 3, "unknown": 4}
    for r, a in sorted(zip(fb.rows(), asy.rows()), key=lambda ra: order[ra[0]["group"]]):
        est = int(m["tier_estimated"][m["tier"] == r["group"]].sum())
        print(f"| {r['group']} | {r['n']} | {est} | {fmt(r['mean'])} | {fmt(r['median'])} | "
              f"{fmt(pooled[r['group']])} | {fmt(a['mean'])} |")

    t0 = time.perf_counter()
    edges = higgs(root)
    comm = np.zeros(edges.n_nodes, dtype=np.int64)
    m = compute_metrics(edges, None, comm)
    print(f"\n## SNAP Higgs: {edges.n_nodes:,} accounts, {edges.int_src.shape[0]:,} events "
          f"(no follower layer and no platform counts, so every account's tier is '{m['tier'][0]}'); "
          f"{time.perf_counter() - t0:.1f} s\n")
    n = edges.n_nodes
    # audience proxy: distinct accounts that interact with the account
    pairs = np.unique(edges.int_src.astype(np.int64) * n + edges.int_dst)
    s, d = pairs // n, pairs % n
    audience = np.bincount(d[s != d], minlength=n)
    band_edges = [1, 10, 100, 1000]
    band_names = ["0", "1-9", "10-99", "100-999", ">=1000"]
    band = np.array(band_names, dtype=object)[np.searchsorted(band_edges, audience, side="right")]
    print("| distinct interactors | accounts | events, window | social mean | social median | social pooled |")
    print("|---|---|---|---|---|---|")
    talk = edges.int_kind != KIND["RT"]
    for window, label, keep in ((None, "all, any time", None), (86_400, "all, 1 day", None),
                                (3_600, "all, 1 hour", None), (None, "mentions+replies, any time", talk)):
        sel = slice(None) if keep is None else keep
        r = social_ratio(n, edges.int_src[sel], edges.int_dst[sel], ts=edges.int_ts[sel],
                         weight=edges.int_weight[sel], window=window)
        agg = aggregate_by_group(r.ratio, band, numerator=r.reciprocated, denominator=r.inbound)
        rows = {x["group"]: x for x in agg.rows()}
        for name in band_names[1:]:
            x = rows[name]
            print(f"| {name} | {x['n']:,} | {label} | {fmt(x['mean'])} | {fmt(x['median'])} | {fmt(x['pooled'])} |")
        tot = r.reciprocated.sum() / r.inbound.sum()
        print(f"| all | {n:,} | {label} | {fmt(np.nanmean(r.ratio))} | {fmt(np.nanmedian(r.ratio))} | {fmt(tot)} |")


if __name__ == "__main__":
    main()
