"""The bulk path: DuckDB store -> import files -> the real ``neo4j-admin database import full`` -> the Neo4j store.

The importer is the one in the test server's Maven artifacts (``org.neo4j.cli.AdminTool`` from
``neo4j-command-line`` with ``neo4j-import-tool`` on the class path), run with exactly the flags
:meth:`ImportFiles.command` gives; the test server then serves the imported database (the
launcher's home is a Neo4j home: ``data/databases/neo4j``), and the store's own queries, a
re-load and the CLI run against it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from nichegraph.graph_store.duckdb_store import DuckDBStore
from nichegraph.graph_store.errors import StoreError
from nichegraph.graph_store.neo4j_bulk import write_import_files
from nichegraph.graph_store.schema import SCHEMAS, TableBatch
from nichegraph.graph_store.synth import generate

from .helpers import HOSTILE_IDS, batch, store_edges

ROOT = Path(__file__).resolve().parents[2]
LIB = ROOT / "tests" / "neo4j_server" / "target" / "lib"


def hostile_batches(seed_ids: list[str]):
    """Accounts with hostile ids and fields, follows among them and events with hostile hashtags."""
    ids = [*HOSTILE_IDS, "comma,id", 'quote"in', "cr\rreturn", "unit\x1fsep", "semi;colon"]
    t0 = dt.datetime(2024, 5, 6, 7, 8, 9, 123456)
    accounts = [{"id": i, "handle": ["@h,\"q\"\n", "", None][n % 3], "platform": "x;y" if n % 2 else None,
                 "followers_count": n * 10 if n % 4 else None, "affiliation": "acme\nco" if n % 5 == 0 else None}
                for n, i in enumerate(ids)]
    follows = [{"follower": ids[n], "followee": ids[(n * 5 + 1) % len(ids)],
                "since": t0 + dt.timedelta(days=n) if n % 3 else None} for n in range(len(ids))]
    follows += [{"follower": ids[n], "followee": seed_ids[n]} for n in range(5)]
    tags = [None, [], [""], ["", ""], ["a;b", "c,d", "e\"f"], ["line\nbreak"], ["unit\x1fsep", "x"], [None, "n"],
            ["n"], ["ü", "😀"]]
    inter = []
    for n, i in enumerate(ids):
        inter.append({"source": i, "target": ids[(n * 3 + 2) % len(ids)], "kind": ["mention", "reply", "quote"][n % 3],
                      "ts": t0 + dt.timedelta(seconds=n) if n % 4 else None,
                      "post_id": [None, "p\n1", "", "p,\"2\""][n % 4], "hashtags": tags[n % len(tags)],
                      "weight": [None, 2.5, 1.0][n % 3]})
    # twins (n = 2), a self-loop, and two events equal once null hashtag elements are dropped
    inter += [dict(inter[1]), dict(inter[4]), {"source": ids[0], "target": ids[0], "kind": "mention"},
              {"source": ids[1], "target": ids[2], "kind": "mention", "hashtags": [None, "n"]},
              {"source": ids[1], "target": ids[2], "kind": "mention", "hashtags": ["n"]}]
    return [batch("accounts", accounts), batch("follows", follows), batch("interactions", inter)]


def hostile_posts():
    """Posts with hostile ids and the hashtag lists CSV cannot spell ([""], and [] which stores nothing)."""
    t0 = dt.datetime(2024, 5, 6, 7, 8, 9, 123456)
    return batch("posts", [
        {"post_id": 'x,"1"\n', "author": "comma,id", "hashtags": [""], "kind": "reply", "likes": 3},
        {"post_id": "x2", "author": 'quote"in', "hashtags": [], "ts": t0, "kind": "original", "views": 0},
        {"post_id": "x3", "author": "unit\x1fsep", "hashtags": ["", ""], "kind": "quote", "platform": "x;y"},
        {"post_id": "", "author": "new;author", "hashtags": ["unit\x1fsep", "ü"], "kind": "repost", "ts": t0},
    ])


def world_batches():
    w = generate(n_accounts=400, n_edges=4000, seed=3)
    seed_ids = [str(x) for x in w.account_ids().to_pylist()[:5]]
    return [*w.batches(posts=True), *hostile_batches(seed_ids), hostile_posts()]


def _posts(store) -> list[dict]:
    """A store's posts by post_id (an empty hashtag list and none are the same: neither is stored)."""
    rows = [{**r, "hashtags": r["hashtags"] or None} for r in store.read_posts().to_pylist()]
    return sorted(rows, key=lambda r: r["post_id"])


def run_importer(files, home: Path) -> subprocess.CompletedProcess:
    """The real importer (``neo4j-admin database import full``) into ``home/data/databases/neo4j``."""
    (home / "conf").mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "NEO4J_HOME": str(home), "NEO4J_CONF": str(home / "conf")}
    cmd = ["java", "-Xmx512m", "-cp", f"{LIB}{os.pathsep}{LIB / '*'}", "org.neo4j.cli.AdminTool",
           *files.command()[1:], "--max-off-heap-memory=512m", "--threads=2"]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)


def finish(uri: str, path: Path) -> None:
    """What ``cypher-shell -f finish.cypher`` does: each ``;``-terminated statement in auto-commit."""
    import neo4j

    with neo4j.GraphDatabase.driver(uri, auth=None) as d, d.session() as s:
        for stmt in path.read_text(encoding="utf-8").split(";\n"):
            if stmt.strip():
                s.run(stmt).consume()


def cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "nichegraph.api.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=300, check=False)


def same_edges(a, b) -> None:
    pa_, ea = store_edges(a)
    pb, eb = store_edges(b)
    assert list(a.node_ids) == list(b.node_ids)
    np.testing.assert_array_equal(a.followers_count, b.followers_count)
    assert Counter(pa_) == Counter(pb)
    assert ea == eb


def test_write_files_quotes_and_flags(tmp_path):
    duck = tmp_path / "w.duckdb"
    with DuckDBStore(duck) as st:
        st.load(hostile_batches(["s0", "s1", "s2", "s3", "s4"]))
        counts = st.counts()
    files = write_import_files(duck, tmp_path / "out")
    assert files.counts["accounts"] == counts["accounts"]
    assert files.counts["follows"] == counts["follows"]
    assert files.counts["interactions"] == counts["interactions"]
    # a hashtag holds U+001F, so the delimiter is the next candidate; line breaks need multiline fields
    assert files.array_delimiter == "\x1e"
    args = files.command("graph")
    assert args[:5] == ["neo4j-admin", "database", "import", "full", "graph"]
    assert "--array-delimiter=U+001E" in args and "--multiline-fields=true" in args
    header = (tmp_path / "out" / "interacts.header.csv").read_text()
    assert header.strip().endswith("ng_hashtags_fix:long")
    assert "REMOVE e.ng_hashtags_fix" in files.finish.read_text()
    script = (tmp_path / "out" / "import.sh").read_text()
    assert '"${1:-neo4j}"' in script and "--id-type=integer" in script
    assert not list((tmp_path / "out").glob("*.partial"))


def test_posts_files_only_when_the_store_holds_posts(tmp_path):
    duck = tmp_path / "p.duckdb"
    with DuckDBStore(duck) as st:
        st.load([*hostile_batches(["s0", "s1", "s2", "s3", "s4"]), hostile_posts()])
    files = write_import_files(duck, tmp_path / "out")
    assert files.counts["posts"] == 4
    assert set(files.nodes) == {"Account", "Post"} and set(files.relationships) == {"FOLLOWS", "INTERACTS", "POSTED"}
    header = (tmp_path / "out" / "posts.header.csv").read_text().strip().split(",")
    assert header == [":ID", "post_id", "us:long", "kind", "hashtags:string[]", "likes:long", "replies:long",
                      "reposts:long", "quotes:long", "views:long", "platform", "ng_hashtags_fix:long"]
    rows = (tmp_path / "out" / "posts.csv").read_text(encoding="utf-8")
    n_acc = files.counts["accounts"]
    assert rows.startswith(f'{n_acc},"",') and f'{n_acc + 3},"x3",,"quote","\x1e",' in rows  # ids after the accounts
    assert "ng_post_id" in files.finish.read_text() and "REMOVE p.ng_hashtags_fix" in files.finish.read_text()
    assert "--nodes=Post=" in " ".join(files.command()) and "--relationships=POSTED=" in " ".join(files.command())
    # a store without posts: no post files, and those of an earlier run are removed
    with DuckDBStore(tmp_path / "n.duckdb") as st:
        st.load(hostile_batches(["s0", "s1", "s2", "s3", "s4"]))
    files = write_import_files(tmp_path / "n.duckdb", tmp_path / "out")
    assert files.counts["posts"] == 0 and not list((tmp_path / "out").glob("post*"))
    assert "Post" not in files.finish.read_text()


def test_write_files_rejects_what_it_cannot_write(tmp_path):
    with pytest.raises(StoreError, match="no such DuckDB store"):
        write_import_files(tmp_path / "missing.duckdb", tmp_path / "out")
    with DuckDBStore(tmp_path / "far.duckdb") as st:
        st.load([batch("follows", [{"follower": "a", "followee": "b", "since": dt.datetime(1, 1, 1)}])])
    write_import_files(tmp_path / "far.duckdb", tmp_path / "out")  # year 0001 is still fine
    assert "0001-01-01T00:00:00.000000Z" in (tmp_path / "out" / "follows.csv").read_text()
    year_10000 = pa.array([253402300800 * 10**6], pa.timestamp("us"))
    rows = pa.RecordBatch.from_arrays([pa.array(["a"]), pa.array(["b"]), pa.array(["reply"]), year_10000,
                                       pa.nulls(1, pa.string()), pa.nulls(1, pa.list_(pa.string())),
                                       pa.nulls(1, pa.float64())], schema=SCHEMAS["interactions"])
    with DuckDBStore(tmp_path / "far.duckdb") as st:
        st.load([TableBatch("interactions", rows)])
    with pytest.raises(StoreError, match=r"interactions\.ts holds 10000-01-01.*0001-9999"):
        write_import_files(tmp_path / "far.duckdb", tmp_path / "out")

@pytest.mark.neo4j
def test_real_importer_then_the_store(tmp_path):
    neo4j_launcher = sys.modules["nichegraph_neo4j_test_server"]  # registered by tests/conftest.py
    if not neo4j_launcher.is_built():
        neo4j_launcher.build()
    from nichegraph.graph_store.neo4j_store import Neo4jStore

    duck = tmp_path / "world.duckdb"
    batches = world_batches()
    with DuckDBStore(duck) as st:
        st.load(batches)
    files = write_import_files(duck, tmp_path / "import")
    home = tmp_path / "neo4j-home"
    r = run_importer(files, home)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert (home / "data" / "databases" / "neo4j").is_dir()

    srv = neo4j_launcher.Neo4jServer(home=home, heap="512m")
    srv.start()
    try:
        finish(srv.uri, files.finish)
        with DuckDBStore(duck, read_only=True) as ref, Neo4jStore.connect(srv.uri) as neo:
            assert neo.counts() == ref.counts() and neo.counts()["posts"] > 400
            same_edges(neo.read_edges(), ref.read_edges())
            assert neo.read_accounts().to_pylist() == ref.read_accounts().to_pylist()
            # posts: the same rows and hashtag uses; the lists CSV cannot spell are back, no fix property left
            assert _posts(neo) == _posts(ref)
            assert neo.read_hashtag_uses().to_pylist() == ref.read_hashtag_uses().to_pylist()
            with neo.driver.session() as s:
                assert s.run("MATCH (p:Post) WHERE p.ng_hashtags_fix IS NOT NULL RETURN count(p) AS n").single()["n"] == 0
                assert s.run("MATCH (p:Post) WHERE NOT (p)<-[:POSTED]-(:Account) RETURN count(p) AS n").single()["n"] == 0
                assert s.run("MATCH (:Account)-[r:POSTED]->(:Post) RETURN count(r) AS n").single()["n"] == neo.counts()[
                    "posts"]
            s1, t1 = neo.read_hashtags()
            s2, t2 = ref.read_hashtags()
            # Neo4j lists hold no nulls (the Neo4j loader drops null hashtags as well)
            assert Counter(zip(s1.tolist(), t1.tolist(), strict=False)) == Counter(
                (s, t) for s, t in zip(s2.tolist(), t2.tolist(), strict=False) if t is not None)
            targets = [*HOSTILE_IDS[:12], "comma,id", "unit\x1fsep"]
            assert neo.interactions_to(targets).equals(ref.interactions_to(targets))
            # no temporary property is left, and the lists CSV cannot spell are back
            with neo.driver.session() as s:
                assert s.run("MATCH ()-[e:INTERACTS]->() WHERE e.ng_hashtags_fix IS NOT NULL "
                             "RETURN count(e) AS n").single()["n"] == 0
                lists = {tuple(r["h"]) for r in s.run("MATCH ()-[e:INTERACTS]->() WHERE e.hashtags IS NOT NULL "
                                                      "RETURN DISTINCT e.hashtags AS h")}
            assert {(), ("",), ("", ""), ("unit\x1fsep", "x"), ("line\nbreak",)} <= lists

            # re-loading what was imported changes nothing (the import wrote the store's exact model)
            before = neo.counts()
            again = neo.load(batches)
            assert (again.accounts.inserted, again.follows.inserted, again.interactions.inserted) == (0, 0, 0)
            assert again.accounts.updated == 0
            assert (again.posts.inserted, again.posts.updated) == (0, 0)
            assert neo.counts() == before

            # new rows: new accounts take the next idx values, in id order, as in the DuckDB store
            extra = [batch("accounts", [{"id": "zz-new-2", "handle": "@n2"}, {"id": "zz-new-1"}]),
                     batch("follows", [{"follower": "zz-new-1", "followee": HOSTILE_IDS[0]},
                                       {"follower": "zz-new-3", "followee": "zz-new-2"}]),
                     batch("interactions", [{"source": "zz-new-3", "target": "comma,id", "kind": "reply",
                                             "hashtags": ["new"]}])]
            neo.load(extra)
        with DuckDBStore(duck) as ref:
            ref.load(extra)
        with DuckDBStore(duck, read_only=True) as ref, Neo4jStore.connect(srv.uri) as neo:
            assert neo.counts() == ref.counts()
            same_edges(neo.read_edges(), ref.read_edges())

        # the CLI on the imported database: info, analyze, rank
        info = cli("info", "--store", srv.uri, "--json")
        assert info.returncode == 0, info.stderr
        got = json.loads(info.stdout)
        assert (got["accounts"], got["follows"], got["interactions"]) == (before["accounts"] + 3, before["follows"] + 2,
                                                                          before["interactions"] + 1)
        r = cli("analyze", "--store", srv.uri)
        assert r.returncode == 0, r.stderr[-3000:]
        r = cli("rank", "--store", srv.uri, "--by", "pagerank", "--limit", "5", "--format", "json")
        assert r.returncode == 0, r.stderr[-3000:]
        assert len(json.loads(r.stdout)["rows"]) == 5
    finally:
        srv.stop()


def test_cli_writes_files_and_prints_the_recipe(tmp_path):
    duck = tmp_path / "s.duckdb"
    with DuckDBStore(duck) as st:
        st.load(hostile_batches(["s0", "s1", "s2", "s3", "s4"]))
    r = cli("export", "--format", "neo4j-admin", "--store", str(duck), "--out", str(tmp_path / "imp"),
            "--database", "social")
    assert r.returncode == 0, r.stderr
    assert "neo4j-admin database import full social --overwrite-destination=true" in r.stdout
    assert "cypher-shell -d social -f" in r.stdout
    assert sorted(p.name for p in (tmp_path / "imp").iterdir()) == [
        "accounts.csv", "accounts.header.csv", "finish.cypher", "follows.csv", "follows.header.csv", "import.sh",
        "interacts.csv", "interacts.header.csv"]
    bad = cli("export", "--format", "neo4j-admin", "--store", "bolt://127.0.0.1:1", "--out", str(tmp_path / "x"))
    assert bad.returncode == 2 and "give the DuckDB store" in bad.stderr
    assert not (tmp_path / "x").exists()
    # the graph, not a run: --run and --edges mean nothing here and are refused
    bad = cli("export", "--format", "neo4j-admin", "--store", str(duck), "--out", str(tmp_path / "x"), "--edges")
    assert bad.returncode == 2 and "no --run or --edges" in bad.stderr
    assert not (tmp_path / "x").exists()
