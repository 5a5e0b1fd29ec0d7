"""A real server: `nichegraph serve` as a subprocess on a free loopback port, queried over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import psutil
import pytest

from nichegraph.api.service.security import hash_key

from .live import ROOT, serve


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_over_http(store_path, tables, tmp_path, workers):
    keys = tmp_path / "keys.txt"
    keys.write_text(f"app {hash_key('secret-key-1')} *\n")
    with serve(store_path, "--api-keys", str(keys), "--workers", str(workers)) as base, \
            httpx.Client(base_url=base, headers={"X-API-Key": "secret-key-1"}, timeout=5) as http:
        r = http.get("/v1/rankings", params={"tier": "nano", "limit": 3})
        assert r.status_code == 200
        body = r.json()
        assert body["run_id"] == "20260101T000000000000Z-aaaa0001" and len(body["items"]) == 3
        assert all(i["tier"] == "nano" for i in body["items"])
        assert "server" not in r.headers  # no server banner
        assert http.get("/v1/rankings", headers={"If-None-Match": r.headers["etag"]},
                        params={"tier": "nano", "limit": 3}).status_code == 304
        assert http.get("/v1/rankings", params={"tier": "nano", "limit": 3, "cursor": body["next_cursor"]}
                        ).status_code == 200
        if workers > 1:
            # which worker takes a connection is the kernel's choice, so read the workers' environments: serve
            # gave every worker the same cursor secret (each accepts the others' cursors)
            secrets = {p.pid: p.environ().get("NICHEGRAPH_CURSOR_SECRET")
                       for p in psutil.Process().children(recursive=True)
                       if p.environ().get("NICHEGRAPH_STORE") == store_path}
            assert len(secrets) >= workers and len(set(secrets.values())) == 1 and None not in secrets.values()
        assert http.get("/v1/accounts/u001").json()["account"]["id"] == "u001"
        assert http.get("/v1/communities/1").status_code == 200
        assert httpx.get(base + "/v1/rankings").status_code == 401
        err = http.get("/v1/accounts/missing").json()
        assert err["error"]["code"] == "not_found"


def test_serve_rejects_bad_key_file(store_path, tmp_path):
    bad = tmp_path / "keys.txt"
    bad.write_text("app plaintext-key *\n")
    out = subprocess.run([sys.executable, "-m", "nichegraph.api.cli", "serve", "--store", store_path, "--api-keys", str(bad)],
                         cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 2
    assert f"{bad}:1" in out.stderr and "never the key itself" in out.stderr
