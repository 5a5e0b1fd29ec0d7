"""The Neo4j store: the same :class:`graph_store.base.Store` contract on a Neo4j 5 server.

The graph model and every Cypher statement are in :mod:`graph_store.cypher`; sessions and
retries in :mod:`graph_store.neo4j_session`; the loader in :mod:`graph_store.neo4j_loader` (its batches run by :mod:`graph_store.neo4j_batches`);
conversions between Arrow and Neo4j values in :mod:`graph_store.neo4j_convert`.

Reading
-------
:meth:`Neo4jStore.read_edges` reads each account's adjacency records (its outgoing
relationships packed into two byte strings, kept current by the loader:
:mod:`graph_store.neo4j_adjacency`) in ranges of ``idx``, so the driver sends a
handful of records and numpy views the bytes as edge arrays without parsing.

Writing a run
-------------
:meth:`Neo4jStore.write_run` writes in time linear in the run's size: a new run's
chunks and communities are plain ``CREATE``\\ s (a retried batch finds each with one
seek in an index on its whole identity), and account results are found by their
element ids, read just before.  Only the account properties that change are sent
(:mod:`graph_store.neo4j_results`).
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pyarrow as pa

from . import cypher, neo4j_columns, neo4j_posts, neo4j_runs
from . import neo4j_adjacency as adjacency
from .base import EdgeArrays, LoadCounts, RunRecord, pick_run, wanted_tables
from .errors import StoreError
from .neo4j_batches import phase
from .neo4j_convert import NONE
from .neo4j_loader import ProgressCallback, load
from .neo4j_session import Sessions, open_driver
from .schema import TableBatch

DEFAULT_BATCH_SIZE = 10_000
DEFAULT_ATOMIC_ROWS = 20_000
#: Parallel writer sessions: on a 2-core server two writers load faster than one, with no deadlock seen.
DEFAULT_WORKERS = 2
#: Accounts per record of a columnar read (accounts, posts, hashtags): a few MB per record.
ACCOUNTS_PER_RANGE = 50_000
_log = logging.getLogger(__name__)


class Neo4jStore:
    """Store backed by a Neo4j 5 server (5.23 or newer; 5.26 LTS is tested).

    Use :meth:`connect` (what ``graph_store.open_store`` calls); the
    constructor takes an existing driver and does no I/O.

    Parameters
    ----------
    driver : neo4j.Driver
        An open driver; the store closes it in :meth:`close` when ``own_driver``.
    location : str
        The URI, for messages.
    database : str, optional
        Database name (the server default when None).
    batch_size : int
        Rows per ``UNWIND`` statement / transaction.
    atomic_rows : int
        Loads with at most this many distinct rows run in one transaction.
    workers : int
        Parallel writer sessions for new accounts, follows and interactions
        (updates of stored accounts run in one session).  Deadlocks between writers are
        transient errors and are retried.
    write_progress : callable, optional
        ``write_progress(rows_done, rows_total)`` while :meth:`load` writes (the caller draws it).
    account_results : {"headline", "all"}
        Which result columns of a run :meth:`write_run` also writes as ``Account`` properties: the headline
        ones (:data:`graph_store.neo4j_runs.HEADLINE_RESULTS`) or every one.  The run's tables hold them all.
    """

    #: The reads may run at once from several threads (the driver is thread-safe and each read opens its own
    #: sessions): ``analyze`` overlaps them (:func:`nichegraph.api.analysis.read_inputs`).
    concurrent_reads = True

    def __init__(
        self,
        driver: Any,
        location: str,
        *,
        database: str | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        atomic_rows: int = DEFAULT_ATOMIC_ROWS,
        workers: int = DEFAULT_WORKERS,
        read_workers: int = 2,
        write_progress: ProgressCallback | None = None,
        max_retry_time: float = 60.0,
        tx_timeout: float = 600.0,
        own_driver: bool = True,
        account_results: str = "headline",
    ):
        if batch_size < 1:
            raise StoreError(f"batch_size must be >= 1, got {batch_size}")
        if account_results not in neo4j_runs.ACCOUNT_RESULTS:
            raise StoreError(f"account_results must be one of {neo4j_runs.ACCOUNT_RESULTS}, got {account_results!r}")
        self.driver = driver
        self.location = location
        self.database = database
        self.sessions = Sessions(
            driver, location, database=database, max_retry_time=max_retry_time, tx_timeout=tx_timeout
        )
        self.batch_size = int(batch_size)
        self.atomic_rows = int(atomic_rows)
        self.workers = max(1, int(workers))
        self.read_workers = max(1, int(read_workers))
        self.write_progress = write_progress
        self.account_results = account_results
        #: Accounts per record of the columnar reads (accounts, posts, hashtag uses).
        self.accounts_per_range = ACCOUNTS_PER_RANGE
        self._own_driver = own_driver
        self._schema_ready = False
        #: Wall seconds of each phase of the last :meth:`load` (for benchmarks and logs).
        self.last_load_phases: dict[str, float] = {}

    @classmethod
    def connect(
        cls,
        uri: str,
        *,
        user: str | None = None,
        password: str | None = None,
        database: str | None = None,
        batch_size: int | str = DEFAULT_BATCH_SIZE,
        atomic_rows: int | str = DEFAULT_ATOMIC_ROWS,
        workers: int | str = DEFAULT_WORKERS,
        write_progress: ProgressCallback | None = None,
        max_retry_time: float = 60.0,
        tx_timeout: float = 600.0,
        connection_timeout: float = 15.0,
        account_results: str = "headline",
        **driver_options: Any,
    ) -> Neo4jStore:
        """Open a driver to ``uri`` and check that the server answers.

        Parameters
        ----------
        uri : str
            ``bolt://``, ``bolt+s://``, ``neo4j://`` or ``neo4j+s://`` URI.
        user, password : str, optional
            Basic auth; no auth when both are None.
        max_retry_time : float
            Seconds the driver keeps retrying a transaction on transient errors.
        tx_timeout : float
            Server-side limit for one transaction (a stuck lock wait ends as an error
            instead of hanging the load).
        """
        from .uri import parse_neo4j_uri

        parsed = parse_neo4j_uri(uri)  # no password in self.location or any message built from it
        uri, user, password = parsed.uri, parsed.user or user, parsed.password or password
        driver = open_driver(
            uri,
            user=user,
            password=password,
            max_retry_time=max_retry_time,
            connection_timeout=connection_timeout,
            **driver_options,
        )
        return cls(
            driver,
            uri,
            database=database,
            batch_size=int(batch_size),
            atomic_rows=int(atomic_rows),
            workers=int(workers),
            write_progress=write_progress,
            max_retry_time=max_retry_time,
            tx_timeout=tx_timeout,
            account_results=account_results,
        )

    # -- context management -------------------------------------------------
    def __enter__(self) -> Neo4jStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._own_driver:
            self.driver.close()

    def ensure_schema(self) -> None:
        """Create constraints and indexes (``IF NOT EXISTS``) and wait until they are online.

        Constraints of the first graph model are dropped when found (a database loaded by an
        old version); a current database is not asked to drop anything.
        """
        if self._schema_ready:
            return
        with self.sessions.errors("creating constraints"), self.sessions.session() as s:
            old = s.run(cypher.FIND_CONSTRAINTS, names=list(cypher.OLD_CONSTRAINTS)).single(strict=True)["names"]
            for name in old:
                if name in cypher.OLD_CONSTRAINTS:
                    s.run(cypher.DROP_CONSTRAINT.format(name=name)).consume()
            for stmt in (*cypher.SCHEMA, neo4j_posts.SCHEMA):
                s.run(stmt).consume()
            s.run(cypher.AWAIT_INDEXES).consume()
        self._schema_ready = True

    def load(self, batches: Iterable[TableBatch], *, source: str | None = None) -> LoadCounts:
        """Write validated batches (see :mod:`graph_store.base` for the semantics, and
        :mod:`graph_store.neo4j_loader` for how).

        The whole input is read and aggregated before anything is sent, so an input error
        leaves the server untouched.  Posts are written last, once their authors' accounts are
        (:mod:`graph_store.neo4j_posts`); a load of at most ``atomic_rows`` rows, posts included,
        is one transaction, so a failure leaves neither the graph's rows nor the posts.
        """
        self.last_load_phases = {}
        counts = load(
            self.sessions,
            batches,
            batch_size=self.batch_size,
            atomic_rows=self.atomic_rows,
            workers=self.workers,
            phases=self.last_load_phases,
            ensure_schema=self.ensure_schema,
            progress=self.write_progress,
        )
        with phase(self.last_load_phases, "adjacency"):
            self.build_adjacency()
        return counts

    # -- reading -------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        rows = self.sessions.read(cypher.COUNTS, what="counting")
        r = rows[0]
        counts = {"accounts": int(r["accounts"]), "follows": int(r["follows"]), "interactions": int(r["interactions"])}
        return {**counts, "posts": neo4j_posts.count_posts(self.sessions)}

    def read_posts(self) -> pa.Table:
        return neo4j_posts.read_posts(self._map_columns("reading posts"), self._account_ranges())

    def read_hashtag_uses(self) -> pa.Table:
        return neo4j_posts.read_hashtag_uses(self._map_columns("reading hashtags"), self._account_ranges())

    def _account_ranges(self) -> list[tuple[int, int]]:
        """Ranges of ``idx`` of :attr:`accounts_per_range` accounts each, over every account."""
        n, per = self._n_accounts(), self.accounts_per_range
        return [(lo, min(n, lo + per)) for lo in range(0, n, per)]

    def _map_columns(self, what: str) -> neo4j_columns.MapRanges:
        """``map_ranges(query, ranges)`` for :mod:`graph_store.neo4j_columns` (parallel read sessions)."""
        return lambda query, ranges: self._map_ranges([(query, r) for r in ranges], what)

    def _n_accounts(self) -> int:
        rows = self.sessions.read(cypher.IDX_STATS, what="reading accounts")
        m = rows[0]["m"] if rows else None
        return 0 if m is None else int(m) + 1

    def _ranges(self, n: int, edges: int, target: int = 250_000) -> list[tuple[int, int]]:
        """Source-idx ranges holding about ``target`` edges each."""
        if n == 0:
            return []
        per = max(1, int(n * target / max(edges, 1))) if edges else n
        return [(lo, min(n, lo + per)) for lo in range(0, n, per)]

    def _map_ranges(self, jobs: list[tuple[str, tuple[int, int]]], what: str, params: dict | None = None) -> list[list]:
        """Run each ``(query, (lo, hi))`` job in parallel read sessions; one value row per job, in order."""

        def one(job: tuple[str, tuple[int, int]]) -> list:
            query, (lo, hi) = job
            return self.sessions.read_values(query, {"lo": lo, "hi": hi, "none": NONE, **(params or {})}, what=what)[0]

        if len(jobs) <= 1 or self.read_workers == 1:
            return [one(j) for j in jobs]
        with ThreadPoolExecutor(self.read_workers) as ex:
            return list(ex.map(one, jobs))

    def read_accounts(self) -> pa.Table:
        """Accounts by ``idx``, one record of column lists per range (:mod:`graph_store.neo4j_columns`)."""
        return neo4j_columns.read_accounts(
            self._map_columns("reading accounts"), self._n_accounts(), self.accounts_per_range
        )

    def read_edges(self) -> EdgeArrays:
        """Edges as dense index arrays, from the accounts' adjacency records (parallel sessions).

        Each range of accounts comes back as one record of a few lists: ids, followers counts and
        two byte strings per account that numpy views as edge records
        (:mod:`graph_store.neo4j_adjacency`).  Accounts whose records are not current are read
        through their relationships; when the total disagrees with the server's relationship
        counts, every relationship is read instead (and the log says why).
        """
        sizes = self.sessions.read(cypher.READ_SIZES, what="counting")[0]
        n = 0 if sizes["m"] is None else int(sizes["m"]) + 1
        n_fol, n_int = int(sizes["follows"]), int(sizes["events"])
        node_ids = np.empty(n, dtype=object)
        fc = np.full(n, np.nan, dtype=np.float64)
        parts, stale = [], []
        params = {"v": adjacency.ADJ_VERSION, "e": b""}
        for idx, ids, f, ok, fol, evt in self._map_ranges(
            [(cypher.READ_ADJACENCY, r) for r in self._ranges(n, max(n, n_fol + n_int), 250_000)],
            "reading edges",
            params,
        ):
            ia = np.asarray(idx, dtype=np.int64)
            node_ids[ia] = ids
            fa = np.asarray(f, dtype=np.float64)
            fa[fa < 0] = np.nan
            fc[ia] = fa
            parts.append(adjacency.unpack(ia, fol, evt))
            stale.append(ia[~np.asarray(ok, dtype=bool)])
        todo = np.concatenate(stale) if stale else np.empty(0, np.int64)
        parts += adjacency.read_in_chunks(self._read_values, todo, self.read_workers)
        adj = adjacency.Adjacency.concat(parts)
        if (adj.fs.size, adj.s.size) != (n_fol, n_int):
            _log.warning(
                "Neo4j %s: the accounts' adjacency records hold %d follows and %d interaction events, the server "
                "%d and %d (relationships written by another client?); reading every relationship instead",
                self.location,
                adj.fs.size,
                adj.s.size,
                n_fol,
                n_int,
            )
            adj = adjacency.Adjacency.concat(
                adjacency.read_in_chunks(self._read_values, np.arange(n), self.read_workers)
            )
        return adjacency.edge_arrays(node_ids, fc, adj)

    def _read_values(self, query: str, params: dict) -> list[list]:
        return self.sessions.read_values(query, params, what="reading edges")

    def build_adjacency(self, everything: bool = False) -> int:
        """Write the adjacency records of every account that lacks current ones (after a bulk import or a
        killed load; every account when ``everything``: after another client changed relationships);
        how many accounts.  :meth:`load` calls it."""
        self.ensure_schema()
        with self.sessions.errors("writing adjacency records"):
            return adjacency.rebuild(
                lambda work: self.sessions.transaction(work, write=True, what="writing adjacency records"),
                self.workers,
                everything,
            )

    def read_hashtags(self) -> tuple[np.ndarray, np.ndarray]:
        vals = self.sessions.read_values(cypher.READ_HASHTAGS, what="reading hashtags")
        s, tags, n = vals[0] if vals else ([], [], [])
        src: list[int] = []
        out: list[str] = []
        for i, tl, k in zip(s, tags, n):
            for _ in range(int(k)):
                for t in tl:
                    src.append(i)
                    out.append(t)
        return np.asarray(src, dtype=np.int32), np.asarray(out, dtype=object)

    def interactions_to(self, target_ids: list[str]) -> pa.Table:
        import hashlib

        keys = [hashlib.sha256(str(t).encode("utf-8")).hexdigest() for t in dict.fromkeys(target_ids)]
        rows = self.sessions.read(cypher.INTERACTIONS_TO, {"keys": keys}, what="reading interactions")
        schema = pa.schema([("source", pa.string()), ("target", pa.string()), ("kind", pa.string()), ("n", pa.int64())])
        t = pa.Table.from_pylist(rows, schema=schema)
        return t.sort_by([("source", "ascending"), ("target", "ascending"), ("kind", "ascending")])

    def hashtag_users(self, tags: list[str]) -> pa.Table:
        want = sorted({str(t).lower() for t in tags})
        rows = self.sessions.read(cypher.HASHTAG_USERS, {"tags": want}, what="reading hashtags")
        schema = pa.schema([("source", pa.string()), ("tag", pa.string()), ("n", pa.int64())])
        t = pa.Table.from_pylist(rows, schema=schema)
        return t.sort_by([("source", "ascending"), ("tag", "ascending")])

    # -- runs ------------------------------------------------------------------
    def write_run(self, run: RunRecord, tables: dict[str, pa.Table]) -> None:
        """Store a run: exact tables as Arrow chunks, results as Account properties, Community nodes.

        The ``Run`` node is created last, in one transaction with nothing else, so readers see the
        run only once all of it is written (:func:`graph_store.neo4j_runs.write_run`).
        """
        neo4j_runs.write_run(self, run, tables)

    def list_runs(self) -> list[RunRecord]:
        rows = self.sessions.read(cypher.LIST_RUNS, what="listing runs")
        return [
            RunRecord(r["run_id"], r["created_at"], json.loads(r["params"] or "{}"), json.loads(r["counts"] or "{}"))
            for r in rows
        ]

    def read_run(
        self, run_id: str | None = None, *, tables: Iterable[str] | None = None
    ) -> tuple[RunRecord, dict[str, pa.Table]]:
        names = wanted_tables(tables)
        run = pick_run(self.list_runs(), run_id, self.location)
        parts: dict[str, list[bytes]] = {}
        for r in self.sessions.read(
            cypher.READ_RUN_TABLE, {"run_id": run.run_id, "tables": list(names)}, what="reading a run"
        ):
            parts.setdefault(r["table"], []).append(bytes(r["data"]))
        out = {}
        for name in names:
            if name in parts:
                out[name] = pa.concat_tables([pa.ipc.open_stream(io.BytesIO(b)).read_all() for b in parts[name]])
        return run, out
