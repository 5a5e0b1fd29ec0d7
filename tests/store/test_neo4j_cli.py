"""The CLI against the real Neo4j: ``--store bolt://...`` behaves exactly as a DuckDB path."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import wipe_neo4j

pytestmark = pytest.mark.neo4j

NICHEGRAPH = [sys.executable, "-m", "nichegraph.api.cli"]
ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    return subprocess.run([*NICHEGRAPH, *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)


def write_csv(path: Path, header: list[str], rows: list[list]) -> str:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return str(path)


@pytest.fixture
def files(tmp_path):
    ids = [f"user{i}" for i in range(40)] + ["o'brien", 'say "hi"', "{x}", "ünï"]
    acc = write_csv(tmp_path / "accounts.csv", ["id", "handle", "followers_count"],
                    [[i, f"@{i}", 10 * n] for n, i in enumerate(ids)])
    pairs = ([[ids[i], ids[(i * 7 + 3) % len(ids)]] for i in range(len(ids))]
             + [[ids[i], ids[(i + 1) % len(ids)]] for i in range(len(ids))] + [[ids[0], ids[1]]])
    fol = write_csv(tmp_path / "follows.csv", ["follower", "followee"], pairs)
    itr = write_csv(tmp_path / "interactions.csv", ["source", "target", "kind", "ts", "hashtags"],
                    [[ids[i], ids[(i * 3 + 1) % len(ids)], "mention", f"2024-03-0{1 + i % 9}T10:00:00Z", "#niche"]
                     for i in range(len(ids))] * 2)
    expected = (len(ids), len({tuple(p) for p in pairs}), 2 * len(ids))
    return acc, fol, itr, expected


def test_load_info_analyze_same_as_duckdb(neo4j_uri, files, tmp_path):
    wipe_neo4j(neo4j_uri)
    acc, fol, itr, expected = files
    results = {}
    for store in (neo4j_uri, str(tmp_path / "ref.duckdb")):
        r = cli("load", "--store", store, "--accounts", acc, "--follows", fol, "--interactions", itr, "-q")
        assert r.returncode == 0, r.stderr
        again = cli("load", "--store", store, "--accounts", acc, "--follows", fol, "--interactions", itr, "-q")
        assert again.returncode == 0, again.stderr
        info = cli("info", "--store", store, "--json")
        assert info.returncode == 0, info.stderr
        results[store] = json.loads(info.stdout)
    neo, ref = results[neo4j_uri], results[str(tmp_path / "ref.duckdb")]
    assert neo["store"] == neo4j_uri
    for key in ("accounts", "follows", "interactions", "runs"):
        assert neo[key] == ref[key], key
    assert (neo["accounts"], neo["follows"], neo["interactions"]) == expected
    r = cli("analyze", "--store", neo4j_uri)
    assert r.returncode == 0, r.stderr
    info = json.loads(cli("info", "--store", neo4j_uri, "--json").stdout)
    assert info["runs"] == 1 and info["latest_run"]


def test_unreachable_server_is_a_clear_error():
    r = cli("info", "--store", "bolt://127.0.0.1:1", "--json")
    assert r.returncode != 0
    assert "cannot reach Neo4j at bolt://127.0.0.1:1" in (r.stderr + r.stdout)
