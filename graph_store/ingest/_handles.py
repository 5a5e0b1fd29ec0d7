"""Mentions that name an account by username only (older X API v2 responses).

Such a mention is resolved after the whole file is read: its lower-cased username is looked up
among every ``(username, id)`` pair of the file (``includes.users`` and mentions that carry both),
so an id that appears later in the file still applies.  A username with no known id keeps its
mention under the account id ``@username`` (lower case; ``@`` cannot start a numeric X id), with
``username`` as its handle, so no mention is lost; the summary counts them.  When a later load
brings an X account with that username and an id, the DuckDB store gives the ``@username``
account its id (same index, so every edge follows).  The Neo4j store does not merge them yet:
there the id-keyed account appears beside the ``@username`` one.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._convert import Piece
from ._report import FileStats

S = pa.string()
#: Prefix of an account id made from a username.
HANDLE_PREFIX = "@"


def handle_pairs(ids: pa.Array, usernames: pa.Array) -> pa.Table:
    """(lower-case username, id) of every entry, shape (k,), that has both."""
    both = pc.and_(pc.is_valid(ids), pc.is_valid(usernames))
    return pa.table({"username": pc.utf8_lower(usernames.cast(S)), "uid": ids.cast(S)}).filter(both)


def resolve_handles(mentions: pa.Table, pairs: list[pa.Table], stats: FileStats) -> Iterator[Piece]:
    """Interactions for username-only ``mentions`` (columns source, username, ts, post_id, hashtags, line).

    Yields the accounts made for usernames without an id, then the interactions.  Where one
    username maps to several ids in the file the smallest id (as text) is taken, deterministically.
    """
    known = pa.concat_tables(pairs) if pairs else pa.table({"username": pa.array([], S), "uid": pa.array([], S)})
    if known.num_rows:
        known = known.group_by("username").aggregate([("uid", "min")]).rename_columns(["username", "uid"])
    order = pa.array(np.arange(mentions.num_rows, dtype=np.int64))
    keys = (
        mentions.select(["username"])
        .append_column("order", order)
        .join(known, "username", join_type="left outer")
        .sort_by("order")
    )
    uid = keys.column("uid").combine_chunks()
    unresolved = pc.is_null(uid)
    n_unresolved = pc.sum(unresolved.cast(pa.int64())).as_py() or 0
    names = mentions.column("username").combine_chunks()
    target = pc.if_else(unresolved, pc.binary_join_element_wise(HANDLE_PREFIX, names, ""), uid)
    if n_unresolved:
        stats.keyed_by_handle += int(n_unresolved)
        missing = pc.unique(names.filter(unresolved))
        yield Piece(
            "accounts",
            {
                "id": pc.binary_join_element_wise(HANDLE_PREFIX, missing, ""),
                "handle": missing,
                "platform": pa.array(["x"] * len(missing), S),
            },
            np.zeros(len(missing), dtype=np.int64),
            partial(_value_text, missing),
            names={"id": "entities.mentions.username", "handle": "entities.mentions.username"},
        )
    lines = np.asarray(mentions.column("line").to_numpy(), dtype=np.int64)
    yield Piece(
        "interactions",
        {
            "source": mentions.column("source"),
            "target": target,
            "kind": pa.array(["mention"] * mentions.num_rows, S),
            "ts": mentions.column("ts"),
            "post_id": mentions.column("post_id"),
            "hashtags": mentions.column("hashtags"),
        },
        lines,
        partial(_row_text, mentions),
        names={"target": "entities.mentions.username"},
    )


def _value_text(arr: pa.Array, pos: np.ndarray) -> list[str]:
    """The values of ``arr`` at ``pos`` as text (for messages and the rejects file)."""
    return [str(v) for v in arr.take(pos)]


def _row_text(table: pa.Table, pos: np.ndarray) -> list[str]:
    """The rows of ``table`` at ``pos`` as text (for messages and the rejects file)."""
    return [str(r) for r in table.take(pa.array(np.asarray(pos))).to_pylist()]
