"""Per-account adjacency records: how the Neo4j store reads every edge in a few big values.

The relationships (``FOLLOWS``, ``INTERACTS``) are the data; next to them every account
keeps a copy of its outgoing ones, derived from them, in three properties:

``adj_f`` (bytes)
    Its follows as packed little-endian records :data:`FOLLOW_REC` (target ``idx`` int32,
    ``since`` int64 epoch microseconds or :data:`graph_store.neo4j_convert.NONE`); absent when none.
``adj_i`` (bytes)
    Its interaction events as packed records :data:`EVENT_REC` (target ``idx`` int32, kind code
    int8 = position in :data:`graph_store.schema.INTERACTION_KINDS`, ``ts`` int64 epoch
    microseconds or ``NONE``, ``weight`` float64, multiplicity ``n`` int32); absent when none.
``adj_v`` (int)
    :data:`ADJ_VERSION` when the two are current; absent (or another value) when not.

A read (:meth:`graph_store.neo4j_store.Neo4jStore.read_edges`) is one pass over the accounts
returning a few byte strings per range, which numpy views without parsing: no record and no
value per edge.  Coherence:

* every statement of the loader that creates or changes a relationship removes ``adj_v`` of its
  source in the same transaction (a load into an empty database need not: its accounts have no
  ``adj_v`` until its last step writes the records), and after each load :func:`rebuild` writes new records for
  every account without a current ``adj_v`` (so a killed load leaves stale accounts, never wrong
  ones, and the next load repairs them);
* a read takes the records only of accounts with a current ``adj_v``, reads the relationships
  of the others, and compares the total with the server's relationship counts (count store, no
  scan): when another client added or deleted relationships without removing ``adj_v``, the read
  says so in the log and reads every relationship instead.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from . import cypher
from .base import EdgeArrays
from .errors import StoreError
from .neo4j_convert import NONE, epoch_seconds
from .schema import INTERACTION_KINDS

#: One follow: target idx, since (epoch microseconds or NONE).  Packed, little-endian.
FOLLOW_REC = np.dtype([("d", "<i4"), ("us", "<i8")])
#: One interaction event: target idx, kind code, ts (epoch microseconds or NONE), weight, multiplicity.
EVENT_REC = np.dtype([("d", "<i4"), ("kind", "i1"), ("us", "<i8"), ("w", "<f8"), ("n", "<i4")])
#: The records' format, and the kind codes they use: a changed format or kind list makes every stored
#: record stale (read through the relationships, rewritten by the next load).
ADJ_VERSION = 1 + 2 * (zlib.crc32(f"{FOLLOW_REC.descr}|{EVENT_REC.descr}|{INTERACTION_KINDS}".encode()) & 0x3FFFFFFF)
#: Accounts per transaction when records are rebuilt, and per relationship read of stale accounts.
REBUILD_ACCOUNTS = 2_000


@dataclass
class Adjacency:
    """Outgoing edges of a set of accounts as flat columns (one row per relationship).

    ``fs``/``fd`` follow source/target idx (int32), ``fus`` since (int64 epoch us, NONE when absent);
    ``s``/``d`` event source/target (int32), ``kind`` (int8 code), ``us`` (int64), ``w`` weight as
    stored (float64), ``n`` multiplicity (int32).
    """

    fs: np.ndarray
    fd: np.ndarray
    fus: np.ndarray
    s: np.ndarray
    d: np.ndarray
    kind: np.ndarray
    us: np.ndarray
    w: np.ndarray
    n: np.ndarray

    @staticmethod
    def concat(parts: Sequence[Adjacency]) -> Adjacency:
        names = list(Adjacency.__dataclass_fields__)
        if not parts:
            return Adjacency(*(np.empty(0, t) for t in _DTYPES))
        return Adjacency(*(np.concatenate([getattr(p, f) for p in parts]).astype(t) for f, t in zip(names, _DTYPES)))


_DTYPES = (np.int32, np.int32, np.int64, np.int32, np.int32, np.int8, np.int64, np.float64, np.int32)


def _kind_codes(kinds: list[str]) -> np.ndarray:
    if not kinds:
        return np.empty(0, np.int8)
    enc = pa.array(kinds, type=pa.string()).dictionary_encode()
    names = enc.dictionary.to_pylist()
    bad = [k for k in names if k not in INTERACTION_KINDS]
    if bad:
        raise StoreError(f"INTERACTS relationships with kinds {bad!r} not among {list(INTERACTION_KINDS)}")
    remap = np.array([INTERACTION_KINDS.index(k) for k in names], dtype=np.int8)
    return remap[enc.indices.to_numpy(zero_copy_only=False)]


def read_relationships(run: Callable[[str, dict], list], idx: Sequence[int]) -> Adjacency:
    """The outgoing relationships of the accounts ``idx``, read from the relationships themselves.

    ``run(query, params)`` returns the records' values (one row here).
    """
    if len(idx) == 0:
        return Adjacency.concat([])
    p = {"idx": list(map(int, idx)), "none": NONE}
    fs, fd, fus = run(cypher.READ_FOLLOWS_OF, p)[0]
    s, d, kind, us, w, n = run(cypher.READ_INTERACTIONS_OF, p)[0]
    return Adjacency(
        np.asarray(fs, np.int32),
        np.asarray(fd, np.int32),
        np.asarray(fus, np.int64),
        np.asarray(s, np.int32),
        np.asarray(d, np.int32),
        _kind_codes(kind),
        np.asarray(us, np.int64),
        np.asarray(w, np.float64),
        np.asarray(n, np.int32),
    )


def pack(idx: Sequence[int], adj: Adjacency) -> tuple[list[bytes | None], list[bytes | None]]:
    """The records of each account of ``idx``: (follows, events), bytes or None when it has none."""
    ids = np.asarray(idx, dtype=np.int64)

    def per_account(src: np.ndarray, rec: np.ndarray) -> list[bytes | None]:
        order = np.argsort(src, kind="stable")
        src, rec = src[order], rec[order]
        lo = np.searchsorted(src, ids, side="left")
        hi = np.searchsorted(src, ids, side="right")
        return [rec[a:b].tobytes() if b > a else None for a, b in zip(lo.tolist(), hi.tolist())]

    f = np.empty(adj.fs.size, FOLLOW_REC)
    f["d"], f["us"] = adj.fd, adj.fus
    e = np.empty(adj.s.size, EVENT_REC)
    e["d"], e["kind"], e["us"], e["w"], e["n"] = adj.d, adj.kind, adj.us, adj.w, adj.n
    return per_account(adj.fs, f), per_account(adj.s, e)


def unpack(idx: np.ndarray, follows: list[bytes], events: list[bytes]) -> Adjacency:
    """Flat columns from the records of the accounts ``idx`` (views of one joined buffer each)."""

    def records(blobs: list[bytes], rec: np.dtype) -> tuple[np.ndarray, np.ndarray]:
        sizes = np.fromiter(map(len, blobs), dtype=np.int64, count=len(blobs))
        if np.any(sizes % rec.itemsize):
            raise StoreError("an account's adjacency record has a size that is not a whole number of edges")
        return np.repeat(idx.astype(np.int32), sizes // rec.itemsize), np.frombuffer(b"".join(blobs), dtype=rec)

    fs, f = records(follows, FOLLOW_REC)
    s, e = records(events, EVENT_REC)
    return Adjacency(fs, f["d"], f["us"], s, e["d"], e["kind"], e["us"], e["w"], e["n"])


def from_load(con: Any) -> tuple[list[int], list[str], Adjacency]:
    """Every account of a load into an empty database (idx, element id) and its outgoing edges, from the
    loader's DuckDB tables (``idn``: idx, nid; ``fol``: s, d, us; ``itr``: s, d, kind, us, w, n): what the
    load stored, so no relationship is read back."""
    rows = con.execute("SELECT idx, nid FROM idn ORDER BY idx").fetchall()
    idx, nid = [r[0] for r in rows], [r[1] for r in rows]
    f = con.execute(f"SELECT s, d, coalesce(us, {NONE}) AS us FROM fol").fetchnumpy()
    e = con.execute(f"SELECT s, d, kind, coalesce(us, {NONE}) AS us, w, n FROM itr").fetchnumpy()
    adj = Adjacency(f["s"], f["d"], f["us"], e["s"], e["d"], _kind_codes(list(e["kind"])), e["us"], e["w"], e["n"])
    return idx, nid, Adjacency.concat([adj])


def write(run: Callable[[str, dict], Any], idx: list[int], nid: list[str], adj: Adjacency, workers: int) -> None:
    """Store the records of the accounts ``idx`` (element ids ``nid``; ``run(query, params)``: one statement,
    one transaction unless the caller holds one), ``workers`` statements in parallel."""
    from .neo4j_batches import parallel_map

    f, r = pack(idx, adj)
    starts = list(range(0, len(idx), REBUILD_ACCOUNTS))
    parallel_map(
        workers,
        lambda lo: run(
            cypher.WRITE_ADJACENCY,
            {
                "nid": nid[lo : lo + REBUILD_ACCOUNTS],
                "f": f[lo : lo + REBUILD_ACCOUNTS],
                "r": r[lo : lo + REBUILD_ACCOUNTS],
                "v": ADJ_VERSION,
            },
        ),
        starts,
    )


def rebuild(transaction: Callable[[Callable[[Any], Any]], Any], workers: int, everything: bool = False) -> int:
    """Write new records for every account without current ones (every account when ``everything``);
    how many accounts.

    ``transaction(work)`` runs ``work(tx)`` in one write transaction (retried as a whole).  Each
    transaction locks its accounts first (:data:`cypher.LOCK_ADJACENCY`), then reads their
    relationships and writes their records, so a relationship another writer adds meanwhile
    either is in the records or removes ``adj_v`` again after them.
    """
    rec = transaction(
        lambda tx: tx.run(cypher.STALE_ADJACENCY, {"v": ADJ_VERSION, "all": everything}).single(strict=True)
    )
    stale = sorted(zip((int(i) for i in rec["idx"]), rec["nid"]))
    chunks = [stale[lo : lo + REBUILD_ACCOUNTS] for lo in range(0, len(stale), REBUILD_ACCOUNTS)]

    def one(chunk: list[tuple[int, str]]) -> None:
        idx, nid = [i for i, _ in chunk], [n for _, n in chunk]

        def work(tx: Any) -> None:
            tx.run(cypher.LOCK_ADJACENCY, {"nid": nid}).consume()
            adj = read_relationships(lambda q, p: tx.run(q, p).values(), idx)
            f, r = pack(idx, adj)
            tx.run(cypher.WRITE_ADJACENCY, {"nid": nid, "f": f, "r": r, "v": ADJ_VERSION}).consume()

        transaction(work)

    if workers <= 1 or len(chunks) <= 1:
        for c in chunks:
            one(c)
    else:
        with ThreadPoolExecutor(workers) as ex:
            list(ex.map(one, chunks))
    return len(stale)


def read_in_chunks(read_values: Callable[[str, dict], list], idx: np.ndarray, workers: int) -> list[Adjacency]:
    """:func:`read_relationships` of the accounts ``idx`` in chunks, on ``workers`` parallel sessions."""
    step = REBUILD_ACCOUNTS * 10
    chunks = [idx[lo : lo + step].tolist() for lo in range(0, idx.size, step)]
    if workers <= 1 or len(chunks) <= 1:
        return [read_relationships(read_values, c) for c in chunks]
    with ThreadPoolExecutor(workers) as ex:
        return list(ex.map(lambda c: read_relationships(read_values, c), chunks))


def edge_arrays(node_ids: np.ndarray, followers_count: np.ndarray, adj: Adjacency) -> EdgeArrays:
    """The store contract's arrays; interaction weights are ``weight * n`` (an event counts ``n`` times)."""
    return EdgeArrays(
        node_ids=node_ids,
        followers_count=followers_count,
        follow_src=np.ascontiguousarray(adj.fs, dtype=np.int32),
        follow_dst=_targets(adj.fd),
        interaction_src=np.ascontiguousarray(adj.s, dtype=np.int32),
        interaction_dst=_targets(adj.d),
        interaction_kind=np.ascontiguousarray(adj.kind, dtype=np.int8),
        interaction_ts=epoch_seconds(adj.us),
        interaction_weight=adj.w * adj.n,
        follow_ts=epoch_seconds(adj.fus),
        interaction_n=np.ascontiguousarray(adj.n, dtype=np.int32),
    )


def _targets(idx: np.ndarray) -> np.ndarray:
    """Target ``idx`` values as read (int32); -1 marks a target that is not a loaded account."""
    if idx.size and int(idx.min()) < 0:
        raise StoreError(
            "an edge points at a node that is not an Account (the graph changed while it was read?); read again"
        )
    return np.ascontiguousarray(idx, dtype=np.int32)
