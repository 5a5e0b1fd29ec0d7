"""The service over a real pipeline run: synth world -> load -> analyze -> HTTP.

Whatever columns the analysis stages produce, the API must serve them: these
checks are written against the run's own tables, so they hold as stages land.
"""

from __future__ import annotations

import pytest

from nichegraph.graph_store.duckdb_store import DuckDBStore
from nichegraph.graph_store.synth import AFFILIATIONS

from .conftest import analysed_world, make_client
from .reference import ranked_ids


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pipeline")
    with analysed_world(folder, n_accounts=1500, n_edges=20_000, seed=3) as (world, path, st):
        run, tables = st.read_run()
        edges = st.read_edges()
    with make_client(path) as client:
        yield client, world, run, tables, edges, path


def test_rankings_over_the_run(pipeline):
    client, _, run, tables, _, _ = pipeline
    rows = tables["accounts"].to_pylist()
    body = client.get("/v1/rankings?limit=500").json()
    assert body["run_id"] == run.run_id
    sort = body["sort"]
    assert _walk(client, "/v1/rankings?limit=97") == ranked_ids(rows, sort, True)
    for col in ("tier", "community", "platform"):
        if col in tables["accounts"].column_names:
            value = next(r[col] for r in rows if r[col] is not None)
            got = _walk(client, f"/v1/rankings?limit=200&{col}={value}&order=asc")
            assert got == ranked_ids(rows, sort, False, {col: [value]})


def test_account_and_mutuals(pipeline):
    client, world, _, tables, edges, _ = pipeline
    brand_id = str(world.ext[world.brand])
    body = client.get(f"/v1/accounts/{brand_id}").json()
    assert body["account"]["id"] == brand_id
    row = tables["accounts"].column("id").to_pylist().index(brand_id)
    follows = set(zip(edges.follow_src.tolist(), edges.follow_dst.tolist()))
    inter = set(zip(edges.interaction_src.tolist(), edges.interaction_dst.tolist()))
    ids = edges.node_ids.tolist()
    some = False
    for acc in tables["accounts"].column("id").to_pylist()[:200]:
        ties = client.get(f"/v1/accounts/{acc}").json()["mutual_connections"]
        u = ids.index(acc)
        for t in ties:
            v = ids.index(t["id"])
            mf, mi = (u, v) in follows and (v, u) in follows, (u, v) in inter and (v, u) in inter
            assert mf or mi
            assert t["mutual_follow"] == mf and (t["strength"] > 0) == mi
            some = True
    assert some and row >= 0


def test_brand_and_internal(pipeline):
    client, world, _, tables, _, path = pipeline
    from nichegraph.api.rankings import RankQuery, rank

    accounts = tables["accounts"]
    brand_row = accounts.column("id").to_pylist().index(str(world.ext[world.brand]))
    handle = accounts.column("handle")[brand_row].as_py()
    body = client.get(f"/v1/brands/{handle}/affinity?limit=500").json()
    with DuckDBStore(path, read_only=True) as st:
        touches = _naive_brand_touches(st, accounts.column("id")[brand_row].as_py(), handle)
        _, cli = rank(st, RankQuery(by="brand-affinity", brand=handle, limit=10_000))
        assert [i["id"] for i in body["items"]] == cli.column("id").to_pylist()
        assert [i["brand_touches"] for i in body["items"]] == cli.column("brand_touches").to_pylist()
    with_score = {r["id"] for r in accounts.to_pylist() if r.get("niche_pagerank") is not None}
    assert {i["id"]: i["brand_touches"] for i in body["items"]} == {k: v for k, v in touches.items()
                                                                   if k in with_score}
    assert len(body["items"]) > 0
    for org in AFFILIATIONS:
        members = [r["id"] for r in accounts.to_pylist() if (r["affiliation"] or "").lower() == org.lower()]
        r = client.get(f"/v1/organisations/{org}/internal?limit=500")
        if members:
            assert sorted(i["id"] for i in r.json()["items"]) == sorted(members)
        else:
            assert r.status_code == 404


def _naive_brand_touches(store, brand_id: str, tag: str) -> dict[str, float]:
    """Events towards the brand plus uses of its hashtag, per account, straight from the store's tables."""
    out: dict[str, float] = {}
    for r in store.interactions_to([brand_id]).to_pylist():
        out[r["source"]] = out.get(r["source"], 0.0) + r["n"]
    for r in store.hashtag_users([tag]).to_pylist():
        out[r["source"]] = out.get(r["source"], 0.0) + r["n"]
    out.pop(brand_id, None)
    return out


def test_communities_and_runs(pipeline):
    client, _, run, tables, _, _ = pipeline
    comms = tables.get("communities")
    listed = client.get("/v1/communities?limit=500").json()["items"]
    assert len(listed) == (0 if comms is None else sum(1 for c in comms.to_pylist() if c["community"] is not None))
    for c in listed[:5]:
        r = client.get(f"/v1/communities/{c['community']}?level={c['level']}")
        assert r.status_code == 200 and r.json()["community"]["community"] == c["community"]
    assert client.get("/v1/runs").json()["current_run_id"] == run.run_id


def _walk(client, url):
    ids, cursor = [], None
    while True:
        r = client.get(url + (f"&cursor={cursor}" if cursor else ""))
        assert r.status_code == 200, r.text
        ids += [i["id"] for i in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return ids
