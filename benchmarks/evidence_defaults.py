"""The data behind the hidden score's minimum evidence (numbers quoted in docs/metrics.md, "Evidence").

For each real data set: load it into a temporary DuckDB store, analyse it with
no minimum (``min_evidence=0``), then apply each candidate minimum ``m`` to the
stored scores (accounts with fewer than ``m`` distinct engaged accounts in
their niche get no score) and report, for the top 50 of the hidden ranking
over the eligible tiers: the fewest and the median distinct inbound
interactors, how many rest on fewer than 3, and how many accounts are scored.

* SNAP Higgs Twitter (interactions only, no follower counts);
* SNAP email-Eu-core (emails read as interactions, kind mention);
* US senators 2018 (follows only, platform follower counts).

Run:  flock /tmp/nichegraph-bench.lock .venv/bin/python benchmarks/evidence_defaults.py [--datasets DIR]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from nichegraph.api.analysis import AnalysisParams, run_analysis
from nichegraph.api.stages.metrics import MetricsParams
from nichegraph.graph_store.duckdb_store import DuckDBStore
from nichegraph.graph_store.ingest import load_files

CANDIDATES = (1, 2, 3, 5, 10)
TOP = 50
SENATORS = Path(__file__).resolve().parent.parent / "api" / "samples" / "senators"


def datasets(root: Path) -> dict[str, dict]:
    return {
        "Higgs": {"interactions": root / "snap-higgs-twitter" / "higgs-activity_time.txt"},
        "email-Eu-core": {"interactions": root / "snap-email-eu-core" / "email-Eu-core.txt", "format": "snap",
                          "kind": "mention"},
        "senators": {"accounts": SENATORS / "senators_wfollowers.csv", "follows": SENATORS / "senators_follow.csv",
                     "columns": SENATORS / "mapping.toml"},
    }


def rows_for(name: str, files: dict, tmp: Path) -> list[str]:
    with DuckDBStore(tmp / f"{name}.duckdb") as st:
        load_files(st, **files)
        result = run_analysis(st, AnalysisParams(seed=0, metrics=MetricsParams(min_evidence=0)))
    t = result.accounts
    score = t.column("score_hidden").to_numpy(zero_copy_only=False)
    tier = np.asarray(t.column("tier").to_pylist(), dtype=object)
    engaged = t.column("niche_engaged").to_numpy()
    inbound = t.column("inbound_accounts").to_numpy()
    eligible = np.isin(tier, ["nano", "micro", "unknown"])
    out = []
    for m in CANDIDATES:
        ok = eligible & (engaged >= m) & ~np.isnan(score)
        rows = np.flatnonzero(ok)
        top = rows[np.lexsort((rows, -score[rows]))][:TOP]
        out.append(f"| {name} | {m} | {ok.sum():,} | {inbound[top].min()} | {np.median(inbound[top]):g} | "
                   f"{int((inbound[top] < 3).sum())} | {engaged[top].min()} | {np.median(engaged[top]):g} |")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", default=str(Path(__file__).resolve().parent.parent.parent / "shared" / "datasets"))
    args = ap.parse_args()
    print(f"| data set | min evidence | scored | top {TOP}: fewest inbound | median inbound | inbound < 3 | "
          "fewest engaged | median engaged |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, files in datasets(Path(args.datasets)).items():
            for line in rows_for(name, files, Path(tmp)):
                print(line, flush=True)


if __name__ == "__main__":
    main()
