"""Shared helpers for the ingest tests: a fresh store, the fixtures folder, and a store dump.

The dump turns a store's content into plain Python values (ids, not dense
indices), so tests compare it with what a slow, obvious reference parser
(``csv``, ``str.split``, ``json``) reads from the same file.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from nichegraph.graph_store.duckdb_store import DuckDBStore
from nichegraph.graph_store.schema import INTERACTION_KINDS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"
DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets"


@pytest.fixture
def fx() -> Path:
    return FIXTURES


@pytest.fixture
def store(tmp_path):
    st = DuckDBStore(tmp_path / "test.duckdb")
    yield st
    st.close()


def dump(store) -> dict:
    """Everything a store holds, as comparable Python values."""
    acc = store.read_accounts().to_pylist()
    ids = [a["id"] for a in acc]
    e = store.read_edges()
    con = store.con.cursor()
    follows = sorted(
        (ids[s], ids[d], since) for s, d, since in con.execute(
            "SELECT src, dst, since FROM follows").fetchall())
    inter = sorted(
        (ids[s], ids[d], k, ts, p, tuple(h) if h is not None else None, w, n) for s, d, k, ts, p, h, w, n in
        con.execute("SELECT src, dst, kind::VARCHAR, ts, post_id, hashtags, weight, n FROM interactions").fetchall())
    return {"accounts": {a["id"]: a for a in acc}, "follows": follows, "interactions": inter,
            "counts": store.counts(), "n_edges": (len(e.follow_src), len(e.interaction_src))}


def events(d: dict) -> list[tuple]:
    """Interactions expanded to one tuple per event (multiplicity ``n`` unrolled), without ``n``."""
    out = []
    for row in d["interactions"]:
        out.extend([row[:-1]] * row[-1])
    return sorted(out, key=repr)


KIND_MAP = {k: k for k in INTERACTION_KINDS} | {
    "mt": "mention", "re": "reply", "rt": "repost", "retweeted": "repost", "retweet": "repost", "quoted": "quote"}


def ref_ts(text: str | None) -> dt.datetime | None:
    """Slow reference timestamp parser: unix seconds or ISO 8601 (zone -> UTC, naive)."""
    if text is None or text.strip() == "":
        return None
    text = text.strip()
    if text.lstrip("-").replace(".", "", 1).isdigit():
        return dt.datetime.fromtimestamp(float(text), dt.UTC).replace(tzinfo=None)
    v = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if v.tzinfo is not None:
        v = v.astimezone(dt.UTC).replace(tzinfo=None)
    return v
