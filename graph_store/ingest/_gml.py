"""Reader for GML (Graph Modelling Language, Himsolt 1997), plain or gzipped: Newman's data sets and many others.

A GML file is nested ``key value`` pairs, where a value is an integer, a
real, a quoted string or a ``[ ... ]`` list.  The top-level ``graph`` list
holds ``directed 0|1``, ``node [ id ... label ... attrs ]`` and
``edge [ source ... target ... attrs ]``.  A syntax error refuses the file
with its line; a node or edge that cannot be used is a row issue
(:mod:`._graphfile` turns the parsed graph into canonical pieces).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

from ._blocks import open_binary
from ._errors import FileRejected
from ._graphfile import ParsedGraph, graph_pieces
from ._report import FileStats

_TOKEN = re.compile(rb'\s*(?:(\[)|(\])|"([^"]*)"|([A-Za-z_][A-Za-z0-9_]*)|([-+]?[0-9.][0-9.eE+-]*)|(#[^\n]*)|(\S))')


def _tokens(data: bytes, file: str) -> Iterator[tuple[int, str, str]]:
    """``(line, kind, text)`` with kind one of ``[ ] str key num``; comments skipped."""
    line = 1
    pos = 0
    n = len(data)
    while pos < n:
        m = _TOKEN.match(data, pos)
        if m is None:  # only trailing whitespace is left
            break
        start_line = line + data.count(b"\n", pos, m.start(m.lastindex)) if m.lastindex else line
        line += data.count(b"\n", pos, m.end())
        pos = m.end()
        group = m.lastindex
        if group == 1:
            yield start_line, "[", "["
        elif group == 2:
            yield start_line, "]", "]"
        elif group == 3:
            yield start_line, "str", html.unescape(m.group(3).decode("utf-8", "replace"))
        elif group == 4:
            yield start_line, "key", m.group(4).decode()
        elif group == 5:
            yield start_line, "num", m.group(5).decode()
        elif group == 7:
            raise FileRejected(file, start_line, None, f"unexpected character {m.group(7).decode('latin-1')!r} in GML")


def _parse_list(tokens: Iterator, file: str, closing: bool, opened: int | None) -> list:
    """``[(line, key, value)]`` up to the matching ``]`` (or the end of the file at top level)."""
    out: list[tuple[int, str, object]] = []
    for line, kind, text in tokens:
        if kind == "]":
            if not closing:
                raise FileRejected(file, line, None, "']' without a matching '['")
            return out
        if kind != "key":
            raise FileRejected(file, line, None, f"expected a key, found {text!r}")
        try:
            vline, vkind, vtext = next(tokens)
        except StopIteration:
            raise FileRejected(file, line, text, "key without a value at the end of the file") from None
        if vkind == "[":
            out.append((line, text, _parse_list(tokens, file, True, vline)))
        elif vkind in ("str", "num"):
            out.append((line, text, vtext))
        else:
            raise FileRejected(file, vline, text, f"expected a value, found {vtext!r}")
    if closing:
        raise FileRejected(file, opened, None, "'[' opened here is never closed")
    return out


def parse_gml(path: str, file: str) -> ParsedGraph:
    """Parse a GML file into a :class:`ParsedGraph` (raises :class:`FileRejected` on bad syntax)."""
    reader, raw = open_binary(path)
    with raw, reader:
        data = reader.read()
    top = _parse_list(_tokens(data, file), file, False, None)
    graphs = [(line, v) for line, k, v in top if k == "graph"]
    if len(graphs) != 1 or not isinstance(graphs[0][1], list):
        raise FileRejected(
            file, graphs[1][0] if len(graphs) > 1 else None, "graph", "a GML file needs exactly one 'graph [ ... ]'"
        )
    items = graphs[0][1]
    directed = any(k == "directed" and v == "1" for _, k, v in items)
    g = ParsedGraph(directed=directed)
    for line, key, value in items:
        if key not in ("node", "edge"):
            continue
        if not isinstance(value, list):
            raise FileRejected(file, line, key, f"a {key} must be a list '{key} [ ... ]'")
        attrs = {k: v for _, k, v in value if not isinstance(v, list)}
        if key == "node":
            if "id" not in attrs:
                raise FileRejected(file, line, "id", "node without an id")
            g.node_ids.append(attrs.pop("id"))
            g.node_labels.append(attrs.pop("label", None))
            g.node_lines.append(line)
            g.node_attrs.append(attrs)
        else:
            g.edge_src.append(attrs.get("source"))
            g.edge_dst.append(attrs.get("target"))
            g.edge_weight.append(attrs.get("weight", attrs.get("value")))
            g.edge_lines.append(line)
    return g


def read_gml(path: str, table: str, stats: FileStats, file: str, kind: str | None) -> Iterator:
    """GML nodes and edges as canonical pieces (see :mod:`._graphfile`)."""
    graph = parse_gml(path, file)
    stats.rows = len(graph.edge_src)
    yield from graph_pieces(graph, table, kind, file)
