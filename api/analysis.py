"""The analysis pipeline: store -> arrays -> engine stages -> one stored run.

``run_analysis`` is the only orchestration of an analysis; the CLI, the demo
and the benchmarks call it.  Each stage lives in :mod:`api.stages` and
returns whole per-account columns, so the result table is assembled once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa

from nichegraph.graph_store import EdgeArrays, NoRunError, RunRecord, Store

from .params import AnalysisParams
from .stages.authenticity import all_mutual_ties, compute_authenticity
from .stages.communities import detect_communities, group_index
from .stages.engagement import compute_engagement
from .stages.hashtags import tag_counts_of_uses
from .stages.metrics import compute_metrics, follow_graph
from .stages.serving import serving_tables
from .stages.stopwatch import Stopwatch

ACCOUNT_COLUMNS = ("id", "handle", "platform", "followers_count", "affiliation")


@dataclass(frozen=True)
class AnalysisResult:
    """What :func:`run_analysis` stored, plus wall and CPU seconds per stage and step (``stage.step``)."""

    run: RunRecord
    accounts: pa.Table
    communities: pa.Table
    timings: dict[str, float]
    cpu_timings: dict[str, float] = field(default_factory=dict)


def run_analysis(
    store: Store, params: AnalysisParams = AnalysisParams(), progress: Callable[[str], None] | None = None
) -> AnalysisResult:
    """Read the store, compute every measure, and write one run back.

    Parameters
    ----------
    store : Store
        Any store (DuckDB or Neo4j).
    params : AnalysisParams
        Seed, level, threads and each stage's parameters; stored with the run (:mod:`api.params`).
    progress : callable, optional
        Called with the name of each stage as it starts.
    """
    if params.threads:
        import numba

        numba.set_num_threads(params.threads)
    step = Stopwatch(progress=progress)

    with step("read"):
        edges, accounts, uses, posts, previous = read_inputs(store)
    columns: dict[str, np.ndarray | pa.Array] = {"idx": np.arange(edges.n_nodes, dtype=np.int32)}
    for name in ACCOUNT_COLUMNS:
        columns[name] = accounts.column(name)
    with step("communities"):
        found = detect_communities(
            edges,
            params=params.communities,
            seed=params.seed,
            previous=previous,
            hashtags=tag_counts_of_uses(uses),
            watch=step.sub("communities"),
        )
    del previous  # the previous run's accounts only serve to keep community ids
    columns["community"] = found.community
    columns["niche"] = found.niche
    columns["community_size"] = group_sizes(found.community)
    columns["niche_size"] = group_sizes(found.niche)
    fitted: dict = {}
    with step("metrics"):
        level = found.niche if params.level == "niche" else found.community
        watch = step.sub("metrics")
        with watch("follows"):
            follows = follow_graph(edges)  # built once: the authenticity stage and the mutual ties read it too
        columns.update(
            compute_metrics(edges, accounts, level, params=params.metrics, fitted=fitted, watch=watch, follows=follows)
        )
    with step("authenticity"):
        ties = all_mutual_ties(edges, follows)  # shared with the serving stage's ``mutuals`` table
        columns.update(
            compute_authenticity(
                edges,
                accounts,
                found.niche,
                params=params.authenticity,
                fitted=fitted,
                ties=ties,
                follows=follows,
            )
        )
        del follows
    with step("engagement"):
        columns.update(
            compute_engagement(edges, posts, columns["tier"], found.niche, params=params.engagement, fitted=fitted)
        )
    communities = null_for_nan(found.table)
    with step("serving"):
        serving = serving_tables(store, edges, uses, watch=step.sub("serving"), ties=ties)

    del edges, uses, posts, accounts, ties  # the store's arrays are no longer needed: free them before the write
    summary = {"communities": found.n_communities, "niches": found.n_niches, "modularity": found.modularity}
    return store_run(
        store, params, columns, communities, {**summary, "kept_ids": found.matched, "fitted": fitted}, serving, step
    )


def store_run(
    store: Store,
    params: AnalysisParams,
    columns: dict,
    communities: pa.Table,
    summary: dict,
    serving: dict[str, pa.Table],
    step: Stopwatch,
    engine_params: dict | None = None,
) -> AnalysisResult:
    """Write one analysis run: the ``accounts`` table from ``columns``, ``communities`` and the serving tables.

    ``summary`` holds ``communities``, ``niches`` (counts), ``modularity``, ``kept_ids`` and ``fitted``;
    ``step`` is the stopwatch of the run (its timings are returned); ``engine_params`` adds to the stored
    parameters (the Spark engine's settings).  ``columns`` is emptied as the table is built.
    """
    with step("table"):
        # each column is converted and its numpy array dropped at once, so the table never exists twice
        table = pa.table({k: as_arrow(columns.pop(k)) for k in list(columns)})
    created = dt.datetime.now(dt.UTC)
    counts = {**store.counts(), "communities": summary["communities"], "niches": summary["niches"]}
    digest = hashlib.sha1(json.dumps([asdict(params), counts], sort_keys=True, default=str).encode()).hexdigest()[:8]
    run = RunRecord(
        run_id=f"{created:%Y%m%dT%H%M%S%fZ}-{digest}",
        created_at=created.isoformat(),
        params={
            **asdict(params),
            "modularity": summary["modularity"],
            "kept_ids": summary["kept_ids"],
            "fitted": summary["fitted"],
            **(engine_params or {}),
        },
        counts=counts,
    )
    with step("write"):
        store.write_run(run, {"accounts": table, "communities": communities, **serving})
    return AnalysisResult(run, table, communities, step.timings, step.cpu)


def group_sizes(labels: np.ndarray) -> np.ndarray:
    """Members of each account's group (community or niche), int64 of the labels' shape."""
    _, inverse = group_index(labels)
    return np.bincount(inverse)[inverse].astype(np.int64)


def as_arrow(values: np.ndarray | pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """A result column as Arrow with every undefined float (NaN) stored as NULL, so SQL aggregates skip it.

    Arrow columns (the store's account columns) are returned as they are.
    """
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values
    v = np.asarray(values)
    if v.dtype.kind == "f":
        return pa.array(v, mask=np.isnan(v))
    return pa.array(v)


def null_for_nan(table: pa.Table) -> pa.Table:
    """``table`` with NaN in its float columns replaced by NULL."""
    for i, f in enumerate(table.schema):
        if pa.types.is_floating(f.type):
            col = table.column(i)
            v = col.to_numpy(zero_copy_only=False)
            table = table.set_column(i, f.name, pa.array(v, type=f.type, mask=np.isnan(v)))
    return table


class StoreInputs(NamedTuple):
    """What an analysis reads from the store, the same for the local and the Spark engine."""

    edges: EdgeArrays  # follows and interactions as dense index arrays
    accounts: pa.Table  # ordered by ``idx``
    uses: pa.Table  # hashtag uses
    posts: pa.Table
    previous: pa.Table | None  # the latest run's accounts: PREVIOUS_COLUMNS (None: no run yet)


def read_inputs(store: Store) -> StoreInputs:
    """The read step of ``analyze``: edges, accounts, hashtag uses, posts and the previous run's accounts.

    The previous run's table is read first: its columns the analysis does not use are freed before the
    edges arrive, so they never add to the read's peak.  A store whose ``concurrent_reads`` is true (the
    Neo4j store: each read runs in its own sessions) then serves the other four reads at once, so the server
    answers one while the client decodes another; the others are read one after the other.  Either way the
    results are the same.
    """
    previous = previous_accounts(store)
    reads: tuple[Callable[[], Any], ...] = (
        store.read_edges,
        store.read_accounts,
        store.read_hashtag_uses,
        store.read_posts,
    )
    if not getattr(store, "concurrent_reads", False):
        got = [read() for read in reads]
    else:
        with ThreadPoolExecutor(len(reads)) as pool:
            futures = [pool.submit(read) for read in reads]
            got = [f.result() for f in futures]
    return StoreInputs(got[0], got[1], got[2], got[3], previous)


#: The columns of the previous run's ``accounts`` table that keep community and niche ids stable.
PREVIOUS_COLUMNS = ("id", "community", "niche")


def previous_accounts(store: Store) -> pa.Table | None:
    """The :data:`PREVIOUS_COLUMNS` of the latest run's accounts table (those it has), or None when there is no run."""
    try:
        table = store.read_run(tables=("accounts",))[1].get("accounts")
    except NoRunError:
        return None
    if table is None:
        return None
    return table.select([c for c in PREVIOUS_COLUMNS if c in table.column_names])
