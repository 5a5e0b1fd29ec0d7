"""Shared by the GML and GraphML readers: a parsed graph file turned into canonical pieces.

Both formats hold nodes (with attributes) and edges between node ids in one
file.  Given as ``--follows``, every edge becomes a follow (``source`` follows
``target``; an undirected graph's edge is a mutual tie, so both directions);
as ``--interactions`` an interaction of the given kind with the edge's
``weight`` (or ``value``) attribute as weight.  Nodes become accounts.

Account ids: the node ``label`` where every node has a distinct one (what
networkx's ``read_gml`` names nodes by), else the node ``id``.  Node
attributes named like an account column (``handle``, ``platform``,
``followers_count``, ``following_count``, ``affiliation``) fill it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from ..errors import RowIssue
from ._convert import Piece
from ._errors import FileRejected

#: Node attributes that map onto account columns of the same name.
ACCOUNT_ATTRIBUTES = ("handle", "platform", "followers_count", "following_count", "affiliation")


@dataclass
class ParsedGraph:
    """Nodes and edges of one graph file, each with the line it starts on."""

    directed: bool
    node_ids: list[str] = field(default_factory=list)
    node_labels: list[str | None] = field(default_factory=list)
    node_lines: list[int] = field(default_factory=list)
    node_attrs: list[dict[str, str]] = field(default_factory=list)
    edge_src: list[str | None] = field(default_factory=list)
    edge_dst: list[str | None] = field(default_factory=list)
    edge_weight: list[str | None] = field(default_factory=list)
    edge_lines: list[int] = field(default_factory=list)


def account_ids(graph: ParsedGraph) -> list[str]:
    """The account id of every node: its ``label`` where every node has a distinct one, else its ``id``."""
    labels = graph.node_labels
    by_label = len(labels) > 0 and all(lab not in (None, "") for lab in labels) and len(set(labels)) == len(labels)
    return [str(v) for v in labels] if by_label else list(graph.node_ids)


def graph_pieces(graph: ParsedGraph, table: str, kind: str | None, file: str) -> Iterator:
    """Yield row issues and canonical :class:`Piece` s (accounts, then edges) of ``graph`` read as ``table``."""
    if table == "accounts":
        raise FileRejected(file, None, None, "a graph file holds edges; give it as --follows or --interactions")
    if table == "interactions" and kind is None:
        raise FileRejected(file, None, None, "a graph file as interactions needs their kind: pass --kind mention|...")
    issues: list[RowIssue] = []
    seen: dict[str, int] = {}
    for nid, line in zip(graph.node_ids, graph.node_lines, strict=True):
        if nid in seen:
            issues.append(RowIssue(file, line, "id", f"node id {nid!r} already used on line {seen[nid]}"))
        seen[nid] = line
    account_of = dict(zip(graph.node_ids, account_ids(graph), strict=True))
    src, dst, weight, lines = [], [], [], []
    for s, t, w, line in zip(graph.edge_src, graph.edge_dst, graph.edge_weight, graph.edge_lines, strict=True):
        bad = [(name, v) for name, v in (("source", s), ("target", t)) if v is None or v not in account_of]
        if bad:
            name, v = bad[0]
            issues.append(
                RowIssue(
                    file,
                    line,
                    name,
                    "edge without a source or target"
                    if v is None
                    else f"edge {name} {v!r} is not the id of a node in the file",
                )
            )
            continue
        assert s is not None and t is not None  # an edge without both ends was rejected just above
        pairs = [(s, t)] if graph.directed or table == "interactions" else [(s, t), (t, s)]
        for a, b in pairs:
            src.append(account_of[a])
            dst.append(account_of[b])
            weight.append(w)
            lines.append(line)
    if issues:
        yield issues
    text = lambda pos: [f"{kind or 'edge'} {src[i]} -> {dst[i]}" for i in pos]
    if graph.node_ids:
        cols = {"id": pa.array([account_of[n] for n in graph.node_ids], pa.string())}
        for name in ACCOUNT_ATTRIBUTES:
            values = [a.get(name) for a in graph.node_attrs]
            if any(v is not None for v in values):
                cols[name] = pa.array(values, pa.string())
        node_text = lambda pos: [f"node {graph.node_ids[i]}" for i in pos]
        yield Piece("accounts", cols, np.asarray(graph.node_lines, dtype=np.int64), node_text)
    if src:
        ends = ("follower", "followee") if table == "follows" else ("source", "target")
        cols = {ends[0]: pa.array(src, pa.string()), ends[1]: pa.array(dst, pa.string())}
        if table == "interactions":
            cols["kind"] = pa.array([kind] * len(src), pa.string())
            if any(w is not None for w in weight):
                cols["weight"] = pa.array(weight, pa.string())
        yield Piece(table, cols, np.asarray(lines, dtype=np.int64), text)
