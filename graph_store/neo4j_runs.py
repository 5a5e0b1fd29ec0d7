"""Writing an analysis run to Neo4j: chunks, account results, communities, then the ``Run`` node.

Every statement is linear in what it writes (``tests/store/test_neo4j_write_plans.py`` checks the
plans); the statements themselves are in :mod:`graph_store.cypher`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pyarrow as pa

from . import cypher
from .base import RESULT_TABLES, RunRecord
from .errors import StoreError
from .neo4j_convert import ipc_chunks, neo4j_column
from .neo4j_results import NO_RESULTS, UNKNOWN, changed_rows
from .schema import ACCOUNT_FIELDS

#: Most bytes of run-table chunks written in one transaction.
RUN_WRITE_BYTES = 16 << 20
#: Most stored runs whose ``accounts`` tables are read to find the result properties that change.
MAX_RUNS_COMPARED = 2
#: Base account fields that result tables never overwrite on ``Account`` nodes.
PROTECTED = frozenset({"id", "idx", "key", "adj_f", "adj_i", "adj_v", *ACCOUNT_FIELDS})
#: The result columns written as ``Account`` properties by default (``account_results="headline"``): the
#: groups, the tier and the score each ranking sorts by, so plain Cypher can find and order people.  Every
#: column stays in the run's ``accounts`` table (``RunTable`` chunks), which ``rank``, ``serve`` and ``report``
#: read; ``account_results="all"`` writes every column as a property too (about four times the server work).
HEADLINE_RESULTS: tuple[str, ...] = (
    "community",
    "niche",
    "community_size",
    "niche_size",
    "tier",
    "tier_estimated",
    "in_degree",
    "pagerank",
    "niche_pagerank",
    "niche_percentile",
    "social_ratio",
    "social_ratio_shrunk",
    "evidence_weight",
    "score_hidden",
    "authenticity",
    "engagement_rate",
)
#: Values of the store's ``account_results`` setting.
ACCOUNT_RESULTS = ("headline", "all")


def result_properties(columns: list[str], account_results: str) -> list[str]:
    """The columns of an ``accounts`` table written as ``Account`` properties (``account_results``: one of
    :data:`ACCOUNT_RESULTS`)."""
    if account_results not in ACCOUNT_RESULTS:
        raise StoreError(f"account_results must be one of {ACCOUNT_RESULTS}, got {account_results!r}")
    keep = [c for c in columns if c not in PROTECTED]
    return keep if account_results == "all" else [c for c in keep if c in HEADLINE_RESULTS]


def write_run(store: Any, run: RunRecord, tables: dict[str, pa.Table]) -> None:
    """Write ``run`` and its ``tables`` through ``store`` (a :class:`~graph_store.neo4j_store.Neo4jStore`).

    In order: what an interrupted write of the same run left is deleted; the tables as Arrow chunks
    (many per statement, about :data:`RUN_WRITE_BYTES` per transaction); the account properties that
    change (:func:`graph_store.neo4j_results.changed_rows`); the communities; then the ``Run`` node,
    alone in its transaction, so readers see the run only once all of it is written.
    """
    unknown = set(tables) - set(RESULT_TABLES)
    if unknown:
        raise StoreError(f"unknown result tables {sorted(unknown)}; allowed: {RESULT_TABLES}")
    if not run.run_id:
        raise StoreError("a run needs a non-empty run_id")
    store.ensure_schema()
    if store.sessions.read(cypher.RUN_EXISTS, {"run_id": run.run_id})[0]["n"]:
        raise StoreError(f"run {run.run_id!r} already exists in {store.location}")
    store.sessions.write(cypher.DELETE_RUN_PARTS, {"run_id": run.run_id}, what="clearing a half-written run")
    try:
        for t in tables.values():
            cypher.property_names(t.column_names)
    except ValueError as exc:
        raise StoreError(str(exc)) from None
    chunks = [
        {"run_id": run.run_id, "table": name, "seq": seq, "data": data}
        for name, table in tables.items()
        for seq, data in enumerate(ipc_chunks(table))
    ]
    for group in _by_size(chunks, RUN_WRITE_BYTES):
        store.sessions.write(
            cypher.RUN_TABLE_CHUNKS,
            {"chunks": group, "run_id": run.run_id},
            what="writing run tables",
            retry_query=cypher.RUN_TABLE_CHUNKS_IDEMPOTENT,
        )
    acc = tables.get("accounts")
    props: list[str] = []
    if acc is not None and "idx" in acc.column_names:
        props = result_properties(acc.column_names, store.account_results)
        state, old, written, nid = _stored_results(store, acc)
        # what a stored run wrote as a property and this one does not is removed (a null) where it is held
        gone = sorted(set().union(*written) - set(props)) if written else []
        types = {c: t.schema.field(c).type for t in old for c in gone if c in t.column_names}
        target = acc.drop_columns([c for c in gone if c in acc.column_names])
        for c in gone:
            target = target.append_column(c, pa.nulls(acc.num_rows, types.get(c, pa.null())))
        changed = changed_rows(target, [*props, *gone], state, old)
        keep = [i for i, e in enumerate(nid) if e is not None]  # an idx the database lacks has no node to write
        ids, rows = [nid[i] for i in keep], [changed[i] for i in keep]
        _write_batches(
            store,
            lambda lo, hi: {"nid": ids[lo:hi], "p": rows[lo:hi], "run_id": run.run_id},
            len(ids),
            cypher.ACCOUNT_RESULTS,
            "writing account results",
        )
    com = tables.get("communities")
    if com is not None and com.num_rows:
        com_ids = com.column("community").to_pylist() if "community" in com.column_names else range(com.num_rows)
        levels = com.column("level").to_pylist() if "level" in com.column_names else [""] * com.num_rows
        cols = [c for c in com.column_names if c not in ("id", "level")]
        values = {c: neo4j_column(com.column(c)) for c in cols}
        found = [
            {"run_id": run.run_id, "level": lv, "id": i, **{c: v[r] for c, v in values.items() if v[r] is not None}}
            for r, (lv, i) in enumerate(zip(levels, com_ids))
        ]
        _write_batches(
            store,
            lambda lo, hi: {"p": found[lo:hi], "run_id": run.run_id},
            len(found),
            cypher.COMMUNITIES,
            "writing communities",
            retry=cypher.COMMUNITIES_IDEMPOTENT,
        )
    store.sessions.write(
        cypher.CREATE_RUN,
        {
            "run_id": run.run_id,
            "created_at": run.created_at,
            "params": json.dumps(run.params),
            "counts": json.dumps(run.counts),
            "tables": sorted(tables),
            "props": props,
        },
        what="writing the run",
    )


def _stored_results(store: Any, acc: pa.Table) -> tuple[np.ndarray, list[pa.Table], list[set[str]], list]:
    """Per row of the new ``accounts`` table: whose results its account holds (see
    :func:`graph_store.neo4j_results.changed_rows`); the stored tables of those runs and, for each, the columns
    that run wrote as properties; and the account's element id (None for an ``idx`` the database lacks)."""
    rec = store.sessions.read(cypher.ACCOUNT_RUNS, what="reading which run wrote each account")[0]
    held = np.asarray(rec["idx"], dtype=np.int64)
    new_idx = np.asarray(acc.column("idx").to_numpy(zero_copy_only=False), dtype=np.int64)
    lookup = np.full(int(max(new_idx.max(initial=-1), held.max(initial=-1))) + 1, -1, dtype=np.int64)
    lookup[held] = np.arange(held.size)
    at = lookup[new_idx]  # position of each new row in the stored lists, -1 where absent
    nid = [rec["nid"][k] if k >= 0 else None for k in at.tolist()]
    held_by = [rec["run_id"][k] or None if k >= 0 else None for k in at.tolist()]
    state = np.full(acc.num_rows, NO_RESULTS, dtype=np.int64)
    counts: dict[str, int] = {}
    for r in held_by:
        if r is not None:
            counts[r] = counts.get(r, 0) + 1
    if not counts:
        return state, [], [], nid
    runs = {r.run_id for r in store.list_runs()}
    old: list[pa.Table] = []
    written: list[set[str]] = []
    code: dict[str, int] = {}
    for run_id in sorted(counts, key=lambda r: -counts[r]):
        code[run_id] = UNKNOWN
        if run_id in runs and len(old) < MAX_RUNS_COMPARED:
            table = store.read_run(run_id, tables=["accounts"])[1].get("accounts")
            if table is not None and "idx" in table.column_names:
                props = store.sessions.read(cypher.RUN_PROPERTIES, {"run_id": run_id})[0]["props"]
                every = [c for c in table.column_names if c not in PROTECTED]  # runs written before the setting
                wrote = set(every if props is None else props)
                written.append(wrote)
                # the nodes hold only what the run wrote: its other columns are not compared with
                old.append(table.select([c for c in table.column_names if c == "idx" or c in wrote]))
                code[run_id] = len(old) - 1
    for i, r in enumerate(held_by):
        if r is not None:
            state[i] = code[r]
    return state, old, written, nid


def _write_batches(
    store: Any,
    params: Callable[[int, int], dict],
    n: int,
    query: str,
    what: str,
    retry: str | None = None,
) -> None:
    """Run ``query`` with ``params(lo, hi)`` for each batch of ``batch_size`` rows of ``n``.

    The batches run on ``workers`` parallel sessions: every row is its own node, so the writers never
    wait on each other's locks.  ``retry``: the idempotent statement for a batch whose first attempt may
    have committed.
    """
    bs = store.batch_size

    def write(lo: int) -> None:
        store.sessions.write(query, params(lo, min(n, lo + bs)), what=what, retry_query=retry)

    starts = list(range(0, n, bs))
    if store.workers <= 1 or len(starts) <= 1:
        for lo in starts:
            write(lo)
        return
    with ThreadPoolExecutor(store.workers) as ex:
        list(ex.map(write, starts))


def _by_size(items: list[dict], limit: int) -> Iterator[list[dict]]:
    """``items`` in groups whose ``data`` add up to about ``limit`` bytes at most (one item at least)."""
    group: list[dict] = []
    size = 0
    for it in items:
        if group and size + len(it["data"]) > limit:
            yield group
            group, size = [], 0
        group.append(it)
        size += len(it["data"])
    if group:
        yield group
