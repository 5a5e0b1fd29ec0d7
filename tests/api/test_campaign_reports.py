"""``GET /v1/campaigns/hashtags/{hashtag}`` and engaged audiences in ``POST /v1/campaigns/plan``, over real HTTP
handling (TestClient) of the small API world, checked against the CLI's report of the same run."""

from __future__ import annotations

from nichegraph.api.hashtag_campaign import CampaignRequest, campaign_run, hashtag_campaign
from nichegraph.graph_store.duckdb_store import DuckDBStore


def test_hashtag_report_matches_the_library(client, store_path):
    r = client.get("/v1/campaigns/hashtags/%23Handle10", params={"brand": "handle10"})
    assert r.status_code == 200, r.text
    body = r.json()
    with DuckDBStore(store_path, read_only=True) as st:
        expected = hashtag_campaign(campaign_run(*st.read_run()), CampaignRequest("handle10", brand="handle10",
                                                                                   participants=50))
    assert body["summary"] == expected["summary"]
    assert [p["id"] for p in body["participants"]] == ["u013"]
    assert body["brand"]["id"] == "u010" and body["audience"]["kind"] == "followers"
    assert r.headers["X-Nichegraph-Run"] == body["run_id"]


def test_hashtag_report_validates_and_bounds(client):
    assert client.get("/v1/campaigns/hashtags/x", params={"since": "someday"}).status_code == 422
    assert client.get("/v1/campaigns/hashtags/x", params={"niches": 1000}).status_code == 422
    assert client.get("/v1/campaigns/hashtags/x", params={"limit": 10**6}).status_code == 422
    assert client.get("/v1/campaigns/hashtags/x", params={"audience": "friends"}).status_code == 422
    r = client.get("/v1/campaigns/hashtags/x", params={"since": "2024-02-01", "until": "2024-01-01"})
    assert r.status_code == 422 and "empty" in r.text
    r = client.get("/v1/campaigns/hashtags/x", params={"brand": "nobody-here"})
    assert r.status_code == 404
    r = client.get("/v1/campaigns/hashtags/x", params={"audience": "followers", "audience_since": "2024-01-01"})
    assert r.status_code == 422 and "engaged audiences only" in r.text
    r = client.get("/v1/campaigns/hashtags/nobody-uses-this", params={"since": 1704067200})
    assert r.status_code == 200 and r.json()["summary"]["participants"] == 0


def test_plan_on_engaged_audiences_says_so(client):
    r = client.post("/v1/campaigns/plan", json={"k": 1, "audience": "engaged"})
    assert r.status_code == 200, r.text
    plan = r.json()
    assert plan["audience"]["kind"] == "engaged"
    # engaged audiences in the small world: u010 has u011, u012; u001 has u003, u004; u003 has u001
    assert plan["accounts"][0]["id"] in ("u001", "u010") and plan["total"] == 2.0
    followers = client.post("/v1/campaigns/plan", json={"k": 1}).json()
    assert followers["audience"]["kind"] == "followers"
    r = client.post("/v1/campaigns/plan", json={"k": 1, "audience": "followers", "audience_since": "2024-01-01"})
    assert r.status_code == 422
