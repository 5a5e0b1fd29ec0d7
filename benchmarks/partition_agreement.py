"""Communities and niches of one whole-world partition, computed by the Spark workers' functions without Spark,
against the single-machine ``detect_communities``: the agreement the Spark engine gets when a component fits
``--max-partition`` (not a Spark run: the Spark-side sums, the PageRank and the metrics are not in it).

The steps are the pipeline's for one partition: ``work.halo_graphs`` builds the affinity edges,
``work.broad_communities`` runs Leiden at the full resolution (the partition holds all the weight), the niche
resolution comes from the global sums (``resolution_from_weights``), ``work.niche_communities`` finds the
niches; labels are made global and matched as the pipeline does.

    .venv/bin/python benchmarks/partition_agreement.py --edges 5000000
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import normalized_mutual_info_score as nmi

from nichegraph.api.params import AnalysisParams
from nichegraph.api.spark import work
from nichegraph.api.spark.coarse import canonical
from nichegraph.api.stages.communities import detect_communities, match_ids
from nichegraph.engine.niche_detection import resolution_from_weights
from nichegraph.graph_store.duckdb_store import DuckDBStore

sys.path.insert(0, str(Path(__file__).parent))
from bench_spark import store_for


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--edges", type=int, default=1_000_000)
    ap.add_argument("--accounts", type=int, default=None, help="default edges / 20")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    with DuckDBStore(str(store_for(args.accounts or args.edges // 20, args.edges, args.seed))) as st:
        edges = st.read_edges()
    params = AnalysisParams()
    cp, seed, n = params.communities, params.seed, edges.n_nodes
    c0 = time.process_time()
    single = detect_communities(edges, params=cp, seed=seed)
    single_cpu = time.process_time() - c0
    c0 = time.process_time()
    nodes = pd.DataFrame({"idx": np.arange(n, dtype=np.int64), "followers_count": edges.followers_count})
    built = work.halo_graphs(nodes, pd.DataFrame(work.raw_rows(edges)), cp, params.metrics)
    aff = built[built.graph == 0][["src", "dst", "weight"]].reset_index(drop=True)
    broad = work.broad_communities(nodes, aff, cp.resolution, seed, cp.n_iterations, cp.parallel)
    lab = np.empty(n, dtype=np.int64)
    lab[broad["idx"].to_numpy()] = broad["label"].to_numpy()
    community, _ = match_ids(canonical(lab), edges.node_ids, None, "community", cp.match_threshold)
    src, dst, w = aff["src"].to_numpy(), aff["dst"].to_numpy(), aff["weight"].to_numpy()
    total, w_in = float(w.sum()), float(w[community[src] == community[dst]].sum())
    gamma = resolution_from_weights(w_in, total - w_in, np.bincount(canonical(community)), n)[0]
    found = work.niche_communities(nodes.assign(label=community), aff, gamma, seed, cp.n_iterations, cp.parallel)
    lab[found["idx"].to_numpy()] = found["label"].to_numpy()
    niche, _ = match_ids(canonical(lab), edges.node_ids, None, "niche", cp.match_threshold)
    print(
        json.dumps(
            {
                "edges": args.edges,
                "accounts": n,
                "load_avg": os.getloadavg(),
                "nmi_community": float(nmi(single.community, community)),
                "nmi_niche": float(nmi(single.niche, niche)),
                "identical_communities": bool(np.array_equal(single.community, community)),
                "identical_niches": bool(np.array_equal(single.niche, niche)),
                "communities": [int(np.unique(single.community).size), int(np.unique(community).size)],
                "niches": [int(np.unique(single.niche).size), int(np.unique(niche).size)],
                "cpu_s": {"single": single_cpu, "partition": time.process_time() - c0},
            }
        )
    )


if __name__ == "__main__":
    main()
