"""Ground truth straight from a GML/GraphML file: node attributes (``value`` in polbooks and football, ``club``
in the karate club) label the accounts ``nichegraph load`` made of that file's nodes, for ``nichegraph evaluate``.
Checked against networkx's own GML reader and against the same labels written as a CSV file."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import networkx as nx
import pytest
from typer.testing import CliRunner

from nichegraph.api.cli import app
from nichegraph.graph_store.labels import LabelsRejected, read_labels

DATASETS = Path(os.environ.get("NICHEGRAPH_DATASETS", Path(__file__).resolve().parents[3] / "shared" / "datasets"))
GML = {
    "polbooks": (DATASETS / "newman-polbooks" / "polbooks.gml", "value"),
    "football": (DATASETS / "newman-football" / "football.gml", "value"),
    "karate": (DATASETS / "zachary-karate" / "karate_club.gml", "club"),
}
runner = CliRunner()


def _networkx_labels(path: Path, attribute: str) -> dict[str, str]:
    g = nx.read_gml(path, label="label")  # nodes named by their labels, as nichegraph load names accounts
    return {str(node): str(data[attribute]) for node, data in g.nodes(data=True) if attribute in data}


@pytest.mark.parametrize("name", sorted(GML))
def test_gml_node_attribute_labels_match_networkx(name):
    path, attribute = GML[name]
    table = read_labels(path, label_column=attribute)
    ours = dict(zip(table.column("id").to_pylist(), table.column("label").to_pylist(), strict=True))
    assert ours == _networkx_labels(path, attribute)
    assert len(set(ours.values())) == {"polbooks": 3, "football": 12, "karate": 2}[name]


def test_graphml_node_attribute_labels(tmp_path):
    path, attribute = GML["karate"]
    g = nx.read_gml(path, label="label")
    out = tmp_path / "karate.graphml"
    nx.write_graphml(g, out)
    table = read_labels(out, label_column=attribute)
    assert dict(zip(table.column("id").to_pylist(), table.column("label").to_pylist(), strict=True)) == (
        _networkx_labels(path, attribute)
    )


def test_a_missing_attribute_names_the_ones_there_are(tmp_path):
    with pytest.raises(
        LabelsRejected, match=r"karate_club.gml: field 'party': no node has this attribute; the nodes have club"
    ):
        read_labels(GML["karate"][0], label_column="party")
    bad = tmp_path / "bad.gml"
    bad.write_text('graph [\n  node [ id 0 club "x" ]\n  node [ id 0 club "y" ]\n]\n')
    with pytest.raises(LabelsRejected, match=r"bad.gml:3: field 'id': account '0' labelled 'y' here but 'x' on line 2"):
        read_labels(bad, label_column="club")
    some = tmp_path / "some.gml"
    some.write_text('graph [\n  node [ id 0 club "x" ]\n  node [ id 1 ]\n]\n')
    table = read_labels(some, label_column="club")  # a node without the attribute is unlabelled
    assert table.to_pylist() == [{"id": "0", "label": "x"}]


def test_evaluate_takes_the_loaded_gml_file_as_labels(tmp_path):
    path, attribute = GML["polbooks"]
    store = str(tmp_path / "s.duckdb")
    assert runner.invoke(app, ["load", "--store", store, "--follows", str(path)]).exit_code == 0
    res = runner.invoke(app, ["analyze", "--store", store, "--seed", "0"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(
        app, ["evaluate", "--store", store, "--labels", str(path), "--label-column", attribute, "--json"]
    )
    assert res.exit_code == 0, res.output
    from_gml = json.loads(res.output)
    assert from_gml["n_labelled"] == 105 and from_gml["coverage"] == 1.0 and from_gml["n_classes"] == 3
    as_csv = tmp_path / "labels.csv"
    with open(as_csv, "w", newline="") as f:
        csv.writer(f).writerows([("id", "label"), *_networkx_labels(path, attribute).items()])
    res = runner.invoke(app, ["evaluate", "--store", store, "--labels", str(as_csv), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output) == from_gml
    assert from_gml["levels"]["broad"]["nmi"] > 0.3  # the political leaning shows in the co-purchase communities
