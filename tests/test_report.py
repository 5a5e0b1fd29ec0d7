"""The HTML report: parsed for its parts, plots decoded, rankings checked, rendered by Chromium.

The store fixture is a small hand-built world (no readers needed); a second
fixture is a result table with every column of ``docs/ARCHITECTURE.md`` filled
with random values, so every plot and ranking is exercised whatever measures
the pipeline computes today.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from PIL import Image
from typer.testing import CliRunner

from nichegraph.api import plots
from nichegraph.api.analysis import AnalysisParams, run_analysis
from nichegraph.api.cli import app
from nichegraph.api.report import EVIDENCE_COLUMNS, RANKINGS, render_report, write_report
from nichegraph.graph_store import SCHEMAS, NoRunError, RunRecord, TableBatch
from nichegraph.graph_store.duckdb_store import DuckDBStore

EVIL = "<script>alert('x')</script>&\"q\""


# -- a tiny HTML model ------------------------------------------------------------
class Doc(HTMLParser):
    """Collects the title, element ids with their text, images and tables."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.tags: list[str] = []
        self.images: list[dict] = []
        self.tables: list[dict] = []  # {"cls", "id_of_parent", "rows": [[cell text]]}
        self.id_text: dict[str, str] = {}
        self._stack: list[tuple[str, dict]] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._div_ids: list[str | None] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        self._stack.append((tag, a))
        if tag == "img":
            self.images.append(a)
            self._stack.pop()
        elif tag == "table":
            parent = next((x.get("id") for t, x in reversed(self._stack[:-1]) if x.get("id")), None)
            self.tables.append({"cls": a.get("class", ""), "parent": parent, "rows": []})
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1]["rows"].append(self._row)
            self._row = None
        while self._stack:
            t, _ = self._stack.pop()
            if t == tag:
                break

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        for t, a in self._stack:
            if a.get("id"):
                self.id_text[a["id"]] = self.id_text.get(a["id"], "") + data
        if self._stack and self._stack[-1][0] == "title":
            self.title += data

    def table(self, cls: str, parent: str | None = None) -> list[list[str]]:
        found = [t for t in self.tables if cls in t["cls"].split() and (parent is None or t["parent"] == parent)]
        assert len(found) == 1, f"expected one table .{cls} in #{parent}, found {len(found)}"
        return found[0]["rows"]


def _png(img: dict) -> Image.Image:
    src = img["src"]
    assert src.startswith("data:image/png;base64,"), src[:40]
    raw = base64.b64decode(src.split(",", 1)[1], validate=True)
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    im = Image.open(io.BytesIO(raw))
    im.load()
    return im


def _num(text: str) -> float:
    return float(text.replace(",", "")) if text else float("nan")


# -- fixtures -------------------------------------------------------------------------
def _world(n: int = 120, m: int = 900, seed: int = 3) -> list[TableBatch]:
    rng = np.random.default_rng(seed)
    ids = [f"acct{i}" for i in range(n)]
    handles = [f"user_{i}" for i in range(n)]
    handles[5] = EVIL
    handles[7] = "Zoë 🦊"
    followers = (rng.pareto(1.1, n) * 2000).astype(np.int64)
    acc = pa.RecordBatch.from_pydict({
        "id": ids, "handle": handles, "platform": ["x"] * n,
        "followers_count": pa.array([None if i % 11 == 0 else int(f) for i, f in enumerate(followers)], pa.int64()),
        "following_count": pa.array(rng.integers(0, 500, n), pa.int64()),
        "affiliation": [None] * n,
    }, schema=SCHEMAS["accounts"])
    s, d = rng.integers(0, n, m), rng.integers(0, n, m)
    fol = pa.RecordBatch.from_pydict({
        "follower": [ids[i] for i in s], "followee": [ids[i] for i in d],
        "since": pa.nulls(m, pa.timestamp("us"))}, schema=SCHEMAS["follows"])
    k = m // 2
    s, d = rng.integers(0, n, k), rng.integers(0, n, k)
    inter = pa.RecordBatch.from_pydict({
        "source": [ids[i] for i in s], "target": [ids[i] for i in d],
        "kind": rng.choice(["mention", "reply", "repost"], k).tolist(),
        "ts": pa.array(rng.integers(1_600_000_000, 1_600_100_000, k) * 1_000_000, pa.timestamp("us")),
        "post_id": pa.nulls(k, pa.string()), "hashtags": pa.nulls(k, pa.list_(pa.string())),
        "weight": pa.array(np.ones(k))}, schema=SCHEMAS["interactions"])
    return [TableBatch("accounts", acc), TableBatch("follows", fol), TableBatch("interactions", inter)]


@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("report") / "world.duckdb"
    with DuckDBStore(path) as st:
        st.load(_world())
        first = run_analysis(st, AnalysisParams(seed=1))
        # the oldest run: the same tables, with parameters as runs stored them before they were nested
        # (per-stage overrides, and any other key, in `extra`); a report of it escapes what it holds
        old = {k: v for k, v in first.run.params.items() if k not in ("communities", "metrics")}
        old.update(resolution=1.0, parallel=False, extra={"note": EVIL, "metrics": {"min_evidence": 3}})
        tables = st.read_run(first.run.run_id)[1]
        st.write_run(RunRecord("20200101T000000000000Z-0ld1ay0t", "2020-01-01T00:00:00+00:00", old,
                               first.run.counts), tables)
        run_analysis(st, AnalysisParams(seed=2))
    return path


def _full_tables(n: int = 400, seed: int = 0) -> tuple[RunRecord, dict[str, pa.Table]]:
    """Every architecture column, random but plausible values."""
    rng = np.random.default_rng(seed)
    followers = np.floor(10 ** rng.uniform(1, 7, n)).astype(np.int64)
    tier = np.select([followers < 10_000, followers < 100_000, followers < 1_000_000],
                     ["nano", "micro", "macro"], "mega").astype(object)
    community = rng.integers(0, 12, n)
    cols = {
        "idx": np.arange(n, dtype=np.int32), "id": [f"a{i}" for i in range(n)],
        "handle": [f"h{i}" for i in range(n)], "platform": ["x"] * n, "affiliation": [None] * n,
        "followers_count": followers, "followers_observed": rng.integers(0, 300, n),
        "tier": tier.tolist(), "tier_estimated": rng.random(n) < 0.1,
        "community": community, "niche": community * 10 + rng.integers(0, 3, n),
        "in_degree": rng.integers(0, 300, n), "out_degree": rng.integers(0, 300, n),
        "reciprocity": rng.random(n), "pagerank": rng.dirichlet(np.ones(n)), "coreness": rng.integers(0, 9, n) * 1.0,
    }
    for c in ("niche_pagerank", "niche_percentile", "within_module_z", "participation", "niche_share",
              "social_ratio", "follow_back_ratio", "asymmetry", "social_ratio_shrunk", "social_ratio_sd",
              "follow_back_ratio_shrunk", "follow_back_ratio_sd", "niche_share_shrunk", "evidence_weight",
              "score_hidden"):
        cols[c] = rng.random(n)
    for c in ("inbound_accounts", "inbound_events", "reciprocated_events", "niche_engaged"):
        cols[c] = rng.integers(0, 50, n)
    cols["community_size"] = np.bincount(community)[community]
    cols["niche_size"] = np.bincount(cols["niche"])[cols["niche"]]
    cols["score_hidden"][rng.random(n) < 0.05] = np.nan
    accounts = pa.table(cols)
    sizes = np.bincount(community)
    communities = pa.table({
        "community": np.arange(sizes.size, dtype=np.int64), "level": ["broad"] * sizes.size,
        "parent": pa.nulls(sizes.size, pa.int64()), "size": sizes.astype(np.int64),
        "internal_edges": sizes * 3, "density": rng.random(sizes.size),
        "top_members": [[f"a{i}", EVIL] for i in range(sizes.size)],
        "top_hashtags": [["#x"]] * sizes.size,
    })
    run = RunRecord("20260101T000000Z-full", "2026-01-01T00:00:00+00:00",
                    {"seed": 7, "resolution": 1.0, "extra": {"modularity": 0.41}},
                    {"accounts": n, "follows": 1234, "interactions": 5678})
    return run, {"accounts": accounts, "communities": communities}


# -- report from a real run, through the CLI ------------------------------------------
def test_cli_report_newest_run(store_path, tmp_path):
    out = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", "--store", str(store_path), "--out", str(out), "--top", "15"])
    assert result.exit_code == 0, result.output
    with DuckDBStore(store_path, read_only=True) as st:
        newest = st.list_runs()[0]
        counts = st.counts()
        _, tables = st.read_run(newest.run_id)
    text = out.read_text(encoding="utf-8")
    doc = Doc(text)
    # the pipeline computes every measure the report shows: no section is missing
    assert "Not in this run" not in text
    assert len(doc.images) == 4
    assert newest.run_id in doc.title
    assert doc.id_text["run-id"] == newest.run_id
    data = dict((k, v) for k, v in doc.table("counts"))
    for key in ("accounts", "follows", "interactions"):
        assert _num(data[key]) == counts[key]
    params = dict((k, v) for k, v in doc.table("params"))
    assert params["seed"] == "2"
    assert doc.images, "no plot"
    for img in doc.images:
        im = _png(img)
        assert im.width > 100 and im.height > 100
    # the in-degree ranking: top 15 of the run's own table, in order, ties by row
    rows = doc.table("ranking-table", "ranking-in_degree")
    header, body = rows[0], rows[1:]
    assert header[:2] == ["rank", "id"]
    acc = tables["accounts"]
    deg = np.asarray(acc.column("in_degree"))
    expect = sorted(range(acc.num_rows), key=lambda i: (-deg[i], i))[:15]
    assert [r[header.index("id")] for r in body] == [acc.column("id")[i].as_py() for i in expect]
    assert [r[0] for r in body] == [str(i) for i in range(1, 16)]
    assert [_num(r[header.index("in_degree")]) for r in body] == [float(deg[i]) for i in expect]


def test_report_for_a_given_run_and_unknown_run(store_path, tmp_path):
    with DuckDBStore(store_path, read_only=True) as st:
        oldest = st.list_runs()[-1]
        out = write_report(st, tmp_path / "old.html", run_id=oldest.run_id)
        doc = Doc(out.read_text(encoding="utf-8"))
        assert doc.id_text["run-id"] == oldest.run_id
        assert dict(doc.table("params"))["seed"] == "1"
        with pytest.raises(NoRunError, match="nope"):
            write_report(st, tmp_path / "x.html", run_id="nope")
    assert not (tmp_path / "x.html").exists()


def test_cli_unknown_run_is_a_clean_error(store_path, tmp_path):
    exe = Path(sys.executable).with_name("nichegraph")
    proc = subprocess.run([str(exe), "report", "--store", str(store_path), "--run", "no-such-run",
                           "--out", str(tmp_path / "r.html")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "no-such-run" in proc.stderr and "Traceback" not in proc.stderr


def test_data_is_escaped(store_path, tmp_path):
    with DuckDBStore(store_path, read_only=True) as st:
        text = write_report(st, tmp_path / "r.html", run_id=st.list_runs()[-1].run_id,
                            top=1000).read_text(encoding="utf-8")
    assert "<script" not in text.lower()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in text
    doc = Doc(text)
    assert "script" not in doc.tags
    assert dict(doc.table("params"))["extra.note"] == EVIL  # the parser decodes it back to the original
    rows = doc.table("ranking-table", "ranking-in_degree")
    handles = {r[rows[0].index("id")]: r[rows[0].index("handle")] for r in rows[1:]}
    assert handles["acct5"] == EVIL and handles["acct7"] == "Zoë 🦊"


# -- every section, from a table with every column ---------------------------------------
def test_full_report_has_every_plot_and_ranking():
    run, tables = _full_tables()
    text = render_report(run, tables, store_location="<store>", top=10,
                         generated_at=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    doc = Doc(text)
    assert "Not in this run" not in text
    assert len(doc.images) == 4
    sizes = {_png(i).size for i in doc.images}
    assert all(w > 300 and h > 200 for w, h in sizes)
    acc = tables["accounts"]
    tier = np.asarray(acc.column("tier").to_pylist(), dtype=object)
    for ranking in RANKINGS:
        rows = doc.table("ranking-table", f"ranking-{ranking.key}")
        header, body = rows[0], rows[1:]
        assert len(body) == 10
        score = acc.column(ranking.score).to_numpy(zero_copy_only=False).astype(float)
        ok = np.isfinite(score)
        if ranking.tiers:
            ok &= np.isin(tier, ranking.tiers)
            assert {r[header.index("tier")] for r in body} <= set(ranking.tiers)
        expect = sorted(np.flatnonzero(ok).tolist(), key=lambda i: (-score[i], i))[:10]
        assert [r[header.index("id")] for r in body] == [f"a{i}" for i in expect], ranking.key
        for comp in ranking.components:
            assert comp in header
    comm = doc.table("communities-table")
    size_col = comm[0].index("size")
    expect_sizes = sorted(tables["communities"].column("size").to_pylist(), reverse=True)[:10]
    assert [_num(r[size_col]) for r in comm[1:]] == expect_sizes
    counts = dict(doc.table("counts"))
    assert _num(counts["broad communities"]) == tables["communities"].num_rows
    assert sum(_num(counts[f"{t} accounts"]) for t in plots.TIER_ORDER) == acc.num_rows
    assert dict(doc.table("params"))["extra.modularity"] == "0.41"
    # the by-tier table: counts and means against numpy
    tier_rows = doc.table("tier-table")
    head = tier_rows[0]
    assert [r[0] for r in tier_rows[1:]] == [t for t in plots.TIER_ORDER if (tier == t).any()]
    social = acc.column("social_ratio").to_numpy()
    for r in tier_rows[1:]:
        sel = tier == r[0]
        assert _num(r[head.index("accounts")]) == sel.sum()
        assert abs(_num(r[head.index("mean social_ratio")]) - social[sel].mean()) < 5e-4 * max(1, social[sel].mean())
        assert abs(_num(r[head.index("median social_ratio")]) - np.median(social[sel])) < 5e-4


def test_hidden_ranking_uses_the_runs_hidden_tiers():
    run, tables = _full_tables()
    run = RunRecord(run.run_id, run.created_at, {"extra": {"metrics": {"hidden_tiers": ["nano"]}}}, run.counts)
    rows = Doc(render_report(run, tables, top=30)).table("ranking-table", "ranking-hidden")
    tiers = {r[rows[0].index("tier")] for r in rows[1:]}
    assert tiers == {"nano"} and len(rows) == 31


def test_report_without_measures_says_what_is_missing():
    run, tables = _full_tables()
    acc = tables["accounts"].select(["idx", "id", "handle", "in_degree", "out_degree", "followers_observed"])
    text = render_report(run, {"accounts": acc})
    doc = Doc(text)
    assert len(doc.images) == 1  # the degree distribution only
    assert text.count('class="missing"') == 3 + 3  # three plots, three rankings
    assert "score_hidden" in text and "ranking-in_degree" in text


# -- plot helpers against naive references ---------------------------------------------------
@pytest.mark.parametrize("seed", range(4))
def test_community_graph_matches_naive(seed):
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(1, 40)), int(rng.integers(0, 200))
    labels = rng.integers(-1, 6, n)
    src, dst, w = rng.integers(0, n, m), rng.integers(0, n, m), rng.random(m)
    sizes, pairs, weights = plots.community_graph(labels, src, dst, w)
    c = labels.max() + 1
    assert sizes.tolist() == [int((labels == k).sum()) for k in range(c)]
    naive: dict[tuple[int, int], float] = {}
    for u, v, x in zip(src.tolist(), dst.tolist(), w.tolist()):
        a, b = int(labels[u]), int(labels[v])
        if a >= 0 and b >= 0 and a != b:
            key = (min(a, b), max(a, b))
            naive[key] = naive.get(key, 0.0) + x
    got = {(int(a), int(b)): float(x) for (a, b), x in zip(pairs, weights)}
    assert got.keys() == naive.keys()
    assert all(abs(got[k] - naive[k]) < 1e-12 for k in naive)


def test_top_rows_and_by_tier():
    t = pa.table({"s": [0.5, None, 0.9, 0.5, float("nan"), 0.1], "tier": ["nano", "mega", "micro", None, "nano", "x"]})
    assert plots.top_rows(t, "s", 3).tolist() == [2, 0, 3]
    assert plots.top_rows(t, "s", 10, descending=False).tolist() == [5, 0, 3, 2]
    groups = plots.by_tier(t, "s")
    assert list(groups) == ["nano", "micro", "x"] or list(groups)[:2] == ["nano", "micro"]
    assert groups["nano"].tolist() == [0.5] and groups["micro"].tolist() == [0.9]
    with pytest.raises(plots.MissingColumns, match="social_ratio"):
        plots.by_tier(t, "social_ratio")


def test_community_map_draws_largest(tmp_path):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 80, 2000)
    src, dst = rng.integers(0, 2000, 8000), rng.integers(0, 2000, 8000)
    groups = np.where(labels % 2 == 0, "D", "R")
    fig = plots.community_map(labels, src, dst, groups=groups, max_communities=30)
    assert "30 of 80" in fig.axes[0].get_title()
    assert _png({"src": "data:image/png;base64," + base64.b64encode(plots.png_bytes(fig)).decode()}).width > 300


# -- headless Chromium render ----------------------------------------------------------------
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def _chromium() -> str:
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("Chromium is not on PATH: the report render test needs it. Install it with "
                "`apt-get update && apt-get install -y --no-install-recommends chromium fonts-dejavu-core` "
                "(.ci/run does this).")


def render_screenshot(html_path: Path, png_path: Path, *, width: int = 1200, height: int = 1600) -> Image.Image:
    """Render ``html_path`` with headless Chromium and return the screenshot."""
    exe = _chromium()
    profile = png_path.parent / "chromium-profile"
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-dev-shm-usage", "--hide-scrollbars", f"--user-data-dir={profile}",
           f"--window-size={width},{height}", f"--screenshot={png_path}", html_path.resolve().as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert png_path.exists(), f"chromium wrote no screenshot (exit {proc.returncode}):\n{proc.stderr[-2000:]}"
    im = Image.open(png_path)
    im.load()
    return im


def test_chromium_renders_the_report(tmp_path):
    run, tables = _full_tables()
    html_path = tmp_path / "report.html"
    html_path.write_text(render_report(run, tables), encoding="utf-8")
    im = render_screenshot(html_path, tmp_path / "shot.png")
    assert im.size == (1200, 1600)
    px = np.asarray(im.convert("L"), dtype=np.float64)
    assert px.std() > 10, f"screenshot looks blank (grey std {px.std():.2f})"
    # the plots really rendered: many distinct colours, and non-white pixels over a good share of the page
    rgb = np.asarray(im.convert("RGB")).reshape(-1, 3)
    assert np.unique(rgb[::7], axis=0).shape[0] > 50
    assert (px < 200).mean() > 0.01
    # a blank page (control) fails the same check
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><html><body></body></html>", encoding="utf-8")
    assert np.asarray(render_screenshot(blank, tmp_path / "blank.png").convert("L"), dtype=float).std() < 1
