"""The embedded default store: one DuckDB database file, no server.

Tables
------
``accounts(idx, id, handle, platform, followers_count, following_count, affiliation)``
    ``idx`` is the dense index (0..n-1) the engine uses; new ids get the next
    indices in id order, so a load is deterministic.
``follows(src, dst, since)``
    One row per ``(follower idx, followee idx)`` pair.
``interactions(src, dst, kind, ts, post_id, hashtags, weight, n)``
    One row per distinct event; ``n`` counts identical events (multiplicity).
    Reloading data sets ``n`` to the larger of the stored and loaded counts,
    which is what "identical events get occurrence numbers" means.
``posts(post_id, author, ts, hashtags, kind, likes, replies, reposts, quotes, views, platform)``
    One row per post, ``author`` by ``idx`` (:mod:`graph_store.duckdb_posts`).
``runs`` and ``result_<table>``
    Analysis runs and their run tables (:mod:`graph_store.duckdb_runs`).

Speed over size: the first bulk load of interactions into an empty table is written without
DuckDB's column compression (the same values; the file is about 3x larger, the load about 2x
faster: benchmarks/RESULTS.md, "store load path").  Later loads use DuckDB's default compression.

All values reach SQL as parameters or as Arrow tables registered with the
connection; table names come from fixed allowlists.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import duckdb_posts, duckdb_read
from .base import EdgeArrays, LoadCounts, RunRecord
from .duckdb_runs import list_runs, read_run, write_run
from .duckdb_sql import arrow as _arrow
from .duckdb_sql import quietly as _quietly
from .duckdb_sql import register as _register
from .duckdb_sql import unregister as _unregister
from .errors import StoreError
from .schema import ACCOUNT_FIELDS, ACCOUNTS, INTERACTION_KINDS, SCHEMAS, TableBatch, TableName
from .staging import count_follow_pairs, create_stage_tables, follow_pairs_sql, last_account_fields_sql, stage_batch

_KIND_ENUM = ", ".join("'" + k + "'" for k in INTERACTION_KINDS)  # fixed constants, not user input

_DDL = [
    f"CREATE TYPE IF NOT EXISTS interaction_kind AS ENUM ({_KIND_ENUM})",
    """CREATE TABLE IF NOT EXISTS accounts (
        idx INTEGER NOT NULL, id VARCHAR NOT NULL, handle VARCHAR, platform VARCHAR,
        followers_count BIGINT, following_count BIGINT, affiliation VARCHAR)""",
    "CREATE TABLE IF NOT EXISTS follows (src INTEGER NOT NULL, dst INTEGER NOT NULL, since TIMESTAMP)",
    """CREATE TABLE IF NOT EXISTS interactions (
        src INTEGER NOT NULL, dst INTEGER NOT NULL, kind interaction_kind NOT NULL, ts TIMESTAMP,
        post_id VARCHAR, hashtags VARCHAR[], weight DOUBLE NOT NULL, n INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS runs (
        run_id VARCHAR NOT NULL, created_at VARCHAR NOT NULL, params VARCHAR, counts VARCHAR)""",
    # the names of the tables a run wrote (JSON list); null for runs written before it existed
    "ALTER TABLE runs ADD COLUMN IF NOT EXISTS tables VARCHAR",
    *duckdb_posts.DDL,
]

#: The tables a load stages in DuckDB; interactions are not copied: they stay Arrow
#: (``DuckDBStore._stage_int``), copying millions of rows costs more than the id lookup.
_STAGED: tuple[TableName, ...] = ("accounts", "follows", "posts")

DEFAULT_PATH = "nichegraph.duckdb"


class DuckDBStore:
    """Store backed by a DuckDB file (or ``":memory:"``).

    Parameters
    ----------
    path : str or Path
        Database file; created with its schema when missing.
    read_only : bool, default False
        Open without write access (several readers may share a file).
    """

    def __init__(self, path: str | Path = DEFAULT_PATH, *, read_only: bool = False):
        self.location = str(path)
        if self.location != ":memory:":
            parent = Path(self.location).parent
            if not parent.exists():
                raise StoreError(f"cannot create store {self.location}: folder {parent} does not exist")
        self.read_only = read_only
        self._stage_int: pa.Table | None = None  # the interactions of the load in progress
        try:
            self.con = duckdb.connect(self.location, read_only=read_only)
        except duckdb.Error as exc:
            raise StoreError(f"cannot open store {self.location}: {exc}") from exc
        if not read_only:
            for stmt in _DDL:
                self.con.execute(stmt)

    # -- context management -------------------------------------------------
    def __enter__(self) -> DuckDBStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    # -- loading -------------------------------------------------------------
    def load(self, batches: Iterable[TableBatch], *, source: str | None = None) -> LoadCounts:
        """Write validated batches in one transaction (see :mod:`graph_store.base`)."""
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            create_stage_tables(con, _STAGED, temp=True)
            seq = 0
            int_batches: list[pa.RecordBatch] = []
            for tb in batches:
                if tb.table == "interactions":
                    int_batches.append(tb.batch)
                    continue
                seq = stage_batch(con, tb, seq)
            self._stage_int = pa.Table.from_batches(int_batches, schema=SCHEMAS["interactions"])
            del int_batches
            counts = self._merge_staged()
            for table in _STAGED:
                con.execute(f"DROP TABLE stage_{table}")
            con.execute("COMMIT")
        except BaseException as exc:
            con.execute("ROLLBACK")
            # Ctrl-C inside a query surfaces as DuckDB's interrupt (or, scanning Arrow data, a RuntimeError)
            if isinstance(exc, duckdb.InterruptException) or (
                isinstance(exc, RuntimeError) and str(exc) == "Query interrupted"
            ):
                raise KeyboardInterrupt from exc
            raise
        finally:
            self._stage_int = None
        return counts

    def _merge_staged(self) -> LoadCounts:
        con = self.con
        one = lambda sql, params=None: con.execute(sql, params).fetchall()[0][0]
        out = LoadCounts()

        # 0. an X account first seen as @username (a mention without an id, see ingest/_handles.py) takes its
        # id when a load brings it; it keeps its idx, so every stored edge follows it
        con.execute("""
            UPDATE accounts SET id = s.id FROM (
                SELECT min(id) AS id, '@' || lower(handle) AS key FROM stage_accounts
                WHERE handle IS NOT NULL AND platform = 'x' AND NOT starts_with(id, '@') GROUP BY ALL) s
            WHERE accounts.id = s.key AND accounts.platform = 'x'
              AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = s.id)""")

        # 1. accounts: every id named anywhere in this load.  Interaction endpoints are first looked up among
        # the stored accounts (Arrow hash lookup); only the unknown ones go through DISTINCT (none, when the
        # accounts were loaded before their interactions).
        mapped, unknown = self._map_interactions()
        _register(con, "_int_ids", pa.table({"id": unknown}))
        try:
            con.execute("""
                CREATE TEMP TABLE load_ids AS
                SELECT DISTINCT id FROM (
                    SELECT id FROM stage_accounts
                    UNION ALL SELECT follower FROM stage_follows UNION ALL SELECT followee FROM stage_follows
                    UNION ALL SELECT author FROM stage_posts UNION ALL SELECT id FROM _int_ids)""")
        finally:
            _unregister(con, "_int_ids")
        del unknown
        base = one("SELECT coalesce(max(idx) + 1, 0) FROM accounts")
        new_ids = one("SELECT count(*) FROM load_ids l ANTI JOIN accounts a ON a.id = l.id")
        con.execute(
            """
            INSERT INTO accounts (idx, id)
            SELECT (? + row_number() OVER (ORDER BY l.id) - 1)::INTEGER, l.id
            FROM load_ids l ANTI JOIN accounts a ON a.id = l.id
            ORDER BY l.id""",
            [base],
        )
        con.execute("DROP TABLE load_ids")

        # account fields: the last non-null value per id in this load wins
        a = out.accounts
        a.rows = one("SELECT count(*) FROM stage_accounts")
        a.duplicates = a.rows - one("SELECT count(DISTINCT id) FROM stage_accounts")
        staged_new = one(
            """SELECT count(DISTINCT s.id) FROM stage_accounts s JOIN accounts t ON t.id = s.id
                            WHERE t.idx >= ?""",
            [base],
        )
        a.inserted = staged_new
        a.existing = a.rows - a.duplicates - staged_new
        changed = " OR ".join(f"(n.{c} IS NOT NULL AND n.{c} IS DISTINCT FROM t.{c})" for c in ACCOUNT_FIELDS)
        con.execute(f"CREATE TEMP TABLE acc_new AS {last_account_fields_sql()}")
        a.updated = one(
            f"SELECT count(*) FROM acc_new n JOIN accounts t ON t.id = n.id WHERE t.idx < {int(base)} AND ({changed})"
        )
        sets = ", ".join(f"{c} = coalesce(n.{c}, accounts.{c})" for c in ACCOUNT_FIELDS)
        con.execute(f"UPDATE accounts SET {sets} FROM acc_new n WHERE accounts.id = n.id")
        con.execute("DROP TABLE acc_new")
        out.new_endpoint_accounts = new_ids - a.inserted

        # 2. follows: a relation, stored once per pair, earliest `since`
        f = out.follows
        con.execute(f"CREATE TEMP TABLE fol_new AS {follow_pairs_sql('accounts')}")
        f.rows, f.duplicates, f.self_loops = count_follow_pairs(one, "fol_new")
        distinct = f.rows - f.duplicates
        con.execute("""UPDATE follows SET since = n.since FROM fol_new n
                       WHERE follows.src = n.src AND follows.dst = n.dst
                         AND n.since IS NOT NULL AND (follows.since IS NULL OR n.since < follows.since)""")
        f.inserted = one("SELECT count(*) FROM fol_new n ANTI JOIN follows t ON t.src = n.src AND t.dst = n.dst")
        con.execute("""INSERT INTO follows SELECT n.src, n.dst, n.since
                       FROM fol_new n ANTI JOIN follows t ON t.src = n.src AND t.dst = n.dst
                       ORDER BY n.src, n.dst""")
        f.existing = distinct - f.inserted
        con.execute("DROP TABLE fol_new")

        # 3. posts: upserted by post_id (graph_store.duckdb_posts)
        out.posts = duckdb_posts.merge_posts(con, one)

        # 4. interactions: events, with multiplicity for identical rows
        i = out.interactions
        assert self._stage_int is not None  # load() stages the interactions before merging
        if self._stage_int.num_rows == 0:
            return out
        # Fast path (a first load without repeated events, e.g. any real export): when the table is empty and
        # the staged rows' hashes all differ, no two rows are identical, so every row is one event (n = 1) and
        # goes straight in, without grouping on every column into int_new first (about twice as fast).
        ins = mapped if mapped is not None else self._map_interactions()[0]
        if ins is None:  # cannot happen: step 1 created an account for every endpoint
            raise StoreError("interaction endpoints without an account after creating them")
        if one("SELECT count(*) FROM interactions") == 0:
            if not _has_equal_rows(con, ins):
                i.rows = i.inserted = ins.num_rows
                i.self_loops = int(pc.sum(pc.equal(ins.column("src"), ins.column("dst"))).as_py() or 0)
                _register(con, "_ins", ins)
                # Compressing the new row groups (FSST/dictionary analysis of the unique post_id strings above
                # all) took half the insert; this bulk load writes them uncompressed (same values, larger file).
                con.execute("SET force_compression = 'uncompressed'")
                try:
                    con.execute("""
                        INSERT INTO interactions
                        SELECT src, dst, kind::interaction_kind, ts, post_id, hashtags, coalesce(weight, 1.0), 1
                        FROM _ins""")
                finally:
                    _quietly(con.execute, "RESET force_compression")
                    _unregister(con, "_ins")
                return out
        _register(con, "_ins", ins)
        try:
            con.execute("""
                CREATE TEMP TABLE int_new AS
                SELECT src, dst, kind::interaction_kind AS kind, ts, post_id, hashtags,
                       coalesce(weight, 1.0) AS weight, count(*)::INTEGER AS n
                FROM _ins GROUP BY ALL""")
        finally:
            _unregister(con, "_ins")
        del ins
        i.rows = one("SELECT coalesce(sum(n), 0) FROM int_new")
        i.duplicates = i.rows - one("SELECT count(*) FROM int_new")
        i.self_loops = one("SELECT coalesce(sum(n), 0) FROM int_new WHERE src = dst")
        if one("SELECT count(*) FROM interactions") == 0:
            i.inserted = i.rows
            con.execute("INSERT INTO interactions SELECT * FROM int_new")
        else:
            key = " AND ".join(
                f"t.{c} IS NOT DISTINCT FROM n.{c}"
                for c in ("src", "dst", "kind", "ts", "post_id", "hashtags", "weight")
            )
            con.execute(f"""
                CREATE TEMP TABLE int_match AS
                SELECT n.*, t.n AS old_n FROM int_new n LEFT JOIN interactions t ON {key}""")
            i.inserted = one(
                "SELECT coalesce(sum(n - coalesce(old_n, 0)), 0) FROM int_match WHERE n > coalesce(old_n, 0)"
            )
            con.execute("""INSERT INTO interactions SELECT src, dst, kind, ts, post_id, hashtags, weight, n
                           FROM int_match WHERE old_n IS NULL""")
            con.execute(f"""UPDATE interactions t SET n = m.n FROM int_match m
                            WHERE m.old_n IS NOT NULL AND m.n > m.old_n AND {key.replace("n.", "m.")}""")
            i.existing = one("SELECT count(*) FROM int_match WHERE old_n IS NOT NULL")
            con.execute("DROP TABLE int_match")
        con.execute("DROP TABLE int_new")
        return out

    def _map_interactions(self) -> tuple[pa.Table | None, pa.ChunkedArray]:
        """Look the staged interactions' endpoints up among the stored accounts.

        Returns
        -------
        mapped : pyarrow.Table or None
            The staged interactions with ``source``/``target`` replaced by the accounts' ``idx``
            (int32 columns ``src``/``dst``, then ``kind, ts, post_id, hashtags, weight``), or None when
            some endpoint has no account yet (call again once the accounts exist).
        unknown : pyarrow.ChunkedArray of string
            The endpoint ids (with repeats) that have no account yet.

        One Arrow hash lookup per endpoint instead of two hash joins of every row against ``accounts``.
        """
        st = self._stage_int
        assert st is not None  # only called from _merge_staged, inside load()
        source, target = st.column("source"), st.column("target")
        empty = pa.chunked_array([], pa.string())
        if st.num_rows == 0:
            return None, empty
        with warnings.catch_warnings():  # con.sql would refuse: earlier statements' results are unfinished
            warnings.simplefilter("ignore", UserWarning)
            acc = self.con.execute("SELECT id, idx FROM accounts").to_arrow_table()
        assert acc is not None  # a SELECT always has a result
        if acc.num_rows == 0:
            return None, pa.chunked_array(source.chunks + target.chunks, pa.string())
        ids = acc.column("id").combine_chunks()
        idx = acc.column("idx").combine_chunks()
        # the two lookups run side by side (Arrow releases the GIL); each row's result does not depend on it
        with ThreadPoolExecutor(max_workers=2) as pool:
            pos_s, pos_d = pool.map(lambda col: pc.index_in(col, value_set=ids), (source, target))
        if pos_s.null_count or pos_d.null_count:
            unknown_s = pc.filter(source, pc.is_null(pos_s))
            unknown_d = pc.filter(target, pc.is_null(pos_d))
            return None, pa.chunked_array(unknown_s.chunks + unknown_d.chunks, pa.string())
        cols = {"src": pc.take(idx, pos_s), "dst": pc.take(idx, pos_d)}
        for name in ("kind", "ts", "post_id", "hashtags", "weight"):
            cols[name] = st.column(name)
        return pa.table(cols), empty

    # -- reading -------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        row = self.con.execute("""SELECT (SELECT count(*) FROM accounts), (SELECT count(*) FROM follows),
                                         (SELECT coalesce(sum(n), 0) FROM interactions),
                                         (SELECT count(*) FROM posts)""").fetchall()[0]
        return {"accounts": int(row[0]), "follows": int(row[1]), "interactions": int(row[2]), "posts": int(row[3])}

    def read_posts(self) -> pa.Table:
        return duckdb_read.bounded(self.con, lambda: duckdb_posts.read_posts(self.con))

    def read_hashtag_uses(self) -> pa.Table:
        return duckdb_read.bounded(self.con, lambda: duckdb_posts.read_hashtag_uses(self.con))

    def read_accounts(self) -> pa.Table:
        cols = ", ".join(f.name for f in ACCOUNTS)
        return _arrow(self.con, f"SELECT {cols} FROM accounts ORDER BY idx")

    def read_edges(self) -> EdgeArrays:
        return duckdb_read.read_edges(self.con)

    def read_hashtags(self) -> tuple[np.ndarray, np.ndarray]:
        t = _arrow(
            self.con,
            """SELECT src, tag FROM (SELECT src, unnest(hashtags) AS tag, n FROM interactions
                                WHERE hashtags IS NOT NULL), range(n) r(i)""",
        )
        self._drop_cached_blocks()
        return _to_i32(t.column("src")), _shared_strings(t.column("tag"))

    def _drop_cached_blocks(self) -> None:
        duckdb_read.drop_cached_blocks(self.con)

    def interactions_to(self, target_ids: list[str]) -> pa.Table:
        return _arrow(
            self.con,
            """
            SELECT s.id AS source, t.id AS target, i.kind::VARCHAR AS kind, sum(i.n)::BIGINT AS n
            FROM interactions i JOIN accounts t ON t.idx = i.dst JOIN accounts s ON s.idx = i.src
            WHERE t.id IN (SELECT unnest(?::VARCHAR[]))
            GROUP BY ALL ORDER BY source, target, kind""",
            [list(target_ids)],
        )

    def hashtag_users(self, tags: list[str]) -> pa.Table:
        return _arrow(
            self.con,
            """
            SELECT s.id AS source, lower(h.tag) AS tag, sum(h.n)::BIGINT AS n
            FROM (SELECT src, unnest(hashtags) AS tag, n FROM interactions WHERE hashtags IS NOT NULL) h
            JOIN accounts s ON s.idx = h.src
            WHERE lower(h.tag) IN (SELECT lower(unnest(?::VARCHAR[])))
            GROUP BY ALL ORDER BY source, tag""",
            [list(tags)],
        )

    # -- runs (graph_store.duckdb_runs) ------------------------------------------
    def write_run(self, run: RunRecord, tables: dict[str, pa.Table]) -> None:
        if self.location == ":memory:":  # nothing to evict to: the bound would only make DuckDB refuse
            write_run(self.con, run, tables)
        else:  # one transaction: where the bound makes DuckDB run out of memory, it is rolled back and redone
            duckdb_read.bounded(self.con, lambda: write_run(self.con, run, tables))

    def list_runs(self) -> list[RunRecord]:
        return list_runs(self.con)

    def read_run(
        self, run_id: str | None = None, *, tables: Iterable[str] | None = None
    ) -> tuple[RunRecord, dict[str, pa.Table]]:
        return read_run(self.con, self.location, run_id, tables=tables)


def _has_equal_rows(con: duckdb.DuckDBPyConnection, ins: pa.Table) -> bool:
    """Whether two rows of ``ins`` might be identical: equal 64-bit hashes (exact when False).

    DuckDB hashes the rows in parallel; numpy sorts the hashes (cheaper than ``count(DISTINCT hash)``,
    whose hash table of one entry per row dominated large loads).
    """
    if ins.num_rows < 2:
        return False
    _register(con, "_rows", ins)
    try:
        h = con.execute(
            "SELECT hash(src, dst, kind, ts, post_id, hashtags, coalesce(weight, 1.0)) AS h FROM _rows"
        ).fetchnumpy()["h"]
    finally:
        _unregister(con, "_rows")
    h = np.sort(np.asarray(h))
    return bool((h[1:] == h[:-1]).any())


def _shared_strings(col: pa.ChunkedArray) -> np.ndarray:
    """A string column as an object array in which equal strings are one Python object (a column of
    few distinct values, such as hashtags, then costs a pointer per row instead of a string per row)."""
    enc = col.combine_chunks().dictionary_encode() if len(col) else None
    if enc is None or enc.null_count:
        return np.asarray(col.to_numpy(zero_copy_only=False), dtype=object)
    words = np.asarray(enc.dictionary.to_numpy(zero_copy_only=False), dtype=object)
    return words[enc.indices.to_numpy()]


def _to_i32(col: pa.ChunkedArray) -> np.ndarray:
    return np.ascontiguousarray(col.to_numpy(), dtype=np.int32)


def _to_float(col: pa.ChunkedArray) -> np.ndarray:
    return np.asarray(col.cast(pa.float64()).fill_null(float("nan")).to_numpy(), dtype=np.float64)
