"""Load test of the ranking API on loopback: /v1/rankings with filters over a 1M-account run.

What it does
------------
1. Builds a result table of ``--accounts`` accounts (1,000,000 by default) directly with
   numpy (seeded; the synth -> load -> analyze pipeline is not used, so the build takes
   seconds), with every column of docs/ARCHITECTURE.md, and writes it as one run into a
   fresh DuckDB store.
2. Starts ``nichegraph serve`` on a free 127.0.0.1 port, with one API key (so key
   checking and the token bucket run on every request; the bucket is set high enough
   never to refuse) and waits for /readyz.
3. Runs the load generator in ``--clients`` processes, each holding ``--connections``
   keep-alive HTTP/1.1 connections (asyncio + uvloop, raw sockets: a few microseconds of
   client CPU per request, so the generator leaves the CPU to the server).  Every request
   is a filtered /v1/rankings query drawn from a seeded mix (community + tier, niche,
   follower range + platform, social ratio + tier, affiliation, second pages with
   cursors).  Bounded by ``--seconds`` and ``--max-requests``.
4. Reports throughput and latency percentiles (client-side, connect excluded), the CPU
   time the server and the load generator spent per request (independent of what else
   runs on the machine), and, as
   the peer, the same queries answered by DuckDB SQL over the same table in-process
   (``SELECT ... WHERE ... ORDER BY ... LIMIT``) against the snapshot query engine alone.

Run::

    .venv/bin/python benchmarks/bench_api.py                 # 1M accounts, 20 s
    .venv/bin/python benchmarks/bench_api.py --accounts 100000 --seconds 5   # quick
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

KEY = "bench-key-0123456789"
TIERS = np.array(["nano", "micro", "macro", "mega"], dtype=object)


# -- the world -------------------------------------------------------------------------------
def build_accounts(n: int, seed: int = 0) -> tuple[pa.Table, int, int]:
    """A 1M-row accounts result table with realistic shapes: heavy tails, skewed communities."""
    rng = np.random.default_rng(seed)
    n_comm = 300
    sizes = rng.pareto(1.2, n_comm) + 1
    community = rng.choice(n_comm, size=n, p=sizes / sizes.sum()).astype(np.int64)
    niche = community * 100 + rng.integers(0, 20, n)
    followers = np.floor(np.exp(rng.normal(6.5, 2.0, n))).astype(np.int64)
    fc = pa.array(followers, mask=rng.random(n) < 0.1)
    tier = TIERS[np.searchsorted([10_000, 100_000, 1_000_000], followers, side="right")]
    platform = np.array(["x", "instagram", "tiktok"], dtype=object)[rng.integers(0, 3, n)]
    aff = np.full(n, None, dtype=object)
    emp = rng.random(n) < 0.002
    aff[emp] = np.array([f"org{i}" for i in range(50)], dtype=object)[rng.integers(0, 50, int(emp.sum()))]
    pr = rng.pareto(1.5, n) / n
    t = pa.table({
        "idx": pa.array(np.arange(n, dtype=np.int32)),
        "id": pa.array([f"a{i:07d}" for i in range(n)]),
        "handle": pa.array([f"user{i}" for i in range(n)]),
        "platform": pa.array(platform, pa.string()),
        "affiliation": pa.array(aff, pa.string()),
        "followers_count": fc,
        "followers_observed": pa.array(rng.integers(0, 5000, n)),
        "tier": pa.array(tier, pa.string()),
        "tier_estimated": pa.array(rng.random(n) < 0.1),
        "community": pa.array(community),
        "niche": pa.array(niche),
        "in_degree": pa.array(rng.integers(0, 2000, n)),
        "out_degree": pa.array(rng.integers(0, 2000, n)),
        "reciprocity": rng.random(n),
        "pagerank": pr,
        "coreness": np.floor(rng.random(n) * 50),
        "niche_pagerank": rng.random(n),
        "niche_percentile": rng.random(n),
        "within_module_z": rng.normal(0, 1, n),
        "participation": rng.random(n),
        "niche_share": rng.random(n),
        "social_ratio": np.round(rng.random(n), 3),
        "follow_back_ratio": rng.random(n),
        "asymmetry": rng.random(n),
        "score_hidden": rng.random(n),
    })
    return t, n_comm, int(niche.max())


def make_queries(n_queries: int, n_comm: int, seed: int = 1) -> list[str]:
    """A seeded mix of filtered ranking queries (paths with query strings)."""
    rng = np.random.default_rng(seed)
    sorts = ["score_hidden", "niche_pagerank", "pagerank", "social_ratio", "in_degree"]
    out = []
    for i in range(n_queries):
        kind = i % 6
        c = int(rng.integers(0, n_comm))
        s = sorts[int(rng.integers(0, len(sorts)))]
        o = "asc" if rng.random() < 0.2 else "desc"
        if kind == 0:
            q = f"community={c}&tier=nano&sort={s}&order={o}&limit=50"
        elif kind == 1:
            q = f"niche={c * 100 + int(rng.integers(0, 20))}&sort={s}&limit=20"
        elif kind == 2:
            lo = int(rng.integers(100, 5000))
            q = f"followers_min={lo}&followers_max={lo * 10}&platform=x&sort={s}&limit=50"
        elif kind == 3:
            q = f"tier=micro&min_social_ratio={rng.random() * 0.9:.2f}&sort={s}&order={o}&limit=50"
        elif kind == 4:
            q = f"affiliation=org{int(rng.integers(0, 50))}&sort={s}&limit=50"
        else:
            q = f"community={c}&community={(c + 7) % n_comm}&min_social_ratio=0.3&sort={s}&limit=100"
        out.append("/v1/rankings?" + q)
    return out


# -- the load generator ----------------------------------------------------------------------
async def _conn_loop(host, port, paths, start_idx, step, deadline, max_req, lat, errors):
    reader, writer = await asyncio.open_connection(host, port)
    i = start_idx
    while time.perf_counter() < deadline and len(lat) < max_req:
        path = paths[i % len(paths)]
        i += step
        req = (f"GET {path} HTTP/1.1\r\nHost: {host}\r\nX-API-Key: {KEY}\r\n\r\n").encode()
        t0 = time.perf_counter()
        writer.write(req)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        if length:
            await reader.readexactly(length)
        lat.append(time.perf_counter() - t0)
        if status != 200:
            errors.append(status)
    writer.close()


def _client(host, port, paths, connections, seconds, max_req, offset, out_q):
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    lat: list[float] = []
    errors: list[int] = []

    async def main():
        deadline = time.perf_counter() + seconds
        await asyncio.gather(*[_conn_loop(host, port, paths, offset + k, connections * 97, deadline, max_req, lat,
                                          errors) for k in range(connections)])

    t0, c0 = time.perf_counter(), time.process_time()
    asyncio.run(main())
    out_q.put((lat, errors, time.perf_counter() - t0, time.process_time() - c0))


def load(host, port, paths, *, clients, connections, seconds, max_requests):
    q: mp.Queue = mp.Queue()
    per = max(1, max_requests // clients)
    procs = [mp.Process(target=_client, args=(host, port, paths, connections, seconds, per, 1000 * i, q))
             for i in range(clients)]
    for p in procs:
        p.start()
    results = [q.get() for _ in procs]
    for p in procs:
        p.join()
    lat = np.array([x for r in results for x in r[0]])
    errors = [e for r in results for e in r[1]]
    wall = max(r[2] for r in results)
    client_cpu = sum(r[3] for r in results)
    return lat, errors, wall, client_cpu


# -- the peer: the same queries in DuckDB SQL, and the snapshot engine alone ------------------
def peer_compare(table: pa.Table, paths: list[str], n: int = 300) -> dict:
    import urllib.parse

    import duckdb

    from nichegraph.api.service.routers.common import RankingQuery
    from nichegraph.api.run_query import Snapshot
    from nichegraph.graph_store import RunRecord

    snap = Snapshot(RunRecord("bench", "", {}, {}), table)
    con = duckdb.connect()
    con.register("accounts", table)
    t_snap = t_sql = c_sql = 0.0
    c_snap: list[float] = []
    agree = 0
    for path in paths[:n]:
        qs = urllib.parse.parse_qs(path.split("?", 1)[1])
        lists = {"community", "niche", "tier", "platform", "affiliation"}
        fp = RankingQuery.model_validate({k: (v if k in lists else v[-1]) for k, v in qs.items()})
        sort, desc, limit = fp.sort, fp.order == "desc", fp.limit
        t0, c0 = time.perf_counter(), time.thread_time()
        rows, _, _ = snap.rank(fp.filters(), sort, desc, limit)
        page = snap.rows(rows)
        t_snap += time.perf_counter() - t0
        c_snap.append(time.thread_time() - c0)
        where, params = [], []
        for col in ("community", "niche"):
            if col in qs:
                where.append(f"{col} IN (SELECT unnest(?::BIGINT[]))")
                params.append([int(x) for x in qs[col]])
        for col in ("tier", "platform", "affiliation"):
            if col in qs:
                where.append(f"lower({col}) IN (SELECT lower(unnest(?::VARCHAR[])))")
                params.append(qs[col])
        if fp.followers_min is not None:
            where.append("coalesce(followers_count, followers_observed) BETWEEN ? AND ?")
            params += [fp.followers_min, fp.followers_max]
        if fp.min_social_ratio is not None:
            where.append("social_ratio >= ?")
            params.append(fp.min_social_ratio)
        direction = "DESC" if desc else "ASC"
        sql = (f"SELECT * FROM accounts WHERE {' AND '.join(where) or 'true'} "
               f"ORDER BY {sort} {direction} NULLS LAST, idx ASC LIMIT {limit}")
        t0, c0 = time.perf_counter(), time.process_time()  # DuckDB's worker threads included
        res = con.execute(sql, params).fetchall()
        t_sql += time.perf_counter() - t0
        c_sql += time.process_time() - c0
        agree += [r[1] for r in res] == [p["id"] for p in page]
    cs = np.array(c_snap) * 1000
    return {"queries": n, "snapshot_ms": 1000 * t_snap / n, "duckdb_sql_ms": 1000 * t_sql / n,
            "snapshot_cpu_ms": float(cs.mean()), "snapshot_cpu_p99_ms": float(np.percentile(cs, 99)),
            "snapshot_cpu_max_ms": float(cs.max()), "duckdb_sql_cpu_ms": 1000 * c_sql / n, "same_pages": agree}


# -- main ------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--accounts", type=int, default=1_000_000)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--max-requests", type=int, default=200_000)
    ap.add_argument("--clients", type=int, default=1, help="load generator processes")
    ap.add_argument("--connections", default="8", help="keep-alive connections per process; a comma list runs "
                                                         "one measurement per value against the same server")
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--workers", type=int, default=1, help="server worker processes (nichegraph serve --workers)")
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = ap.parse_args()

    from nichegraph.graph_store import RunRecord
    from nichegraph.graph_store.duckdb_store import DuckDBStore

    folder = Path(tempfile.mkdtemp(prefix="nichegraph-bench-api-"))
    proc = None
    try:
        t0 = time.perf_counter()
        table, n_comm, _ = build_accounts(args.accounts)
        store = folder / "world.duckdb"
        with DuckDBStore(store) as st:
            st.write_run(RunRecord("bench-run", "2026-01-01T00:00:00+00:00", {}, {"accounts": args.accounts}),
                         {"accounts": table, "communities": pa.table({"community": pa.array([], pa.int64())})})
        build_s = time.perf_counter() - t0
        paths = make_queries(4000, n_comm)
        peer = peer_compare(table, paths)
        print(f"world: {args.accounts:,} accounts built and stored in {build_s:.1f} s", flush=True)
        print(f"peer (in-process, no HTTP, mean per query over {peer['queries']}): snapshot engine "
              f"{peer['snapshot_ms']:.2f} ms wall / {peer['snapshot_cpu_ms']:.3f} ms CPU (p99 "
              f"{peer['snapshot_cpu_p99_ms']:.3f}, max {peer['snapshot_cpu_max_ms']:.3f}), DuckDB SQL "
              f"{peer['duckdb_sql_ms']:.2f} ms wall / {peer['duckdb_sql_cpu_ms']:.2f} ms CPU "
              f"(x{peer['duckdb_sql_ms'] / peer['snapshot_ms']:.1f} wall, "
              f"x{peer['duckdb_sql_cpu_ms'] / peer['snapshot_cpu_ms']:.1f} CPU); identical pages "
              f"{peer['same_pages']}/{peer['queries']}", flush=True)
        del table

        keys = folder / "keys.txt"
        from nichegraph.api.service.security import hash_key

        keys.write_text(f"bench {hash_key(KEY)} rankings\n")
        port = _free_port()
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "nichegraph.api.cli", "serve", "--store", str(store), "--port", str(port),
                                 "--api-keys", str(keys), "--rate-limit", "1000000", "--rate-burst", "1000000",
                                 "--poll-seconds", "10", "--log-level", "warning",
                                 "--workers", str(args.workers)],
                                cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        import httpx

        ready = 0
        while ready < 4 * args.workers:  # every worker must answer: count consecutive ready answers
            try:
                ok = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
            except httpx.TransportError:
                ok = False
            ready = ready + 1 if ok else 0
            if proc.poll() is not None:
                raise SystemExit("server exited")
            time.sleep(0.02 if ok else 0.25)
        if args.workers > 1:  # a worker still loading accepts no connection: wait until no worker is busy
            last = _cpu_s(proc.pid)
            while True:
                time.sleep(0.5)
                now = _cpu_s(proc.pid)
                if now - last < 0.05:
                    break
                last = now
        ready_s = time.perf_counter() - t0
        print(f"server ready in {ready_s:.1f} s (snapshot load included)", flush=True)
        # second pages: cursors from real first pages
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"X-API-Key": KEY}) as http:
            extra = []
            for p in paths[:600]:
                cur = http.get(p).json().get("next_cursor")
                if cur:
                    extra.append(f"{p}&cursor={cur}")
        paths = [p for pair in zip(paths, extra + paths) for p in pair][: len(paths)]
        rss = _rss_mb(proc.pid)
        results = []
        for conns in [int(c) for c in str(args.connections).split(",")]:
            load("127.0.0.1", port, paths, clients=args.clients, connections=conns, seconds=args.warmup,
                 max_requests=args.max_requests)
            cpu0 = _cpu_s(proc.pid)
            lat, errors, wall, client_cpu = load("127.0.0.1", port, paths, clients=args.clients, connections=conns,
                                                 seconds=args.seconds, max_requests=args.max_requests)
            server_cpu = _cpu_s(proc.pid) - cpu0
            ms = lat * 1000
            res = {"accounts": args.accounts, "workers": args.workers, "clients": args.clients,
                   "connections": conns, "requests": int(len(lat)), "seconds": round(wall, 2),
                   "req_per_s": round(len(lat) / wall, 1), "p50_ms": round(float(np.percentile(ms, 50)), 2),
                   "p90_ms": round(float(np.percentile(ms, 90)), 2),
                   "p99_ms": round(float(np.percentile(ms, 99)), 2), "max_ms": round(float(ms.max()), 2),
                   "non_200": len(errors), "server_cpu_ms_per_req": round(1000 * server_cpu / len(lat), 3),
                   "client_cpu_ms_per_req": round(1000 * client_cpu / len(lat), 3), "server_rss_mb": rss,
                   "ready_s": round(ready_s, 1), "cpus": os.cpu_count(),
                   "load_avg_1_5_15": [round(x, 2) for x in os.getloadavg()]}
            ok = res["req_per_s"] >= 1000 and res["p99_ms"] < 20 and not errors
            res["target_met"] = ok
            print(json.dumps(res))
            print(f"  -> {res['req_per_s']:.0f} req/s, p50 {res['p50_ms']} ms, p99 {res['p99_ms']} ms: target "
                  f"(>= 1000 req/s, p99 < 20 ms, no errors) {'met' if ok else 'NOT met'}", flush=True)
            results.append(res)
        if args.json:
            args.json.write_text(json.dumps({"peer": peer, "runs": results}, indent=1))
        return 0
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(folder, ignore_errors=True)


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and its children (the server's workers)."""
    import psutil

    p = psutil.Process(pid)
    total = 0.0
    for q in [p, *p.children(recursive=True)]:
        try:
            t = q.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def _rss_mb(pid: int) -> float | None:
    try:
        import psutil

        p = psutil.Process(pid)
        return round(sum(q.memory_info().rss for q in [p, *p.children(recursive=True)]) / 2**20, 1)
    except Exception:
        return None


if __name__ == "__main__":
    raise SystemExit(main())
