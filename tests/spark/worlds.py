"""The world and the parameters the Spark tests share."""

from __future__ import annotations

from nichegraph.api.params import AnalysisParams
from nichegraph.api.stages.metrics import MetricsParams
from nichegraph.graph_store.synth import generate

# fitted priors and the hidden score need nothing of Spark; a looser PageRank tolerance keeps the suite short
FAST = AnalysisParams(metrics=MetricsParams(tol=1e-9))
#: The same in the subprocess of the local[1] test (it cannot import the tests).
FAST_SOURCE = "AnalysisParams(metrics=MetricsParams(tol=1e-9))"


def world():
    """300 accounts and 2,500 follows and interactions: a giant component to split, in seconds."""
    return generate(n_accounts=300, n_edges=2500, seed=5)
