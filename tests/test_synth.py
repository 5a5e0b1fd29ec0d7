"""The synthetic world generator (graph_store.synth) and the `nichegraph synth` command."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from nichegraph.graph_store.duckdb_store import DuckDBStore
from nichegraph.graph_store.schema import INTERACTION_KINDS, SCHEMAS, TIER_THRESHOLDS, TableBatch
from nichegraph.graph_store.synth import (AFFILIATIONS, BRAND_AFFILIATION, BRAND_HANDLE, BRAND_HASHTAG, ROLE_BRAND, ROLE_HUB,
                               ROLE_MEMBER, World, generate, write_world)

ARRAYS = ("ext", "handle_word", "handle_word2", "followers_count", "following_count", "affiliation", "niche",
          "community", "role", "brand_aware", "follow_src", "follow_dst", "follow_since", "interaction_src", "interaction_dst",
          "interaction_kind", "interaction_ts", "interaction_tags")


@pytest.fixture(scope="module")
def world() -> World:
    return generate(n_accounts=6000, n_edges=120_000, seed=7)


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _pair_keys(src: np.ndarray, dst: np.ndarray, n: int) -> np.ndarray:
    return src.astype(np.int64) * n + dst


def _reciprocated(src: np.ndarray, dst: np.ndarray, n: int) -> np.ndarray:
    """Per edge: does the reverse edge exist among (src, dst)?"""
    return np.isin(_pair_keys(dst, src, n), np.unique(_pair_keys(src, dst, n)))


# -- determinism ---------------------------------------------------------------------
def test_same_seed_same_arrays_and_different_seed_differs():
    a = generate(n_accounts=800, n_edges=10_000, seed=11)
    b = generate(n_accounts=800, n_edges=10_000, seed=11)
    c = generate(n_accounts=800, n_edges=10_000, seed=12)
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert a.niche_tag == b.niche_tag and a.brand == b.brand
    assert not np.array_equal(a.interaction_src, c.interaction_src) or not np.array_equal(a.ext, c.ext)


@pytest.mark.parametrize("fmt,gz", [("csv", False), ("csv", True), ("parquet", False)])
def test_same_seed_gives_byte_identical_files(tmp_path, fmt, gz):
    for sub in ("a", "b"):
        write_world(generate(n_accounts=500, n_edges=6000, seed=5), tmp_path / sub, fmt=fmt, gzip=gz,
                    batch_rows=1000)
    da, db = _digest(tmp_path / "a"), _digest(tmp_path / "b")
    assert da == db
    assert len(da) == 4
    write_world(generate(n_accounts=500, n_edges=6000, seed=6), tmp_path / "c", fmt=fmt, gzip=gz)
    assert _digest(tmp_path / "c") != da


# -- sizes ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kw,expect", [
    (dict(n_accounts=100, n_edges=0), (100, 0, 0)),
    (dict(n_accounts=100, n_edges=1), (100, 0, 1)),
    (dict(n_accounts=250, n_edges=3001), (250, 1200, 1801)),
    (dict(n_accounts=300, n_edges=5000, follow_share=1.0), (300, 5000, 0)),
    (dict(n_accounts=300, n_edges=5000, follow_share=0.0), (300, 0, 5000)),
    (dict(n_accounts=1000, n_edges=9999, n_interactions=7777), (1000, 2222, 7777)),
    (dict(n_accounts=1000, n_edges=0, n_follows=4321, n_interactions=1234), (1000, 4321, 1234)),
    # dense: the follows nearly saturate the niches, the generator falls back to uniform pairs
    (dict(n_accounts=120, n_edges=6000, follow_share=1.0), (120, 6000, 0)),
])
def test_sizes_are_exact(kw, expect):
    w = generate(seed=3, **kw)
    assert (w.n_accounts, w.n_follows, w.n_interactions) == expect
    n = w.n_accounts
    keys = _pair_keys(w.follow_src, w.follow_dst, n)
    assert np.unique(keys).size == keys.size, "follows are unique pairs"
    assert not np.any(w.follow_src == w.follow_dst), "no self-loop follows"
    assert not np.any(w.interaction_src == w.interaction_dst), "nobody mentions or reposts themselves"
    for arr in (w.follow_src, w.follow_dst, w.interaction_src, w.interaction_dst):
        assert arr.dtype == np.int32 and (arr.size == 0 or (arr.min() >= 0 and arr.max() < n))
    assert np.array_equal(np.sort(w.ext), np.arange(n))


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="at least 100"):
        generate(n_accounts=99, n_edges=10, seed=0)
    with pytest.raises(ValueError, match="possible follow pairs"):
        generate(n_accounts=100, n_edges=10_000, follow_share=1.0, seed=0)
    with pytest.raises(ValueError, match=">= 0"):
        generate(n_accounts=100, n_edges=10, n_interactions=11, seed=0)


# -- the planted structure -------------------------------------------------------------------
def test_tier_spread_is_heavy_tailed(world):
    fc = world.followers_count
    counts = np.bincount(np.searchsorted(np.asarray(TIER_THRESHOLDS), fc, side="right"), minlength=4)
    nano, micro, macro, mega = counts
    assert mega >= 1 and macro >= 3 and micro >= 10
    assert nano > micro > macro > mega
    assert nano / fc.size > 0.9
    assert np.array_equal(counts, np.bincount(world.tier(), minlength=4))
    # platform counts are never below what the follow graph shows
    assert np.all(fc >= np.bincount(world.follow_dst, minlength=world.n_accounts))
    assert np.all(world.following_count >= np.bincount(world.follow_src, minlength=world.n_accounts))
    assert fc.max() >= 1_000_000 and fc.min() >= 0


def test_hubs_are_big_and_members_are_small(world):
    tier = world.tier()
    assert np.all(tier[world.role == ROLE_HUB] >= 2)
    assert np.all(tier[world.role == ROLE_MEMBER] <= 1)
    assert np.all(world.niche[world.role == ROLE_HUB] == -1)
    assert np.all(world.niche[world.role == ROLE_MEMBER] >= 0)


def test_niches_have_power_law_sizes_inside_broad_communities(world):
    sizes = np.bincount(world.niche[world.niche >= 0])
    assert sizes.size == world.n_niches and np.all(sizes > 0)
    assert sizes.min() >= 15 and sizes.max() <= 3000
    assert sizes.max() >= 5 * np.median(sizes), "a heavy tail of niche sizes"
    # every niche lies inside exactly one broad community
    m = world.niche >= 0
    per_niche = {(int(a), int(b)) for a, b in zip(world.niche[m], world.community[m])}
    assert len(per_niche) == world.n_niches
    assert 1 < world.n_communities < world.n_niches
    assert len(set(world.niche_tag)) == world.n_niches


def _ties(world, s, d):
    """Per edge ``s -> d``: reciprocated, inside one niche, towards a hub."""
    inside = (world.niche[s] >= 0) & (world.niche[s] == world.niche[d])
    return _reciprocated(s, d, world.n_accounts), inside, world.role[d] == ROLE_HUB


def test_follows_are_mutual_inside_niches_and_one_way_towards_hubs(world):
    s = world.follow_src
    rec, inside, to_hub = _ties(world, s, world.follow_dst)
    assert inside.mean() > 0.5, "follows are mostly inside niches"
    assert rec[inside].mean() > 0.5
    assert rec[to_hub].mean() < 0.05
    assert to_hub.sum() > 0.1 * s.size


def test_interactions_reciprocal_in_niches_one_way_to_hubs(world):
    rec, inside, to_hub = _ties(world, world.interaction_src, world.interaction_dst)
    assert rec[inside].mean() > 0.5
    assert rec[to_hub].mean() < 0.15
    assert rec[inside].mean() > 3 * rec[to_hub].mean()
    # attention towards hubs is mostly reposts, mentions and quotes
    kinds = np.bincount(world.interaction_kind[to_hub], minlength=len(INTERACTION_KINDS))
    assert kinds[INTERACTION_KINDS.index("reply")] < 0.1 * to_hub.sum()
    assert set(np.flatnonzero(kinds)) <= {INTERACTION_KINDS.index(k) for k in ("mention", "reply", "repost", "quote")}


def test_replies_inside_niches_answer_within_hours(world):
    """For a reply a -> b inside a niche there is an earlier event b -> a at most a day before."""
    s, d, ts, kind = world.interaction_src, world.interaction_dst, world.interaction_ts, world.interaction_kind
    assert np.all(np.diff(ts) >= 0), "events are in time order"
    inside = (world.niche[s] >= 0) & (world.niche[s] == world.niche[d])
    reply = np.flatnonzero(inside & (kind == INTERACTION_KINDS.index("reply")))
    rng = np.random.default_rng(0)
    sample = rng.choice(reply, size=min(300, reply.size), replace=False)
    answered = 0
    for j in sample:
        lo = np.searchsorted(ts, ts[j] - 86_400)
        prev = np.arange(lo, j)
        if np.any((s[prev] == d[j]) & (d[prev] == s[j])):
            answered += 1
    assert answered / sample.size > 0.7


def test_brand_employees_and_hashtags(world):
    b = world.brand
    assert world.role[b] == ROLE_BRAND
    assert AFFILIATIONS[world.affiliation[b]] == BRAND_AFFILIATION
    acc = pa.Table.from_batches([tb.batch for tb in world.batches("accounts")])
    handles = acc.column("handle").to_pylist()
    assert handles.count(BRAND_HANDLE) == 1
    assert handles[b] == BRAND_HANDLE
    assert len(set(handles)) == len(handles)
    assert acc.column("platform").unique().to_pylist() == ["synth"]
    employees = np.flatnonzero((world.affiliation == 0) & (world.role == ROLE_MEMBER))
    assert employees.size >= 3
    assert np.unique(world.niche[employees]).size >= 2, "employees are scattered in niches"
    assert np.all(np.isin(employees, world.follow_src[world.follow_dst == b])), "employees follow the brand"
    to_brand = world.interaction_dst == b
    assert to_brand.sum() > 0.02 * world.n_interactions
    src_niche = world.niche[world.interaction_src[to_brand]]
    assert np.unique(src_niche[src_niche >= 0]).size >= 2, "members of several niches mention the brand"
    assert np.isin(employees, world.interaction_src[to_brand]).mean() > 0.5
    ints = pa.Table.from_batches([tb.batch for tb in world.batches("interactions")])
    tags = ints.column("hashtags").to_pylist()
    with_brand_tag = np.array([t is not None and BRAND_HASHTAG in t for t in tags])
    assert with_brand_tag[to_brand].mean() > 0.9
    niche_tagged = [t for t in tags if t and t[0] in set(world.niche_tag)]
    assert len(niche_tagged) > 0.1 * len(tags)


def test_planted_niches_are_recoverable_by_louvain():
    """networkx Louvain on the members' follow + interaction graph finds the planted niches (NMI > 0.7)."""
    import networkx as nx

    from nichegraph.engine.compare import nmi

    w = generate(n_accounts=3000, n_edges=60_000, seed=2)
    member = w.role == ROLE_MEMBER
    s = np.concatenate([w.follow_src, w.interaction_src])
    d = np.concatenate([w.follow_dst, w.interaction_dst])
    keep = member[s] & member[d]
    g = nx.Graph()
    g.add_nodes_from(np.flatnonzero(member).tolist())
    g.add_edges_from(zip(s[keep].tolist(), d[keep].tolist()))
    labels = np.full(w.n_accounts, -1)
    for i, c in enumerate(nx.community.louvain_communities(g, seed=1)):
        labels[list(c)] = i
    assert nmi(labels[member], w.niche[member]) > 0.7
    # shuffled truth is unrelated: the test can fail
    assert nmi(labels[member], np.random.default_rng(0).permutation(w.niche[member])) < 0.3


def test_truth_is_a_separate_table(world):
    assert "niche" not in SCHEMAS["accounts"].names and "community" not in SCHEMAS["accounts"].names
    truth = world.truth_table()
    assert truth.column_names == ["id", "niche", "community", "role", "tier"]
    assert truth.num_rows == world.n_accounts
    assert truth.column("id").to_pylist() == world.account_ids().to_pylist()
    np.testing.assert_array_equal(truth.column("niche").to_numpy(), world.niche)


# -- canonical batches, files and the store ---------------------------------------------------------
def test_batches_are_canonical_and_reference_existing_accounts(world):
    seen: dict[str, int] = {"accounts": 0, "follows": 0, "interactions": 0}
    ids: set[str] = set()
    endpoints: set[str] = set()
    for tb in world.batches(batch_rows=50_000):
        assert isinstance(tb, TableBatch) and tb.batch.schema.equals(SCHEMAS[tb.table])
        seen[tb.table] += tb.batch.num_rows
        if tb.table == "accounts":
            ids.update(tb.batch.column("id").to_pylist())
        else:
            for c in ("follower", "followee") if tb.table == "follows" else ("source", "target"):
                endpoints.update(tb.batch.column(c).to_pylist())
    assert seen == {"accounts": world.n_accounts, "follows": world.n_follows, "interactions": world.n_interactions}
    assert len(ids) == world.n_accounts
    assert endpoints <= ids


def test_batches_load_into_the_store_with_exact_counts(tmp_path):
    w = generate(n_accounts=1500, n_edges=25_000, seed=2)
    with DuckDBStore(tmp_path / "s.duckdb") as st:
        counts = st.load(w.batches(batch_rows=4000))
        edges = st.read_edges()
        assert st.counts() == {"accounts": 1500, "follows": w.n_follows, "interactions": w.n_interactions, "posts": 0}
        assert counts.new_endpoint_accounts == 0
        assert counts.follows.duplicates == 0 and counts.follows.self_loops == 0
        assert counts.interactions.duplicates == 0
    # the store's edges are the generator's edges
    order = {k: i for i, k in enumerate(edges.node_ids)}
    ids = w.account_ids().to_pylist()
    to_store = np.array([order[i] for i in ids])
    got = np.sort(_pair_keys(edges.follow_src, edges.follow_dst, 1500))
    want = np.sort(_pair_keys(to_store[w.follow_src], to_store[w.follow_dst], 1500))
    np.testing.assert_array_equal(got, want)


def _interaction_rows(st: DuckDBStore) -> list[tuple]:
    return st.con.execute("""SELECT s.id, t.id, i.kind::VARCHAR, i.ts, i.post_id, i.hashtags, i.weight, i.n
                             FROM interactions i JOIN accounts s ON s.idx = i.src JOIN accounts t ON t.idx = i.dst
                             ORDER BY ALL""").fetchall()


def test_store_first_load_fast_path_matches_the_grouping_path(tmp_path):
    """DuckDBStore.load inserts a first load without identical rows directly; with one repeated row it groups.

    Both must store the same events (the repeated one with n = 2) and count the same.
    """
    w = generate(n_accounts=400, n_edges=6000, seed=21)
    acc = [tb for tb in w.batches("accounts")]
    ints = [tb for tb in w.batches("interactions", batch_rows=1000)]
    extra = TableBatch("interactions", ints[0].batch.slice(5, 1))
    with DuckDBStore(tmp_path / "fast.duckdb") as fast, DuckDBStore(tmp_path / "grouped.duckdb") as grouped:
        c_fast = fast.load(iter(acc + ints))
        c_grouped = grouped.load(iter(acc + ints + [extra]))
        rows_fast, rows_grouped = _interaction_rows(fast), _interaction_rows(grouped)
        assert fast.counts()["interactions"] == w.n_interactions
        assert grouped.counts()["interactions"] == w.n_interactions + 1
    assert c_fast.interactions.rows == c_fast.interactions.inserted == w.n_interactions
    assert c_fast.interactions.duplicates == 0 and c_grouped.interactions.duplicates == 1
    assert c_grouped.interactions.rows == c_grouped.interactions.inserted == w.n_interactions + 1
    assert c_fast.interactions.self_loops == c_grouped.interactions.self_loops == 0
    assert len(rows_fast) == len(rows_grouped) == w.n_interactions
    doubled = [r for r in rows_grouped if r[-1] == 2]
    assert len(doubled) == 1 and doubled[0][4] == extra.batch.column("post_id")[0].as_py()
    assert [r[:-1] for r in rows_fast] == [r[:-1] for r in rows_grouped]
    assert all(r[-1] == 1 for r in rows_fast)


@pytest.mark.parametrize("fmt,gz", [("csv", False), ("csv", True), ("parquet", False)])
def test_files_round_trip_to_the_canonical_tables(tmp_path, fmt, gz):
    w = generate(n_accounts=400, n_edges=5000, seed=9)
    paths = write_world(w, tmp_path, fmt=fmt, gzip=gz, batch_rows=700)
    assert set(paths) == {"accounts", "follows", "interactions", "truth"}
    for name in ("accounts", "follows", "interactions"):
        want = pa.Table.from_batches([tb.batch for tb in w.batches(name)])
        if fmt == "parquet":
            got = pq.read_table(paths[name])
            assert got.schema.equals(SCHEMAS[name])
            assert got.equals(want)
            continue
        raw = paths[name].read_bytes()
        if gz:
            assert paths[name].name.endswith(".csv.gz")
            raw = gzip.decompress(raw)
        header = raw.split(b"\n", 1)[0].decode()
        assert header.replace('"', "").split(",") == SCHEMAS[name].names
        got = pacsv.read_csv(pa.py_buffer(raw), convert_options=pacsv.ConvertOptions(
            column_types={f.name: pa.string() for f in SCHEMAS[name]}, strings_can_be_null=True))
        for f in SCHEMAS[name]:
            col = got.column(f.name).to_pylist()
            exp = want.column(f.name)
            if f.name == "hashtags":
                assert col == [None if v is None else "|".join(v) for v in exp.to_pylist()]
            elif pa.types.is_timestamp(f.type):
                assert col == [None if v is None else v.strftime("%Y-%m-%dT%H:%M:%SZ") for v in exp.to_pylist()]
            elif f.name == "weight":
                assert [float(v) for v in col] == exp.to_pylist()
            else:
                assert col == [None if v is None else str(v) for v in exp.to_pylist()], f.name


@pytest.mark.parametrize("fmt,gz", [("csv", False), ("csv", True), ("parquet", False)])
def test_files_load_through_ingest_with_exact_counts(tmp_path, fmt, gz):
    from nichegraph.graph_store.ingest import load_files

    w = generate(n_accounts=700, n_edges=9000, seed=13)
    paths = write_world(w, tmp_path / "w", fmt=fmt, gzip=gz, batch_rows=2500)
    with DuckDBStore(tmp_path / "s.duckdb") as st:
        report = load_files(st, accounts=paths["accounts"], follows=paths["follows"],
                            interactions=paths["interactions"])
        hashtags = st.read_hashtags()
        accounts = st.read_accounts()
        assert st.counts() == {"accounts": 700, "follows": w.n_follows, "interactions": w.n_interactions, "posts": 0}
    c = report.counts
    assert (c.accounts.inserted, c.follows.inserted, c.interactions.inserted) == (700, w.n_follows, w.n_interactions)
    assert c.new_endpoint_accounts == 0 and c.follows.self_loops == 0 and c.interactions.self_loops == 0
    assert c.interactions.duplicates == 0
    want = pa.Table.from_batches([tb.batch for tb in w.batches("accounts")]).sort_by("id")
    assert accounts.sort_by("id").to_pylist() == want.to_pylist()
    n_tags = sum(len(w.tagset(int(code))) for code in w.interaction_tags)
    assert hashtags[1].size == n_tags and BRAND_HASHTAG in set(hashtags[1])


def test_cli_writes_loadable_files(tmp_path):
    from nichegraph.api.cli import app

    out = tmp_path / "world"
    res = CliRunner().invoke(app, ["synth", "--out", str(out), "--accounts", "300", "--edges", "4000",
                                   "--seed", "4", "--format", "csv", "--gzip"])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == [
        "accounts.csv.gz", "follows.csv.gz", "interactions.csv.gz", "truth.csv.gz"]
    assert "nichegraph load" in res.output
    # the same call again gives the same bytes
    out2 = tmp_path / "again"
    res = CliRunner().invoke(app, ["synth", "--out", str(out2), "--accounts", "300", "--edges", "4000",
                                   "--seed", "4", "--format", "csv", "--gzip", "--quiet"])
    assert res.exit_code == 0, res.output
    assert _digest(out) == _digest(out2)
    w = generate(n_accounts=300, n_edges=4000, seed=4)
    lines = gzip.decompress((out / "interactions.csv.gz").read_bytes()).count(b"\n")
    assert lines == w.n_interactions + 1
    # and `nichegraph load` takes them as they are
    db = str(tmp_path / "s.duckdb")
    res = CliRunner().invoke(app, ["load", "--store", db, "--accounts", str(out / "accounts.csv.gz"),
                                   "--follows", str(out / "follows.csv.gz"),
                                   "--interactions", str(out / "interactions.csv.gz"), "--quiet"])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(app, ["info", "--store", db, "--json"])
    assert res.exit_code == 0, res.output
    info = json.loads(res.output)
    assert (info["accounts"], info["follows"], info["interactions"]) == (300, w.n_follows, w.n_interactions)


@pytest.mark.parametrize("args,message", [
    (["--accounts", "50"], "--accounts"),
    (["--format", "xml"], "--format"),
    (["--accounts", "100", "--edges", "10", "--interactions", "20"], "--interactions"),
])
def test_cli_refuses_bad_options(tmp_path, args, message):
    from nichegraph.api.cli import app

    res = CliRunner().invoke(app, ["synth", "--out", str(tmp_path / "x"), *args])
    assert res.exit_code == 2
    assert message in res.output
