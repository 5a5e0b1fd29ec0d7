"""GML and GraphML readers: every GML data set in ../shared/datasets gives networkx's graph, GraphML written
by networkx reads back the same, gzip works, node attributes fill account columns, bad files name their line."""

from __future__ import annotations

import gzip
import shutil

import networkx as nx
import pytest

from nichegraph.graph_store.errors import InputRejected
from nichegraph.graph_store.ingest import FileRejected, detect_format, load_files

from .conftest import DATASETS, dump

GML_FILES = sorted(DATASETS.glob("*/*.gml"))


def _pairs(g: nx.Graph) -> set[tuple[str, str]]:
    """networkx's edges as directed (follower, followee) pairs: both ways for an undirected graph."""
    out = {(str(a), str(b)) for a, b in g.edges()}
    if not g.is_directed():
        out |= {(b, a) for a, b in out}
    return out


def test_the_data_sets_have_gml_files():
    assert len(GML_FILES) >= 4, GML_FILES


@pytest.mark.parametrize("path", GML_FILES, ids=lambda p: p.name)
def test_every_gml_data_set_loads_as_networkx_reads_it(path, store):
    reference = nx.read_gml(path)  # nodes named by label, networkx's default
    assert detect_format(path) == "gml"
    report = load_files(store, follows=path)
    d = dump(store)
    assert set(d["accounts"]) == {str(n) for n in reference.nodes}
    assert {(a, b) for a, b, _ in d["follows"]} == _pairs(reference)
    assert report.files[0].format == "gml"


def test_gzipped_gml_and_interactions_with_weights(tmp_path, store):
    src = DATASETS / "zachary-karate" / "karate_club.gml"
    gz = tmp_path / "karate.gml.gz"
    with open(src, "rb") as fin, gzip.open(gz, "wb") as fout:
        shutil.copyfileobj(fin, fout)
    load_files(store, interactions=gz, kind="mention")
    d = dump(store)
    reference = nx.read_gml(src)
    assert {(a, b) for a, b, *_ in d["interactions"]} == {(str(a), str(b)) for a, b in reference.edges()}
    assert {row[2] for row in d["interactions"]} == {"mention"}


@pytest.mark.parametrize("gzipped", [False, True])
def test_graphml_written_by_networkx_reads_back(tmp_path, store, gzipped):
    g = nx.DiGraph()
    g.add_node("a", handle="@a", followers_count=1200, affiliation="Acme Corp", club="x")
    g.add_node("b", handle="@b", followers_count=7)
    g.add_node("c")
    g.add_edges_from([("a", "b"), ("b", "c"), ("c", "a"), ("a", "c")])
    path = tmp_path / ("g.graphml.gz" if gzipped else "g.graphml")
    nx.write_graphml(g, path)
    assert detect_format(path) == "graphml"
    load_files(store, follows=path)
    d = dump(store)
    assert {(a, b) for a, b, _ in d["follows"]} == set(g.edges())
    assert d["accounts"]["a"]["handle"] == "@a"
    assert d["accounts"]["a"]["followers_count"] == 1200
    assert d["accounts"]["a"]["affiliation"] == "Acme Corp"
    assert d["accounts"]["c"]["followers_count"] is None


def test_undirected_graphml_edge_is_a_mutual_follow(tmp_path, store):
    g = nx.Graph([("x", "y")])
    path = tmp_path / "u.graphml"
    nx.write_graphml(g, path)
    load_files(store, follows=path)
    assert {(a, b) for a, b, _ in dump(store)["follows"]} == {("x", "y"), ("y", "x")}


def test_edge_to_an_unknown_node_is_a_row_issue_with_its_line(tmp_path, store):
    path = tmp_path / "dangling.gml"
    path.write_text('graph [\n  node [ id 1 ]\n  node [ id 2 ]\n  edge [ source 1 target 2 ]\n'
                    '  edge [\n    source 1\n    target 9\n  ]\n]\n')
    with pytest.raises(InputRejected) as err:
        load_files(store, follows=path)
    issue = err.value.issues[0]
    assert (issue.line, issue.field) == (5, "target")
    assert "9" in issue.reason
    report = load_files(store, follows=path, on_error="skip")
    assert report.files[0].rejected == 1
    assert {(a, b) for a, b, _ in dump(store)["follows"]} == {("1", "2"), ("2", "1")}


@pytest.mark.parametrize("name,text", [
    ("bad.gml", 'graph [\n  node [ id 1 ]\n  node [ id 2 ]\n  edge [ source 1 target 2 ]\n  edge [ source 1 ;\n]\n'),
    ("bad.graphml", '<?xml version="1.0"?>\n<graphml>\n<graph edgedefault="directed">\n<node id="a">\n</graph>\n'),
])
def test_a_malformed_graph_file_names_the_line(tmp_path, store, name, text):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(FileRejected) as err:
        load_files(store, follows=path)
    assert f"{path}:5" in str(err.value)
    assert store.counts()["accounts"] == 0  # nothing half-written
