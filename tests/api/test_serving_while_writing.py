"""A real server keeps answering every endpoint while `nichegraph load` and `analyze` write the same DuckDB file.

The service answers from the run it holds in memory: requests never open the
store, and the background check for a newer run opens it only when the file
changed, briefly, read-only.  Bounded: loopback only, at most ``MAX_REQUESTS``
requests, every request with a timeout, the writes within ``WRITE_TIMEOUT``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from nichegraph.api.analysis import run_analysis
from nichegraph.graph_store.duckdb_store import DuckDBStore
from nichegraph.graph_store.ingest import load_files
from nichegraph.graph_store.synth import BRAND_AFFILIATION, BRAND_HANDLE, generate, write_world

from .live import ROOT, serve_process

MAX_REQUESTS = 6000
WRITE_TIMEOUT = 240


def _store_open_by(pid: int, path: str) -> bool:
    """Whether process ``pid`` has the store file open (any descriptor pointing at it)."""
    real = os.path.realpath(path)
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == real:
                return True
        except OSError:
            continue
    return False


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "nichegraph.api.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=WRITE_TIMEOUT)


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc to see the server's open files")
def test_load_and_analyze_succeed_while_every_endpoint_is_queried(tmp_path):
    first = write_world(generate(n_accounts=500, n_edges=5_000, seed=11), tmp_path / "first")
    second = write_world(generate(n_accounts=500, n_edges=5_000, seed=12), tmp_path / "second")
    path = str(tmp_path / "store.duckdb")
    with DuckDBStore(path) as st:
        load_files(st, accounts=str(first["accounts"]), follows=str(first["follows"]),
                   interactions=str(first["interactions"]))
        first_run = run_analysis(st)
    accounts = first_run.accounts
    account_id = accounts.column("id")[0].as_py()
    community = next(c for c in accounts.column("community").to_pylist() if c is not None)

    base_env = {"NICHEGRAPH_PLAN_PER_KEY": "8", "NICHEGRAPH_PLAN_QUEUE": "8"}
    gets = ["/healthz", "/readyz", "/v1/rankings?by=hidden&limit=20", "/v1/rankings?tier=nano&sort=pagerank",
            f"/v1/accounts/{account_id}", "/v1/communities", f"/v1/communities/{community}", "/v1/runs",
            f"/v1/brands/{BRAND_HANDLE}/affinity", f"/v1/organisations/{BRAND_AFFILIATION}/internal?brand={BRAND_HANDLE}"]
    statuses: Counter = Counter()
    unexpected: list[str] = []
    stop = threading.Event()
    sent = [0]
    lock = threading.Lock()

    def client(offset: int) -> None:
        with httpx.Client(base_url=base, timeout=20) as http:
            i = offset
            while not stop.is_set():
                with lock:
                    if sent[0] >= MAX_REQUESTS:
                        return
                    sent[0] += 1
                url = gets[i % len(gets)] if i % (len(gets) + 1) else None
                r = http.post("/v1/campaigns/plan", json={"k": 5}) if url is None else http.get(url)
                name = url or "POST /v1/campaigns/plan"
                with lock:
                    statuses[(name.split("?")[0], r.status_code)] += 1
                    # a community id of the first run may be gone from the second: 404 is the right answer
                    if r.status_code != 200 and not (r.status_code == 404 and "/v1/communities/" in name):
                        unexpected.append(f"{name}: {r.status_code} {r.text[:200]}")
                i += 1

    options = ("--poll-seconds", "0.3", "--rate-limit", "0")
    with serve_process(path, *options, env=base_env, ready_timeout=90) as (base, server):
        threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        try:
            time.sleep(1.0)  # requests in flight before the writers start
            load = _cli("load", "--store", path, "--accounts", str(second["accounts"]), "--follows",
                        str(second["follows"]), "--interactions", str(second["interactions"]))
            analyze = _cli("analyze", "--store", path)
            # the newer run is picked up by the background check
            new_run = None
            deadline = time.time() + 60
            while time.time() < deadline:
                runs = httpx.get(base + "/v1/runs", timeout=10).json()
                if runs["current_run_id"] != first_run.run.run_id:
                    new_run = runs["current_run_id"]
                    break
                time.sleep(0.3)
            # once the file stops changing, the server holds no store connection while it keeps serving
            open_samples = []
            for _ in range(40):
                open_samples.append(_store_open_by(server.pid, path))
                time.sleep(0.05)
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=60)
    assert load.returncode == 0, load.stdout + load.stderr
    assert analyze.returncode == 0, analyze.stdout + analyze.stderr
    assert new_run is not None and new_run != first_run.run.run_id
    assert not any(open_samples), "the server kept the store file open while serving"
    assert not unexpected, unexpected[:5]
    served = {name for name, status in statuses if status == 200}
    assert served >= {g.split("?")[0] for g in gets} | {"POST /v1/campaigns/plan"}, statuses
    assert sum(statuses.values()) >= 200  # requests really were in flight throughout
