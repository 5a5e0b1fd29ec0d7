"""The world and the parameters the Spark tests share."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from nichegraph.api.params import AnalysisParams
from nichegraph.api.stages.metrics import MetricsParams
from nichegraph.graph_store.schema import POST_METRICS, SCHEMAS, TableBatch
from nichegraph.graph_store.synth import generate

# fitted priors and the hidden score need nothing of Spark; a looser PageRank tolerance keeps the suite short
FAST = AnalysisParams(metrics=MetricsParams(tol=1e-7))
#: The same in the subprocess of the local[1] test (it cannot import the tests).
FAST_SOURCE = "AnalysisParams(metrics=MetricsParams(tol=1e-7))"


def world():
    """300 accounts and 2,500 follows and interactions: a giant component to split, in seconds."""
    return generate(n_accounts=300, n_edges=2500, seed=5)


def posts(w) -> pa.Table:
    """Posts for every 8th interaction that names a post: its source, id, time and hashtags; platform counts on
    most (some missing, so both engagement sources occur), kinds original, reply, repost and quote."""
    itr = pa.Table.from_batches([w.record_batch("interactions", 0, w.n_interactions)])
    itr = itr.filter(itr.column("post_id").is_valid()).take(np.arange(0, itr.num_rows, 8))
    k = itr.num_rows
    i = np.arange(k)
    metrics = {
        m: pa.array(np.where(i % 5 == 0, 0, (i * (j + 3)) % 17), mask=i % 5 == 0) for j, m in enumerate(POST_METRICS)
    }
    return pa.table(
        {
            "post_id": itr.column("post_id"),
            "author": itr.column("source"),
            "ts": itr.column("ts"),
            "hashtags": itr.column("hashtags"),
            "kind": pa.array(np.array(["original", "reply", "repost", "quote"])[i % 4]),
            **metrics,
            "platform": pa.array(["synth"] * k),
        },
        schema=SCHEMAS["posts"],
    )


def batches(w):
    """The world's tables and its posts as canonical batches (what ``DuckDBStore.load`` takes)."""
    yield from w.batches()
    for b in posts(w).to_batches():
        yield TableBatch("posts", b)
