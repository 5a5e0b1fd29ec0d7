"""An app developer's typed client: generated from a real server's /openapi.json with openapi-python-client
(offline), then every endpoint called with it against that server."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from nichegraph.api.service.security import hash_key

from .live import serve

PACKAGE = "nichegraph_generated_client"
GENERATOR = Path(sys.executable).with_name("openapi-python-client")


@pytest.fixture(scope="module")
def served(store_path, tmp_path_factory):
    folder = tmp_path_factory.mktemp("client")
    keys = folder / "keys.txt"
    keys.write_text(f"app {hash_key('client-key-1')} *\n")
    with serve(store_path, "--api-keys", str(keys)) as base:
        yield base, folder


@pytest.fixture(scope="module")
def generated(served):
    base, folder = served
    schema = folder / "openapi.json"
    schema.write_text(httpx.get(base + "/openapi.json", timeout=10).text)
    config = folder / "config.yaml"
    config.write_text("post_hooks: []\n")  # no formatter run: the generated code is used as generated
    out = subprocess.run([str(GENERATOR), "generate", "--path", str(schema), "--meta", "none", "--config",
                          str(config), "--output-path", str(folder / PACKAGE)],
                         capture_output=True, text=True, timeout=120, env={**os.environ, "NO_COLOR": "1"})
    log = out.stdout + out.stderr
    assert out.returncode == 0, log
    # the generator drops what it cannot model with a warning ("duplicate models with name ...")
    assert "Unable to" not in log and "duplicate" not in log and "Warning" not in log, log
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE), json.loads(schema.read_text())
    finally:
        sys.path.remove(str(folder))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _op(package, tag: str, operation: str):
    return importlib.import_module(f"{PACKAGE}.api.{tag}.{operation}")


def test_every_operation_has_a_generated_function(generated):
    package, schema = generated
    made = {p.stem for p in (Path(package.__file__).parent / "api").glob("*/*.py") if p.stem != "__init__"}
    ids = {op["operationId"] for item in schema["paths"].values() for op in item.values()}
    snake = {"".join("_" + c.lower() if c.isupper() else c for c in i) for i in ids}
    assert made == snake and len(made) == 11


def test_the_generated_client_calls_every_endpoint(generated, served):
    package, _ = generated
    base, _ = served
    models = importlib.import_module(PACKAGE + ".models")
    client = package.AuthenticatedClient(base_url=base, token="client-key-1", raise_on_unexpected_status=True)
    called = set()

    def call(tag, operation, **kwargs):
        response = _op(package, tag, operation).sync_detailed(client=client, **kwargs)
        assert response.status_code == 200, (operation, response.content[:300])
        called.add(operation)
        return response.parsed

    assert call("health", "get_health").status == "ok"
    assert call("health", "get_readiness").run_id == "20260101T000000000000Z-aaaa0001"
    page = call("rankings", "list_rankings", tier=[models.ListRankingsTierItem.NANO], limit=3)
    assert isinstance(page, models.RankingsPage) and len(page.items) == 3
    assert all(item.tier == "nano" for item in page.items)
    rest = call("rankings", "list_rankings", tier=[models.ListRankingsTierItem.NANO], limit=3,
                cursor=page.next_cursor)  # the signed cursor travels through the typed client unchanged
    assert not {i.id for i in page.items} & {i.id for i in rest.items}
    account = call("accounts", "get_account", account_id="u001", mutuals=5)
    assert isinstance(account, models.AccountDetail) and account.account.id == "u001"
    assert {t.id for t in account.mutual_connections} == {"u002", "u003"}
    listed = call("communities", "list_communities", limit=2)
    assert isinstance(listed, models.CommunityList) and len(listed.items) == 2
    assert call("communities", "get_community", community_id=1).community.community == 1
    affinity = call("brands", "list_brand_affinity", handle="handle10")
    assert isinstance(affinity, models.BrandAffinityPage) and {i.id for i in affinity.items} >= {"u011", "u012"}
    internal = call("organisations", "list_internal_influencers", name="acme", limit=5)
    assert isinstance(internal, models.InternalPage) and internal.organisation == "acme" and internal.items
    assert call("runs", "list_runs").current_run_id == "20260101T000000000000Z-aaaa0001"
    plan = call("campaigns", "plan_campaign", body=models.CampaignPlanRequest(k=2))
    assert isinstance(plan, models.CampaignPlan) and 1 <= len(plan.accounts) <= 2
    report = call("campaigns", "report_hashtag_campaign", hashtag="handle10", brand="handle10", since="2020-01-01")
    assert isinstance(report, models.HashtagCampaignReport) and report.hashtag == "handle10"
    assert called == {p.stem for p in (Path(package.__file__).parent / "api").glob("*/*.py")} - {"__init__"}

    # errors arrive as the documented ErrorBody model
    refused = _op(package, "rankings", "list_rankings").sync_detailed(client=client, limit=10_000)
    assert refused.status_code == 422 and isinstance(refused.parsed, models.ErrorBody)
    assert refused.parsed.error.fields[0].field == "query.limit"
