"""A small world for the API tests: a DuckDB store with accounts, follows, interactions and runs.

The result tables are built here with numpy (seeded), so the tests know every
value and can rank them with a slow, obvious reference (plain Python sorts).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from nichegraph.api.analysis import run_analysis
from nichegraph.api.service import create_app, load_settings
from nichegraph.api.stages.serving import serving_tables
from nichegraph.graph_store import RunRecord, TableBatch
from nichegraph.graph_store.duckdb_store import DuckDBStore
from nichegraph.graph_store.ingest import load_files
from nichegraph.graph_store.schema import SCHEMAS
from nichegraph.graph_store.synth import World, generate, write_world

N = 80
TIERS = ["nano", "micro", "macro", "mega"]


def _batch(table: str, cols: dict) -> TableBatch:
    schema = SCHEMAS[table]
    arrays = [pa.array(cols.get(f.name, [None] * len(next(iter(cols.values())))), type=f.type) for f in schema]
    return TableBatch(table, pa.RecordBatch.from_arrays(arrays, schema=schema))


def world_tables(seed: int = 7, n: int = N) -> tuple[pa.Table, pa.Table]:
    """Accounts and communities result tables with every documented column (and some nulls)."""
    rng = np.random.default_rng(seed)
    ids = [f"u{i:03d}" for i in range(n)]
    followers = rng.integers(0, 2_000_000, n).astype(object)
    followers[rng.random(n) < 0.15] = None
    score = rng.random(n)
    score[rng.random(n) < 0.1] = np.nan
    score[5] = score[6] = score[7] = 0.5  # ties
    social = np.round(rng.random(n), 2)
    community = rng.integers(0, 4, n)
    engagement = np.round(rng.random(n) / 20, 4)
    engagement[rng.random(n) < 0.3] = np.nan  # accounts without posts
    table = pa.table({
        "idx": pa.array(np.arange(n, dtype=np.int32)),
        "id": ids,
        "handle": [f"handle{i}" if i % 9 else None for i in range(n)],
        "platform": pa.array(["x" if i % 3 else "Instagram" for i in range(n)]),
        "affiliation": pa.array(["Acme" if i % 10 == 0 else ("acme" if i % 10 == 5 else None) for i in range(n)]),
        "followers_count": pa.array(list(followers), pa.int64()),
        "followers_observed": pa.array(rng.integers(0, 500, n), pa.int64()),
        "tier": pa.array([TIERS[int(t)] for t in rng.integers(0, 4, n)]),
        "tier_estimated": pa.array(rng.random(n) < 0.2),
        "community": pa.array(community, pa.int64()),
        "niche": pa.array(community * 10 + rng.integers(0, 3, n), pa.int64()),
        "in_degree": pa.array(rng.integers(0, 50, n), pa.int64()),
        "out_degree": pa.array(rng.integers(0, 50, n), pa.int64()),
        "reciprocity": rng.random(n),
        "pagerank": rng.random(n) / n,
        "niche_pagerank": rng.random(n),
        "social_ratio": social,
        "social_ratio_shrunk": np.round(0.5 + 0.8 * (social - 0.5), 3),
        "score_hidden": score,
        **_authenticity_columns(seed, n),
        "engagement_rate": engagement,
        "engagement_posts": pa.array(rng.integers(0, 30, n), pa.int64()),
    })
    comms = []
    for c in range(4):
        members = [ids[i] for i in np.flatnonzero(community == c)]
        comms.append({"community": c, "level": "broad", "parent": None, "size": len(members),
                      "internal_edges": int(rng.integers(0, 100)), "density": float(rng.random()),
                      "top_members": members[:3], "top_hashtags": ["tag%d" % c]})
        for k in range(3):
            comms.append({"community": c * 10 + k, "level": "niche", "parent": c, "size": int(rng.integers(1, 20)),
                          "internal_edges": 3, "density": math.nan, "top_members": members[:1], "top_hashtags": []})
    schema = pa.schema([("community", pa.int64()), ("level", pa.string()), ("parent", pa.int64()),
                        ("size", pa.int64()), ("internal_edges", pa.int64()), ("density", pa.float64()),
                        ("top_members", pa.list_(pa.string())), ("top_hashtags", pa.list_(pa.string()))])
    return table, pa.Table.from_pylist(comms, schema=schema)


def _authenticity_columns(seed: int, n: int) -> dict:
    """The audience authenticity score and the component that set it (some unknown), from their own generator."""
    rng = np.random.default_rng(seed + 1000)
    score = np.round(rng.random(n), 3)
    unknown = rng.random(n) < 0.1
    weakest = np.array(["audience", "burst", "trust", "pod", "follow_ratio"], dtype=object)[rng.integers(0, 5, n)]
    return {
        "authenticity": np.where(unknown, np.nan, score),  # NaN like score_hidden above
        "authenticity_weakest": pa.array(np.where(unknown, None, weakest), pa.string()),
    }


def fill_store(st, n: int = N, run_id: str = "20260101T000000000000Z-aaaa0001") -> None:
    """Load the small world's accounts, follows and interactions into ``st`` and write one run."""
    ids = [f"u{i:03d}" for i in range(n)]
    st.load([
        _batch("accounts", {"id": ids, "handle": [f"handle{i}" if i % 9 else None for i in range(n)]}),
        # u001 <-> u002 mutual follow, u001 <-> u003 mutual follow
        _batch("follows", {"follower": ["u001", "u002", "u001", "u003", "u004"],
                           "followee": ["u002", "u001", "u003", "u001", "u001"]}),
        # u001 <-> u003 reciprocal interactions (3 and 2 events), u004 -> u001 one way
        # brand account u010 (handle10) mentioned by u011 (x2), u012; hashtag #handle10 used by u013
        _batch("interactions", {
            "source": ["u001"] * 3 + ["u003"] * 2 + ["u004", "u011", "u011", "u012", "u013", "u014"],
            "target": ["u003"] * 3 + ["u001"] * 2 + ["u001", "u010", "u010", "u010", "u020", "u021"],
            "kind": ["reply"] * 5 + ["mention"] * 6,
            "hashtags": [None] * 9 + [["Handle10"], ["other"]],
        }),
    ])
    accounts, communities = world_tables(n=n)
    # the serving tables as `nichegraph analyze` builds them, from the edges loaded above
    serving = serving_tables(st, st.read_edges())
    st.write_run(RunRecord(run_id, "2026-01-01T00:00:00+00:00", {"seed": 0}, {"accounts": n}),
                 {"accounts": accounts, "communities": communities, **serving})


def build_store(path, n: int = N, run_id: str = "20260101T000000000000Z-aaaa0001") -> None:
    with DuckDBStore(path) as st:
        fill_store(st, n, run_id)


@contextmanager
def analysed_world(
    folder: Path, *, n_accounts: int, n_edges: int, seed: int
) -> Iterator[tuple[World, str, DuckDBStore]]:
    """A planted world written as files in ``folder``, loaded into a DuckDB store there and analysed for real.

    Yields ``(world, store path, the open store)``; the store closes when the block ends.
    """
    world = generate(n_accounts=n_accounts, n_edges=n_edges, seed=seed)
    files = write_world(world, folder / "files")
    path = str(folder / "world.duckdb")
    with DuckDBStore(path) as st:
        load_files(st, accounts=str(files["accounts"]), follows=str(files["follows"]),
                   interactions=str(files["interactions"]))
        run_analysis(st)
        yield world, path, st


@pytest.fixture(scope="session")
def store_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("api") / "world.duckdb"
    build_store(path)
    return str(path)


@pytest.fixture(scope="session")
def tables():
    return world_tables()


#: Every test app signs cursors with this secret, so two apps (one per store) give byte-identical answers.
TEST_CURSOR_SECRET = "the test suite's cursor secret"


def make_client(store_path: str, **overrides) -> TestClient:
    opts = dict(store=store_path, poll_seconds=0, rate_limit=0, cursor_secret=TEST_CURSOR_SECRET)
    opts.update(overrides)
    settings = load_settings(env={}, **opts)
    return TestClient(create_app(settings), raise_server_exceptions=False)


@pytest.fixture(scope="session")
def client(store_path):
    with make_client(store_path) as c:
        yield c
