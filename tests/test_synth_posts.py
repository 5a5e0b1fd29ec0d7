"""Posts of the synthetic worlds (graph_store.synth.posts) against naive Python references."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
import pytest

from nichegraph.graph_store.duckdb_store import DuckDBStore
from nichegraph.graph_store.schema import INTERACTION_KINDS, POST_KINDS, SCHEMAS
from nichegraph.graph_store.synth import ROLE_FAKE, generate

ENGAGING = {"reply": "replies", "repost": "reposts", "quote": "quotes"}


@pytest.fixture(scope="module", params=[(0, 0), (3, 2)], ids=["organic", "planted"])
def world(request):
    bought, pods = request.param
    return generate(n_accounts=900, n_edges=12_000, seed=21, bought=bought, pods=pods)


def _table(world) -> pa.Table:
    return pa.Table.from_batches([tb.batch for tb in world.batches("posts", batch_rows=777)])


def test_event_posts_are_the_interactions_posts(world):
    posts = _table(world)
    assert posts.schema.equals(SCHEMAS["posts"])
    ints = pa.Table.from_batches([tb.batch for tb in world.batches("interactions")])
    ev = posts.slice(0, world.n_interactions)
    assert ev.column("post_id").to_pylist() == ints.column("post_id").to_pylist()
    assert ev.column("author").to_pylist() == ints.column("source").to_pylist()
    assert ev.column("ts").to_pylist() == ints.column("ts").to_pylist()
    assert ev.column("hashtags").to_pylist() == ints.column("hashtags").to_pylist()
    as_post = {"mention": "original", "reply": "reply", "repost": "repost", "quote": "quote"}
    assert ev.column("kind").to_pylist() == [as_post[k] for k in ints.column("kind").to_pylist()]
    originals = posts.slice(world.n_interactions)
    assert set(originals.column("kind").to_pylist()) == {"original"}
    assert originals.column("post_id").to_pylist() == [f"o{j}" for j in range(originals.num_rows)]
    assert len(set(posts.column("post_id").to_pylist())) == posts.num_rows


def test_metrics_count_exactly_the_engaging_events(world):
    """Naive reference: every reply, repost and quote counts on the target's latest original at or before it."""
    posts = _table(world).to_pylist()
    ids = world.account_ids().to_pylist()
    originals: dict[str, list[tuple]] = {}
    for p in posts:
        if p["post_id"].startswith("o"):
            originals.setdefault(p["author"], []).append((p["ts"], p["post_id"]))
    for lst in originals.values():
        lst.sort()
    want: dict[str, Counter] = {pid: Counter() for lst in originals.values() for _, pid in lst}
    for d, k, t in zip(world.interaction_dst, world.interaction_kind, world.interaction_ts, strict=True):
        kind = INTERACTION_KINDS[int(k)]
        if kind not in ENGAGING:
            continue
        ts = pa.scalar(int(t) * 1_000_000, pa.timestamp("us")).as_py()
        before = [pid for when, pid in originals[ids[d]] if when <= ts]
        assert before, "an engaged account has an original post before the event"
        want[before[-1]][ENGAGING[kind]] += 1
    for p in posts:
        if p["post_id"].startswith("o"):
            got = {m: p[m] for m in ENGAGING.values()}
            assert got == {m: want[p["post_id"]][m] for m in ENGAGING.values()}, p["post_id"]
            assert p["likes"] >= 0 and p["views"] >= p["likes"] + sum(got.values())
        elif p["kind"] == "repost":
            assert all(p[m] is None for m in ("likes", "replies", "reposts", "quotes", "views"))
        else:
            assert (p["replies"], p["reposts"], p["quotes"]) == (0, 0, 0) and p["views"] >= p["likes"] >= 0
    total = Counter(INTERACTION_KINDS[int(k)] for k in world.interaction_kind)
    for kind, metric in ENGAGING.items():
        assert sum(p[metric] or 0 for p in posts) == total[kind]


def test_posts_are_deterministic_and_leave_the_world_unchanged():
    a = generate(n_accounts=600, n_edges=8000, seed=4)
    b = generate(n_accounts=600, n_edges=8000, seed=4)
    before = a.interaction_src.copy(), a.interaction_ts.copy(), a.followers_count.copy()
    pa_, pb = a.posts(), b.posts()
    for name in ("author", "ts", "kind", "tags", "likes", "replies", "reposts", "quotes", "views"):
        np.testing.assert_array_equal(getattr(pa_, name), getattr(pb, name), err_msg=name)
    np.testing.assert_array_equal(a.interaction_src, before[0])
    np.testing.assert_array_equal(a.interaction_ts, before[1])
    np.testing.assert_array_equal(a.followers_count, before[2])
    c = generate(n_accounts=600, n_edges=8000, seed=5).posts()
    assert c.n_posts != pa_.n_posts or not np.array_equal(c.likes, pa_.likes)
    assert set(np.unique(pa_.kind).tolist()) <= set(range(len(POST_KINDS)))


def test_every_engaged_account_has_an_original_and_tags_follow_the_niche(world):
    p = world.posts()
    orig = slice(p.n_events, None)
    authors = set(p.author[orig].tolist())
    engaged = {
        int(d)
        for d, k in zip(world.interaction_dst, world.interaction_kind, strict=True)
        if INTERACTION_KINDS[int(k)] in ENGAGING
    }
    assert engaged <= authors
    for a, code in zip(p.author[orig], p.tags[orig], strict=True):
        tags = world.tagset(int(code))
        if world.niche[a] >= 0 and tags:
            assert world.niche_tag[world.niche[a]] in tags
        elif world.role[a] == ROLE_FAKE:  # planted fakes post without tags
            assert tags == []


def test_world_with_posts_loads_and_hashtag_uses_count_each_post_once(tmp_path, world):
    with DuckDBStore(tmp_path / "s.duckdb") as st:
        counts = st.load(world.batches(posts=True, batch_rows=3000))
        assert st.counts()["posts"] == world.n_posts and counts.posts.inserted == world.n_posts
        uses = st.read_hashtag_uses()
        got = Counter()
        ids = st.read_accounts().column("id").to_pylist()
        for r in uses.to_pylist():
            got[(ids[r["source"]], r["tag"])] += r["n"]
    want = Counter()
    acc = world.account_ids().to_pylist()
    p = world.posts()
    for a, code in zip(p.author, p.tags, strict=True):
        for tag in set(t.lower() for t in world.tagset(int(code))):
            want[(acc[a], tag)] += 1
    assert got == want


def test_demo_on_a_synth_world_loads_its_posts_and_ranks_by_engagement(tmp_path):
    import json

    from typer.testing import CliRunner

    from nichegraph.api.cli import app

    path = str(tmp_path / "demo.duckdb")
    res = CliRunner().invoke(app, ["demo", "--world", "synth", "--accounts", "400", "--store", path, "--limit", "3"])
    assert res.exit_code == 0, res.output
    w = generate(n_accounts=400, n_edges=6000, seed=0)
    assert "Engagement rate per post" in res.output and "#acme" in res.output and "participants" in res.output
    with DuckDBStore(path, read_only=True) as st:
        assert st.counts() == {
            "accounts": 400,
            "follows": w.n_follows,
            "interactions": w.n_interactions,
            "posts": w.n_posts,
        }
    ranked = CliRunner().invoke(app, ["rank", "--store", path, "--by", "engagement", "--format", "json"])
    rows = json.loads(ranked.stdout)["rows"]
    assert rows and all(r["engagement_rate"] is not None for r in rows)
    bad = CliRunner().invoke(app, ["demo", "--world", "mars", "--store", str(tmp_path / "x.duckdb")])
    assert bad.exit_code == 2 and "--world" in bad.output
