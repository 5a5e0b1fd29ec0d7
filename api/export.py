"""A stored analysis run as tables (pyarrow or pandas) and as files: Parquet, CSV, GEXF, GraphML.

:func:`run_tables` is the Python entry point; :func:`export_run` writes files
and backs ``nichegraph export``.  Tables: ``accounts`` (one row per account,
every measure of the run, its community and niche), ``communities``, and with
``edges=True`` ``follows`` (``follower``, ``followee``) and ``interactions``
(``source``, ``target``, ``kind``, ``weight``; one row per stored edge and kind,
weights summed) by account id.  A NaN in a stored float column is exported as null.  GEXF and GraphML hold one graph: accounts as
nodes with every account column as a node attribute (a null stays absent, never
NaN), follows and interactions as edges with a ``type`` attribute.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal, TextIO
from xml.sax.saxutils import quoteattr

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from nichegraph.graph_store import RunRecord, Store
from nichegraph.graph_store.schema import INTERACTION_KINDS

EXPORT_FORMATS = ("parquet", "csv", "gexf", "graphml")
ExportFormat = Literal["parquet", "csv", "gexf", "graphml"]


def run_tables(
    store: Store, run_id: str | None = None, *, edges: bool = False, as_pandas: bool = False
) -> tuple[RunRecord, dict]:
    """The run ``run_id`` (the newest when None) as named tables.

    Returns ``(record, tables)`` where ``tables`` maps ``"accounts"``, ``"communities"`` (and with
    ``edges`` ``"follows"``, ``"interactions"``) to :class:`pyarrow.Table` s, or to
    :class:`pandas.DataFrame` s with ``as_pandas`` (needs pandas installed).
    """
    record, tables = store.read_run(run_id)
    out = {"accounts": _nan_as_null(tables["accounts"]), "communities": _nan_as_null(tables["communities"])}
    if edges:
        out.update(_edge_tables(store))
    if as_pandas:
        try:
            import pandas  # type: ignore[import-untyped]  # noqa: F401
        except ModuleNotFoundError as exc:
            raise ModuleNotFoundError("as_pandas=True needs pandas: pip install pandas") from exc
        out = {name: table.to_pandas() for name, table in out.items()}
    return record, out


def _nan_as_null(table: pa.Table) -> pa.Table:
    """Float columns with every NaN replaced by null: an unknown measure is exported as unknown."""
    for i, f in enumerate(table.schema):
        if pa.types.is_floating(f.type):
            col = table.column(i)
            table = table.set_column(i, f, pc.if_else(pc.is_nan(col), pa.scalar(None, f.type), col))
    return table


def _edge_tables(store: Store) -> dict[str, pa.Table]:
    e = store.read_edges()
    ids = pa.array(e.node_ids.tolist(), pa.string())
    follows = pa.table({"follower": ids.take(pa.array(e.follow_src)), "followee": ids.take(pa.array(e.follow_dst))})
    kinds = pa.array(list(INTERACTION_KINDS), pa.string())
    events = pa.table(
        {
            "source": ids.take(pa.array(e.interaction_src)),
            "target": ids.take(pa.array(e.interaction_dst)),
            "kind": kinds.take(pa.array(e.interaction_kind.astype(np.int32))),
            "weight": pa.array(e.interaction_weight, pa.float64()),
        }
    )
    interactions = events.group_by(["source", "target", "kind"], use_threads=False).aggregate([("weight", "sum")])
    interactions = interactions.rename_columns(["source", "target", "kind", "weight"]).sort_by(
        [("source", "ascending"), ("target", "ascending"), ("kind", "ascending")]
    )
    return {"follows": follows, "interactions": interactions}


def export_run(
    store: Store,
    out: Path,
    fmt: ExportFormat,
    *,
    run_id: str | None = None,
    edges: bool = False,
    progress: Callable[[str], None] | None = None,
) -> tuple[RunRecord, list[Path]]:
    """Write the run to ``out``: a folder of one file per table (Parquet, CSV) or one graph file (GEXF, GraphML).

    Returns the run's record and the files written.
    """
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}")
    step = progress or (lambda _name: None)
    step("reading the run")
    record, tables = run_tables(store, run_id, edges=edges)
    out = Path(out)
    if fmt in ("gexf", "graphml"):
        step(f"writing {fmt}")
        accounts = tables["accounts"]
        write = _write_gexf if fmt == "gexf" else _write_graphml
        with open(out, "w", encoding="utf-8") as f:
            write(f, record, _node_columns(accounts), accounts.column("id").to_pylist(), _edges_of(tables))
        return record, [out]
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in tables.items():
        step(f"writing {name}")
        path = out / f"{name}.{fmt}"
        if fmt == "parquet":
            pq.write_table(table, path)
        else:
            pacsv.write_csv(_csv_ready(table), path)
        written.append(path)
    return record, written


def _csv_ready(table: pa.Table) -> pa.Table:
    """List columns (a community's top members) joined with ``|`` so CSV can hold them."""
    for i, f in enumerate(table.schema):
        if pa.types.is_list(f.type) or pa.types.is_large_list(f.type):
            joined = pc.binary_join(pc.cast(table.column(i), pa.list_(pa.string())), "|")
            table = table.set_column(i, f.name, joined)
    return table


def _node_columns(accounts: pa.Table) -> list[tuple[str, str, list]]:
    """``(name, xml type, values)`` of every account column but ``id`` that a graph file can hold."""
    cols = []
    for f in accounts.schema:
        if f.name == "id":
            continue
        t = f.type
        if pa.types.is_boolean(t):
            kind = "boolean"
        elif pa.types.is_integer(t):
            kind = "long"
        elif pa.types.is_floating(t):
            kind = "double"
        elif pa.types.is_string(t) or pa.types.is_large_string(t):
            kind = "string"
        else:
            continue
        cols.append((f.name, kind, accounts.column(f.name).to_pylist()))
    return cols


def _text(value, kind: str) -> str | None:
    """A value as XML text; None for a null (or a NaN, which a stored result never holds but a file must not)."""
    if value is None or (kind == "double" and math.isnan(value)):
        return None
    if kind == "boolean":
        return "true" if value else "false"
    return repr(float(value)) if kind == "double" else str(value)


def _node_values(ids: list, cols: list[tuple[str, str, list]]) -> Iterator[tuple[str, list[tuple[int, str]]]]:
    """Each node id with ``(column number, XML text)`` of its non-null attribute values, in column order."""
    for r, node in enumerate(ids):
        yield (
            node,
            [(i, text) for i, (_, kind, values) in enumerate(cols) if (text := _text(values[r], kind)) is not None],
        )


def _edges_of(tables: dict) -> list[tuple[str, str, str, float]]:
    out = []
    if "follows" in tables:
        out += [
            (a, b, "follow", 1.0)
            for a, b in zip(*(tables["follows"].column(c).to_pylist() for c in ("follower", "followee")), strict=True)
        ]
    if "interactions" in tables:
        t = tables["interactions"]
        out += list(zip(*(t.column(c).to_pylist() for c in ("source", "target", "kind", "weight")), strict=True))
    return out


def _write_gexf(f: TextIO, record: RunRecord, cols: list[tuple[str, str, list]], ids: list, edges: list) -> None:
    """GEXF 1.3: accounts as nodes (``cols`` as typed attributes), ``edges`` as directed edges with a type."""
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n<gexf xmlns="http://gexf.net/1.3" version="1.3">\n')
    f.write(f"  <meta><creator>nichegraph</creator><description>run {_esc(record.run_id)}</description></meta>\n")
    f.write('  <graph defaultedgetype="directed" mode="static">\n    <attributes class="node">\n')
    for i, (name, kind, _) in enumerate(cols):
        f.write(f'      <attribute id="{i}" title={quoteattr(name)} type="{kind}"/>\n')
    f.write(
        '    </attributes>\n    <attributes class="edge">\n'
        '      <attribute id="type" title="type" type="string"/>\n    </attributes>\n    <nodes>\n'
    )
    for node, values in _node_values(ids, cols):
        attvalues = "".join(f'<attvalue for="{i}" value={quoteattr(text)}/>' for i, text in values)
        f.write(f"      <node id={quoteattr(node)} label={quoteattr(node)}><attvalues>{attvalues}</attvalues></node>\n")
    f.write("    </nodes>\n    <edges>\n")
    for e, (a, b, kind, w) in enumerate(edges):
        f.write(
            f'      <edge id="{e}" source={quoteattr(a)} target={quoteattr(b)} weight="{float(w)!r}">'
            f'<attvalues><attvalue for="type" value={quoteattr(kind)}/></attvalues></edge>\n'
        )
    f.write("    </edges>\n  </graph>\n</gexf>\n")


def _write_graphml(f: TextIO, record: RunRecord, cols: list[tuple[str, str, list]], ids: list, edges: list) -> None:
    """GraphML: accounts as nodes (``cols`` as typed ``data`` keys), ``edges`` as directed edges with type and weight."""
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n<graphml xmlns="http://graphml.graphdrawing.org/xmlns">\n')
    for i, (name, kind, _) in enumerate(cols):
        f.write(f'  <key id="d{i}" for="node" attr.name={quoteattr(name)} attr.type="{kind}"/>\n')
    f.write(
        '  <key id="etype" for="edge" attr.name="type" attr.type="string"/>\n'
        '  <key id="eweight" for="edge" attr.name="weight" attr.type="double"/>\n'
    )
    f.write(f'  <graph id={quoteattr(record.run_id)} edgedefault="directed">\n')
    for node, values in _node_values(ids, cols):
        data = "".join(f'<data key="d{i}">{_esc(text)}</data>' for i, text in values)
        f.write(f"    <node id={quoteattr(node)}>{data}</node>\n")
    for a, b, kind, w in edges:
        f.write(
            f'    <edge source={quoteattr(a)} target={quoteattr(b)}><data key="etype">{_esc(kind)}</data>'
            f'<data key="eweight">{float(w)!r}</data></edge>\n'
        )
    f.write("  </graph>\n</graphml>\n")


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
