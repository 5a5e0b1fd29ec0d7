"""Hashtag campaign reports and engaged audiences against a naive reference over the raw events.

Each world is a real DuckDB store loaded with random follows and timed, tagged
interactions; its run holds a numpy-made accounts table (niches, tiers,
``niche_pagerank`` with nulls) and the serving tables ``analyze`` writes.  The
reference recomputes every number with plain Python sets over the loaded rows.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pyarrow as pa
import pytest

from nichegraph.api.audiences import AudienceError, choose_audience, parse_time
from nichegraph.api.hashtag_campaign import CampaignError, CampaignRequest, compare_campaigns, hashtag_campaign
from nichegraph.api.run_query.campaign_index import CampaignRun
from nichegraph.api.stages.serving import serving_tables
from nichegraph.graph_store import RunRecord, TableBatch
from nichegraph.graph_store.duckdb_store import DuckDBStore
from nichegraph.graph_store.schema import SCHEMAS

T0 = 1_700_000_000
DAY = 86_400
TAGS = ["vegan", "Vegan", "food", "acme", "run"]


def _batch(table: str, rows: list[dict]) -> TableBatch:
    return TableBatch(table, pa.RecordBatch.from_pylist(rows, schema=SCHEMAS[table]))


def make_world(tmp_path, seed: int, *, n: int = 40, follows: int = 120, events: int = 300, untimed: float = 0.1):
    """A loaded store, its run snapshot and the raw rows the reference reads."""
    rng = np.random.default_rng(seed)
    ids = [f"a{i:02d}" for i in range(n)]  # idx i is ids[i] (ids sort in index order)
    fol = {(ids[a], ids[b]) for a, b in rng.integers(0, n, (follows, 2)) if a != b}
    ev = []
    for k in range(events):
        s, d = rng.integers(0, n, 2)
        tags = sorted({TAGS[j] for j in rng.integers(0, len(TAGS), rng.integers(0, 3))}, key=str.lower)
        tags = list({t.lower(): t for t in tags}.values())  # one spelling per tag in an event
        when = None if rng.random() < untimed else T0 + int(rng.integers(0, 30 * DAY))
        ev.append({"source": ids[s], "target": ids[d], "kind": "mention", "post_id": f"p{k}",
                   "ts": None if when is None else dt.datetime.fromtimestamp(when, dt.UTC),
                   "hashtags": tags or None, "_ts": when})
    st = DuckDBStore(str(tmp_path / f"w{seed}.duckdb"))
    st.load([_batch("accounts", [{"id": i, "handle": f"h_{i}"} for i in ids]),
             _batch("follows", [{"follower": a, "followee": b} for a, b in sorted(fol)]),
             _batch("interactions", [{k: v for k, v in e.items() if k != "_ts"} for e in ev])])
    edges = st.read_edges()
    assert list(edges.node_ids) == ids
    pr = rng.random(n)
    pr_null = rng.random(n) < 0.2
    niche = rng.integers(0, 6, n)
    acc = pa.table({
        "idx": pa.array(np.arange(n, dtype=np.int32)),
        "id": ids,
        "handle": [f"h_{i}" for i in ids],
        "tier": pa.array([["nano", "micro", None][int(t)] for t in rng.integers(0, 3, n)], pa.string()),
        "community": pa.array(niche // 2, pa.int64()),
        "niche": pa.array(niche, pa.int64()),
        "niche_size": pa.array(np.bincount(niche, minlength=6)[niche], pa.int64()),
        "followers_count": pa.array(rng.integers(0, 10_000, n), pa.int64()),
        "niche_pagerank": pa.array(pr, mask=pr_null),
    })
    run = RunRecord("run-1", "2026-01-01T00:00:00", {}, {})
    st.write_run(run, {"accounts": acc, **serving_tables(st, edges)})
    snap = CampaignRun.from_tables(*st.read_run())
    st.close()
    world = {"ids": ids, "follows": fol, "events": ev, "niche": niche.tolist(),
             "pr": [None if m else float(p) for p, m in zip(pr, pr_null)]}
    return snap, world


def inside(ts, since, until):
    if since is None and until is None:
        return True
    return ts is not None and (since is None or ts >= since) and (until is None or ts < until)


def naive_report(world, tag, since=None, until=None, brand=None, audience="followers", a_since=None, a_until=None,
                 niches=10, per_niche=3):
    ids, ev = world["ids"], world["events"]
    uses, first = {}, {}
    for e in ev:
        tags = [t.lower() for t in (e["hashtags"] or [])]
        if tag not in tags:
            continue
        if e["_ts"] is not None:
            first[e["source"]] = min(first.get(e["source"], math.inf), e["_ts"])
        if inside(e["_ts"], since, until) and e["source"] != brand:
            uses[e["source"]] = uses.get(e["source"], 0) + 1
    brand_fans = set()
    if brand is not None and since is not None:
        brand_fans = {e["source"] for e in ev if e["target"] == brand and e["source"] != brand
                      and e["_ts"] is not None and e["_ts"] < since}
    aud: dict[str, set] = {i: set() for i in ids}
    if audience == "followers":
        for a, b in world["follows"]:
            aud[b].add(a)
    else:
        for e in ev:
            if e["source"] != e["target"] and inside(e["_ts"], a_since, a_until):
                aud[e["target"]].add(e["source"])
    parts = {}
    for p, u in uses.items():
        fan_tag = since is not None and first.get(p, math.inf) < since
        parts[p] = {
            "uses": u,
            "status": "existing fan" if fan_tag or p in brand_fans else "first-time voice",
            "engagement_received": float(sum(1 for e in ev if e["target"] == p and e["source"] != p
                                             and inside(e["_ts"], since, until))),
            "audience_size": len(aud[p]),
        }
    reached = set().union(*(aud[p] for p in parts)) if parts else set()
    niche = dict(zip(ids, world["niche"]))
    entered = {niche[p] for p in parts}
    count: dict[int, int] = {}
    for r in reached:
        count[niche[r]] = count.get(niche[r], 0) + 1
    missed = sorted(((c, g) for g, c in count.items() if g not in entered), key=lambda x: (-x[0], x[1]))
    carriers = []
    for _, g in missed[:niches]:
        cands = [(-world["pr"][i], i) for i, a in enumerate(ids)
                 if niche[a] == g and a not in parts and a != brand and world["pr"][i] is not None]
        carriers += [(ids[i], ids[i] in reached) for _, i in sorted(cands)[:per_niche]]
    return parts, reached, entered, [(g, c) for c, g in missed], len(missed), carriers


WINDOWS = [(None, None), (T0 + 10 * DAY, None), (T0 + 5 * DAY, T0 + 20 * DAY), (None, T0 + 12 * DAY)]


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize("brand", [None, "a03"])
def test_report_matches_naive_reference(tmp_path, seed, window, brand):
    snap, world = make_world(tmp_path, seed)
    since, until = window
    for tag in ("vegan", "food"):
        got = hashtag_campaign(snap, CampaignRequest("#" + tag.upper(), since=since, until=until, brand=brand,
                                                     audience="followers", niches=4, per_niche=2))
        parts, reached, entered, missed, n_missed, carriers = naive_report(
            world, tag, since, until, brand, niches=4, per_niche=2)
        mine = {p["id"]: {k: p[k] for k in ("uses", "status", "engagement_received", "audience_size")}
                for p in got["participants"]}
        assert mine == parts
        s = got["summary"]
        assert s["participants"] == len(parts)
        assert s["first_time_voices"] == sum(p["status"] == "first-time voice" for p in parts.values())
        assert s["unique_reach"] == len(reached)
        assert s["audience_sum"] == sum(p["audience_size"] for p in parts.values())
        assert abs(s["reach_estimate"] - len(reached)) <= max(3.0, 5 * s["reach_std_error"]) if parts else True
        assert {e["niche"] for e in got["niches_entered"]} == entered
        assert [(m["niche"], m["reached_members"]) for m in got["niches_missed"]] == missed[:4]
        assert s["niches_missed"] == n_missed
        assert [(c["id"], c["reached"]) for c in got["carriers"]] == carriers
        # participants come most uses first
        assert [p["uses"] for p in got["participants"]] == sorted(mine[i]["uses"] for i in mine)[::-1]


@pytest.mark.parametrize("seed", [4, 5])
def test_engaged_audience_matches_reference(tmp_path, seed):
    snap, world = make_world(tmp_path, seed)
    for a_since, a_until in [(None, None), (T0 + 3 * DAY, T0 + 25 * DAY)]:
        got = hashtag_campaign(snap, CampaignRequest("vegan", audience="engaged", audience_since=a_since,
                                                     audience_until=a_until))
        parts, reached, *_ = naive_report(world, "vegan", audience="engaged", a_since=a_since, a_until=a_until)
        assert got["audience"]["kind"] == "engaged"
        assert {p["id"]: p["audience_size"] for p in got["participants"]} == {
            p: v["audience_size"] for p, v in parts.items()}
        assert got["summary"]["unique_reach"] == len(reached)


def test_status_first_time_and_fans_known_answer(tmp_path):
    """a tagged before the window (fan by tag), b engaged the brand before (fan by brand), c is new."""
    def when(d):
        return dt.datetime.fromtimestamp(T0 + d * DAY, dt.UTC)

    st = DuckDBStore(str(tmp_path / "k.duckdb"))
    rows = [
        {"source": "a", "target": "x", "kind": "mention", "ts": when(1), "hashtags": ["Go"], "post_id": "1"},
        {"source": "a", "target": "x", "kind": "mention", "ts": when(11), "hashtags": ["go"], "post_id": "2"},
        {"source": "b", "target": "brand", "kind": "reply", "ts": when(2), "post_id": "3"},
        {"source": "b", "target": "x", "kind": "mention", "ts": when(12), "hashtags": ["GO"], "post_id": "4"},
        {"source": "c", "target": "a", "kind": "mention", "ts": when(13), "hashtags": ["go", "x"], "post_id": "5"},
        {"source": "c", "target": "a", "kind": "mention", "ts": when(14), "hashtags": ["go"], "post_id": "6"},
        {"source": "brand", "target": "c", "kind": "mention", "ts": when(15), "hashtags": ["go"], "post_id": "7"},
    ]
    st.load([_batch("interactions", rows), _batch("accounts", [{"id": "brand", "handle": "Acme"}])])
    edges = st.read_edges()
    acc = pa.table({"idx": pa.array(np.arange(edges.n_nodes, dtype=np.int32)), "id": list(edges.node_ids),
                    "handle": st.read_accounts().column("handle")})
    st.write_run(RunRecord("r", "2026-01-01T00:00:00", {}, {}), {"accounts": acc, **serving_tables(st, edges)})
    snap = CampaignRun.from_tables(*st.read_run())
    st.close()
    rep = hashtag_campaign(snap, CampaignRequest("go", since=T0 + 10 * DAY, brand="@acme"))
    assert rep["audience"]["kind"] == "engaged"  # no follows in this world: auto picks engaged
    by = {p["id"]: (p["status"], p["fan_by"], p["uses"]) for p in rep["participants"]}
    assert by == {"a": ("existing fan", "tag", 1), "b": ("existing fan", "brand", 1),
                  "c": ("first-time voice", None, 2)}
    assert rep["brand"] == {"id": "brand", "handle": "Acme"}
    # c's engaged audience is the brand, a's is c: reach {brand, c}
    assert rep["summary"]["unique_reach"] == 2
    assert rep["summary"]["engagement_received"] == 3.0  # a: c twice; c: brand once (all in the window)
    later = hashtag_campaign(snap, CampaignRequest("go", since=T0 + 14 * DAY))
    assert [p["id"] for p in later["participants"]] == ["brand", "c"]
    assert later["summary"]["first_time_voices"] == 1  # c used it on day 13
    two = compare_campaigns(snap, [CampaignRequest("go", until=T0 + 10 * DAY), CampaignRequest("go", since=T0 + 10 * DAY)])
    assert [r["summary"]["participants"] for r in two] == [1, 4]


def test_bad_requests_say_why(tmp_path):
    snap, _ = make_world(tmp_path, 9)
    with pytest.raises(CampaignError, match="empty"):
        hashtag_campaign(snap, CampaignRequest("vegan", since=T0 + 5, until=T0 + 5))
    with pytest.raises(CampaignError, match="no account"):
        hashtag_campaign(snap, CampaignRequest("vegan", brand="nobody"))
    with pytest.raises(CampaignError, match="engaged audiences only"):
        hashtag_campaign(snap, CampaignRequest("vegan", audience="followers", audience_since=T0))
    with pytest.raises(CampaignError, match="audience must be"):
        hashtag_campaign(snap, CampaignRequest("vegan", audience="friends"))
    with pytest.raises(CampaignError, match="hashtag is empty"):
        hashtag_campaign(snap, CampaignRequest("#"))
    with pytest.raises(AudienceError, match="not a time"):
        parse_time("next tuesday", "--since")
    rep = hashtag_campaign(snap, CampaignRequest("never-used"))
    assert rep["summary"]["participants"] == 0 and rep["participants"] == [] and rep["summary"]["unique_reach"] == 0


def test_auto_audience_choice(tmp_path):
    snap, _ = make_world(tmp_path, 11)
    assert choose_audience("auto", snap.audience, snap.engaged).kind == "followers"
    assert choose_audience("engaged", snap.audience, snap.engaged).kind == "engaged"
    windowed = choose_audience("auto", snap.audience, snap.engaged, since=T0)
    assert windowed.kind == "engaged" and "window" in windowed.note
    with pytest.raises(AudienceError, match="engaged audiences only"):
        choose_audience("followers", snap.audience, snap.engaged, until=T0)
    assert parse_time("2024-01-02", "--since") == 1704153600
    assert parse_time("2024-01-02T01:00:00+01:00", "--since") == 1704153600


def _interaction_only_store(tmp_path):
    """A Higgs-like store: interactions only (no follows), analysed by the real pipeline."""
    from nichegraph.api.analysis import run_analysis

    rng = np.random.default_rng(21)
    rows = []
    for k in range(400):
        s, d = rng.integers(0, 60, 2)
        if s == d:
            continue
        rows.append({"source": f"u{s:02d}", "target": f"u{d:02d}", "kind": "repost", "post_id": f"p{k}",
                     "ts": dt.datetime.fromtimestamp(T0 + int(rng.integers(0, 20 * DAY)), dt.UTC),
                     "hashtags": ["Higgs"] if k % 3 == 0 else None})
    path = str(tmp_path / "higgs_like.duckdb")
    with DuckDBStore(path) as st:
        st.load([_batch("interactions", rows)])
        run_analysis(st)
    return path, rows


def test_cli_plan_and_campaign_on_interaction_only_data(tmp_path):
    """plan on data without follows used to return an empty plan; auto now plans on engaged audiences."""
    import csv
    import io
    import json

    from typer.testing import CliRunner

    from nichegraph.api.cli import app

    path, rows = _interaction_only_store(tmp_path)
    runner = CliRunner()
    r = runner.invoke(app, ["plan", "--store", path, "--k", "3", "--format", "json"])
    assert r.exit_code == 0, r.output
    plan = json.loads(r.stdout)
    assert plan["audience"]["kind"] == "engaged" and len(plan["accounts"]) == 3
    engagers: dict[str, set] = {}
    for e in rows:
        engagers.setdefault(e["target"], set()).add(e["source"])
    assert plan["total"] == len(set().union(*(engagers.get(a["id"], set()) for a in plan["accounts"])))
    r = runner.invoke(app, ["plan", "--store", path, "--k", "3", "--audience", "followers", "--format", "json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["accounts"] == []  # no follows: nothing to reach
    r = runner.invoke(app, ["plan", "--store", path, "--audience", "engaged"])
    assert r.exit_code == 0 and "audience: engaged" in r.stdout

    since = T0 + 10 * DAY
    r = runner.invoke(app, ["campaign", "--store", path, "--hashtag", "#higgs", "--since", str(since),
                            "--format", "csv", "--out", str(tmp_path / "c.csv")])
    assert r.exit_code == 0, r.output
    got = list(csv.DictReader(io.StringIO((tmp_path / "c.csv").read_text())))
    want = {}
    for e in rows:
        if e["hashtags"] and e["ts"].timestamp() >= since:
            want[e["source"]] = want.get(e["source"], 0) + 1
    assert {g["id"]: int(g["uses"]) for g in got} == want
    assert all(g["campaign"].startswith("#higgs [") for g in got)
    r = runner.invoke(app, ["campaign", "--store", path, "--hashtag", "higgs", "--until", str(since),
                            "--vs-since", str(since), "--format", "json"])
    assert r.exit_code == 0, r.output
    both = json.loads(r.stdout)
    assert [b["audience"]["kind"] for b in both] == ["engaged", "engaged"]
    assert sum(b["summary"]["uses"] for b in both) == sum(1 for e in rows if e["hashtags"])
    r = runner.invoke(app, ["campaign", "--store", path, "--hashtag", "higgs", "--limit", "3"])
    assert r.exit_code == 0 and "first-time voices" in r.stdout and "audience: engaged" in r.stdout
    r = runner.invoke(app, ["campaign", "--store", path, "--hashtag", "higgs", "--since", "soon"])
    assert r.exit_code != 0 and "not a time" in r.output
    r = runner.invoke(app, ["campaign", "--store", path, "--hashtag", "higgs", "--brand", "nobody"])
    assert r.exit_code == 2 and "no account" in r.output


def test_report_has_a_campaign_section(tmp_path):
    from nichegraph.api.report import write_report

    path, _ = _interaction_only_store(tmp_path)
    with DuckDBStore(path, read_only=True) as st:
        out = write_report(st, tmp_path / "r.html", campaigns=[CampaignRequest("higgs"),
                                                                CampaignRequest("higgs", since=T0 + 10 * DAY)])
    text = out.read_text()
    assert '<section id="campaigns">' in text and "#higgs [" in text and "first time voices" in text
