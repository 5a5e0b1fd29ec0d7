"""One ranking engine: `nichegraph rank`, the HTTP API and the report give the same rows, order and ties.

A synthetic world is loaded and analysed for real; every ranking kind is asked
through the CLI (`rank --format json`), the API (`/v1/rankings?by=`, the brand and
organisation endpoints, walked page by page with cursors) and the report's ranking
tables, and each answer is also checked against a slow reference (plain Python
sorts over the run's rows, kind definitions from `api.rankings.KINDS`).
"""

from __future__ import annotations

import json
import math

import pytest
from typer.testing import CliRunner

from nichegraph.api.cli import app
from nichegraph.api.rankings import KINDS, RankQuery, rank
from nichegraph.api.report import RANKINGS, ranking_rows
from nichegraph.api.run_query import Snapshot
from nichegraph.graph_store.duckdb_store import DuckDBStore
from nichegraph.graph_store.synth import BRAND_AFFILIATION, BRAND_HANDLE

from .conftest import analysed_world, make_client

runner = CliRunner()
PLAIN_KINDS = ("hidden", "pagerank", "niche", "social", "in_degree")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("one_engine")
    with analysed_world(folder, n_accounts=1200, n_edges=15_000, seed=5) as (_, path, st):
        run, tables = st.read_run()
    with make_client(path, max_page_size=500) as client:
        yield path, client, run, tables


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _reference(rows: list[dict], kind: str, keep, keys: tuple[str, ...] | None = None) -> list[str]:
    """The kind's order by hand: descending by each sort column in turn (null last), ties by idx."""
    keys = keys or KINDS[kind]["sort"]
    rows = [r for r in rows if keep(r) and not _missing(r[keys[0]])]
    return [r["id"] for r in sorted(rows, key=lambda r: (
        *[(1, 0.0) if _missing(r[k]) else (0, -r[k]) for k in keys], r["idx"]))]


def _cli(path, *args) -> list[str]:
    res = runner.invoke(app, ["rank", "--store", path, "--format", "json", "--limit", "100000", *args])
    assert res.exit_code == 0, res.output
    return [r["id"] for r in json.loads(res.output)["rows"]]


def _api(client, url: str, page: int = 97) -> list[str]:
    ids, cursor = [], None
    for _ in range(1000):
        sep = "&" if "?" in url else "?"
        body = client.get(f"{url}{sep}limit={page}" + (f"&cursor={cursor}" if cursor else "")).json()
        ids += [i["id"] for i in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return ids
    raise AssertionError("the pages never ended")


@pytest.mark.parametrize("kind", PLAIN_KINDS)
def test_every_kind_same_through_cli_api_and_report(world, kind):
    path, client, run, tables = world
    rows = tables["accounts"].to_pylist()
    tiers = KINDS[kind].get("tiers")
    want = _reference(rows, kind, lambda r: not tiers or r["tier"] in tiers)
    assert len(want) > 50
    assert _cli(path, "--by", kind) == want
    assert _api(client, f"/v1/rankings?by={kind}") == want
    report = {r.key: r for r in RANKINGS}
    if kind in report:
        _, picked = ranking_rows(Snapshot(run, tables["accounts"]), report[kind], 60)
        assert [r["id"] for r in picked] == want[:60]


def test_social_ties_follow_the_second_key_then_idx(world):
    _, client, _, tables = world
    rows = tables["accounts"].to_pylist()
    social = [r["social_ratio_shrunk"] for r in rows if not _missing(r["social_ratio_shrunk"])]
    assert len(social) - len(set(social)) > 20  # many ties on the first key: the second key decides
    want = _reference(rows, "social", lambda r: True, keys=("social_ratio_shrunk", "niche_pagerank"))
    assert want != _reference(rows, "social", lambda r: True, keys=("social_ratio_shrunk",))
    assert _api(client, "/v1/rankings?by=social", page=13) == want


@pytest.mark.parametrize("tier,community", [("micro", None), ("nano", 0), (None, 1)])
def test_filters_same_through_cli_and_api(world, tier, community):
    path, client, _, tables = world
    rows = tables["accounts"].to_pylist()
    for kind in ("hidden", "niche", "social"):
        tiers = (tier,) if tier else KINDS[kind].get("tiers")
        want = _reference(rows, kind, lambda r: (not tiers or r["tier"] in tiers)
                          and (community is None or r["community"] == community))
        args = (["--tier", tier] if tier else []) + (["--community", str(community)] if community is not None else [])
        query = (f"&tier={tier}" if tier else "") + (f"&community={community}" if community is not None else "")
        assert _cli(path, "--by", kind, *args) == want
        assert _api(client, f"/v1/rankings?by={kind}{query}") == want


def test_brand_and_internal_same_through_cli_and_api(world):
    path, client, _, tables = world
    rows = tables["accounts"].to_pylist()
    brand = _cli(path, "--by", "brand-affinity", "--brand", BRAND_HANDLE)
    assert len(brand) > 5
    assert _api(client, f"/v1/brands/{BRAND_HANDLE}/affinity") == brand
    with DuckDBStore(path, read_only=True) as st:
        _, table = rank(st, RankQuery(by="brand-affinity", brand=BRAND_HANDLE, limit=100_000))
    audience = set(table.column("id").to_pylist())
    assert brand == _reference(rows, "brand-affinity", lambda r: r["id"] in audience)
    internal = _cli(path, "--by", "internal", "--affiliation", BRAND_AFFILIATION, "--brand", BRAND_HANDLE)
    assert internal and _api(client, f"/v1/organisations/{BRAND_AFFILIATION}/internal?brand={BRAND_HANDLE}") == internal
    places = {r["community"] for r in rows if r["id"] in audience}
    assert internal == _reference(rows, "internal", lambda r: (r["affiliation"] or "").lower()
                                  == BRAND_AFFILIATION.lower() and r["community"] in places)
