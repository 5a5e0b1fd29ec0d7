"""Acceptance on the real data sets in ../shared/datasets (counts from each SOURCE.md).

These files are part of the project's environment; a missing file fails the test
(no silent skip) with a message saying where it was looked for.
"""

from __future__ import annotations

import numpy as np

from nichegraph.graph_store.ingest import load_files
from nichegraph.graph_store.schema import INTERACTION_KINDS

from .conftest import DATASETS


def _need(rel: str):
    p = DATASETS / rel
    assert p.is_file(), f"real data set missing: {p} (the shared datasets folder next to the repo)"
    return p


def test_higgs_activity_log(store):
    path = _need("snap-higgs-twitter/higgs-activity_time.txt")
    rep = load_files(store, interactions=path)
    assert store.counts()["interactions"] == 563_069
    assert store.counts()["accounts"] == 304_691
    e = store.read_edges()
    kinds = np.bincount(e.interaction_kind, minlength=len(INTERACTION_KINDS))
    by = dict(zip(INTERACTION_KINDS, kinds.tolist()))
    # SOURCE.md: RT 354,930; MT 171,237; RE 36,902 (= weight sums of the three edge lists)
    assert (by["repost"], by["mention"], by["reply"]) == (354_930, 171_237, 36_902)
    assert e.interaction_ts.min() == 1341100972 and e.interaction_ts.max() == 1341705593  # 2012-07-01 00:02:52 .. 07-07 23:59:53 UTC
    st = rep.files[0]
    assert (st.format, st.rows, st.loaded, st.rejected) == ("higgs", 563_069, 563_069, 0)


def test_higgs_mention_edge_list_as_weighted_interactions(store):
    path = _need("snap-higgs-twitter/higgs-mention_network.edgelist")
    rep = load_files(store, interactions=path, kind="mention")
    e = store.read_edges()
    assert rep.files[0].rows == 150_818
    assert e.interaction_weight.sum() == 171_237  # SOURCE.md weight sum
    assert store.counts()["accounts"] == 116_408
    assert rep.counts.interactions.self_loops == 5_353


def test_senators_follows_with_shipped_mapping(store):
    path = _need("qmss-us-senators-twitter-2018/senators_follow.csv")
    rep = load_files(store, follows=path, columns="senators-follow")
    assert store.counts() == {"accounts": 100, "follows": 5_697, "interactions": 0, "posts": 0}
    st = rep.files[0]
    assert (st.rows, st.loaded, st.filtered, st.rejected) == (10_000, 5_697, 4_303, 0)
    e = store.read_edges()
    pairs = set(zip(e.follow_src.tolist(), e.follow_dst.tolist()))
    assert sum((b, a) in pairs for a, b in pairs) == 3_988  # reciprocated, SOURCE.md
    assert all(i == i.lower() for i in e.node_ids)  # the mapping lower-cases handles


def test_congress_weighted_edge_list(store):
    path = _need("snap-congress-twitter/congress.edgelist")  # "src dst weight " with a trailing space
    load_files(store, interactions=path, kind="mention")
    assert store.counts() == {"accounts": 475, "follows": 0, "interactions": 13_289, "posts": 0}


def test_email_eu_core_as_follows(store):
    rep = load_files(store, follows=_need("snap-email-eu-core/email-Eu-core.txt"))
    assert store.counts() == {"accounts": 1_005, "follows": 25_571, "interactions": 0, "posts": 0}  # SOURCE.md
    assert rep.counts.follows.self_loops == 642
