"""Reader for GraphML (the XML graph format of Gephi, yEd, igraph and networkx), plain or gzipped.

``<key id=.. for="node|edge" attr.name=..>`` declares attributes; ``<node id>``
and ``<edge source target>`` carry ``<data key=..>`` values; ``edgedefault``
on ``<graph>`` (or ``directed`` on an edge) says whether edges are directed.
The parser is the standard library's expat, which knows the line of every
element; malformed XML refuses the file with its line.
"""

from __future__ import annotations

from collections.abc import Iterator
from xml.parsers import expat

from ._blocks import open_binary
from ._errors import FileRejected
from ._graphfile import ParsedGraph, graph_pieces
from ._report import FileStats


def _local(tag: str) -> str:
    return tag.rsplit(" ", 1)[-1].rsplit("}", 1)[-1]


def parse_graphml(path: str, file: str) -> ParsedGraph:
    """Parse a GraphML file into a :class:`ParsedGraph` (raises :class:`FileRejected` on malformed XML)."""
    keys: dict[str, str] = {}  # key id -> attribute name
    g = ParsedGraph(directed=False)
    state: dict = {"elem": None, "data": None, "text": [], "graphs": 0}
    parser = expat.ParserCreate(namespace_separator=" ")

    def start(tag, attrs):
        name = _local(tag)
        line = parser.CurrentLineNumber
        if name == "key":
            keys[attrs.get("id", "")] = attrs.get("attr.name", attrs.get("id", ""))
        elif name == "graph":
            state["graphs"] += 1
            if state["graphs"] == 1:
                g.directed = attrs.get("edgedefault", "undirected") == "directed"
        elif name == "node":
            if "id" not in attrs:
                raise FileRejected(file, line, "id", "node without an id")
            g.node_ids.append(attrs["id"])
            g.node_labels.append(None)
            g.node_lines.append(line)
            g.node_attrs.append({})
            state["elem"] = "node"
        elif name == "edge":
            g.edge_src.append(attrs.get("source"))
            g.edge_dst.append(attrs.get("target"))
            g.edge_weight.append(None)
            g.edge_lines.append(line)
            state["elem"] = "edge"
        elif name == "data" and state["elem"] is not None:
            state["data"] = keys.get(attrs.get("key", ""), attrs.get("key", ""))
            state["text"] = []

    def end(tag):
        name = _local(tag)
        if name == "data" and state["data"] is not None:
            value = "".join(state["text"]).strip()
            if state["elem"] == "node":
                if state["data"] == "label":
                    g.node_labels[-1] = value
                else:
                    g.node_attrs[-1][state["data"]] = value
            elif state["data"] in ("weight", "value") and g.edge_weight[-1] is None:
                g.edge_weight[-1] = value
            state["data"] = None
        elif name in ("node", "edge"):
            state["elem"] = None

    def chars(text):
        if state["data"] is not None:
            state["text"].append(text)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    reader, raw = open_binary(path)
    try:
        with raw, reader:
            parser.ParseFile(reader)
    except expat.ExpatError as exc:
        raise FileRejected(file, exc.lineno, None, f"malformed GraphML: {expat.ErrorString(exc.code)}") from None
    if state["graphs"] != 1:
        raise FileRejected(file, None, "graph", "a GraphML file needs exactly one <graph>")
    return g


def read_graphml(path: str, table: str, stats: FileStats, file: str, kind: str | None) -> Iterator:
    """GraphML nodes and edges as canonical pieces (see :mod:`._graphfile`)."""
    graph = parse_graphml(path, file)
    stats.rows = len(graph.edge_src)
    yield from graph_pieces(graph, table, kind, file)
