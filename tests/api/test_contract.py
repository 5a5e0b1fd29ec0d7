"""The HTTP contract holds on every endpoint: what the server does not understand it refuses (422 naming what it
accepts), cursors are the server's own, and the OpenAPI schema advertises exactly what is enforced."""

from __future__ import annotations

import base64
import json
import re

import httpx
import pytest

from nichegraph.api.service.deps import BAD_CURSOR
from nichegraph.api.service.routers.common import TierName
from nichegraph.engine.tiers import TIER_NAMES, UNKNOWN_TIER

from .conftest import make_client
from .live import serve

#: A value for each path parameter that names something in the small world.
PATH_VALUES = {"account_id": "u001", "community_id": "1", "handle": "handle10", "name": "acme", "hashtag": "handle10"}
OPERATION_IDS = {
    ("get", "/healthz"): "getHealth", ("get", "/readyz"): "getReadiness", ("get", "/v1/rankings"): "listRankings",
    ("get", "/v1/accounts/{account_id}"): "getAccount", ("get", "/v1/communities"): "listCommunities",
    ("get", "/v1/communities/{community_id}"): "getCommunity",
    ("get", "/v1/brands/{handle}/affinity"): "listBrandAffinity",
    ("get", "/v1/organisations/{name}/internal"): "listInternalInfluencers", ("get", "/v1/runs"): "listRuns",
    ("post", "/v1/campaigns/plan"): "planCampaign",
    ("get", "/v1/campaigns/hashtags/{hashtag}"): "reportHashtagCampaign",
}


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, op in item.items():
            url = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m.group(1)], path)
            query = {p["name"]: p for p in op.get("parameters", ()) if p["in"] == "query"}
            yield method, path, url, op, query


def _call(client, method: str, url: str, params=None):
    if method == "post":
        return client.post(url, params=params, json={"k": 2})
    return client.get(url, params=params)


@pytest.fixture(scope="module")
def schema(client):
    return client.get("/openapi.json").json()


def test_every_endpoint_answers_its_plain_request(client, schema):
    # the baseline of the refusals below: the same request without the bad parameter is a 200
    for method, _, url, _, _ in _operations(schema):
        assert _call(client, method, url).status_code == 200, url


def test_an_unknown_query_parameter_is_422_on_every_endpoint(client, schema):
    seen = 0
    for method, path, url, _, query in _operations(schema):
        r = _call(client, method, url, params={"teir": "nano"})
        assert r.status_code == 422, (path, r.text)
        (field,) = r.json()["error"]["fields"]
        assert field["field"] == "query.teir"
        allowed = re.search(r"this endpoint takes: (.*)$", field["message"]).group(1)
        assert allowed == (", ".join(sorted(query)) if query else "none"), path
        seen += 1
    assert seen == len(OPERATION_IDS)


def test_an_unknown_enum_value_is_422_naming_the_allowed_values(client, schema):
    checked = []
    for method, path, url, _, query in _operations(schema):
        for name, param in query.items():
            allowed = next((n["enum"] for n in _walk(param["schema"]) if "enum" in n), None)
            if not allowed:
                continue
            r = _call(client, method, url, params={name: "gigantic"})
            assert r.status_code == 422, (path, name, r.text)
            message = r.json()["error"]["fields"][0]["message"]
            assert all(f"'{value}'" in message for value in allowed), (path, name, message)
            checked.append((path, name))
    assert ("/v1/rankings", "tier") in checked and ("/v1/communities", "level") in checked
    assert ("/v1/brands/{handle}/affinity", "order") in checked
    r = client.post("/v1/campaigns/plan", json={"k": 2, "objective": "gigantic"})
    assert r.status_code == 422 and "'reach' or 'spread'" in r.json()["error"]["fields"][0]["message"]


def test_tier_names_are_the_engines(client):
    assert TierName.__args__ == (*TIER_NAMES, UNKNOWN_TIER)
    assert client.get("/v1/rankings?tier=MICRO&limit=1").status_code == 200  # documented: case-insensitive


def _first_cursor(client, url: str) -> str:
    cursor = client.get(url).json()["next_cursor"]
    assert cursor
    return cursor


@pytest.mark.parametrize("url", ["/v1/rankings?limit=3", "/v1/communities?limit=3",
                                 "/v1/brands/handle10/affinity?limit=1&hashtag=handle10&hashtag=other",
                                 "/v1/organisations/acme/internal?limit=2"])
def test_a_forged_cursor_is_refused(client, url):
    cursor = _first_cursor(client, url)
    assert client.get(f"{url}&cursor={cursor}").status_code == 200
    token, sig = cursor.rsplit(".", 1)
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    forged = [
        token,  # unsigned (what every cursor used to be)
        f"{flipped}.{sig}",  # the token changed under the signature
        f"{token}.{'A' * len(sig)}",  # a made-up signature
        f"{token}.{sig[:-1]}",  # a truncated one
    ]
    if url.startswith("/v1/rankings"):  # a keyset position of the attacker's choosing, signed with a guessed key
        payload = json.dumps({"s": "score_hidden", "d": 1, "v": 0.5, "i": 3}, separators=(",", ":"))
        forged.append(base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=") + "." + sig)
    for bad in forged:
        r = client.get(url, params={"cursor": bad})
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["error"]["fields"] == [{"field": "query.cursor", "message": BAD_CURSOR}]


def test_a_cursor_is_bound_to_its_endpoint(client):
    ranking_cursor = _first_cursor(client, "/v1/rankings?limit=3&sort=niche_pagerank")
    r = client.get("/v1/organisations/acme/internal", params={"sort": "niche_pagerank", "cursor": ranking_cursor})
    assert r.status_code == 422 and r.json()["error"]["fields"][0]["message"] == BAD_CURSOR


def test_cursors_need_the_same_secret(store_path):
    secret = "a shared secret of the deployment"
    with make_client(store_path, cursor_secret=secret) as a, make_client(store_path, cursor_secret=secret) as b, \
            make_client(store_path, cursor_secret="another deployment's secret") as other:
        cursor = _first_cursor(a, "/v1/rankings?limit=3")
        assert b.get("/v1/rankings", params={"limit": 3, "cursor": cursor}).status_code == 200
        assert other.get("/v1/rankings", params={"limit": 3, "cursor": cursor}).status_code == 422
    with pytest.raises(ValueError, match="cursor_secret"):
        make_client(store_path, cursor_secret="short")


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


@pytest.mark.parametrize("max_page_size", [500, 137])
def test_the_advertised_limits_are_the_enforced_ones(store_path, max_page_size):
    with make_client(store_path, max_page_size=max_page_size) as c:
        schema = c.get("/openapi.json").json()
        limited = 0
        for method, path, url, _, query in _operations(schema):
            if "limit" not in query:
                continue
            (limit,) = [n for n in _walk(query["limit"]["schema"]) if n.get("type") == "integer"]
            assert (limit["minimum"], limit["maximum"]) == (1, max_page_size), path
            assert _call(c, method, url, params={"limit": max_page_size}).status_code == 200, path
            assert _call(c, method, url, params={"limit": max_page_size + 1}).status_code == 422, path
            assert _call(c, method, url, params={"limit": 0}).status_code == 422, path
            limited += 1
        assert limited == 5
    for node in _walk(schema):  # integers are bounded by integers inside int64, never by a rounded float
        assert not {"ge", "le", "gt", "lt"} & set(node), node  # pydantic's names are not JSON Schema's
        if node.get("type") == "integer":
            for bound in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
                if bound in node:
                    assert type(node[bound]) is int and -(2**63) <= node[bound] <= 2**63 - 1, node
    seed = schema["components"]["schemas"]["CampaignPlanRequest"]["properties"]["seed"]
    assert (seed["type"], seed["minimum"], seed["maximum"]) == ("integer", 0, 2**63 - 1)


def test_operation_ids_are_stable_and_readable(schema):
    got = {(method, path): op["operationId"] for path, item in schema["paths"].items() for method, op in item.items()}
    assert got == OPERATION_IDS
    # generators name inline objects after their parent and title: none may collide with a component
    names = set(schema["components"]["schemas"])
    for name, component in schema["components"]["schemas"].items():
        for prop in component.get("properties", {}).values():
            if prop.get("type") == "object" and "title" in prop:
                assert name + prop["title"].replace(" ", "") not in names, (name, prop["title"])


def test_no_redirect_follows_the_host_header(store_path):
    # a trailing slash used to redirect to http://<Host header>/v1/rankings?... (an open redirect)
    with serve(store_path) as base:
        for path in ("/v1/rankings/?tier=nano&limit=2", "/v1/accounts/u001/", "//evil.example/", "/healthz/"):
            r = httpx.get(base + path, headers={"Host": "evil.example"}, follow_redirects=False, timeout=5)
            assert r.status_code == 404 and "location" not in r.headers, (path, r.status_code, r.headers)
            assert r.json()["error"]["code"] == "not_found"
        r = httpx.get(base + "/v1/rankings?tier=nano&limit=2", headers={"Host": "evil.example"}, timeout=5)
        assert r.status_code == 200 and len(r.json()["items"]) == 2


def test_the_plan_body_takes_json_integers_as_json_schema_defines_them(client):
    # JSON Schema's "integer" includes 2.0 (found by schemathesis' positive_data_acceptance); strings, bools and
    # fractions stay refused
    assert client.post("/v1/campaigns/plan", json={"k": 2.0, "seed": 3.0, "community": [1.0]}).status_code == 200
    for bad in ({"k": "2"}, {"k": True}, {"k": 2.5}, {"k": 2, "seed": 1e300}):
        r = client.post("/v1/campaigns/plan", json=bad)
        assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"].startswith("body."), bad


def test_the_plan_probability_is_bounded_in_the_schema_as_on_the_server(client, schema):
    prop = schema["components"]["schemas"]["CampaignPlanRequest"]["properties"]["probability"]
    number = next(n for n in _walk(prop) if n.get("type") == "number")
    assert (number["exclusiveMinimum"], number["maximum"]) == (0, 1)
    for bad in (0, -7e16, 1.5, "often"):
        r = client.post("/v1/campaigns/plan", json={"k": 2, "probability": bad})
        assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"].startswith("body.probability"), bad
    assert client.post("/v1/campaigns/plan", json={"k": 2, "probability": "wc"}).status_code == 200
