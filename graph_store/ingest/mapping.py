"""Column mapping: read a user's own column names, filters and value formats.

A mapping says, per canonical table, which of the file's columns holds each
canonical field, which rows to keep, and how to read timestamps and ids.  It
comes from a small TOML file (``--columns FILE``), from ``--column`` flags, or
both (flags win)::

    # senators_follow.csv: "source follows target" where following == TRUE
    [follows]
    columns = { follower = "source", followee = "target" }
    where = "following == TRUE"
    ids = "lower"                  # lower-case account ids (handles whose case varies)
    timestamp_format = "auto"      # auto | unix | unix_ms | iso | a strptime pattern
    delimiter = ","                # CSV only; default: sniffed from the header
    defaults = { }                 # value for a field the file lacks, e.g. kind = "mention"

``where`` is one or more ``COLUMN == VALUE`` / ``COLUMN != VALUE`` conditions
joined by ``and``; values are compared as text, case-insensitively, after
trimming spaces (so ``TRUE`` matches ``true`` and a Parquet boolean).  Rows that
fail the filter are counted as ``filtered`` in the load summary.

Shipped mappings live in ``graph_store/ingest/mappings/``; ``--columns NAME``
with a shipped name (``senators-follow``) uses one.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import StoreError
from ..schema import SCHEMAS, TABLES
from ._convert import TableOptions

MAPPINGS_DIR = Path(__file__).parent / "mappings"

_COND = re.compile(r"^\s*([^\s=!]+|`[^`]+`)\s*(==|!=)\s*(.*?)\s*$")
_KEYS = {"columns", "where", "ids", "timestamp_format", "defaults", "delimiter", "ignore"}


class MappingError(StoreError, ValueError):
    """A column mapping (``--column`` / ``--columns``) is malformed."""


@dataclass
class TableMapping:
    """The mapping of one canonical table.

    Attributes
    ----------
    columns : dict
        Canonical field -> the file's column name.
    where : list of (column, op, value)
        Row filter; ``op`` is ``"=="`` or ``"!="``.  All conditions must hold.
    options : TableOptions
        Timestamp format, id case and defaults.
    delimiter : str or None
        CSV field separator (None: sniffed from the header).
    ignore : list of str
        The file's columns to leave out (any other column that is no field is refused).
    """

    columns: dict[str, str] = field(default_factory=dict)
    where: list[tuple[str, str, str]] = field(default_factory=list)
    options: TableOptions = field(default_factory=TableOptions)
    delimiter: str | None = None
    ignore: list[str] = field(default_factory=list)

    def source_column(self, fld: str) -> str:
        """The file's column that holds canonical ``fld``."""
        return self.columns.get(fld, fld)

    table_name: str = ""


@dataclass
class Mapping:
    """Mappings for the three canonical tables."""

    tables: dict[str, TableMapping] = field(default_factory=dict)

    def for_table(self, table: str) -> TableMapping:
        if table not in self.tables:
            self.tables[table] = TableMapping(table_name=table)
        return self.tables[table]


def parse_where(text: str, where: str = "where") -> list[tuple[str, str, str]]:
    """Parse ``"a == x and b != y"`` into ``[("a", "==", "x"), ("b", "!=", "y")]``."""
    out = []
    for part in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE):
        m = _COND.match(part)
        if not m:
            raise MappingError(
                f"{where}: cannot read condition {part!r}; write COLUMN == VALUE or COLUMN != VALUE, joined by 'and'"
            )
        col, op, val = m.groups()
        col = col.strip("`")
        if len(val) >= 2 and val[0] == val[-1] and val[0] in "'\"":
            val = val[1:-1]
        out.append((col, op, val))
    return out


def load_mapping(
    source: str | os.PathLike | None = None,
    flags: list[str] | None = None,
    *,
    ids: str | None = None,
    timestamp_format: str | None = None,
    ignore: list[str] | None = None,
) -> Mapping:
    """Build a :class:`Mapping` from a TOML file (or shipped name) and ``--column`` flags.

    Parameters
    ----------
    source : path or str, optional
        TOML file, or the name of a shipped mapping (``senators-follow``).
    flags : list of str, optional
        ``[TABLE.]FIELD=COLUMN`` entries; an unqualified FIELD applies to every
        table that has that field.
    ids, timestamp_format : str, optional
        Override ``ids`` / ``timestamp_format`` for every table.
    ignore : list of str, optional
        ``[TABLE.]COLUMN`` entries: the file's columns to leave out (every table without a TABLE).
    """
    m = Mapping()
    if source is not None:
        path = Path(source)
        if not path.exists():
            shipped = MAPPINGS_DIR / f"{source}.toml"
            if shipped.exists():
                path = shipped
            else:
                names = sorted(p.stem for p in MAPPINGS_DIR.glob("*.toml"))
                raise MappingError(
                    f"--columns {source}: no such file, and not a shipped mapping "
                    f"(shipped: {', '.join(names) or 'none'})"
                )
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise MappingError(f"--columns {path}: not valid TOML: {exc}") from None
        for table, sect in doc.items():
            if table not in TABLES or not isinstance(sect, dict):
                raise MappingError(
                    f"--columns {path}: unknown section [{table}]; use [accounts], [follows], [interactions]"
                )
            unknown = set(sect) - _KEYS
            if unknown:
                raise MappingError(
                    f"--columns {path}: [{table}] has unknown keys {sorted(unknown)}; allowed: {sorted(_KEYS)}"
                )
            _check_types(sect, f"--columns {path} [{table}]")
            tm = m.for_table(table)
            tm.ignore.extend(sect.get("ignore") or [])
            for fld, col in (sect.get("columns") or {}).items():
                _check_field(table, fld, f"--columns {path} [{table}]")
                tm.columns[fld] = str(col)
            where = sect.get("where")
            if where:
                for cond in [where] if isinstance(where, str) else where:
                    tm.where.extend(parse_where(str(cond), f"--columns {path} [{table}] where"))
            if "ids" in sect:
                tm.options.ids = _check_ids(str(sect["ids"]), f"--columns {path} [{table}] ids")
            if "delimiter" in sect:
                d = str(sect["delimiter"]).replace("\\t", "\t")
                if len(d) != 1:
                    raise MappingError(f"--columns {path}: [{table}] delimiter must be one character, not {d!r}")
                tm.delimiter = d
            if "timestamp_format" in sect:
                tm.options.timestamp_format = str(sect["timestamp_format"])
            for fld, val in (sect.get("defaults") or {}).items():
                _check_field(table, fld, f"--columns {path} [{table}] defaults")
                tm.options.defaults[fld] = str(val)
    for flag in flags or []:
        if "=" not in flag:
            raise MappingError(f"--column {flag!r}: write FIELD=COLUMN or TABLE.FIELD=COLUMN")
        left, col = flag.split("=", 1)
        left, col = left.strip(), col.strip()
        if "." in left and left.split(".", 1)[0] in TABLES:
            table, fld = left.split(".", 1)
            _check_field(table, fld, f"--column {flag!r}")
            m.for_table(table).columns[fld] = col
        else:
            tables = [t for t in TABLES if any(f.name == left for f in SCHEMAS[t])]
            if not tables:
                fields = sorted({f.name for t in TABLES for f in SCHEMAS[t]})
                raise MappingError(f"--column {flag!r}: unknown field {left!r}; fields are {', '.join(fields)}")
            for t in tables:
                m.for_table(t).columns[left] = col
    for entry in ignore or []:
        table, _, col = entry.partition(".") if entry.split(".", 1)[0] in TABLES and "." in entry else ("", "", entry)
        for t in [t for t in TABLES if t == table] if table else TABLES:
            m.for_table(t).ignore.append(col)
    for t in TABLES:
        tm = m.for_table(t)
        if ids is not None:
            tm.options.ids = _check_ids(ids, "--ids")
        if timestamp_format is not None:
            tm.options.timestamp_format = timestamp_format
    return m


#: The TOML type each key of a table section must have (a message names the key and the type found).
_KEY_TYPES: dict[str, tuple[type | tuple[type, ...], str]] = {
    "columns": (dict, 'a table of FIELD = "COLUMN"'),
    "where": ((str, list), "a string or a list of strings"),
    "ids": (str, "a string"),
    "timestamp_format": (str, "a string"),
    "delimiter": (str, "a string"),
    "defaults": (dict, "a table of FIELD = VALUE"),
    "ignore": (list, "a list of column names"),
}


def _check_types(sect: dict, where: str) -> None:
    for key, (typ, what) in _KEY_TYPES.items():
        if key not in sect:
            continue
        value = sect[key]
        inner = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
        inner_ok = (
            all(isinstance(v, str) for v in inner)
            if key != "defaults"
            else all(isinstance(v, (str, int, float, bool)) for v in inner)
        )
        if not isinstance(value, typ) or not inner_ok:
            raise MappingError(f"{where} {key}: must be {what}, not {value!r}")


def _check_field(table: str, fld: str, where: str) -> None:
    names = [f.name for f in SCHEMAS[table]]
    if fld not in names:
        raise MappingError(f"{where}: {table} has no field {fld!r}; its fields are {', '.join(names)}")


def _check_ids(v: str, where: str) -> str:
    if v not in ("keep", "lower"):
        raise MappingError(f"{where}: {v!r} is not 'keep' or 'lower'")
    return v


def filter_mask(table: pa.Table | pa.RecordBatch, where: list[tuple[str, str, str]]) -> np.ndarray:
    """Rows that satisfy every condition (vectorised; case-insensitive text compare)."""
    n = table.num_rows
    keep = np.ones(n, dtype=bool)
    for col, op, val in where:
        arr = table.column(col)
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
            arr = arr.cast(pa.string())
        s = pc.utf8_lower(pc.utf8_trim_whitespace(arr))
        eq = np.asarray(pc.equal(s, val.strip().lower()).fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
        keep &= eq if op == "==" else ~eq
    return keep
