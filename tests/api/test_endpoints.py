"""Every endpoint, filter, sort and error case through FastAPI's test client."""

from __future__ import annotations

import math
import os
import shutil
import time

import pytest

from nichegraph.api.service.security import hash_key
from nichegraph.graph_store import RunRecord
from nichegraph.graph_store.duckdb_store import DuckDBStore

from .conftest import make_client, world_tables
from .reference import ranked_ids


def _error(r, status):
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"}
    assert body["error"]["status"] == status and body["error"]["code"] and body["error"]["message"]
    assert "Traceback" not in r.text and "File \"" not in r.text
    return body["error"]


def _ids(r):
    assert r.status_code == 200, r.text
    return [item["id"] for item in r.json()["items"]]


def _walk(client, url):
    ids, cursor = [], None
    for _ in range(200):
        r = client.get(url + (f"&cursor={cursor}" if cursor else ""))
        ids += _ids(r)
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return ids
    raise AssertionError("pagination did not end")


# -- health ------------------------------------------------------------------------------
def test_health_and_ready(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json()["status"] == "ready" and r.json()["accounts"] == 80
    assert r.headers["cache-control"] == "no-store"


def test_not_ready_without_a_run(tmp_path):
    path = str(tmp_path / "empty.duckdb")
    DuckDBStore(path).close()
    with make_client(path) as c:
        r = c.get("/readyz")
        assert r.status_code == 503 and r.json()["status"] == "not ready" and "analyze" in r.json()["message"]
        err = _error(c.get("/v1/rankings"), 503)
        assert "analyze" in err["message"]
        assert int(c.get("/v1/rankings").headers["retry-after"]) >= 1
        assert c.get("/healthz").status_code == 200


# -- rankings ----------------------------------------------------------------------------
FILTER_CASES = [
    ("", {}),
    ("community=1", {"community": [1]}),
    ("community=0&community=2&tier=nano&tier=MICRO", {"community": [0, 2], "tier": ["nano", "micro"]}),
    ("niche=11&niche=31", {"niche": [11, 31]}),
    ("tier=mega", {"tier": ["mega"]}),
    ("platform=INSTAGRAM", {"platform": ["instagram"]}),
    ("affiliation=acme", {"affiliation": ["acme"]}),
    ("followers_min=500000&followers_max=1500000", {"followers_min": 500000, "followers_max": 1500000}),
    ("followers_max=400", {"followers_max": 400}),
    ("min_social_ratio=0.6", {"min_social_ratio": 0.6}),
    ("community=3&tier=nano&min_social_ratio=0.3&platform=x",
     {"community": [3], "tier": ["nano"], "min_social_ratio": 0.3, "platform": ["x"]}),
    ("community=42", {"community": [42]}),
]


@pytest.mark.parametrize("query,spec", FILTER_CASES, ids=[q or "none" for q, _ in FILTER_CASES])
def test_rankings_filters_match_reference(client, tables, query, spec):
    rows = tables[0].to_pylist()
    got = _walk(client, f"/v1/rankings?limit=7&{query}")
    assert got == ranked_ids(rows, "score_hidden", True, spec)


@pytest.mark.parametrize("sort", ["score_hidden", "pagerank", "followers_count", "followers_observed", "in_degree",
                                  "social_ratio", "reciprocity", "niche_pagerank"])
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_rankings_sorts_match_reference(client, tables, sort, order):
    rows = tables[0].to_pylist()
    got = _walk(client, f"/v1/rankings?limit=13&sort={sort}&order={order}")
    assert got == ranked_ids(rows, sort, order == "desc")


def test_rankings_page_shape_and_fields(client, tables):
    r = client.get("/v1/rankings?limit=5&fields=handle,score_hidden,tier")
    body = r.json()
    assert body["run_id"] == "20260101T000000000000Z-aaaa0001" and body["sort"] == "score_hidden"
    assert body["order"] == "desc" and body["limit"] == 5 and body["next_cursor"]
    assert all(list(item) == ["id", "handle", "score_hidden", "tier"] for item in body["items"])
    full = client.get("/v1/rankings?limit=1").json()["items"][0]
    want = {k: (None if isinstance(v, float) and math.isnan(v) else v)
            for k, v in tables[0].to_pylist()[int(full["idx"])].items()}
    assert full == want
    assert client.get("/v1/rankings").json()["limit"] == 50  # default page size


def test_rankings_bad_parameters(client):
    err = _error(client.get("/v1/rankings?limit=0&order=up&community=abc&min_social_ratio=2"), 422)
    fields = {f["field"] for f in err["fields"]}
    assert fields == {"query.limit", "query.order", "query.community[0]", "query.min_social_ratio"}
    assert all(f["message"] for f in err["fields"])
    err = _error(client.get("/v1/rankings?limit=501"), 422)
    assert err["fields"][0]["field"] == "query.limit" and "500" in err["fields"][0]["message"]
    err = _error(client.get("/v1/rankings?sort=id"), 422)
    assert err["fields"][0]["field"] == "query.sort" and "score_hidden" in err["message"]
    _error(client.get("/v1/rankings?sort=community"), 422)  # an id, not a score
    err = _error(client.get("/v1/rankings?sort=no_such_score"), 422)
    assert err["fields"][0]["field"] == "query.sort"
    err = _error(client.get("/v1/rankings?fields=id,bogus"), 422)
    assert err["fields"][0]["field"] == "query.fields"
    err = _error(client.get("/v1/rankings?followers_min=10&followers_max=5"), 422)
    assert err["fields"][0]["field"] == "query.followers_min"
    err = _error(client.get("/v1/rankings?followers_min=-1"), 422)
    for q in (f"followers_max={10**400}", f"community={2**70}", f"niche={-2**70}"):  # out of int64: 422, no overflow
        err = _error(client.get(f"/v1/rankings?{q}"), 422)
        assert err["fields"][0]["field"].startswith("query." + q.split("=")[0])
    _error(client.get(f"/v1/communities/{2**70}"), 422)
    _error(client.get(f"/v1/communities?parent={2**70}"), 422)
    for cursor in ("garbage", "eyJzIjoicGFnZXJhbmsiLCJkIjoxLCJ2IjowLjEsImkiOjN9"):  # 2nd: a pagerank cursor
        err = _error(client.get(f"/v1/rankings?cursor={cursor}"), 422)
        assert err["fields"][0]["field"] == "query.cursor"


@pytest.mark.parametrize("url,param", [("/v1/rankings?limit=5&limit=2", "limit"),
                                       ("/v1/communities?order=asc&level=broad&order=desc", "order"),
                                       ("/v1/accounts/u001?mutuals=1&mutuals=2", "mutuals")])
def test_a_single_valued_parameter_given_twice_is_422(client, url, param):
    # the last value used to win silently (found by schemathesis: ?limit=...&limit=2 served 2 items)
    err = _error(client.get(url), 422)
    assert [f["field"] for f in err["fields"]] == [f"query.{param}"]
    assert "2 times" in err["fields"][0]["message"]


def test_array_parameters_may_repeat(client, tables):
    assert client.get("/v1/rankings?tier=nano&tier=micro&community=1&community=2").status_code == 200


def test_filter_on_missing_column_is_422(tmp_path):
    path = str(tmp_path / "thin.duckdb")
    import pyarrow as pa

    with DuckDBStore(path) as st:
        st.write_run(RunRecord("thin", "2026-01-02T00:00:00+00:00", {}, {}),
                     {"accounts": pa.table({"idx": pa.array([0, 1], pa.int32()), "id": ["a", "b"],
                                            "pagerank": [0.1, 0.9]})})
    with make_client(path, mutuals=False) as c:
        assert _ids(c.get("/v1/rankings")) == ["b", "a"]
        for q, field in (("tier=nano", "query.tier"), ("min_social_ratio=0.5", "query.min_social_ratio"),
                         ("followers_min=3", "query.followers_min"), ("community=1", "query.community")):
            err = _error(c.get(f"/v1/rankings?{q}"), 422)
            assert err["fields"][0]["field"] == field and "has no column" in err["message"]
        assert c.get("/v1/communities").json()["items"] == []
        _error(c.get("/v1/organisations/acme/internal"), 404)


# -- accounts ----------------------------------------------------------------------------
def test_account_detail_and_mutuals(client, tables):
    body = client.get("/v1/accounts/u001").json()
    row = tables[0].to_pylist()[1]
    assert body["account"] == {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
    # u003: mutual follow and reciprocal replies (3 and 2 events -> strength 2); u002: mutual follow only
    assert body["mutual_connections"] == [
        {"id": "u003", "handle": "handle3", "strength": 2.0, "mutual_follow": True},
        {"id": "u002", "handle": "handle2", "strength": 0.0, "mutual_follow": True}]
    assert client.get("/v1/accounts/u001?mutuals=1").json()["mutual_connections"][0]["id"] == "u003"
    comms = {(c["level"], c["community"]): {k: (None if isinstance(v, float) and math.isnan(v) else v)
                                            for k, v in c.items()} for c in tables[1].to_pylist()}
    assert body["communities"] == {"broad": comms[("broad", row["community"])], "niche": comms[("niche", row["niche"])]}
    assert client.get("/v1/accounts/u005").json()["mutual_connections"] == []
    err = _error(client.get("/v1/accounts/nobody"), 404)
    assert "nobody" in err["message"]
    _error(client.get("/v1/accounts/u001?mutuals=101"), 422)


# -- communities -------------------------------------------------------------------------
def test_communities_list(client, tables):
    comms = tables[1].to_pylist()
    items = client.get("/v1/communities?level=broad").json()["items"]
    assert [c["community"] for c in items] == [c["community"] for c in
                                              sorted((c for c in comms if c["level"] == "broad"),
                                                     key=lambda c: (-c["size"], c["community"]))]
    got, cursor = [], None
    while True:
        r = client.get("/v1/communities?limit=5&sort=community&order=asc" + (f"&cursor={cursor}" if cursor else ""))
        got += [(c["level"], c["community"]) for c in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    assert got == sorted(((c["level"], c["community"]) for c in comms), key=lambda t: (t[1], t[0]))
    niches = client.get("/v1/communities?parent=2").json()["items"]
    assert {c["community"] for c in niches} == {20, 21, 22}
    assert all(c["density"] is None for c in niches)  # NaN density -> null
    _error(client.get("/v1/communities?cursor=x"), 422)
    _error(client.get("/v1/communities?level=galaxy"), 422)


def test_community_detail(client, tables):
    body = client.get("/v1/communities/2").json()
    want = next(c for c in tables[1].to_pylist() if c["community"] == 2 and c["level"] == "broad")
    assert body["community"] == want
    assert {n["community"] for n in body["niches"]} == {20, 21, 22}
    niche = client.get("/v1/communities/21?level=niche").json()
    assert niche["community"]["parent"] == 2 and niche["niches"] == []
    _error(client.get("/v1/communities/999"), 404)
    _error(client.get("/v1/communities/21"), 404)  # 21 is a niche id, not a broad one
    _error(client.get("/v1/communities/abc"), 422)


# -- brands and organisations ------------------------------------------------------------
def test_brand_affinity(client, tables):
    rows = tables[0].to_pylist()
    r = client.get("/v1/brands/@handle10/affinity")
    body = r.json()
    assert body["brand"] == {"handle": "handle10", "id": "u010", "hashtags": ["handle10"]}
    audience = {"u011", "u012", "u013"}  # two mentioners, one #Handle10 user; u014 used another tag
    assert [i["id"] for i in body["items"]] == ranked_ids([x for x in rows if x["id"] in audience],
                                                          "niche_pagerank", True)
    by_id = {i["id"]: i["brand_touches"] for i in body["items"]}
    assert by_id == {"u011": 2.0, "u012": 1.0, "u013": 1.0}
    assert client.get("/v1/brands/u010/affinity").json()["items"] == body["items"]  # by id
    page = client.get("/v1/brands/handle10/affinity?limit=2&sort=pagerank&order=asc").json()
    rest = client.get(f"/v1/brands/handle10/affinity?limit=2&sort=pagerank&order=asc&cursor={page['next_cursor']}")
    assert [i["id"] for i in page["items"] + rest.json()["items"]] == ranked_ids(
        [x for x in rows if x["id"] in audience], "pagerank", False)
    tags = client.get("/v1/brands/handle10/affinity?hashtag=%23other").json()  # mentions + #other
    assert {i["id"] for i in tags["items"]} == {"u011", "u012", "u014"} and tags["brand"]["hashtags"] == ["other"]
    tiered = client.get("/v1/brands/handle10/affinity?tier=nano&tier=micro").json()
    assert [i["id"] for i in tiered["items"]] == ranked_ids([x for x in rows if x["id"] in audience],
                                                            "niche_pagerank", True, {"tier": ["nano", "micro"]})
    _error(client.get("/v1/brands/unknownbrand/affinity"), 404)
    _error(client.get("/v1/brands/handle10/affinity?sort=bogus"), 422)


def test_brand_affinity_matches_rank_command(client, store_path):
    """The API's audience and order agree with `nichegraph rank --by brand-affinity` (api.rankings)."""
    from nichegraph.api.rankings import RankQuery, rank

    with DuckDBStore(store_path, read_only=True) as st:
        _, cli = rank(st, RankQuery(by="brand-affinity", brand="handle10", limit=100))
    api = client.get("/v1/brands/handle10/affinity").json()["items"]
    assert [i["id"] for i in api] == cli.column("id").to_pylist()
    assert [i["brand_touches"] for i in api] == cli.column("brand_touches").to_pylist()


def test_organisation_internal(client, tables):
    rows = tables[0].to_pylist()
    body = client.get("/v1/organisations/ACME/internal?limit=500").json()
    assert body["organisation"] == "ACME" and body["sort"] == "niche_pagerank"
    assert [i["id"] for i in body["items"]] == ranked_ids(rows, "niche_pagerank", True, {"affiliation": ["acme"]})
    tiered = client.get("/v1/organisations/acme/internal?tier=nano&sort=pagerank").json()
    assert [i["id"] for i in tiered["items"]] == ranked_ids(rows, "pagerank", True,
                                                            {"affiliation": ["acme"], "tier": ["nano"]})
    # with a brand: only the communities of the brand's audience (u011, u012, u013)
    where = sorted({r["community"] for r in rows if r["id"] in {"u011", "u012", "u013"}})
    branded = client.get("/v1/organisations/acme/internal?brand=handle10").json()
    assert [i["id"] for i in branded["items"]] == ranked_ids(rows, "niche_pagerank", True,
                                                             {"affiliation": ["acme"], "community": where})
    other = [c for c in range(4) if c not in where]
    if other:
        none = client.get(f"/v1/organisations/acme/internal?brand=handle10&community={other[0]}").json()
        assert none["items"] == []
    _error(client.get("/v1/organisations/acme/internal?brand=nobody"), 404)
    _error(client.get("/v1/organisations/globex/internal"), 404)


def test_runs(client):
    body = client.get("/v1/runs").json()
    assert body["current_run_id"] == "20260101T000000000000Z-aaaa0001"
    assert body["items"] == [{"run_id": "20260101T000000000000Z-aaaa0001", "created_at": "2026-01-01T00:00:00+00:00",
                              "params": {"seed": 0}, "counts": {"accounts": 80}}]


# -- caching -----------------------------------------------------------------------------
@pytest.mark.parametrize("url", ["/v1/rankings?tier=nano", "/v1/accounts/u001", "/v1/communities",
                                 "/v1/communities/1", "/v1/brands/handle10/affinity",
                                 "/v1/organisations/acme/internal", "/v1/runs"])
def test_etag_and_304(client, url):
    r = client.get(url)
    etag = r.headers["etag"]
    assert r.status_code == 200 and "20260101T000000000000Z-aaaa0001" in etag
    assert r.headers["x-nichegraph-run"] == "20260101T000000000000Z-aaaa0001"
    assert r.headers["cache-control"] == "public, max-age=10"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert client.get(url).headers["etag"] == etag
    r304 = client.get(url, headers={"If-None-Match": etag})
    assert r304.status_code == 304 and r304.content == b"" and r304.headers["etag"] == etag
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    sep = "&" if "?" in url else "?"
    # another URL of the same endpoint (a parameter it takes: unknown ones are refused) has another validator
    other = {"/v1/accounts/u001": "mutuals=3", "/v1/communities/1": "level=broad", "/v1/runs": None}.get(url, "limit=3")
    if other:
        assert client.get(url + sep + other).headers["etag"] != etag


def _write_run(path, run_id, seed, created):
    accounts, communities = world_tables(seed=seed)
    for _ in range(50):  # the poller may hold the file for a moment
        try:
            with DuckDBStore(path) as st:
                st.write_run(RunRecord(run_id, created, {}, {}), {"accounts": accounts, "communities": communities})
            return accounts
        except Exception:
            time.sleep(0.05)
    raise AssertionError("could not write the run")


def test_switches_to_a_newer_run(tmp_path, store_path):
    path = str(tmp_path / "switch.duckdb")
    shutil.copy(store_path, path)
    with make_client(path) as c:
        old = c.get("/v1/rankings?limit=5")
        accounts = _write_run(path, "20260301T000000000000Z-bbbb0002", 99, "2026-03-01T00:00:00+00:00")
        assert c.get("/v1/rankings?limit=5").json()["run_id"] == "20260101T000000000000Z-aaaa0001"
        assert c.app.state.nichegraph.holder.refresh() is True
        assert c.app.state.nichegraph.holder.refresh() is False  # nothing newer
        new = c.get("/v1/rankings?limit=5", headers={"If-None-Match": old.headers["etag"]})
        assert new.status_code == 200 and new.json()["run_id"] == "20260301T000000000000Z-bbbb0002"
        assert [i["id"] for i in new.json()["items"]] == ranked_ids(accounts.to_pylist(), "score_hidden", True)[:5]
        assert [r["run_id"] for r in c.get("/v1/runs").json()["items"]][0] == "20260301T000000000000Z-bbbb0002"
        # an old cursor still works (keyset): the next page continues after the old last (value, idx)
        assert c.get(f"/v1/rankings?limit=5&cursor={old.json()['next_cursor']}").status_code == 200


def test_keeps_serving_when_the_store_fails(tmp_path, store_path):
    from nichegraph.graph_store import StoreError

    path = str(tmp_path / "fail.duckdb")
    shutil.copy(store_path, path)
    with make_client(path) as c:
        holder = c.app.state.nichegraph.holder

        def broken():
            raise StoreError(f"cannot open store {path}: locked by another process")

        def store_changed():  # the holder opens the store only when the file changed since its last check
            st = os.stat(path)
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))

        assert holder.refresh() is False  # unchanged file: not even opened
        holder._open = broken
        assert holder.refresh() is False and holder.last_error is None
        store_changed()
        assert holder.refresh() is False
        r = c.get("/readyz").json()
        assert r["status"] == "ready" and r["message"] == "the store could not be read at the last check"
        assert path not in c.get("/readyz").text  # no internals
        assert c.get("/v1/rankings?limit=2").status_code == 200

        def crash():
            raise RuntimeError("secret")

        holder._open = crash
        assert holder.refresh() is False and "secret" not in c.get("/readyz").text
        assert c.get("/readyz").json()["message"] == "loading the newest run failed; see the server log"


def test_background_poller_swaps(tmp_path, store_path):
    path = str(tmp_path / "poll.duckdb")
    shutil.copy(store_path, path)
    with make_client(path, poll_seconds=0.1) as c:
        _write_run(path, "20260401T000000000000Z-cccc0003", 5, "2026-04-01T00:00:00+00:00")
        deadline = time.time() + 20
        while time.time() < deadline:
            if c.get("/readyz").json()["run_id"] == "20260401T000000000000Z-cccc0003":
                break
            time.sleep(0.05)
        assert c.get("/v1/rankings?limit=1").json()["run_id"] == "20260401T000000000000Z-cccc0003"


# -- security ----------------------------------------------------------------------------
READER, ADMIN = "ng_reader_key_0123456789abcdef", "admin-passphrase"


@pytest.fixture(scope="module")
def secured(store_path):
    keys = f"reader {hash_key(READER)} rankings,accounts ; admin {hash_key(ADMIN, pbkdf2=True, iterations=1000)} *"
    with make_client(store_path, api_keys=keys) as c:
        yield c


def test_api_keys(secured):
    err = _error(secured.get("/v1/rankings"), 401)
    assert "X-API-Key" in err["message"]
    assert secured.get("/v1/rankings").headers["www-authenticate"] == "Bearer"
    _error(secured.get("/v1/rankings", headers={"X-API-Key": "wrong"}), 401)
    assert secured.get("/v1/rankings", headers={"X-API-Key": READER}).status_code == 200
    assert secured.get("/v1/accounts/u001", headers={"Authorization": f"Bearer {READER}"}).status_code == 200
    err = _error(secured.get("/v1/runs", headers={"X-API-Key": READER}), 403)
    assert "runs" in err["message"] and READER not in err["message"]
    for _ in range(2):  # the second time from the PBKDF2 cache
        assert secured.get("/v1/runs", headers={"X-API-Key": ADMIN}).status_code == 200
    r = secured.get("/v1/rankings", headers={"X-API-Key": READER})
    assert r.headers["cache-control"].startswith("private")
    assert secured.get("/healthz").status_code == 200 and secured.get("/readyz").status_code == 200


def test_key_file(tmp_path, store_path):
    from nichegraph.api.service.security import KeyFileError, load_keys

    good = tmp_path / "keys.txt"
    good.write_text(f"# comment\napp {hash_key('k1')} rankings\n\n")
    assert [k.name for k in load_keys(str(good), None)] == ["app"]
    with make_client(store_path, api_keys_file=str(good)) as c:
        assert c.get("/v1/rankings", headers={"X-API-Key": "k1"}).status_code == 200
        _error(c.get("/v1/communities", headers={"X-API-Key": "k1"}), 403)
    for text, reason in ((f"app k1 rankings", "hash must be"), (f"app {hash_key('k')} rank", "unknown scopes"),
                         (f"app {hash_key('k')}", "expected"), (f"a {hash_key('k')} *\na {hash_key('j')} *", "twice")):
        bad = tmp_path / "bad.txt"
        bad.write_text(text)
        with pytest.raises(KeyFileError, match=reason) as exc:
            load_keys(str(bad), None)
        assert str(bad) in str(exc.value)
    with pytest.raises(KeyFileError, match="does not exist"):
        load_keys(str(tmp_path / "missing"), None)


def test_rate_limit(store_path):
    keys = f"a {hash_key('ka')} * ; b {hash_key('kb')} *"
    with make_client(store_path, api_keys=keys, rate_limit=0.001, rate_burst=3) as c:
        for _ in range(3):
            assert c.get("/v1/rankings?limit=1", headers={"X-API-Key": "ka"}).status_code == 200
        r = c.get("/v1/rankings?limit=1", headers={"X-API-Key": "ka"})
        _error(r, 429)
        assert int(r.headers["retry-after"]) >= 1
        assert c.get("/v1/rankings?limit=1", headers={"X-API-Key": "kb"}).status_code == 200  # per key
    with make_client(store_path, rate_limit=0.001, rate_burst=2) as c:  # no keys: per client address
        assert [c.get("/v1/runs").status_code for _ in range(3)] == [200, 200, 429]


def test_token_bucket_refills():
    from nichegraph.api.service.security import RateLimiter

    now = [0.0]
    rl = RateLimiter(2.0, 2, clock=lambda: now[0])
    assert [rl.take("k") for _ in range(2)] == [0.0, 0.0]
    assert rl.take("k") == pytest.approx(0.5)
    now[0] += 0.5
    assert rl.take("k") == 0.0 and rl.take("k") > 0
    now[0] += 10
    assert [rl.take("k") for _ in range(3)][:2] == [0.0, 0.0]
    assert RateLimiter(0, 1).take("x") == 0.0


def test_cors(store_path, client):
    with make_client(store_path, cors_origins=("https://app.example",)) as c:
        r = c.options("/v1/rankings", headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET"})
        assert r.headers["access-control-allow-origin"] == "https://app.example"
        r = c.get("/v1/rankings?limit=1", headers={"Origin": "https://app.example"})
        assert r.headers["access-control-allow-origin"] == "https://app.example"
        assert "ETag" in r.headers["access-control-expose-headers"]
        r = c.get("/v1/rankings?limit=1", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in r.headers
    r = client.get("/v1/rankings?limit=1", headers={"Origin": "https://app.example"})
    assert "access-control-allow-origin" not in r.headers  # CORS off by default


def test_request_limits(client):
    _error(client.get("/v1/rankings?tier=" + "x" * 5000), 414)
    _error(client.post("/v1/rankings", content=b"x" * (2 << 20)), 413)

    def chunked(n):  # no Content-Length: the limit is enforced while reading
        for _ in range(n):
            yield b"x" * 65536

    err = _error(client.post("/v1/campaigns/plan", content=chunked(40), headers={"Content-Type": "application/json"}),
                 413)
    assert "1048576" in err["message"]
    small = client.post("/v1/campaigns/plan", content=iter([b'{"k": ', b'3}']),
                        headers={"Content-Type": "application/json"})
    assert small.status_code == 200 and small.json()["accounts"], small.text  # replayed to the route intact
    _error(client.post("/v1/rankings"), 405)
    _error(client.get("/v2/rankings"), 404)
    err = _error(client.get("/v1/rankings?" + "&".join(["community=1"] * 101)), 422)
    assert err["fields"][0]["field"] == "query.community"


def test_internal_errors_are_opaque(store_path, monkeypatch):
    from nichegraph.api.run_query import Snapshot

    def boom(self, *a, **k):
        raise RuntimeError("secret internal detail /etc/passwd")

    with make_client(store_path) as c:
        monkeypatch.setattr(Snapshot, "rows", boom)
        r = c.get("/v1/rankings")
        err = _error(r, 500)
        assert err == {"status": 500, "code": "internal", "message": "internal server error", "fields": []}
        assert "secret" not in r.text and "RuntimeError" not in r.text


def test_openapi_documents_every_endpoint(client):
    spec = client.get("/openapi.json").json()
    paths = set(spec["paths"])
    assert {"/v1/rankings", "/v1/accounts/{account_id}", "/v1/communities", "/v1/communities/{community_id}",
            "/v1/brands/{handle}/affinity", "/v1/organisations/{name}/internal", "/v1/runs", "/healthz",
            "/readyz"} <= paths
    rankings = spec["paths"]["/v1/rankings"]["get"]
    assert {"401", "403", "422", "429"} <= set(rankings["responses"])
    assert spec["components"]["schemas"]["AccountRow"]["examples"]
    names = {p["name"] for p in rankings["parameters"]}
    assert {"community", "niche", "tier", "platform", "affiliation", "followers_min", "followers_max",
            "min_social_ratio", "sort", "order", "limit", "cursor", "fields"} <= names


def test_settings_from_env():
    from nichegraph.api.service.settings import load_settings

    s = load_settings(env={"NICHEGRAPH_MAX_PAGE_SIZE": "100", "NICHEGRAPH_CORS_ORIGINS": "https://a, https://b",
                           "NICHEGRAPH_MUTUALS": "false"}, rate_limit=5)
    assert (s.max_page_size, s.cors_origins, s.mutuals, s.rate_limit) == (100, ("https://a", "https://b"), False, 5)
    with pytest.raises(ValueError, match="NICHEGRAPH_RATE_LIMIT"):
        load_settings(env={"NICHEGRAPH_RATE_LIMIT": "fast"})
    with pytest.raises(ValueError, match="default_page_size"):
        load_settings(env={}, max_page_size=10)


def test_every_operation_is_named_summarised_and_described(client):
    """api.service.routers.route: operationId from the handler's name, summary and description from its docstring."""
    spec = client.get("/openapi.json").json()
    ops = {op["operationId"]: op for item in spec["paths"].values() for op in item.values() if "operationId" in op}
    # the operation ids are generated clients' method names: renaming a handler must not change them
    assert {"listRankings", "getAccount", "listCommunities", "getCommunity", "listBrandAffinity",
            "listInternalInfluencers", "listRuns", "planCampaign", "getHealth", "getReadiness"} <= set(ops)
    for name, op in ops.items():
        assert op["summary"] and "\n" not in op["summary"], name
        assert op["description"] and op["summary"] not in op["description"], name
    assert ops["listRankings"]["summary"] == "Rank accounts with filters"
    assert ops["getAccount"]["responses"]["404"]["description"] == "No account with this id in the run"
    assert {p["name"] for p in ops["listBrandAffinity"]["parameters"]} >= {"hashtag", "tier", "cursor"}


def test_an_endpoint_without_a_description_is_refused():
    from fastapi import APIRouter

    from nichegraph.api.service.routers.route import get, operation_id

    router = APIRouter()
    assert operation_id("list_brand_affinity") == "listBrandAffinity" and operation_id("plan") == "plan"
    with pytest.raises(TypeError, match="summary line, a blank line and a description"):

        @get(router, "/x", dict)
        def only_a_summary():
            """Only a summary"""

    assert router.routes == []


def test_brand_and_organisation_endpoints_refuse_by(client):
    """Their ranking kind is fixed: ``by`` would be ignored, so it is an unknown parameter (422), not a silent no-op."""
    for url in ("/v1/brands/handle10/affinity?by=pagerank", "/v1/organisations/Acme/internal?by=pagerank"):
        r = client.get(url)
        assert r.status_code == 422, url
        fields = {f["field"]: f["message"] for f in r.json()["error"]["fields"]}
        assert "query.by" in fields and "hashtag" in fields["query.by"]
    assert client.get("/v1/rankings?by=pagerank&limit=1").status_code == 200
