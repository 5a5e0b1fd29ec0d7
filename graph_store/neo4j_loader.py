"""The Neo4j store's loader: stage and aggregate the input in DuckDB, then write it in batches.

:func:`load` first reads every batch into an in-memory DuckDB (validated input never
reaches the server until the whole input was read, so a bad file changes nothing),
aggregates it exactly like :class:`graph_store.duckdb_store.DuckDBStore` (follows once
per pair with the earliest ``since``; identical interaction events counted as a
multiplicity ``n``), hashes the identities (account key = SHA-256 of the id, stored;
event key = 60 bits of the SHA-256 of the event's fields, compared client-side only),
and then writes with batched ``UNWIND`` statements:

1. accounts, batches in id order written by the parallel writers, each created
   only when its key is not stored; new ids take the free ``idx`` values first
   (see :meth:`Loader._plan_accounts`), so the dense ``idx`` of a new account is
   the same whether the load runs once or is resumed; the loader keeps every
   account's element id.  Meanwhile a second thread aggregates the
   relationships in DuckDB;
2. account fields, follows, interaction events.  Relationships find their
   endpoints by element id; on a relationship type that already holds
   data the stored relationships of the load's sources are read first and only
   new or changed rows are sent (see :meth:`Loader._plan_edges`).  The parallel writers
   take buckets of relationships whose endpoints lie in disjoint groups of accounts, so
   two concurrent transactions never lock the same node
   (:func:`graph_store.neo4j_batches.run_disjoint`).
3. posts (:mod:`graph_store.neo4j_posts`), upserted by ``post_id`` with their ``POSTED``
   relationship from the author.

Every statement is idempotent or only ever sent for rows known to be new, and a
batch whose commit outcome is unknown is retried with the idempotent statement,
so a retried batch or a re-run after a killed process changes nothing twice:
the load is resumable.  Loads of at most ``atomic_rows`` distinct rows run in
one transaction (all or nothing even on the server side); larger loads commit
batch by batch (a crash leaves a prefix that the re-run completes).

Progress is reported to an optional ``progress(rows_done, rows_total)`` callback
(the command line draws it; this layer draws nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from . import cypher, neo4j_posts
from . import neo4j_adjacency as adjacency
from .base import LoadCounts
from .errors import StoreError
from .neo4j_batches import Job, ProgressCallback, WriteProgress, node_groups, parallel_map, phase, run_disjoint
from .neo4j_convert import EVENT_KEY, NONE, STORED, insert_arrow, split_time
from .neo4j_session import Sessions, records_as_dicts
from .schema import ACCOUNT_FIELDS, TABLES, TableBatch
from .staging import count_follow_pairs, create_stage_tables, follow_pairs_sql, last_account_fields_sql, stage_batch


def load(
    sessions: Sessions,
    batches: Iterable[TableBatch],
    *,
    batch_size: int,
    atomic_rows: int,
    workers: int,
    phases: dict[str, float],
    ensure_schema: Callable[[], None],
    progress: ProgressCallback | None = None,
) -> LoadCounts:
    """Write validated batches to the server behind ``sessions``; the load's counts.

    Parameters
    ----------
    sessions : Sessions
        Where to write.
    batches : iterable of TableBatch
        The whole input; read and aggregated before anything is sent, so an input error
        leaves the server untouched.
    batch_size : int
        Rows per ``UNWIND`` statement.
    atomic_rows : int
        Loads with at most this many distinct rows run in one transaction.
    workers : int
        Parallel writer sessions for new accounts and relationships.
    phases : dict
        Filled with the wall seconds of each phase.
    ensure_schema : callable
        Creates the constraints and indexes; called once the input is staged.
    progress : callable, optional
        ``progress(rows_done, rows_total)`` as batches are written.
    """
    con = duckdb.connect(":memory:")
    try:
        with phase(phases, "stage"):
            total = _stage(con, batches)
        with phase(phases, "schema"):
            ensure_schema()
        counter = WriteProgress(progress)
        if total <= atomic_rows:
            return _load_atomic(sessions, con, counter, batch_size=batch_size, phases=phases)

        def run(query: str, params: dict, what: str = "write", retry_query: str | None = None) -> list[dict]:
            return sessions.write(query, params, what=what, retry_query=retry_query)

        return Loader(
            sessions.location, con, counter, run, batch_size=batch_size, workers=workers, phases=phases
        ).run_all()
    finally:
        con.close()


def _stage(con: duckdb.DuckDBPyConnection, batches: Iterable[TableBatch]) -> int:
    """Read every batch into the ``stage_*`` tables and list the load's ids (``load_ids``); the rows to write."""
    create_stage_tables(con, TABLES, temp=False)
    seq = 0
    for tb in batches:
        seq = stage_batch(con, tb, seq)
    con.execute("""CREATE TABLE load_ids AS SELECT id, sha256(id) AS key FROM (
            SELECT id FROM stage_accounts
            UNION SELECT follower FROM stage_follows UNION SELECT followee FROM stage_follows
            UNION SELECT source FROM stage_interactions UNION SELECT target FROM stage_interactions
            UNION SELECT author FROM stage_posts)""")
    n = con.execute("""SELECT (SELECT count(*) FROM load_ids) + (SELECT count(*) FROM stage_accounts)
                       + (SELECT count(*) FROM stage_follows) + (SELECT count(*) FROM stage_interactions)
                       + (SELECT count(*) FROM stage_posts)""").fetchall()[0][0]
    return int(n)


def _load_atomic(
    sessions: Sessions,
    con: duckdb.DuckDBPyConnection,
    counter: WriteProgress,
    *,
    batch_size: int,
    phases: dict[str, float],
) -> LoadCounts:
    """Small loads: every statement in one managed transaction (retried as a whole)."""

    def work(tx: Any) -> LoadCounts:
        counter.reset()

        def run(query: str, params: dict, what: str = "write", retry_query: str | None = None) -> list[dict]:
            return records_as_dicts(tx.run(query, params))  # the whole transaction is retried

        return Loader(sessions.location, con, counter, run, batch_size=batch_size, workers=1, phases=phases).run_all()

    return sessions.transaction(work, write=True, what="load")


class Loader:
    """One load's write phases, over a ``run(query, params, what)`` callable."""

    def __init__(
        self,
        location: str,
        con: duckdb.DuckDBPyConnection,
        bar: WriteProgress,
        run: Callable[..., list[dict]],
        *,
        batch_size: int,
        workers: int,
        phases: dict[str, float],
    ):
        self.location, self.con, self.bar, self.run = location, con, bar, run
        self.bs = batch_size
        self.workers = max(1, workers)
        self.phases = phases
        self.fresh = False  # no account stored before this load (set by _plan_accounts)
        self.stored: dict[str, Any] = {}  # what LOAD_SIZES found before the load
        self.groups = 1  # node groups of the relationship buckets (set when the edges are planned)

    def one(self, sql: str, params: list | None = None) -> Any:
        return self.con.execute(sql, params).fetchall()[0][0]

    def run_all(self) -> LoadCounts:
        """All write phases; the load's counts.

        Accounts are written first (relationships find their endpoints by the internal
        element ids the account phase returns); while they are written, a second thread
        aggregates follows and events in DuckDB (:meth:`_prepare_edges`), so the client's
        share of the work overlaps the server's.
        """
        con, out = self.con, LoadCounts()
        with phase(self.phases, "accounts_plan"):
            fields = self._plan_accounts(out)
        with ThreadPoolExecutor(1) as prep:
            # the edge tables need only idx (not element ids): built on a second DuckDB connection
            edges = prep.submit(self._prepare_edges, con.cursor(), out)
            with phase(self.phases, "accounts_write"):
                self._write_accounts(out, fields)
            with phase(self.phases, "edges_prepare_wait"):
                edges.result()
        with phase(self.phases, "edges_plan"):
            # endpoints by element id
            for table in ("fol", "itr"):
                con.execute(f"""CREATE OR REPLACE TABLE {table} AS SELECT t.*, a.nid AS a, b.nid AS b
                                FROM {table} t JOIN idn a ON a.idx = t.s JOIN idn b ON b.idx = t.d""")
            # accounts in ``g`` groups (idx mod g); a row's bucket is the pair of its endpoints' groups
            self.groups = g = node_groups(
                max(self.one("SELECT count(*) FROM fol"), self.one("SELECT count(*) FROM itr")), self.bs, self.workers
            )
            bucket = lambda t: f"least({t}.s % {g}, {t}.d % {g}) * {g} + greatest({t}.s % {g}, {t}.d % {g})"
            follow = f"{bucket('fol')} AS bucket, fol.a, fol.b, {split_time('fol.us', 'ss', 'sn')}"
            fol_new, fol_upd = self._plan_edges(
                "fol",
                self.stored["follows"],
                cypher.EXISTING_FOLLOWS,
                ("a", "b"),
                ("us", "min"),
                new_sql=f"SELECT {follow} FROM fol ANTI JOIN ex USING (a, b) ORDER BY bucket, fol.s, fol.d",
                # a stored follow changes only when this load has an earlier since
                upd_sql=f"""SELECT {follow} FROM fol JOIN ex USING (a, b)
                            WHERE fol.us IS NOT NULL AND (ex.us IS NULL OR fol.us < ex.us)
                            ORDER BY bucket, fol.s, fol.d""",
                create=cypher.CREATE_FOLLOWS_FRESH if self.fresh else cypher.CREATE_FOLLOWS,
                merge=cypher.MERGE_FOLLOWS,
                counts=out.follows,
                what="follows",
            )
            # weight 1.0 (the default) is not stored: readers use coalesce(e.weight, 1.0)
            event = f"""{bucket("itr")} AS bucket, itr.a, itr.b, itr.kind, {split_time("itr.us", "ts", "tn")}, itr.post_id AS post,
                        itr.hashtags AS tags, CASE WHEN itr.w = 1.0 THEN NULL ELSE itr.w END AS w, itr.n"""
            itr_new, itr_upd = self._plan_edges(
                "itr",
                self.stored["events"],
                cypher.EXISTING_INTERACTIONS,
                ("a", "b", "k"),
                ("n", "max"),
                new_sql=f"SELECT {event} FROM itr ANTI JOIN ex USING (a, b, k) ORDER BY bucket, itr.s, itr.d",
                # a stored event changes only when this load holds it more times
                upd_sql=f"""SELECT {event} FROM itr JOIN ex USING (a, b, k) WHERE itr.n > ex.n
                            ORDER BY bucket, itr.s, itr.d""",
                create=cypher.CREATE_INTERACTIONS_FRESH if self.fresh else cypher.CREATE_INTERACTIONS,
                merge=cypher.MERGE_INTERACTIONS,
                counts=out.interactions,
                what="interactions",
            )
        with phase(self.phases, "edges_write"):
            # buckets whose groups are disjoint run in parallel: concurrent writers never share a node
            self._run_jobs([*fol_new, *itr_new, *fol_upd, *itr_upd])
        with phase(self.phases, "posts"):  # the authors exist now; same run, so same transaction when atomic
            out.posts = neo4j_posts.write_posts(self.con, self.run, batch_size=self.bs)
        if self.fresh:  # every relationship of every account is in this load: its adjacency records too
            with phase(self.phases, "adjacency"):
                idx, nid, adj = adjacency.from_load(con)
                adjacency.write(lambda q, p: self.run(q, p, "writing adjacency records"), idx, nid, adj, self.workers)
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
        # accounts and relationships stored before the load (this load writes no relationship before
        # it plans them, and only one loader writes at a time)
        self.stored = st = self.run(cypher.LOAD_SIZES, {}, "counting")[0]
        self.fresh = fresh = st["accounts"] == 0  # nothing to look up
        con.execute("CREATE OR REPLACE TABLE existing (key VARCHAR, idx INTEGER, nid VARCHAR)")
        con.execute("CREATE OR REPLACE TABLE holes (pos BIGINT, idx INTEGER)")
        base = 0
        if not fresh:
            insert_arrow(con, "existing", self._lookup_accounts(keys))
            base = 0 if st["m"] is None else int(st["m"]) + 1
            if int(st["n"]) < base:
                used = np.asarray(self.run(cypher.STORED_IDX, {}, "reading accounts")[0]["idx"], dtype=np.int64)
                free = np.ones(base, dtype=bool)
                free[used] = False
                holes = np.flatnonzero(free)
                insert_arrow(
                    con,
                    "holes",
                    {"pos": pa.array(np.arange(holes.size, dtype=np.int64)), "idx": pa.array(holes.astype(np.int32))},
                )
        n_holes = one("SELECT count(*) FROM holes")
        con.execute(
            """CREATE OR REPLACE TABLE idmap AS
            SELECT l.id, l.key, e.idx, false AS new FROM load_ids l JOIN existing e USING (key)
            UNION ALL
            SELECT n.id, n.key, coalesce(h.idx, ? + n.r - ?)::INTEGER AS idx, true AS new
            FROM (SELECT id, key, row_number() OVER (ORDER BY id) - 1 AS r
                  FROM load_ids l ANTI JOIN existing e USING (key)) n LEFT JOIN holes h ON h.pos = n.r""",
            [base, n_holes],
        )

        # account fields: the last non-null value per id in this load wins
        fields = ACCOUNT_FIELDS
        con.execute(f"CREATE OR REPLACE TABLE accf AS {last_account_fields_sql()}")
        a = out.accounts
        a.rows = one("SELECT count(*) FROM stage_accounts")
        a.duplicates = a.rows - one("SELECT count(DISTINCT id) FROM stage_accounts")
        a.inserted = one("SELECT count(DISTINCT s.id) FROM stage_accounts s JOIN idmap m USING (id) WHERE m.new")
        a.existing = a.rows - a.duplicates - a.inserted
        out.new_endpoint_accounts = one("SELECT count(*) FROM idmap WHERE new") - a.inserted
        return fields

    def _write_accounts(self, out: LoadCounts, fields: tuple[str, ...]) -> None:
        """Create the new accounts (batches in ``idx`` order, ``workers`` in parallel) and upsert the
        fields of stored ones; table ``idn`` (idx, nid) maps every account of the load to its element id."""
        con, one = self.con, self.one
        cols = ", ".join("n." + c for c in fields)

        def field_lists(part: pa.Table) -> dict:
            return {c: part.column(c).to_pylist() for c in fields}

        new = con.sql(f"""SELECT m.key, m.id, m.idx, {cols} FROM idmap m LEFT JOIN accf n USING (id)
                          WHERE m.new ORDER BY m.idx""").to_arrow_table()

        def create(part: pa.Table) -> list[dict]:
            rows = self.run(
                cypher.CREATE_ACCOUNTS_FRESH if self.fresh else cypher.CREATE_ACCOUNTS,
                {
                    "key": part.column("key").to_pylist(),
                    "id": part.column("id").to_pylist(),
                    "idx": part.column("idx").to_pylist(),
                    "v": field_lists(part),
                },
                "creating accounts",
                retry_query=cypher.CREATE_ACCOUNTS,
            )
            self.bar.advance(part.num_rows)
            return rows

        created: dict[str, list] = {"key": [], "nid": []}
        for rows in parallel_map(self.workers, create, self._slices(new)):
            for r in rows:
                created["key"] += r["keys"]
                created["nid"] += r["nid"]
        self.bar.advance(one("SELECT count(*) FROM idmap") - new.num_rows)
        con.execute("CREATE OR REPLACE TABLE nids AS SELECT key, nid FROM existing")
        insert_arrow(
            con, "nids", {"key": pa.array(created["key"], pa.string()), "nid": pa.array(created["nid"], pa.string())}
        )
        # accounts created by an earlier attempt of a retried batch did not come back: look them up
        missing = [r[0] for r in con.execute("SELECT key FROM idmap ANTI JOIN nids USING (key)").fetchall()]
        if missing:
            again = self._lookup_accounts(missing)
            insert_arrow(con, "nids", {"key": again["key"], "nid": again["nid"]})
        con.execute(
            "CREATE OR REPLACE TABLE idn AS SELECT m.idx, n.nid, m.new, m.id FROM idmap m JOIN nids n USING (key)"
        )
        if one("SELECT count(*) FROM idn") != one("SELECT count(*) FROM idmap"):
            raise StoreError(
                f"Neo4j {self.location}: accounts disappeared during the load "
                "(deleted by another client?); run the load again"
            )

        # accounts that were already stored: upsert their fields, count the changed ones
        acc = con.sql(f"""SELECT m.nid, {cols} FROM accf n JOIN idn m USING (id)
                          WHERE NOT m.new ORDER BY m.idx""").to_arrow_table()
        self.bar.add_total(acc.num_rows)
        for lo in range(0, acc.num_rows, self.bs):
            part = acc.slice(lo, self.bs)
            for r in self.run(
                cypher.UPDATE_ACCOUNTS,
                {"nid": part.column("nid").to_pylist(), "v": field_lists(part)},
                "updating accounts",
            ):
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
            pairs = follow_pairs_sql("idmap", since="min(epoch_us(f.since))", names=("s", "d", "us", "c"))
            cur.execute(f"CREATE OR REPLACE TABLE fol AS {pairs}")
            f = out.follows
            f.rows, f.duplicates, f.self_loops = count_follow_pairs(one, "fol", src="s", dst="d", rows="c")
            # interactions: events with multiplicity, hashtags as stored (Neo4j lists hold no
            # nulls); ``k`` identifies an event among those of its pair (:data:`EVENT_KEY`)
            cur.execute(f"""CREATE OR REPLACE TABLE itr AS SELECT *, {EVENT_KEY} AS k
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
        """Stored accounts among ``keys``: their key, idx and element id."""
        found: dict[str, list] = {"keys": [], "idx": [], "nid": []}
        for lo in range(0, len(keys), self.bs):
            for r in self.run(cypher.EXISTING_ACCOUNTS, {"keys": keys[lo : lo + self.bs]}, "looking up accounts"):
                for c in found:
                    found[c] += r[c]
        return {
            "key": pa.array(found["keys"], pa.string()),
            "idx": pa.array(found["idx"], pa.int32()),
            "nid": pa.array(found["nid"], pa.string()),
        }

    def _plan_edges(
        self,
        table: str,
        stored: int,
        existing_q: str,
        ident: tuple[str, ...],
        value: tuple[str, str],
        *,
        new_sql: str,
        upd_sql: str,
        create: str,
        merge: str,
        counts: Any,
        what: str,
    ) -> tuple[list[Job], list[Job]]:
        """Plan one relationship phase: batches of what is not stored yet, and of what must change.

        On a relationship type with nothing stored everything is new.  Otherwise the
        relationships of this load's source accounts are read first (``existing_q``: a read
        costs a fraction of a write; columns and identity per table in :data:`STORED`) into the
        DuckDB table ``ex`` (identity columns ``ident`` and one value column, aggregated per
        identity with ``value[1]``) and compared there:
        new rows (``new_sql``) are created with a plain ``create``, rows whose stored value must
        change (``upd_sql``) go through the ``merge`` statement, rows stored as they are are not
        sent at all (they are counted as existing here).  A batch whose commit outcome is
        unknown is retried with ``merge``, so nothing is ever written twice.
        """
        con = self.con
        columns, convert, identity = STORED[table]
        con.execute(f"CREATE OR REPLACE TABLE ex_raw ({columns})")
        if stored > 0:
            sources = [r[0] for r in con.execute(f"SELECT DISTINCT a FROM {table} ORDER BY a").fetchall()]
            for lo in range(0, len(sources), self.bs):
                for r in self.run(
                    existing_q, {"a": sources[lo : lo + self.bs], "none": NONE}, f"reading stored {what}"
                ):
                    try:
                        insert_arrow(con, "ex_raw", convert(r))
                    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
                        raise StoreError(
                            f"Neo4j {self.location}: stored {what} do not follow nichegraph's graph model "
                            f"({exc}); load into an empty database"
                        ) from exc
        # one row per identity (a database could hold duplicates written by other tools)
        con.execute(f"""CREATE OR REPLACE TABLE ex AS SELECT {identity},
                        {value[1]}(NULLIF({value[0]}, {NONE})) AS {value[0]} FROM ex_raw GROUP BY ALL""")
        con.execute("DROP TABLE ex_raw")
        counts.existing += self.one(f"SELECT count(*) FROM {table} SEMI JOIN ex USING ({', '.join(ident)})")
        new = con.sql(new_sql).to_arrow_table()
        upd = con.sql(upd_sql).to_arrow_table()
        total = self.one(f"SELECT count(*) FROM {table}")
        self.bar.add_total(total)
        self.bar.advance(total - new.num_rows - upd.num_rows)
        # rows of ``upd`` are among those counted as existing above
        return (
            [Job(p, create, merge, counts, True, what, b) for b, p in self._buckets(new)],
            [Job(p, merge, merge, counts, False, what, b) for b, p in self._buckets(upd)],
        )

    def _slices(self, table: pa.Table) -> list[pa.Table]:
        return [table.slice(lo, self.bs) for lo in range(0, table.num_rows, self.bs)]

    def _buckets(self, table: pa.Table) -> list[tuple[frozenset[int], pa.Table]]:
        """Batches of ``table`` (sorted by its ``bucket`` column, ``lo * groups + hi``), each with the node
        groups ``{lo, hi}`` of its bucket; the ``bucket`` column is not sent."""
        if table.num_rows == 0:
            return []
        g = self.groups
        code = table.column("bucket").to_numpy()
        rows = table.drop_columns(["bucket"])
        cuts = np.flatnonzero(np.diff(code)) + 1
        out = []
        for lo, hi in zip([0, *cuts.tolist()], [*cuts.tolist(), table.num_rows]):
            groups = frozenset((int(code[lo]) // g, int(code[lo]) % g))
            out += [(groups, part) for part in self._slices(rows.slice(lo, hi - lo))]
        return out

    def _run_job(self, job: Job) -> tuple[int, int]:
        """Write one batch; (inserted, existing) as the server counted them."""
        part = job.part
        p = {c: part.column(c).to_pylist() for c in part.column_names}
        r = self.run(job.query, p, f"writing {job.what}", retry_query=job.retry_query)[0]
        lost = part.num_rows - int(r["matched"] or 0)
        if lost:
            raise StoreError(
                f"Neo4j {self.location}: {lost} {job.what} point at accounts that are "
                "gone (deleted during the load?); run the load again"
            )
        self.bar.advance(part.num_rows)
        # a retried CREATE batch finds its own rows: those count as existing
        return int(r["inserted"] or 0), int(r["existing"] or 0) if job.count_existing else 0

    def _run_jobs(self, jobs: list[Job]) -> None:
        """Run the batches (in ``workers`` parallel sessions, :func:`run_disjoint` over their buckets: two
        batches run at the same time only when they share no node) and add up their counts."""
        buckets: dict[frozenset[int], list[Job]] = {}
        for job in jobs:
            buckets.setdefault(job.groups, []).append(job)
        for job, (ins, existing) in run_disjoint(self.workers, list(buckets.items()), self._run_job):
            job.counts.inserted += ins
            job.counts.existing += existing
