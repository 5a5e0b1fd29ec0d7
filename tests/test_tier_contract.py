"""The tier vocabulary is one contract: the stored words and thresholds (graph_store.schema) and the
engine's defaults (engine.tiers, which imports no storage) must agree, and every user takes them from there."""

from __future__ import annotations

import numpy as np

from nichegraph.engine.tiers import TIER_NAMES, TIER_THRESHOLDS, tiers
from nichegraph.graph_store import schema
from nichegraph.graph_store.synth import generate


def test_engine_defaults_mirror_the_stored_vocabulary():
    assert TIER_NAMES == schema.TIER_NAMES
    assert tuple(float(t) for t in TIER_THRESHOLDS) == tuple(float(t) for t in schema.TIER_THRESHOLDS)


def test_the_generator_plants_the_tiers_the_engine_computes():
    world = generate(n_accounts=2_000, n_edges=10_000, seed=3)
    code, estimated = tiers(world.followers_count.astype(np.float64), np.zeros(world.followers_count.size, np.int64))
    assert not estimated.any()
    assert np.array_equal(code, world.tier())
