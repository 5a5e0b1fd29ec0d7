r"""Score a stored run's communities against ground-truth labels of accounts.

:func:`evaluate_run` compares each level of a run (``broad`` communities and
``niche``\ s) with a labelling of some accounts and reports, per level, the
normalised mutual information, adjusted Rand index and purity
(:mod:`engine.compare`), plus how strongly the labels themselves cluster on
the analysed graph (their modularity and assortativity), so a researcher can
tell a poor detection from labels that the network does not reflect.

Which accounts count
--------------------
* A labelled account the run does not know (not in its ``accounts`` table)
  is *uncovered*; ``coverage`` is the share of labelled accounts that are
  covered.  Every score uses the covered accounts only.
* Accounts of the run without a label are left out of every score.
* The graph is the one the run's communities were found on: the affinity
  graph (:func:`api.stages.communities.community_graph`) of the store's
  current follows and interactions with the run's affinity weights,
  restricted to the covered labelled accounts (the induced subgraph).  A run
  stores only its affinity overrides, so the weights are those overrides on
  today's defaults; on a store that changed since the run, or a run made
  before a default changed, re-run ``analyze`` for a faithful graph measure
  (NMI, ARI and purity use only the stored ids and are always faithful).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from nichegraph.engine import ari, label_assortativity, label_modularity, nmi, purity
from nichegraph.engine.graph import induced_subgraph
from nichegraph.graph_store import Store
from nichegraph.graph_store.labels import read_labels

from .params import stored_params
from .stages.communities import community_graph

LEVELS = ("broad", "niche")


class EvaluationError(ValueError):
    """The labels cannot be scored against the run (none of the labelled accounts is in it)."""


_LEVEL_COLUMN = {"broad": "community", "niche": "niche"}


@dataclass(frozen=True)
class LevelScore:
    """Agreement of one level's communities with the labels (covered labelled accounts only).

    level : "broad" or "niche"
    nmi, ari, purity : float (see :mod:`engine.compare`)
    n_communities : int, communities among the covered accounts
    modularity : float or None, of the level's communities on the labelled subgraph (None without edges)
    """

    level: str
    nmi: float
    ari: float
    purity: float
    n_communities: int
    modularity: float | None


@dataclass(frozen=True)
class Evaluation:
    """Result of :func:`evaluate_run`.

    run_id : str
    n_labelled : int, distinct accounts in the labels
    n_covered : int, of those, accounts the run knows
    coverage : float, ``n_covered / n_labelled``
    n_classes : int, distinct labels among covered accounts
    label_modularity, label_assortativity : float or None
        Of the label partition on the labelled subgraph (None when undefined: no edges, one class).
    levels : tuple of LevelScore, broad then niche
    """

    run_id: str
    n_labelled: int
    n_covered: int
    coverage: float
    n_classes: int
    label_modularity: float | None
    label_assortativity: float | None
    levels: tuple

    def level(self, name: str) -> LevelScore:
        return next(s for s in self.levels if s.level == name)

    def as_dict(self) -> dict:
        d = asdict(self)
        d["levels"] = {s.level: {k: v for k, v in asdict(s).items() if k != "level"} for s in self.levels}
        return d


def _defined(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def evaluate_run(store: Store, labels: pa.Table, *, run_id: str | None = None) -> Evaluation:
    """Score run ``run_id`` (default: the latest) against ``labels``.

    Parameters
    ----------
    store : Store
        A store holding the run and the edges it analysed.
    labels : pyarrow.Table
        Columns ``id`` and ``label`` (strings; :func:`graph_store.labels.read_labels`), one row per account.
    run_id : str, optional

    Returns
    -------
    Evaluation

    Raises
    ------
    EvaluationError
        When no labelled account is in the run (the id column holds something else).
    """
    run, tables = store.read_run(run_id)
    accounts = tables["accounts"]
    label_ids = pc.cast(labels.column("id"), pa.string())
    run_ids = pc.cast(accounts.column("id"), pa.string())
    row = pc.fill_null(pc.index_in(label_ids, value_set=run_ids), -1).to_numpy(zero_copy_only=False).astype(np.int64)
    covered = row >= 0
    row = row[covered]
    truth = np.asarray(labels.column("label").to_pylist(), dtype=object)[covered].astype(str)

    edges = store.read_edges()
    graph = community_graph(edges, stored_params(run.params).communities)
    position = pc.fill_null(
        pc.index_in(
            run_ids.take(pa.array(row)),
            value_set=pa.array(np.asarray(edges.node_ids, dtype=object).tolist(), pa.string()),
        ),
        -1,
    )
    position = position.to_numpy(zero_copy_only=False).astype(np.int64)
    in_graph = position >= 0  # accounts of the run that the store no longer has stay out of the graph measures
    sub = induced_subgraph(graph, position[in_graph])
    if not covered.any():
        sample = ", ".join(label_ids.slice(0, 3).to_pylist())
        raise EvaluationError(
            f"none of the {labels.num_rows} labelled accounts (ids such as {sample}) is in run "
            f"{run.run_id}; the labels' id column must hold the account ids that were loaded"
        )

    scores = []
    for level in LEVELS:
        column = _LEVEL_COLUMN[level]
        if column not in accounts.column_names:
            continue
        found = pc.fill_null(accounts.column(column), -1).to_numpy(zero_copy_only=False).astype(np.int64)[row]
        q = label_modularity(sub, found[in_graph]) if sub.nnz else float("nan")
        scores.append(
            LevelScore(
                level,
                nmi(found, truth),
                ari(found, truth),
                purity(found, truth),
                int(np.unique(found).size),
                _defined(q),
            )
        )
    n_labelled = labels.num_rows
    return Evaluation(
        run_id=run.run_id,
        n_labelled=n_labelled,
        n_covered=int(covered.sum()),
        coverage=float(covered.sum() / n_labelled) if n_labelled else 0.0,
        n_classes=int(np.unique(truth).size),
        label_modularity=_defined(label_modularity(sub, truth[in_graph])) if sub.nnz else None,
        label_assortativity=_defined(label_assortativity(sub, truth[in_graph])) if sub.nnz else None,
        levels=tuple(scores),
    )


def evaluate_labels(
    store: Store, path: str | Path, *, id_column: str = "id", label_column: str = "label", run_id: str | None = None
) -> Evaluation:
    """Read a labels file (CSV/TSV, see :func:`graph_store.labels.read_labels`) and :func:`evaluate_run`.

    Examples
    --------
    ``evaluate_labels(store, "parties.tsv", id_column="node_id", label_column="party").level("broad").nmi``
    """
    return evaluate_run(store, read_labels(path, id_column=id_column, label_column=label_column), run_id=run_id)
