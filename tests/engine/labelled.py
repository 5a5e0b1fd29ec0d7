"""The labelled data sets of ``../shared/datasets`` as files a user would load, and the same graphs for igraph.

How each one is loaded (the way ``nichegraph load`` and ``analyze`` see it):

* ``karate``, ``football``, ``polbooks`` (undirected GML): every edge ``{u, v}`` becomes two follows,
  ``u -> v`` and ``v -> u``: an undirected tie is a mutual follow, so every affinity edge has the
  mutual weight (1.0), the same graph as the GML.  Labels: ``club`` / ``value``.
* ``email-Eu-core`` (directed, ``u`` e-mailed ``v``): ``--follows email-Eu-core.txt`` (detected as a SNAP edge
  list), the SNAP edge-list path the README shows; 71% of pairs are reciprocated, so the one-way follow weight matters.
  Labels: the department of each person.
* ``congress-twitter`` (directed, weighted by the probability that one member retweets, quotes, replies to
  or mentions another): ``--interactions congress.edgelist --kind mention`` with the weights.
  Labels: ``congress_party_labels.tsv`` (party D/R; a third-party annotation, see its SOURCE.md).

:func:`variants` adds the other reading of each directed set (e-mails as interactions, congress as
follows) for the defaults study.  Every account is listed in an accounts file, so isolated ones stay.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from zoo import DATASETS, dataset

LABELLED = ("karate", "football", "polbooks", "email-Eu-core", "congress-twitter")
CONGRESS = DATASETS / "snap-congress-twitter"
EMAIL = DATASETS / "snap-email-eu-core"


@dataclass(frozen=True)
class Labelled:
    """One labelled data set, as files for ``load_files`` and as the undirected graph igraph sees.

    load : keyword arguments of ``graph_store.ingest.load_files`` (paths as str)
    labels : path of the labels file; id_column, label_column name its columns
    truth : ndarray of str, shape (n,), the label of account ``str(i)``
    src, dst, weight : the undirected graph (each pair once, weights summed over both directions)
    """

    name: str
    load: dict
    labels: Path
    id_column: str
    label_column: str
    n_nodes: int
    truth: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    weight: np.ndarray

    def igraph(self):
        import igraph as ig
        g = ig.Graph(n=self.n_nodes, edges=np.column_stack([self.src, self.dst]).tolist())
        g.es["weight"] = self.weight.tolist()
        return g


def _write(path: Path, header: list[str], rows) -> str:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return str(path)


def _undirected(src, dst, weight, n):
    """Each unordered pair once, weights of both directions summed, self-loops dropped."""
    keep = src != dst
    lo, hi = np.minimum(src[keep], dst[keep]), np.maximum(src[keep], dst[keep])
    key, inv = np.unique(lo * n + hi, return_inverse=True)
    return key // n, key % n, np.bincount(inv.reshape(-1), weights=weight[keep], minlength=key.size)


def _accounts(folder: Path, n: int) -> str:
    return _write(folder / "accounts.csv", ["id"], ([i] for i in range(n)))


def _labels(folder: Path, truth) -> Path:
    return Path(_write(folder / "labels.csv", ["id", "label"], enumerate(truth.tolist())))


def labelled(name: str, folder: Path, reading: str = "default") -> Labelled:
    """Write the files of data set ``name`` into ``folder`` and describe them.

    ``reading``: ``"default"`` (module docstring) or ``"other"`` (e-mails as mention interactions,
    congress as follows; the GML sets have only one reading).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if name in ("karate", "football", "polbooks"):
        z = dataset(name)
        n = z.n_nodes
        truth = z.truth.astype(str)
        both = [(u, v) for u, v in zip(z.src.tolist(), z.dst.tolist())] + \
               [(v, u) for u, v in zip(z.src.tolist(), z.dst.tolist())]
        follows = _write(folder / "follows.csv", ["follower", "followee"], both)
        load = {"accounts": _accounts(folder, n), "follows": follows}
        s, d, w = _undirected(z.src, z.dst, z.weight, n)
        return Labelled(name, load, _labels(folder, truth), "id", "label", n, truth, s, d, w)
    if name == "email-Eu-core":
        raw = np.loadtxt(EMAIL / "email-Eu-core.txt", dtype=np.int64).reshape(-1, 2)
        lab = np.loadtxt(EMAIL / "email-Eu-core-department-labels.txt", dtype=np.int64)
        n = int(max(raw.max(), lab[:, 0].max())) + 1
        truth = np.zeros(n, dtype=np.int64)
        truth[lab[:, 0]] = lab[:, 1]
        truth = truth.astype(str)
        path = str(EMAIL / "email-Eu-core.txt")
        load = {"accounts": _accounts(folder, n)}  # the edge list is detected as SNAP
        load.update({"follows": path} if reading == "default" else {"interactions": path, "kind": "mention"})
        s, d, w = _undirected(raw[:, 0], raw[:, 1], np.ones(raw.shape[0]), n)
        return Labelled(name, load, _labels(folder, truth), "id", "label", n, truth, s, d, np.ones(s.size))
    if name == "congress-twitter":
        rows = np.loadtxt(CONGRESS / "congress.edgelist")
        src, dst, weight = rows[:, 0].astype(np.int64), rows[:, 1].astype(np.int64), rows[:, 2]
        with open(CONGRESS / "congress_party_labels.tsv") as f:
            parties = {int(r["node_id"]): r["party"] for r in csv.DictReader(f, delimiter="\t")}
        n = 475
        truth = np.array([parties[i] for i in range(n)])
        path = str(CONGRESS / "congress.edgelist")
        load = {"accounts": _accounts(folder, n)}  # the edge list is detected as SNAP
        load.update({"interactions": path, "kind": "mention"} if reading == "default" else {"follows": path})
        s, d, w = _undirected(src, dst, weight, n)
        if reading != "default":  # follows carry no weight: the same graph unweighted
            w = np.ones(s.size)
        return Labelled(name, load, CONGRESS / "congress_party_labels.tsv", "node_id", "party", n, truth, s, d, w)
    raise KeyError(name)


def variants() -> list[tuple[str, str]]:
    """Every (data set, reading) pair of the defaults study."""
    return [(n, "default") for n in LABELLED] + [("email-Eu-core", "other"), ("congress-twitter", "other")]
