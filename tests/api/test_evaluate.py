"""`nichegraph evaluate` and `api.evaluate` on every labelled data set, through a real DuckDB store and `analyze`.

Each data set is loaded as tests/engine/labelled.py describes, analysed with the defaults, and scored;
every number is checked against scikit-learn and igraph (1e-9) on the stored communities.  The last
test holds the defaults to igraph's Leiden (see its docstring for the tolerance).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import igraph as ig
import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from typer.testing import CliRunner

from nichegraph.api.analysis import AnalysisParams, run_analysis
from nichegraph.api.cli import app
from nichegraph.api.evaluate import EvaluationError, evaluate_labels, evaluate_run
from nichegraph.api.stages.communities import CommunityParams, detect_communities
from nichegraph.engine import AffinityWeights, nmi
from nichegraph.graph_store import open_store
from nichegraph.graph_store.ingest import load_files
from nichegraph.graph_store.labels import LabelsRejected, read_labels

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))
from labelled import LABELLED, labelled  # noqa: E402

TOL = 1e-9
runner = CliRunner()


def _analyse(name: str, folder: Path):
    """(Labelled, store path, accounts table of the run) for one data set."""
    data = labelled(name, folder)
    path = str(folder / "s.duckdb")
    with open_store(path) as st:
        load_files(st, **data.load)
        result = run_analysis(st, AnalysisParams(seed=0))
    return data, path, result.accounts


@pytest.fixture(scope="module", params=LABELLED)
def analysed(request, tmp_path_factory):
    return _analyse(request.param, tmp_path_factory.mktemp(request.param))


@pytest.fixture(scope="module")
def karate(tmp_path_factory):
    return _analyse("karate", tmp_path_factory.mktemp("karate-small"))


def _affinity_igraph(data, edges):
    """The affinity graph built independently: mutual pairs 1.0, one-way 0.5, interactions ln(1 + 0.5 w)."""
    n = edges.n_nodes
    w = AffinityWeights()
    pairs: dict = {}
    arcs = set(zip(edges.follow_src.tolist(), edges.follow_dst.tolist()))
    for u, v in arcs:
        if u != v:
            pairs[(min(u, v), max(u, v))] = w.mutual_follow if (v, u) in arcs else w.one_way_follow
    inter: dict = {}
    for u, v, x in zip(edges.interaction_src.tolist(), edges.interaction_dst.tolist(), edges.interaction_weight.tolist()):
        if u != v:
            inter[(min(u, v), max(u, v))] = inter.get((min(u, v), max(u, v)), 0.0) + 0.5 * x  # kind: mention
    for k, x in inter.items():
        pairs[k] = pairs.get(k, 0.0) + np.log1p(x)
    g = ig.Graph(n=n, edges=list(pairs))
    g.es["weight"] = list(pairs.values())
    return g


def test_scores_match_sklearn_and_igraph(analysed):
    data, path, accounts = analysed
    with open_store(path, read_only=True) as st:
        ev = evaluate_labels(st, data.labels, id_column=data.id_column, label_column=data.label_column)
        edges = st.read_edges()
    assert ev.n_labelled == data.n_nodes and ev.n_covered == data.n_nodes and ev.coverage == 1.0
    assert ev.n_classes == np.unique(data.truth).size
    truth_of = dict(zip(map(str, range(data.n_nodes)), data.truth.tolist()))
    ids = accounts.column("id").to_pylist()
    truth = [truth_of[i] for i in ids]
    truth_codes = np.unique(truth, return_inverse=True)[1].reshape(-1).tolist()
    for level, column in (("broad", "community"), ("niche", "niche")):
        found = accounts.column(column).to_numpy()
        s = ev.level(level)
        assert s.nmi == pytest.approx(normalized_mutual_info_score(truth, found), abs=TOL)
        assert s.ari == pytest.approx(adjusted_rand_score(truth, found), abs=TOL)
        codes = np.unique(found, return_inverse=True)[1].reshape(-1).tolist()
        assert s.nmi == pytest.approx(ig.compare_communities(codes, truth_codes, method="nmi"), abs=TOL)
        assert s.ari == pytest.approx(ig.compare_communities(codes, truth_codes, method="adjusted_rand"), abs=TOL)
        assert s.n_communities == len(set(found.tolist()))
    G = _affinity_igraph(data, edges)
    by_index = [truth_of[i] for i in edges.node_ids.tolist()]
    codes = np.unique(by_index, return_inverse=True)[1].reshape(-1).tolist()
    assert ev.label_modularity == pytest.approx(G.modularity(codes, weights="weight"), abs=TOL)
    broad = dict(zip(ids, accounts.column("community").to_pylist()))
    assert ev.level("broad").modularity == pytest.approx(
        G.modularity([broad[i] for i in edges.node_ids.tolist()], weights="weight"), abs=TOL)
    if len(set(G.es["weight"])) == 1:  # igraph's nominal assortativity has no weights
        assert ev.label_assortativity == pytest.approx(G.assortativity_nominal(codes, directed=False), abs=TOL)


def test_cli_json_equals_python(analysed):
    data, path, _ = analysed
    res = runner.invoke(app, ["evaluate", "--store", path, "--labels", str(data.labels), "--id-column",
                              data.id_column, "--label-column", data.label_column, "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    with open_store(path, read_only=True) as st:
        ev = evaluate_labels(st, data.labels, id_column=data.id_column, label_column=data.label_column)
    assert out == json.loads(json.dumps(ev.as_dict()))
    assert set(out["levels"]) == {"broad", "niche"}
    table = runner.invoke(app, ["evaluate", "--store", path, "--labels", str(data.labels), "--id-column",
                                data.id_column, "--label-column", data.label_column])
    assert table.exit_code == 0 and "NMI" in table.output and "assortativity" in table.output


def test_partial_coverage_scores_only_covered_accounts(tmp_path, karate):
    data, path, accounts = karate
    labels = tmp_path / "some.tsv"
    keep = list(range(0, data.n_nodes, 2))
    labels.write_text("label\tid\n" + "".join(f"{data.truth[i]}\t{i}\n" for i in keep)
                      + "x\tnobody\ny\tnobody-else\n")
    with open_store(path, read_only=True) as st:
        ev = evaluate_labels(st, labels)
    assert ev.n_labelled == len(keep) + 2 and ev.n_covered == len(keep)
    assert ev.coverage == pytest.approx(len(keep) / (len(keep) + 2))
    found = dict(zip(accounts.column("id").to_pylist(), accounts.column("community").to_pylist()))
    assert ev.level("broad").nmi == pytest.approx(
        normalized_mutual_info_score([data.truth[i] for i in keep], [found[str(i)] for i in keep]), abs=TOL)
    with open_store(path, read_only=True) as st, pytest.raises(EvaluationError, match="none of the 2 labelled"):
        evaluate_run(st, read_labels(labels).slice(len(keep)))


def test_bad_labels_file_names_file_line_field(tmp_path, karate):
    data, path, _ = karate
    bad = tmp_path / "bad.csv"
    bad.write_text("id,label\n1,a\n,b\n2,\n3,a,extra\n1,c\n")
    with pytest.raises(LabelsRejected) as info:
        read_labels(bad)
    assert [(i.line, i.field) for i in info.value.issues] == [(3, "id"), (4, "label"), (5, None), (6, "id")]
    with pytest.raises(LabelsRejected, match=r"bad.csv:1: field 'party': no such column"):
        read_labels(bad, label_column="party")
    # the real command line: one clear message, exit code 2, no traceback
    proc = subprocess.run([sys.executable, "-m", "nichegraph.api.cli", "evaluate", "--store", path, "--labels",
                           str(bad)], capture_output=True, text=True, env={**os.environ, "COLUMNS": "1000"})
    assert proc.returncode == 2
    assert f"{bad}:6: field 'id': account '1' labelled 'c' here but 'a' on line 2" in proc.stderr
    assert "Traceback" not in proc.stderr


SEEDS = range(20)
NOISE = 0.02


def test_default_broad_level_at_least_igraph_leiden(analysed):
    """Mean NMI over seeds 0-19 of the default broad level >= igraph Leiden's over the same seeds - 0.02.

    The tolerance is the seed noise: on graphs where both run on the identical graph (karate, football,
    polbooks) the two Leidens differ only by their random choices, and the standard error of the
    difference of two 20-seed means is about 0.007 NMI (benchmarks/defaults_study.py prints it); 0.02
    is under three of them.  The measured margins are in docs/communities.md.
    """
    data, path, _ = analysed
    with open_store(path, read_only=True) as st:
        edges = st.read_edges()
    truth_of = dict(zip(map(str, range(data.n_nodes)), data.truth.tolist()))
    truth = [truth_of[i] for i in edges.node_ids.tolist()]
    defaults = CommunityParams()  # what analyze uses
    ours = np.mean([nmi(detect_communities(edges, params=CommunityParams(find_niches=False), seed=s).community, truth)
                    for s in SEEDS])
    assert defaults.resolution == 1.0 and AffinityWeights().one_way_follow == 0.5
    G = data.igraph()
    theirs = []
    for s in SEEDS:
        random.seed(s)
        theirs.append(nmi(G.community_leiden(objective_function="modularity", weights="weight",
                                             n_iterations=2).membership, data.truth))
    assert ours >= np.mean(theirs) - NOISE, (data.name, ours, np.mean(theirs))


def test_profile_command_finds_the_macro_split(karate):
    data, path, _ = karate
    res = runner.invoke(app, ["profile", "--store", path, "--max", "2", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    steps = out["steps"]
    assert steps[0]["resolution_lo"] == 0.01 and steps[-1]["resolution_hi"] == 2.0
    assert all(a["resolution_hi"] == pytest.approx(b["resolution_lo"]) for a, b in zip(steps, steps[1:]))
    assert out["macro"]["communities"] == 2 and 0.2 < out["macro"]["resolution"] < 0.7
    table = runner.invoke(app, ["profile", "--store", path, "--max", "2"])
    assert table.exit_code == 0 and "macro split: 2 communities" in table.output
    bad = runner.invoke(app, ["profile", "--store", path, "--objective", "surprise"])
    assert bad.exit_code == 2
