"""`nichegraph load` end to end: through Typer's CliRunner and one real subprocess."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from nichegraph.api.cli import app

from .conftest import DATASETS

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]


def _info(store) -> dict:
    r = runner.invoke(app, ["info", "--store", str(store), "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_load_senators_with_shipped_mapping(tmp_path):
    store = tmp_path / "s.duckdb"
    path = DATASETS / "qmss-us-senators-twitter-2018" / "senators_follow.csv"
    r = runner.invoke(app, ["load", "--store", str(store), "--follows", str(path), "--columns", "senators-follow",
                            "--quiet"])
    assert r.exit_code == 0, r.output
    assert "senators_follow.csv" in r.stdout and "5,697" in r.stdout and "4,303" in r.stdout
    info = _info(store)
    assert (info["accounts"], info["follows"], info["interactions"]) == (100, 5_697, 0)


def test_refused_file_exits_2_with_precise_message_and_store_unchanged(tmp_path, fx):
    store = tmp_path / "s.duckdb"
    assert runner.invoke(app, ["load", "--store", str(store), "--follows", str(fx / "follows.tsv"), "-q"]).exit_code == 0
    before = _info(store)
    r = runner.invoke(app, ["load", "--store", str(store), "--interactions", str(fx / "bad_interactions.csv"), "-q"])
    assert r.exit_code == 2
    assert f"{fx / 'bad_interactions.csv'}:6: field 'kind': unknown interaction kind 'poke'" in r.stderr
    assert "refused: 7 bad rows; the store was not changed" in r.stderr
    assert _info(store) == before


def test_skip_mode_writes_rejects_and_summarises(tmp_path, fx):
    store, rejects = tmp_path / "s.duckdb", tmp_path / "rej.csv"
    r = runner.invoke(app, ["load", "--store", str(store), "--interactions", str(fx / "bad_interactions.csv"),
                            "--on-error", "skip", "--rejects", str(rejects), "-q"])
    assert r.exit_code == 0, r.output
    assert "rejected rows: 7" in r.stdout
    with open(rejects, newline="") as fh:
        assert len(list(csv.DictReader(fh))) == 7
    assert _info(store)["interactions"] == 2


def test_column_flags_and_kind(tmp_path):
    p = tmp_path / "i.csv"
    p.write_text("from,to\na,b\nb,a\n")
    store = tmp_path / "s.duckdb"
    r = runner.invoke(app, ["load", "--store", str(store), "--interactions", str(p), "--column", "source=from",
                            "--column", "target=to", "--kind", "reply", "-q"])
    assert r.exit_code == 0, r.output
    assert _info(store)["interactions"] == 2


def test_bad_options_exit_2(tmp_path, fx):
    store = str(tmp_path / "s.duckdb")
    cases = [
        (["--follows", str(fx / "follows.tsv"), "--format", "xml"], "--format 'xml'"),
        (["--follows", str(fx / "follows.tsv"), "--on-error", "ignore"], "--on-error 'ignore'"),
        ([], "nothing to load"),
        (["--follows", str(tmp_path / "missing.csv")], "does not exist"),
        (["--follows", str(fx / "follows.tsv"), "--column", "bogus=x"], "unknown field 'bogus'"),
        (["--interactions", str(fx / "edges.txt")], "needs their kind"),
    ]
    for args, msg in cases:
        r = runner.invoke(app, ["load", "--store", store, *args, "-q"])
        assert r.exit_code == 2, (args, r.output)
        assert msg in r.stderr, (args, r.stderr)


def test_subprocess_higgs_sample_with_progress(tmp_path, fx):
    store = tmp_path / "s.duckdb"
    cmd = [sys.executable, "-m", "nichegraph.api.cli", "load", "--store", str(store), "--interactions", str(fx / "higgs_small.txt")]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "higgs" in out.stdout and "duplicates" in out.stdout
    info = subprocess.run([sys.executable, "-m", "nichegraph.api.cli", "info", "--store", str(store), "--json"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert json.loads(info.stdout)["interactions"] == 5
