"""The Neo4j store: the same :class:`graph_store.base.Store` contract on a Neo4j 5 server.

The graph model and every Cypher statement are in :mod:`graph_store.cypher`.

Loading
-------
:meth:`Neo4jStore.load` first reads every batch into an in-memory DuckDB
(validated input never reaches the server until the whole input was read, so
a bad file changes nothing), aggregates it exactly like :class:`DuckDBStore`
(follows once per pair with the earliest ``since``; identical interaction
events counted as a multiplicity ``n``), hashes the identities (account key =
SHA-256 of the id, stored; event key = 60 bits of the SHA-256 of the event's
fields, compared client-side only),
and then writes with batched ``UNWIND`` statements:

1. constraints and indexes (``IF NOT EXISTS``);
2. accounts, batches in id order written by the parallel writers, each created
   only when its key is not stored; new ids take the free ``idx`` values first
   (see :meth:`_Loader._plan_accounts`), so the dense ``idx`` of a new account is
   the same whether the load runs once or is resumed; the loader keeps every
   account's internal node id.  Meanwhile a second thread aggregates the
   relationships in DuckDB;
3. account fields, follows, interaction events.  Relationships find their
   endpoints by internal node id; on a relationship type that already holds
   data the stored relationships of the load's sources are read first and only
   new or changed rows are sent (see :meth:`_Loader._plan_edges`).

Every statement is idempotent or only ever sent for rows known to be new, and a
batch whose commit outcome is unknown is retried with the idempotent statement,
so a retried batch or a re-run after a killed process changes nothing twice:
the load is resumable.  Loads of at most ``atomic_rows`` distinct rows run in
one transaction (all or nothing even on the server side); larger loads commit
batch by batch (a crash leaves a prefix that the re-run completes).

Reading
-------
:meth:`Neo4jStore.read_edges` pulls edges in ranges of source ``idx`` with
Cypher that ``collect``\\ s each column into one list per range, so the driver
sends a handful of records holding long integer lists instead of one record
per edge; the lists become numpy arrays directly.
"""

from __future__ import annotations

import io
import json
import logging
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

import duckdb
import numpy as np
import pyarrow as pa

from . import cypher
from .base import RESULT_TABLES, EdgeArrays, LoadCounts, RunRecord, pick_run, wanted_tables
from .errors import StoreError
from .schema import ACCOUNTS, INTERACTION_KINDS, TableBatch

try:  # optional dependency: the `neo4j` extra
    import neo4j
    from neo4j import exceptions as neo4j_errors
except ImportError as _exc:  # pragma: no cover - exercised only without the extra
    raise StoreError("the Neo4j store needs the `neo4j` package: pip install nichegraph") from _exc

_log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 10_000
DEFAULT_ATOMIC_ROWS = 20_000
#: Parallel writer sessions: on a 2-core server two writers load ~20% faster than one, with no deadlock seen.
DEFAULT_WORKERS = 2
_RUN_CHUNK_BYTES = 4 << 20
#: Base account fields that result tables never overwrite on ``Account`` nodes.
_PROTECTED = frozenset({"id", "idx", "key", *cypher.ACCOUNT_FIELDS})

_STAGE_DDL = {
    "accounts": """CREATE TABLE stage_accounts (seq BIGINT, id VARCHAR, handle VARCHAR, platform VARCHAR,
        followers_count BIGINT, following_count BIGINT, affiliation VARCHAR)""",
    "follows": "CREATE TABLE stage_follows (follower VARCHAR, followee VARCHAR, since TIMESTAMP)",
    "interactions": """CREATE TABLE stage_interactions (source VARCHAR, target VARCHAR, kind VARCHAR,
        ts TIMESTAMP, post_id VARCHAR, hashtags VARCHAR[], weight DOUBLE)""",
}


def _sha256(col: str) -> str:
    return f"sha256({col})"


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
    progress : bool, optional
        Show a progress bar on stderr (default: when stderr is a terminal).
    """

    def __init__(self, driver: "neo4j.Driver", location: str, *, database: str | None = None,
                 batch_size: int = DEFAULT_BATCH_SIZE, atomic_rows: int = DEFAULT_ATOMIC_ROWS,
                 workers: int = DEFAULT_WORKERS, read_workers: int = 2, progress: bool | None = None,
                 max_retry_time: float = 60.0, tx_timeout: float = 600.0, own_driver: bool = True):
        if batch_size < 1:
            raise StoreError(f"batch_size must be >= 1, got {batch_size}")
        self.driver = driver
        self.location = location
        self.database = database
        self.batch_size = int(batch_size)
        self.atomic_rows = int(atomic_rows)
        self.workers = max(1, int(workers))
        self.read_workers = max(1, int(read_workers))
        self.progress = sys.stderr.isatty() if progress is None else progress
        self.max_retry_time = float(max_retry_time)
        self.tx_timeout = float(tx_timeout)
        self._own_driver = own_driver
        self._schema_ready = False
        #: Wall seconds of each phase of the last :meth:`load` (for benchmarks and logs).
        self.last_load_phases: dict[str, float] = {}

    @classmethod
    def connect(cls, uri: str, *, user: str | None = None, password: str | None = None,
                database: str | None = None, batch_size: int | str = DEFAULT_BATCH_SIZE,
                atomic_rows: int | str = DEFAULT_ATOMIC_ROWS, workers: int | str = DEFAULT_WORKERS,
                progress: bool | None = None, max_retry_time: float = 60.0, tx_timeout: float = 600.0,
                connection_timeout: float = 15.0, **driver_options: Any) -> "Neo4jStore":
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
        auth = (user or "neo4j", password or "") if (user or password) else None
        try:
            driver = neo4j.GraphDatabase.driver(
                uri, auth=auth, max_transaction_retry_time=max_retry_time,
                connection_timeout=connection_timeout, notifications_min_severity="OFF",
                liveness_check_timeout=driver_options.pop("liveness_check_timeout", 30.0), **driver_options)
            driver.verify_connectivity()
        except neo4j_errors.AuthError as exc:
            raise StoreError(f"Neo4j at {uri} refused the credentials (set NICHEGRAPH_NEO4J_USER / "
                             f"NICHEGRAPH_NEO4J_PASSWORD): {exc.message}") from exc
        except (neo4j_errors.ServiceUnavailable, OSError) as exc:
            raise StoreError(f"cannot reach Neo4j at {uri}: {exc}") from exc
        except (neo4j_errors.ConfigurationError, ValueError) as exc:
            raise StoreError(f"bad Neo4j URI {uri!r}: {exc}") from exc
        return cls(driver, uri, database=database, batch_size=int(batch_size), atomic_rows=int(atomic_rows),
                   workers=int(workers), progress=progress, max_retry_time=max_retry_time,
                   tx_timeout=tx_timeout)

    # -- context management -------------------------------------------------
    def __enter__(self) -> "Neo4jStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._own_driver:
            self.driver.close()

    # -- plumbing ------------------------------------------------------------
    def _session(self, write: bool = True) -> "neo4j.Session":
        return self.driver.session(database=self.database,
                                   default_access_mode=neo4j.WRITE_ACCESS if write else neo4j.READ_ACCESS)

    def _retrying(self, fn: Callable[[], Any], what: str) -> Any:
        """Call ``fn`` (a managed transaction), retrying lost connections with backoff.

        The driver retries transient errors itself but not a commit whose outcome is
        unknown (``IncompleteCommit``), nor a server that stays away longer than its
        own retry window.  Every statement this store runs is idempotent, so
        running it again is always safe.
        """
        deadline = time.monotonic() + self.max_retry_time
        delay = 0.5
        while True:
            try:
                return fn()
            except (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired) as exc:
                # IncompleteCommit is a ServiceUnavailable
                if time.monotonic() + delay > deadline:
                    raise
                _log.warning("Neo4j %s: %s lost the connection (%s); retrying in %.1fs",
                             self.location, what, exc, delay)
                time.sleep(delay)
                delay = min(delay * 2, 8.0)

    def _write(self, query: str, params: dict | None = None, *, what: str = "write",
               retry_query: str | None = None) -> list[dict]:
        """Run one statement in its own managed (retried) write transaction.

        ``retry_query``: the idempotent statement to use on every attempt after the first
        (the first may be a faster plain ``CREATE`` whose commit outcome could be unknown).
        """
        attempts = [0]

        def work(tx: "neo4j.ManagedTransaction") -> list[dict]:
            q = query if attempts[0] == 0 or retry_query is None else retry_query
            if attempts[0]:
                _log.info("Neo4j %s: %s: attempt %d (the driver retries transient errors such as deadlocks)",
                          self.location, what, attempts[0] + 1)
            attempts[0] += 1
            return _dicts(tx.run(q, params or {}))

        def once() -> list[dict]:
            with self._session() as s:
                return s.execute_write(neo4j.unit_of_work(timeout=self.tx_timeout)(work))
        with self._errors(what):
            return self._retrying(once, what)

    def _read(self, query: str, params: dict | None = None, *, what: str = "read") -> list[dict]:
        def work(tx: "neo4j.ManagedTransaction") -> list[dict]:
            return _dicts(tx.run(query, params or {}))

        def once() -> list[dict]:
            with self._session(write=False) as s:
                return s.execute_read(neo4j.unit_of_work(timeout=self.tx_timeout)(work))
        with self._errors(what):
            return self._retrying(once, what)

    def _read_values(self, query: str, params: dict | None = None, *, what: str = "read") -> list[list]:
        """Like :meth:`_read` but returns the records' values (no dict per record)."""
        def work(tx: "neo4j.ManagedTransaction") -> list[list]:
            return tx.run(query, params or {}).values()

        def once() -> list[list]:
            with self._session(write=False) as s:
                return s.execute_read(neo4j.unit_of_work(timeout=self.tx_timeout)(work))
        with self._errors(what):
            return self._retrying(once, what)

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except neo4j_errors.Neo4jError as exc:
            raise StoreError(f"Neo4j {self.location}: {what} failed: {exc.code}: {exc.message}") from exc
        except (neo4j_errors.DriverError, OSError) as exc:
            raise StoreError(f"Neo4j {self.location}: {what} failed after retries: {exc}") from exc

    def ensure_schema(self) -> None:
        """Create constraints and indexes (``IF NOT EXISTS``) and wait until they are online."""
        if self._schema_ready:
            return
        with self._errors("creating constraints"), self._session() as s:
            for stmt in (*cypher.DROP_OLD_SCHEMA, *cypher.SCHEMA):
                s.run(stmt).consume()
            s.run(cypher.AWAIT_INDEXES).consume()
        self._schema_ready = True

    # -- loading -------------------------------------------------------------
    def load(self, batches: Iterable[TableBatch], *, source: str | None = None) -> LoadCounts:
        """Write validated batches (see :mod:`graph_store.base` for the semantics).

        The whole input is read and aggregated before anything is sent, so an
        input error leaves the server untouched.  Then see the module docstring.
        """
        con = duckdb.connect(":memory:")
        self.last_load_phases = phases = {}
        try:
            with _phase(phases, "stage"):
                total = self._stage(con, batches)
            with _phase(phases, "schema"):
                self.ensure_schema()
            with _Progress(self.progress, f"loading {source or 'data'} into {self.location}") as bar:
                if total <= self.atomic_rows:
                    return self._load_atomic(con, bar)

                def run(query: str, params: dict, what: str = "write", retry_query: str | None = None
                        ) -> list[dict]:
                    return self._write(query, params, what=what, retry_query=retry_query)
                return _Loader(self, con, bar, run).run_all()
        finally:
            con.close()

    def _stage(self, con: duckdb.DuckDBPyConnection, batches: Iterable[TableBatch]) -> int:
        for stmt in _STAGE_DDL.values():
            con.execute(stmt)
        seq = 0
        for tb in batches:
            b = tb.batch
            if tb.table == "accounts":
                b = pa.RecordBatch.from_arrays(
                    [pa.array(np.arange(seq, seq + b.num_rows, dtype=np.int64)), *b.columns],
                    names=["seq", *b.schema.names])
                seq += tb.batch.num_rows
            con.register("_batch", b)
            con.execute(f"INSERT INTO stage_{tb.table} SELECT * FROM _batch")  # table from TableBatch allowlist
            con.unregister("_batch")
        con.execute("""CREATE TABLE load_ids AS SELECT id, sha256(id) AS key FROM (
                SELECT id FROM stage_accounts
                UNION SELECT follower FROM stage_follows UNION SELECT followee FROM stage_follows
                UNION SELECT source FROM stage_interactions UNION SELECT target FROM stage_interactions)""")
        n = con.execute("""SELECT (SELECT count(*) FROM load_ids) + (SELECT count(*) FROM stage_accounts)
                           + (SELECT count(*) FROM stage_follows) + (SELECT count(*) FROM stage_interactions)"""
                        ).fetchall()[0][0]
        return int(n)

    def _load_atomic(self, con: duckdb.DuckDBPyConnection, bar: "_Progress") -> LoadCounts:
        """Small loads: every statement in one managed transaction (retried as a whole)."""
        def work(tx: "neo4j.ManagedTransaction") -> LoadCounts:
            bar.reset()

            def run(query: str, params: dict, what: str = "write", retry_query: str | None = None) -> list[dict]:
                return _dicts(tx.run(query, params))  # the whole transaction is retried
            return _Loader(self, con, bar, run, parallel=False).run_all()
        def once() -> LoadCounts:
            with self._session() as s:
                return s.execute_write(neo4j.unit_of_work(timeout=self.tx_timeout)(work))
        with self._errors("load"):
            return self._retrying(once, "load")

    # -- reading -------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        rows = self._read(cypher.COUNTS, what="counting")
        r = rows[0]
        return {"accounts": int(r["accounts"]), "follows": int(r["follows"]),
                "interactions": int(r["interactions"])}

    def _n_accounts(self) -> int:
        rows = self._read(cypher.IDX_STATS, what="reading accounts")
        m = rows[0]["m"] if rows else None
        return 0 if m is None else int(m) + 1

    def _ranges(self, n: int, edges: int, target: int = 250_000) -> list[tuple[int, int]]:
        """Source-idx ranges holding about ``target`` edges each."""
        if n == 0:
            return []
        per = max(1, int(n * target / max(edges, 1))) if edges else n
        return [(lo, min(n, lo + per)) for lo in range(0, n, per)]

    def _map_ranges(self, jobs: list[tuple[str, tuple[int, int]]], what: str) -> list[list]:
        """Run each ``(query, (lo, hi))`` job in parallel read sessions; one value row per job, in order."""
        def one(job: tuple[str, tuple[int, int]]) -> list:
            query, (lo, hi) = job
            return self._read_values(query, {"lo": lo, "hi": hi, "none": _NONE}, what=what)[0]
        if len(jobs) <= 1 or self.read_workers == 1:
            return [one(j) for j in jobs]
        with ThreadPoolExecutor(self.read_workers) as ex:
            return list(ex.map(one, jobs))

    def read_accounts(self) -> pa.Table:
        n = self._n_accounts()
        cols: dict[str, list] = {f.name: [None] * n for f in ACCOUNTS}
        names = [f.name for f in ACCOUNTS]
        for rec in self._map_ranges([(cypher.READ_ACCOUNTS_NULLSAFE, r) for r in self._ranges(n, n, 100_000)],
                                    "reading accounts"):
            idx = rec[0]
            for pos, i in enumerate(idx):
                cols["id"][i] = rec[1][pos]
            for c, name in enumerate(names[1:], start=2):
                col = cols[name]
                for pos, i in enumerate(idx):
                    col[i] = rec[c][pos][0]
        return pa.table({name: pa.array(cols[name], type=ACCOUNTS.field(name).type) for name in names},
                        schema=ACCOUNTS)

    def read_edges(self) -> EdgeArrays:
        """Edges as dense index arrays, read in source-idx ranges (parallel sessions).

        Targets come back as internal node ids (no property read per edge) and are
        mapped to ``idx`` with one numpy lookup.
        """
        n = self._n_accounts()
        n_fol, n_int = (int(self._read(q, what="counting")[0]["n"]) for q in (cypher.COUNT_FOLLOWS, cypher.COUNT_INTERACTS))
        node_ids = np.empty(n, dtype=object)
        fc = np.full(n, np.nan, dtype=np.float64)
        nid_parts, idx_parts = [], []
        for nid, idx, ids, f in self._map_ranges(
                [(cypher.READ_NODE_IDS, r) for r in self._ranges(n, n, 500_000)], "reading accounts"):
            ia = np.asarray(idx, dtype=np.int64)
            node_ids[ia] = ids
            fa = np.asarray(f, dtype=np.float64)
            fa[fa < 0] = np.nan
            fc[ia] = fa
            nid_parts.append(np.asarray(nid, dtype=np.int64))
            idx_parts.append(ia)
        to_idx = _IdMap(np.concatenate(nid_parts) if nid_parts else np.empty(0, np.int64),
                        np.concatenate(idx_parts) if idx_parts else np.empty(0, np.int64))
        fol_r, itr_r = self._ranges(n, n_fol), self._ranges(n, n_int)
        parts = self._map_ranges([(cypher.READ_FOLLOWS, r) for r in fol_r] +
                                 [(cypher.READ_INTERACTIONS, r) for r in itr_r], "reading edges")
        fol, itr = parts[:len(fol_r)], parts[len(fol_r):]

        def cat(parts: list[list], i: int, dtype: Any) -> np.ndarray:
            arrs = [np.asarray(p[i], dtype=dtype) for p in parts if p[i]]
            return np.concatenate(arrs) if arrs else np.empty(0, dtype=dtype)

        kinds = [k for p in itr for k in p[2]]
        if kinds:
            enc = pa.array(kinds, type=pa.string()).dictionary_encode()
            remap = np.array([INTERACTION_KINDS.index(k) for k in enc.dictionary.to_pylist()], dtype=np.int8)
            kind_codes = remap[enc.indices.to_numpy(zero_copy_only=False)]
        else:
            kind_codes = np.empty(0, dtype=np.int8)
        return EdgeArrays(
            node_ids=node_ids,
            followers_count=fc,
            follow_src=cat(fol, 0, np.int32),
            follow_dst=to_idx(cat(fol, 1, np.int64)),
            int_src=cat(itr, 0, np.int32),
            int_dst=to_idx(cat(itr, 1, np.int64)),
            int_kind=np.ascontiguousarray(kind_codes, dtype=np.int8),
            int_ts=_epoch_seconds(cat(itr, 3, np.int64)),
            int_weight=cat(itr, 4, np.float64),
        )

    def read_hashtags(self) -> tuple[np.ndarray, np.ndarray]:
        vals = self._read_values(cypher.READ_HASHTAGS, what="reading hashtags")
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
        rows = self._read(cypher.INTERACTIONS_TO, {"keys": keys}, what="reading interactions")
        schema = pa.schema([("source", pa.string()), ("target", pa.string()), ("kind", pa.string()),
                            ("n", pa.int64())])
        t = pa.Table.from_pylist(rows, schema=schema)
        return t.sort_by([("source", "ascending"), ("target", "ascending"), ("kind", "ascending")])

    def hashtag_users(self, tags: list[str]) -> pa.Table:
        want = sorted({str(t).lower() for t in tags})
        rows = self._read(cypher.HASHTAG_USERS, {"tags": want}, what="reading hashtags")
        schema = pa.schema([("source", pa.string()), ("tag", pa.string()), ("n", pa.int64())])
        t = pa.Table.from_pylist(rows, schema=schema)
        return t.sort_by([("source", "ascending"), ("tag", "ascending")])

    # -- runs ------------------------------------------------------------------
    def write_run(self, run: RunRecord, tables: dict[str, pa.Table]) -> None:
        """Store a run: exact tables as Arrow chunks, results as Account properties, Community nodes.

        The ``Run`` node is created last, in one transaction with nothing else, so
        readers see the run only once all of it is written.
        """
        unknown = set(tables) - set(RESULT_TABLES)
        if unknown:
            raise StoreError(f"unknown result tables {sorted(unknown)}; allowed: {RESULT_TABLES}")
        self.ensure_schema()
        if self._read(cypher.RUN_EXISTS, {"run_id": run.run_id})[0]["n"]:
            raise StoreError(f"run {run.run_id!r} already exists in {self.location}")
        self._write(cypher.DELETE_RUN_PARTS, {"run_id": run.run_id}, what="clearing a half-written run")
        for name, table in tables.items():
            for seq, data in enumerate(_ipc_chunks(table)):
                self._write(cypher.WRITE_RUN_TABLE_CHUNK,
                            {"run_id": run.run_id, "table": name, "seq": seq, "data": data},
                            what=f"writing run table {name}")
        acc = tables.get("accounts")
        if acc is not None and "idx" in acc.column_names:
            self._write_account_results(run.run_id, acc)
        com = tables.get("communities")
        if com is not None and com.num_rows:
            rows = [_neo4j_props(r) for r in com.to_pylist()]
            for i, r in enumerate(rows):
                r["id"] = r.get("community", i)
                r.setdefault("level", "")
            for lo in range(0, len(rows), self.batch_size):
                self._write(cypher.WRITE_COMMUNITIES, {"rows": rows[lo:lo + self.batch_size], "run_id": run.run_id},
                            what="writing communities")
        self._write(cypher.CREATE_RUN, {"run_id": run.run_id, "created_at": run.created_at,
                                        "params": json.dumps(run.params), "counts": json.dumps(run.counts),
                                        "tables": sorted(tables)}, what="writing the run")

    def _write_account_results(self, run_id: str, acc: pa.Table) -> None:
        cols = [c for c in acc.column_names if c not in _PROTECTED]
        for c in cols:
            if not cypher._IDENT.match(c):
                raise StoreError(f"result column name {c!r} must be letters, digits and underscores")
        idx = acc.column("idx").to_pylist()
        data = {c: acc.column(c).to_pylist() for c in cols}
        for lo in range(0, len(idx), self.batch_size):
            hi = min(len(idx), lo + self.batch_size)
            props = [_neo4j_props({c: data[c][i] for c in cols}, keep_nulls=True) for i in range(lo, hi)]
            self._write(cypher.WRITE_ACCOUNT_RESULTS, {"idx": idx[lo:hi], "props": props, "run_id": run_id},
                        what="writing account results")

    def list_runs(self) -> list[RunRecord]:
        rows = self._read(cypher.LIST_RUNS, what="listing runs")
        return [RunRecord(r["run_id"], r["created_at"], json.loads(r["params"] or "{}"),
                          json.loads(r["counts"] or "{}")) for r in rows]

    def read_run(self, run_id: str | None = None, *,
                 tables: Iterable[str] | None = None) -> tuple[RunRecord, dict[str, pa.Table]]:
        names = wanted_tables(tables)
        run = pick_run(self.list_runs(), run_id, self.location)
        parts: dict[str, list[bytes]] = {}
        for r in self._read(cypher.READ_RUN_TABLE, {"run_id": run.run_id, "tables": list(names)},
                            what="reading a run"):
            parts.setdefault(r["table"], []).append(bytes(r["data"]))
        out = {}
        for name in names:
            if name in parts:
                out[name] = pa.concat_tables(
                    [pa.ipc.open_stream(io.BytesIO(b)).read_all() for b in parts[name]])
        return run, out


class _IdMap:
    """Maps Neo4j internal node ids to dense ``idx`` (a direct table when ids are compact)."""

    def __init__(self, nid: np.ndarray, idx: np.ndarray):
        self.direct = None
        if nid.size and nid.max() < 4 * nid.size + 1_000_000:
            self.direct = np.full(int(nid.max()) + 1, -1, dtype=np.int32)
            self.direct[nid] = idx
        order = np.argsort(nid, kind="stable")
        self.nid, self.idx = nid[order], idx[order].astype(np.int32)

    def __call__(self, ids: np.ndarray) -> np.ndarray:
        if ids.size == 0:
            return np.empty(0, dtype=np.int32)
        if self.direct is not None and ids.max() < self.direct.size:
            out = self.direct[ids]
        else:
            pos = np.clip(np.searchsorted(self.nid, ids), 0, max(self.nid.size - 1, 0))
            out = np.where(self.nid[pos] == ids, self.idx[pos], -1).astype(np.int32)
        if (out < 0).any():
            raise StoreError("an edge points at a node that is not an Account (the graph changed while "
                             "it was read?); read again")
        return np.ascontiguousarray(out, dtype=np.int32)


class _Loader:
    """One load's write phases, over a ``run(query, params, what)`` callable."""

    def __init__(self, store: Neo4jStore, con: duckdb.DuckDBPyConnection, bar: "_Progress",
                 run: Callable[..., list[dict]], parallel: bool = True):
        self.store, self.con, self.bar, self.run = store, con, bar, run
        self.bs = store.batch_size
        self.workers = store.workers if parallel else 1
        self.phases = store.last_load_phases
        self.fresh = False  # no account stored before this load (set by _plan_accounts)

    def count(self, query: str) -> int:
        """A count from the server; 0 means the phase can use plain ``CREATE`` (nothing to merge with)."""
        return int(self.run(query, {}, "counting")[0]["n"])

    def one(self, sql: str, params: list | None = None) -> Any:
        return self.con.execute(sql, params).fetchall()[0][0]

    def run_all(self) -> LoadCounts:
        """All write phases; the load's counts.

        Accounts are written first (relationships find their endpoints by the internal
        node ids the account phase returns); while they are written, a second thread
        aggregates follows and events in DuckDB (:meth:`_prepare_edges`), so the client's
        share of the work overlaps the server's.
        """
        con, one, out = self.con, self.one, LoadCounts()
        with _phase(self.phases, "accounts_plan"):
            fields = self._plan_accounts(out)
        with ThreadPoolExecutor(1) as prep:
            # the edge tables need only idx (not node ids): built on a second DuckDB connection
            edges = prep.submit(self._prepare_edges, con.cursor(), out)
            with _phase(self.phases, "accounts_write"):
                self._write_accounts(out, fields)
            with _phase(self.phases, "edges_prepare_wait"):
                edges.result()
        with _phase(self.phases, "edges_plan"):
            # endpoints by internal node id
            for table in ("fol", "itr"):
                con.execute(f"""CREATE OR REPLACE TABLE {table} AS SELECT t.*, a.nid AS a, b.nid AS b
                                FROM {table} t JOIN idn a ON a.idx = t.s JOIN idn b ON b.idx = t.d""")
            follow = f"fol.a, fol.b, {_split_time('fol.us', 'ss', 'sn')}"
            fol_new, fol_upd = self._plan_edges(
                "fol", cypher.COUNT_FOLLOWS, cypher.EXISTING_FOLLOWS, ("a", "b"), ("us", "min"),
                new_sql=f"SELECT {follow} FROM fol ANTI JOIN ex USING (a, b) ORDER BY fol.s, fol.d",
                # a stored follow changes only when this load has an earlier since
                upd_sql=f"""SELECT {follow} FROM fol JOIN ex USING (a, b)
                            WHERE fol.us IS NOT NULL AND (ex.us IS NULL OR fol.us < ex.us) ORDER BY fol.s, fol.d""",
                create=cypher.CREATE_FOLLOWS, merge=cypher.MERGE_FOLLOWS, counts=out.follows, what="follows")
            # weight 1.0 (the default) is not stored: readers use coalesce(e.weight, 1.0)
            event = f"""itr.a, itr.b, itr.kind, {_split_time('itr.us', 'ts', 'tn')}, itr.post_id AS post,
                        itr.hashtags AS tags, CASE WHEN itr.w = 1.0 THEN NULL ELSE itr.w END AS w, itr.n"""
            itr_new, itr_upd = self._plan_edges(
                "itr", cypher.COUNT_INTERACTS, cypher.EXISTING_INTERACTIONS, ("a", "b", "k"), ("n", "max"),
                new_sql=f"SELECT {event} FROM itr ANTI JOIN ex USING (a, b, k) ORDER BY itr.s, itr.d",
                # a stored event changes only when this load holds it more times
                upd_sql=f"""SELECT {event} FROM itr JOIN ex USING (a, b, k) WHERE itr.n > ex.n
                            ORDER BY itr.s, itr.d""",
                create=cypher.CREATE_INTERACTIONS, merge=cypher.MERGE_INTERACTIONS, counts=out.interactions,
                what="interactions")
        with _phase(self.phases, "edges_write"):
            # follows and events alternate, half the source range apart (see _alternate)
            self._run_jobs([*_alternate(fol_new, itr_new), *fol_upd, *itr_upd])
        return out

    def _plan_accounts(self, out: LoadCounts) -> tuple[str, ...]:
        """Give every id of the load its ``idx`` (table ``idmap``: id, key, idx, new).

        Stored accounts keep theirs.  New ids take, in id order, the free values below the
        largest stored ``idx`` first (left by an interrupted load whose parallel batches did
        not all commit, or by deleted accounts), then the values after it: a resumed load
        gives every account the ``idx`` the uninterrupted load would have given.
        """
        con, one = self.con, self.one
        keys = [r[0] for r in con.execute("SELECT key FROM load_ids").fetchall()]
        self.bar.add_total(len(keys))
        self.fresh = fresh = self.count(cypher.COUNT_ACCOUNTS) == 0  # nothing to look up (count store: no scan)
        con.execute("CREATE OR REPLACE TABLE existing (key VARCHAR, idx INTEGER, nid BIGINT)")
        con.execute("CREATE OR REPLACE TABLE holes (pos BIGINT, idx INTEGER)")
        base = 0
        if not fresh:
            _insert(con, "existing", self._lookup_accounts(keys))
            st = self.run(cypher.IDX_STATS, {}, "reading accounts")[0]
            base = 0 if st["m"] is None else int(st["m"]) + 1
            if int(st["n"]) < base:
                used = np.asarray(self.run(cypher.STORED_IDX, {}, "reading accounts")[0]["idx"], dtype=np.int64)
                free = np.ones(base, dtype=bool)
                free[used] = False
                holes = np.flatnonzero(free)
                _insert(con, "holes", {"pos": pa.array(np.arange(holes.size, dtype=np.int64)),
                                       "idx": pa.array(holes.astype(np.int32))})
        n_holes = one("SELECT count(*) FROM holes")
        con.execute("""CREATE OR REPLACE TABLE idmap AS
            SELECT l.id, l.key, e.idx, false AS new FROM load_ids l JOIN existing e USING (key)
            UNION ALL
            SELECT n.id, n.key, coalesce(h.idx, ? + n.r - ?)::INTEGER AS idx, true AS new
            FROM (SELECT id, key, row_number() OVER (ORDER BY id) - 1 AS r
                  FROM load_ids l ANTI JOIN existing e USING (key)) n LEFT JOIN holes h ON h.pos = n.r""",
                    [base, n_holes])

        # account fields: the last non-null value per id in this load wins
        fields = cypher.ACCOUNT_FIELDS
        last = ", ".join(f"arg_max({c}, seq) FILTER (WHERE {c} IS NOT NULL) AS {c}" for c in fields)
        con.execute(f"CREATE OR REPLACE TABLE accf AS SELECT id, {last} FROM stage_accounts GROUP BY id")
        a = out.accounts
        a.rows = one("SELECT count(*) FROM stage_accounts")
        a.duplicates = a.rows - one("SELECT count(DISTINCT id) FROM stage_accounts")
        a.inserted = one("SELECT count(DISTINCT s.id) FROM stage_accounts s JOIN idmap m USING (id) WHERE m.new")
        a.existing = a.rows - a.duplicates - a.inserted
        out.new_endpoint_accounts = one("SELECT count(*) FROM idmap WHERE new") - a.inserted
        return fields

    def _write_accounts(self, out: LoadCounts, fields: tuple[str, ...]) -> None:
        """Create the new accounts (batches in ``idx`` order, ``workers`` in parallel) and upsert the
        fields of stored ones; table ``idn`` (idx, nid) maps every account of the load to its node id."""
        con, one = self.con, self.one
        cols = ", ".join("n." + c for c in fields)

        def field_lists(part: pa.Table) -> dict:
            return {c: part.column(c).to_pylist() for c in fields}

        new = con.sql(f"""SELECT m.key, m.id, m.idx, {cols} FROM idmap m LEFT JOIN accf n USING (id)
                          WHERE m.new ORDER BY m.idx""").to_arrow_table()

        def create(part: pa.Table) -> list[dict]:
            rows = self.run(cypher.CREATE_ACCOUNTS_FRESH if self.fresh else cypher.CREATE_ACCOUNTS,
                            {"key": part.column("key").to_pylist(), "id": part.column("id").to_pylist(),
                             "idx": part.column("idx").to_pylist(), "v": field_lists(part)},
                            "creating accounts", retry_query=cypher.CREATE_ACCOUNTS)
            self.bar.advance(part.num_rows)
            return rows

        created: dict[str, list] = {"key": [], "nid": []}
        for rows in self._map(create, self._slices(new)):
            for r in rows:
                created["key"] += r["keys"]
                created["nid"] += r["nid"]
        self.bar.advance(one("SELECT count(*) FROM idmap") - new.num_rows)
        con.execute("CREATE OR REPLACE TABLE nids AS SELECT key, nid FROM existing")
        _insert(con, "nids", {"key": pa.array(created["key"], pa.string()), "nid": pa.array(created["nid"], pa.int64())})
        # accounts created by an earlier attempt of a retried batch did not come back: look them up
        missing = [r[0] for r in con.execute("SELECT key FROM idmap ANTI JOIN nids USING (key)").fetchall()]
        if missing:
            again = self._lookup_accounts(missing)
            _insert(con, "nids", {"key": again["key"], "nid": again["nid"]})
        con.execute("CREATE OR REPLACE TABLE idn AS SELECT m.idx, n.nid, m.new, m.id FROM idmap m JOIN nids n USING (key)")
        if one("SELECT count(*) FROM idn") != one("SELECT count(*) FROM idmap"):
            raise StoreError(f"Neo4j {self.store.location}: accounts disappeared during the load "
                             "(deleted by another client?); run the load again")

        # accounts that were already stored: upsert their fields, count the changed ones
        acc = con.sql(f"""SELECT m.nid, {cols} FROM accf n JOIN idn m USING (id)
                          WHERE NOT m.new ORDER BY m.idx""").to_arrow_table()
        self.bar.add_total(acc.num_rows)
        for lo in range(0, acc.num_rows, self.bs):
            part = acc.slice(lo, self.bs)
            for r in self.run(cypher.UPDATE_ACCOUNTS, {"nid": part.column("nid").to_pylist(), "v": field_lists(part)},
                              "updating accounts"):
                out.accounts.updated += int(r["updated"] or 0)
            self.bar.advance(part.num_rows)

    @staticmethod
    def _prepare_edges(cur: duckdb.DuckDBPyConnection, out: LoadCounts) -> None:
        """Aggregate follows (table ``fol``) and events (``itr``, with their key) in idx space and count
        them; runs on its own DuckDB connection while the accounts are written."""
        def one(sql: str) -> Any:
            return cur.execute(sql).fetchall()[0][0]
        try:
            # follows: one per pair, earliest since
            cur.execute("""CREATE OR REPLACE TABLE fol AS
                SELECT a.idx AS s, b.idx AS d, min(epoch_us(f.since)) AS us, count(*) AS c
                FROM stage_follows f JOIN idmap a ON a.id = f.follower JOIN idmap b ON b.id = f.followee
                GROUP BY ALL""")
            f = out.follows
            f.rows = int(one("SELECT coalesce(sum(c), 0) FROM fol"))
            f.duplicates = f.rows - one("SELECT count(*) FROM fol")
            f.self_loops = int(one("SELECT coalesce(sum(c), 0) FROM fol WHERE s = d"))
            # interactions: events with multiplicity, hashtags as stored (Neo4j lists hold no
            # nulls); ``k`` identifies an event among those of its pair (:data:`_EVENT_KEY`)
            cur.execute(f"""CREATE OR REPLACE TABLE itr AS SELECT *, {_EVENT_KEY} AS k
                FROM (SELECT a.idx AS s, b.idx AS d, i.kind, epoch_us(i.ts) AS us, i.post_id,
                             list_filter(i.hashtags, lambda x: x IS NOT NULL) AS hashtags,
                             coalesce(i.weight, 1.0) AS w, count(*)::BIGINT AS n
                      FROM stage_interactions i JOIN idmap a ON a.id = i.source JOIN idmap b ON b.id = i.target
                      GROUP BY ALL)""")
            i = out.interactions
            i.rows = int(one("SELECT coalesce(sum(n), 0) FROM itr"))
            i.duplicates = i.rows - one("SELECT count(*) FROM itr")
            i.self_loops = int(one("SELECT coalesce(sum(n), 0) FROM itr WHERE s = d"))
        finally:
            cur.close()

    def _lookup_accounts(self, keys: list[str]) -> dict[str, pa.Array]:
        """Stored accounts among ``keys``: their key, idx and internal node id."""
        found: dict[str, list] = {"keys": [], "idx": [], "nid": []}
        for lo in range(0, len(keys), self.bs):
            for r in self.run(cypher.EXISTING_ACCOUNTS, {"keys": keys[lo:lo + self.bs]}, "looking up accounts"):
                for c in found:
                    found[c] += r[c]
        return {"key": pa.array(found["keys"], pa.string()), "idx": pa.array(found["idx"], pa.int32()),
                "nid": pa.array(found["nid"], pa.int64())}

    def _plan_edges(self, table: str, count_q: str, existing_q: str, ident: tuple[str, ...],
                    value: tuple[str, str], *, new_sql: str, upd_sql: str, create: str, merge: str,
                    counts: Any, what: str) -> tuple[list["_Job"], list["_Job"]]:
        """Plan one relationship phase: batches of what is not stored yet, and of what must change.

        On a relationship type with nothing stored everything is new.  Otherwise the
        relationships of this load's source accounts are read first (``existing_q``: a read
        costs a fraction of a write; columns and identity per table in :data:`_STORED`) into the
        DuckDB table ``ex`` (identity columns ``ident`` and one value column, aggregated per
        identity with ``value[1]``) and compared there:
        new rows (``new_sql``) are created with a plain ``create``, rows whose stored value must
        change (``upd_sql``) go through the ``merge`` statement, rows stored as they are are not
        sent at all (they are counted as existing here).  A batch whose commit outcome is
        unknown is retried with ``merge``, so nothing is ever written twice.
        """
        con = self.con
        columns, convert, identity = _STORED[table]
        con.execute(f"CREATE OR REPLACE TABLE ex_raw ({columns})")
        if self.count(count_q) > 0:
            sources = [r[0] for r in con.execute(f"SELECT DISTINCT a FROM {table} ORDER BY a").fetchall()]
            for lo in range(0, len(sources), self.bs):
                for r in self.run(existing_q, {"a": sources[lo:lo + self.bs], "none": _NONE},
                                  f"reading stored {what}"):
                    try:
                        _insert(con, "ex_raw", convert(r))
                    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
                        raise StoreError(
                            f"Neo4j {self.store.location}: stored {what} do not follow nichegraph's graph model "
                            f"({exc}); load into an empty database") from exc
        # one row per identity (a database could hold duplicates written by other tools)
        con.execute(f"""CREATE OR REPLACE TABLE ex AS SELECT {identity},
                        {value[1]}(NULLIF({value[0]}, {_NONE})) AS {value[0]} FROM ex_raw GROUP BY ALL""")
        con.execute("DROP TABLE ex_raw")
        counts.existing += self.one(f"SELECT count(*) FROM {table} SEMI JOIN ex USING ({', '.join(ident)})")
        new = con.sql(new_sql).to_arrow_table()
        upd = con.sql(upd_sql).to_arrow_table()
        total = self.one(f"SELECT count(*) FROM {table}")
        self.bar.add_total(total)
        self.bar.advance(total - new.num_rows - upd.num_rows)
        # rows of ``upd`` are among those counted as existing above
        return ([_Job(p, create, merge, counts, True, what) for p in self._slices(new)],
                [_Job(p, merge, merge, counts, False, what) for p in self._slices(upd)])

    def _slices(self, table: pa.Table) -> list[pa.Table]:
        return [table.slice(lo, self.bs) for lo in range(0, table.num_rows, self.bs)]

    def _run_job(self, job: "_Job") -> tuple[int, int]:
        """Write one batch; (inserted, existing) as the server counted them."""
        part = job.part
        p = {c: part.column(c).to_pylist() for c in part.column_names}
        r = self.run(job.query, p, f"writing {job.what}", retry_query=job.retry_query)[0]
        lost = part.num_rows - int(r["matched"] or 0)
        if lost:
            raise StoreError(f"Neo4j {self.store.location}: {lost} {job.what} point at accounts that are "
                             "gone (deleted during the load?); run the load again")
        self.bar.advance(part.num_rows)
        # a retried CREATE batch finds its own rows: those count as existing
        return int(r["inserted"] or 0), int(r["existing"] or 0) if job.count_existing else 0

    def _map(self, fn: Callable[[Any], Any], items: list) -> list:
        """``fn`` over ``items`` on ``workers`` parallel threads (sessions); the results in order.

        When a call fails, the items not yet started are cancelled and the error is raised.
        """
        if self.workers <= 1 or len(items) <= 1:
            return [fn(x) for x in items]
        ex = ThreadPoolExecutor(self.workers)
        try:
            return list(ex.map(fn, items))
        finally:
            ex.shutdown(wait=True, cancel_futures=True)

    def _run_jobs(self, jobs: list["_Job"]) -> None:
        """Run the batches (in ``workers`` parallel sessions) and add up their counts."""
        for job, (ins, existing) in zip(jobs, self._map(self._run_job, jobs)):
            job.counts.inserted += ins
            job.counts.existing += existing


@dataclass
class _Job:
    """One batch of relationship rows and the statement that writes it."""

    part: pa.Table
    query: str
    retry_query: str
    counts: Any
    count_existing: bool
    what: str


def _alternate(a: list, b: list) -> list:
    """``a[0], b[h], a[1], b[h + 1], ...`` with ``b`` rotated by half (``h = len(b) // 2``), then the
    rest of the longer list.

    Both lists are batches in source order, so two neighbours of the result (what two writers run
    at the same time) hold different relationship types *and* sources about half the id range
    apart, so they share fewer locked nodes.  (It helped in a small test; on the 1M + 1M benchmark
    its effect was within the noise, and writers still wait on shared busy targets.)
    """
    b = b[len(b) // 2:] + b[:len(b) // 2]
    out = [x for pair in zip(a, b) for x in pair]
    n = min(len(a), len(b))
    return out + a[n:] + b[n:]


@contextmanager
def _phase(phases: dict[str, float], name: str) -> Iterator[None]:
    """Add the wall time of the block to ``phases[name]`` (and log it)."""
    t = time.perf_counter()
    try:
        yield
    finally:
        phases[name] = phases.get(name, 0.0) + time.perf_counter() - t
        _log.debug("load phase %s: %.2fs", name, phases[name])


def _dicts(result: "neo4j.Result") -> list[dict]:
    """The records as dicts.  (``Record.data()`` walks every element of every list value to convert
    graph objects, which none of these statements return: two thirds of a re-run's client time.)"""
    return [dict(zip(r.keys(), r)) for r in result]


#: Stands for "no value" in integer columns read back with ``collect`` (which drops nulls).
_NONE = -(2 ** 63)

#: SQL: an interaction event's identity among the events of its pair, from the columns ``kind``,
#: ``us`` (epoch microseconds), ``post_id``, ``hashtags`` and ``w`` (weight, default 1.0): 60 bits
#: of the SHA-256 of their text.  Computed for the input and for the events read back from the
#: server (nothing of it is stored), so both sides must give the columns the same values.
_EVENT_KEY = """('0x' || left(sha256(concat_ws('|', kind, coalesce(us::VARCHAR, 'null'),
                                        coalesce(to_json(post_id)::VARCHAR, 'null'),
                                        coalesce(to_json(hashtags)::VARCHAR, 'null'), printf('%.17g', w))),
                 15))::BIGINT"""


def _with_nulls(values: list, present: np.ndarray, typ: pa.DataType) -> pa.Array:
    """The ``values`` of the rows where ``present`` is true, with nulls in the other rows."""
    if len(values) != int(present.sum()):
        raise pa.ArrowInvalid(f"{len(values)} values for {int(present.sum())} rows that have one")
    take = np.full(present.size, len(values), dtype=np.int64)
    take[present] = np.arange(len(values))
    return pa.array([*values, None], typ).take(pa.array(take))


def _stored_follows(r: dict) -> dict[str, pa.Array]:
    """Columns of :data:`cypher.EXISTING_FOLLOWS` for the DuckDB table ``ex_raw``."""
    return {c: pa.array(r[c], pa.int64()) for c in ("a", "b", "us")}


def _stored_events(r: dict) -> dict[str, pa.Array]:
    """Columns of :data:`cypher.EXISTING_INTERACTIONS` for ``ex_raw`` (the fields :data:`_EVENT_KEY` hashes)."""
    us = np.asarray(r["us"], dtype=np.int64)
    has = np.asarray(r["has"], dtype=np.int64)
    return {"a": pa.array(r["a"], pa.int64()), "b": pa.array(r["b"], pa.int64()),
            "kind": pa.array(r["kind"], pa.string()), "us": pa.array(us, mask=us == _NONE),
            "post_id": _with_nulls(r["post_id"], (has & 1) != 0, pa.string()),
            "hashtags": _with_nulls(r["hashtags"], (has & 2) != 0, pa.list_(pa.string())),
            "w": pa.array(r["w"], pa.float64()), "n": pa.array(r["n"], pa.int64())}


#: The stored relationships read back before a load (:meth:`_Loader._plan_edges`): the DuckDB
#: columns of ``ex_raw``, the conversion of one record of the read, and the SQL of the identity
#: columns (those the load's table is joined on).
_STORED: dict[str, tuple[str, Callable[[dict], dict[str, pa.Array]], str]] = {
    "fol": ("a BIGINT, b BIGINT, us BIGINT", _stored_follows, "a, b"),
    "itr": ("a BIGINT, b BIGINT, kind VARCHAR, us BIGINT, post_id VARCHAR, hashtags VARCHAR[], w DOUBLE, n BIGINT",
            _stored_events, f"a, b, {_EVENT_KEY} AS k"),
}


def _epoch_seconds(us: np.ndarray) -> np.ndarray:
    """Epoch microseconds as whole epoch seconds, rounded half to even like DuckDB's
    ``epoch(ts)::BIGINT`` (the embedded store's ``int_ts``); :data:`_NONE` becomes -1."""
    out = np.rint(us / 1e6).astype(np.int64)
    out[us == _NONE] = -1
    return out


def _split_time(col: str, s: str, ns: str) -> str:
    """SQL: epoch microseconds ``col`` as whole epoch seconds ``s`` (floor) and nanoseconds ``ns``."""
    frac = f"((({col} % 1000000) + 1000000) % 1000000)"
    return (f"CASE WHEN {col} IS NULL THEN NULL ELSE ({col} - {frac}) // 1000000 END AS {s}, "
            f"CASE WHEN {col} IS NULL THEN NULL ELSE {frac} * 1000 END AS {ns}")


def _insert(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, pa.Array]) -> None:
    """Append Arrow columns (named like the table's) to a DuckDB table."""
    con.register("_rows", pa.table(columns))
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _rows")
    finally:
        con.unregister("_rows")


class _Progress:
    """A rich progress bar (or nothing), safe to call from worker threads."""

    def __init__(self, enabled: bool, description: str):
        self.enabled = enabled
        self.description = description
        self._lock = threading.Lock()
        self._p = None
        self._task = None
        self.total = 0
        self.done = 0
        self.started = time.perf_counter()

    def __enter__(self) -> "_Progress":
        if self.enabled:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                       TimeElapsedColumn, TimeRemainingColumn)
            self._p = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                               TimeElapsedColumn(), TimeRemainingColumn(), console=Console(stderr=True))
            self._p.start()
            self._task = self._p.add_task(self.description, total=0)
        return self

    def __exit__(self, *exc) -> None:
        if self._p is not None:
            self._p.stop()

    def reset(self) -> None:
        with self._lock:
            self.total = self.done = 0
            if self._p is not None:
                self._p.update(self._task, total=0, completed=0)

    def add_total(self, n: int) -> None:
        with self._lock:
            self.total += n
            if self._p is not None:
                self._p.update(self._task, total=self.total)

    def advance(self, n: int) -> None:
        with self._lock:
            self.done += n
            if self._p is not None:
                self._p.update(self._task, completed=self.done)


def _ipc_chunks(table: pa.Table) -> Iterator[bytes]:
    """The table as zstd-compressed Arrow IPC streams of at most about 4 MB each."""
    rows_per = max(1, int(_RUN_CHUNK_BYTES * table.num_rows / max(table.nbytes, 1))) if table.num_rows else 1
    starts = range(0, table.num_rows, rows_per) if table.num_rows else [0]
    opts = pa.ipc.IpcWriteOptions(compression="zstd")
    for lo in starts:
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema, options=opts) as w:
            w.write_table(table.slice(lo, rows_per))
        yield sink.getvalue().to_pybytes()


def _neo4j_props(row: dict, keep_nulls: bool = False) -> dict:
    """A result row as Neo4j property values (lists without nulls; NaN kept; nulls dropped unless asked)."""
    out = {}
    for k, v in row.items():
        if isinstance(v, list):
            v = [x for x in v if x is not None]
        elif isinstance(v, (np.generic,)):
            v = v.item()
        if v is None and not keep_nulls:
            continue
        out[k] = v
    return out
