"""Audience authenticity on a planted world: precision and recall of every signal, time and peak memory.

A synthetic world (``graph_store.synth.generate``) with planted bought-follower
audiences (``--bought`` buyers, each a batch of fresh mass-following fakes
delivered within a day) and engagement pods (``--pods`` cliques answering each
other within minutes) is analysed as ``nichegraph analyze`` does it (the
communities stage for the seeds' communities, then the authenticity stage,
``api.stages.authenticity.compute_authenticity``), without a store: the arrays
go straight from the world to the stages.  A component below ``--flag`` (0.5)
flags an account; each signal is scored against the planted truth it targets:

* ``audience``, ``burst``: the buyers; and "fake-majority" audiences (accounts
  whose observed followers are at least half planted fakes: the buyers, the
  fakes of a farm, and accounts the fakes padded their following with), all of
  them and those with at least 20 observed followers (the components give a
  handful of followers the benefit of the doubt);
* ``trust`` (SybilRank), ``follow_ratio``: the fakes;
* ``pod``: the pod members;
* ``authenticity`` (the combined score): buyers, fakes and pod members.

Time and peak memory are those of the authenticity stage alone (resident set
sampled every 20 ms, minus the resident set before the stage); the first call
compiles the kernels, so the stage runs twice and the second run is reported.

Run: .venv/bin/python benchmarks/bench_authenticity.py --accounts 1000000 --edges 5000000 --bought 150 --pods 300
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time

import numpy as np


class PeakRSS:
    """Peak resident memory of this process while inside the block, sampled every 20 ms."""

    def __init__(self):
        import psutil

        self.proc = psutil.Process()

    def __enter__(self):
        self.base = self.proc.memory_info().rss
        self.peak = self.base
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def _run(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.02)

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)


def edge_arrays(world):
    """The world as the store would read it back (``EdgeArrays``, platform counts as floats)."""
    from nichegraph.graph_store import EdgeArrays

    return EdgeArrays(
        node_ids=np.asarray(world.account_ids().to_numpy(zero_copy_only=False), dtype=object),
        followers_count=world.followers_count.astype(np.float64),
        follow_src=world.follow_src,
        follow_dst=world.follow_dst,
        interaction_src=world.interaction_src,
        interaction_dst=world.interaction_dst,
        interaction_kind=world.interaction_kind,
        interaction_ts=world.interaction_ts,
        interaction_weight=np.ones(world.n_interactions),
        follow_ts=world.follow_since,
    )


def precision_recall(flag: np.ndarray, truth: np.ndarray) -> dict:
    tp = int(np.count_nonzero(flag & truth))
    return {
        "flagged": int(flag.sum()),
        "positives": int(truth.sum()),
        "precision": tp / max(int(flag.sum()), 1),
        "recall": tp / max(int(truth.sum()), 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=1_000_000)
    ap.add_argument("--edges", type=int, default=5_000_000)
    ap.add_argument("--bought", type=int, default=150)
    ap.add_argument("--pods", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--flag", type=float, default=0.5)
    args = ap.parse_args()

    import pyarrow as pa

    from nichegraph.api.stages.authenticity import compute_authenticity
    from nichegraph.api.stages.communities import detect_communities
    from nichegraph.graph_store.synth import generate

    t0 = time.perf_counter()
    world = generate(n_accounts=args.accounts, n_edges=args.edges, seed=args.seed, bought=args.bought, pods=args.pods)
    t_gen = time.perf_counter() - t0
    n = world.n_accounts
    truth = world.inauthentic
    edges = edge_arrays(world)
    accounts = pa.table({"following_count": world.following_count})
    t0 = time.perf_counter()
    found = detect_communities(edges, seed=args.seed)
    t_comm = time.perf_counter() - t0

    runs = []
    for _ in range(2):
        fitted: dict = {}
        with PeakRSS() as mem:
            t0 = time.perf_counter()
            cols = compute_authenticity(edges, accounts, found.niche, fitted=fitted)
            runs.append((time.perf_counter() - t0, mem))
    seconds, mem = runs[-1]

    def is_(idx) -> np.ndarray:
        m = np.zeros(n, dtype=bool)
        m[idx] = True
        return m

    buyers, fakes, pods = is_(truth.buyers), is_(truth.fakes), is_(truth.pod_members)
    observed = np.bincount(world.follow_dst, minlength=n)
    from_fakes = np.bincount(world.follow_dst, weights=fakes[world.follow_src].astype(np.float64), minlength=n)
    fake_majority = (observed > 0) & (from_fakes >= 0.5 * observed)
    sizable = observed >= 20

    def flagged(name: str) -> np.ndarray:
        v = np.asarray(cols[name], dtype=np.float64)
        return ~np.isnan(v) & (v < args.flag)

    def known(name: str) -> int:
        return int(np.count_nonzero(~np.isnan(np.asarray(cols[name], dtype=np.float64))))

    signals = {
        "audience (buyers)": precision_recall(flagged("auth_audience") & ~fakes, buyers),
        "audience (fake-majority)": precision_recall(flagged("auth_audience"), fake_majority),
        "audience (fake-majority, >= 20 followers)": precision_recall(
            flagged("auth_audience") & sizable, fake_majority & sizable
        ),
        "burst (buyers)": precision_recall(flagged("auth_burst") & ~fakes, buyers),
        "burst (fake-majority)": precision_recall(flagged("auth_burst"), fake_majority),
        "burst (fake-majority, >= 20 followers)": precision_recall(
            flagged("auth_burst") & sizable, fake_majority & sizable
        ),
        "trust (fakes)": precision_recall(flagged("auth_trust"), fakes),
        "follow_ratio (fakes)": precision_recall(flagged("auth_follow_ratio"), fakes),
        "pod (pod members)": precision_recall(flagged("auth_pod"), pods),
        "authenticity (all planted)": precision_recall(flagged("authenticity"), buyers | fakes | pods),
    }
    for name in ("auth_audience", "auth_burst", "auth_trust", "auth_pod", "auth_follow_ratio", "authenticity"):
        signals.setdefault("known", {})[name] = known(name)
    out = {
        "accounts": n,
        "organic_accounts": args.accounts,
        "follows": world.n_follows,
        "interactions": world.n_interactions,
        "buyers": int(buyers.sum()),
        "fakes": int(fakes.sum()),
        "pod_members": int(pods.sum()),
        "fake_majority": int(fake_majority.sum()),
        "generate_s": round(t_gen, 1),
        "communities_s": round(t_comm, 1),
        "authenticity_s_first": round(runs[0][0], 2),
        "authenticity_s": round(seconds, 2),
        "authenticity_peak_extra_gib": round((mem.peak - mem.base) / 2**30, 2),
        "process_peak_rss_gib": round(mem.peak / 2**30, 2),
        "seeds": fitted["authenticity"]["seeds"],
        "load_average": os.getloadavg(),
        "signals": signals,
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
