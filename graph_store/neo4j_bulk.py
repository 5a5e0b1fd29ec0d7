"""Files for ``neo4j-admin database import full``: the bulk path into a new Neo4j database.

:func:`write_import_files` reads a DuckDB store (what ``nichegraph load`` fills: validated,
aggregated) and writes node and relationship CSV files, each with a separate header file, in
exactly the graph model of :mod:`graph_store.cypher`, so that after the import the Neo4j
store reads and extends the database as if ``nichegraph load`` had written it:

``accounts.csv`` (label ``Account``)
    ``:ID`` (the dense ``idx``, importer-only, not stored), ``key`` (SHA-256 hex of ``id``),
    ``id``, ``idx:long`` and the account fields (``followers_count:long``,
    ``following_count:long``; strings otherwise); a null field is an empty unquoted value,
    which stores nothing.
``follows.csv`` (type ``FOLLOWS``)
    ``:START_ID``, ``:END_ID``, ``since:datetime`` (UTC, microseconds).
``interacts.csv`` (type ``INTERACTS``)
    One relationship per distinct event: ``kind``, ``ts:datetime``, ``post_id``,
    ``hashtags:string[]`` (null elements dropped, as the Neo4j loader does), ``weight:double``
    only when it is not 1.0, ``n:long`` only when it is more than 1.
``posts.csv`` (label ``Post``) and ``posted.csv`` (type ``POSTED``), only when the store holds posts
    The model of :mod:`graph_store.neo4j_posts`: ``(:Account)-[:POSTED]->(:Post)`` with ``post_id``,
    ``us:long`` (epoch microseconds), ``kind``, ``hashtags:string[]`` (null elements dropped; an
    empty list stores nothing, as the Neo4j loader does), the metrics (``likes:long``, ...,
    ``views:long``) and ``platform``; a null field stores nothing.  A post's ``:ID`` is its row
    number after every account's ``idx`` (one integer id space).

Quoting: every string value is quoted (RFC 4180: ``"`` doubled), so commas, quotes and line
breaks inside ids, handles or post ids survive; nulls are unquoted empty fields and empty
strings are ``""`` (the importer keeps them: ``--ignore-empty-strings=false``).  The array
delimiter is a character that occurs in no hashtag (``U+001F`` unless a hashtag holds it).
Two hashtag lists have no CSV spelling (``[]`` and ``[""]`` both read back as absent): such
events (and posts with ``[""]``) carry a temporary ``ng_hashtags_fix`` property (the list's length)
that ``finish.cypher`` turns back into the list.

``finish.cypher`` holds what the importer cannot do on Neo4j Community (its ``--schema``
option needs the block format): the store's constraints and indexes, and the hashtag fix.
Run it once after the database starts (``cypher-shell -f finish.cypher``); the store's read
queries use those indexes.  ``import.sh`` holds the importer's command line
(:meth:`ImportFiles.command`), whose flags match the files.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv

from . import cypher, neo4j_posts
from .errors import StoreError
from .schema import POST_METRICS

#: Array delimiters tried in order; the first that occurs in no hashtag is used.
_DELIMITERS = ("\x1f", "\x1e", "\x1d", "\x1c", *(chr(c) for c in range(0xE000, 0xE010)))
#: The importer's default read buffer; a longer value needs ``--read-buffer-size``.
_READ_BUFFER = 4 << 20
#: Timestamps as the importer's ``datetime`` parses them (DuckDB pads the year to four digits).
_ISO = "%Y-%m-%dT%H:%M:%S.%fZ"
_FIX = "ng_hashtags_fix"

_ACCOUNT_HEADER = (
    ":ID",
    "key",
    "id",
    "idx:long",
    "handle",
    "platform",
    "followers_count:long",
    "following_count:long",
    "affiliation",
)
_ACCOUNTS_SQL = """SELECT idx AS nid, sha256(id) AS key, id, idx, handle, platform, followers_count,
                          following_count, affiliation FROM accounts ORDER BY idx"""
_FOLLOW_HEADER = (":START_ID", ":END_ID", "since:datetime")
_FOLLOWS_SQL = f"SELECT src, dst, strftime(since, '{_ISO}') AS since FROM follows ORDER BY src, dst"
_EVENT_HEADER = (
    ":START_ID",
    ":END_ID",
    "kind",
    "ts:datetime",
    "post_id",
    "hashtags:string[]",
    "weight:double",
    "n:long",
)
#: Events as the Neo4j loader stores them: hashtags without null elements (so two stored events may
#: become one, their multiplicities added), weight 1.0 and n = 1 not stored.
_EVENTS = """SELECT src, dst, kind::VARCHAR AS kind, ts, post_id, list_filter(hashtags, lambda x: x IS NOT NULL) AS tags,
                    weight, n FROM interactions"""
_EVENTS_GROUPED = f"SELECT src, dst, kind, ts, post_id, tags, weight, sum(n) AS n FROM ({_EVENTS}) GROUP BY ALL"
#: A list with no CSV spelling: empty, or one empty string.
_AMBIGUOUS = "(tags IS NOT NULL AND (len(tags) = 0 OR (len(tags) = 1 AND tags[1] = '')))"

#: Restores the hashtag lists that CSV cannot spell (see the module docstring).
FIX_HASHTAGS = f"""MATCH ()-[e:INTERACTS]->() WHERE e.{_FIX} IS NOT NULL
CALL (e) {{ SET e.hashtags = [x IN range(1, e.{_FIX}) | ''] REMOVE e.{_FIX} }} IN TRANSACTIONS OF 10000 ROWS"""
FIX_POST_HASHTAGS = f"""MATCH (p:Post) WHERE p.{_FIX} IS NOT NULL
CALL (p) {{ SET p.hashtags = [x IN range(1, p.{_FIX}) | ''] REMOVE p.{_FIX} }} IN TRANSACTIONS OF 10000 ROWS"""

_POST_HEADER = (
    ":ID",
    "post_id",
    "us:long",
    "kind",
    "hashtags:string[]",
    *(f"{m}:long" for m in POST_METRICS),
    "platform",
)
#: Posts as the Neo4j loader stores them: hashtags without null elements, an empty list stored as nothing.
_POSTS = """SELECT (SELECT coalesce(max(idx), -1) + 1 FROM accounts) + row_number() OVER (ORDER BY post_id) - 1 AS nid,
                   author, post_id, epoch_us(ts) AS us, kind, nullif(list_filter(hashtags, lambda x: x IS NOT NULL), [])
                   AS tags, likes, replies, reposts, quotes, views, platform FROM posts"""
_POSTED_HEADER = (":START_ID", ":END_ID")


@dataclass(frozen=True)
class ImportFiles:
    """What :func:`write_import_files` wrote.

    Attributes
    ----------
    out_dir : Path
    nodes, relationships : dict of str to (Path, Path)
        Label / relationship type -> (header file, data file).
    finish : Path
        Cypher to run once the imported database is started (``;``-terminated statements).
    array_delimiter : str
        One character, found in no hashtag.
    multiline : bool
        Some value holds a line break (the importer then needs ``--multiline-fields=true``).
    read_buffer : int
        Bytes the importer's read buffer needs (at least its default, 4 MiB).
    counts : dict of str to int
        ``accounts``, ``follows``, ``interactions`` (events times multiplicity, as
        ``nichegraph info`` counts them), ``interaction_events`` (relationships) and ``posts``.
    """

    out_dir: Path
    nodes: dict[str, tuple[Path, Path]]
    relationships: dict[str, tuple[Path, Path]]
    finish: Path
    array_delimiter: str
    multiline: bool
    read_buffer: int
    counts: dict[str, int] = field(default_factory=dict)

    def command(self, database: str = "neo4j", admin: str = "neo4j-admin") -> list[str]:
        """The importer's argument list (``admin`` split on spaces, then ``database import full ...``).

        The database name comes first: ``--nodes`` and ``--relationships`` take several values and
        would swallow a trailing name.
        """
        delim = f"U+{ord(self.array_delimiter):04X}"
        args = [
            *admin.split(),
            "database",
            "import",
            "full",
            database,
            "--overwrite-destination=true",
            "--id-type=integer",
            f"--array-delimiter={delim}",
            "--delimiter=,",
            '--quote="',
            "--ignore-empty-strings=false",
            "--trim-strings=false",
            "--legacy-style-quoting=false",
            "--bad-tolerance=0",
            "--skip-bad-relationships=false",
            "--skip-duplicate-nodes=false",
        ]
        args.append(f"--report-file={self.out_dir / 'import.report'}")  # the bad-entry report, next to the files
        if self.multiline:
            args.append("--multiline-fields=true")
        if self.read_buffer > _READ_BUFFER:
            args.append(f"--read-buffer-size={self.read_buffer}")
        args += [f"--nodes={label}={h},{d}" for label, (h, d) in self.nodes.items()]
        args += [f"--relationships={rel}={h},{d}" for rel, (h, d) in self.relationships.items()]
        return args


def write_import_files(store_path: str | Path, out_dir: str | Path) -> ImportFiles:
    """Write ``neo4j-admin database import full`` files for the graph in a DuckDB store.

    Parameters
    ----------
    store_path : str or Path
        A DuckDB store file (opened read-only).
    out_dir : str or Path
        Folder for the files (created if missing); files of an earlier run are replaced.  Each
        file is written under a temporary name and renamed when complete, and ``finish.cypher``
        and ``import.sh`` (removed first) come last, so a failed run never leaves a set of files
        that looks finished.

    Returns
    -------
    ImportFiles

    Raises
    ------
    StoreError
        The store cannot be opened, is not a nichegraph store, or holds a timestamp outside the
        years 0001-9999 (the importer's ``datetime`` cannot parse it).
    """
    store_path, out = Path(store_path), Path(out_dir)
    if not store_path.is_file():
        raise StoreError(f"{store_path}: no such DuckDB store (write one with `nichegraph load`)")
    try:
        con = duckdb.connect(str(store_path), read_only=True)
    except duckdb.Error as exc:
        raise StoreError(f"cannot open store {store_path}: {exc}") from exc
    try:
        missing = {"accounts", "follows", "interactions"} - {
            r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        }
        if missing:
            raise StoreError(f"{store_path} is not a nichegraph store (no table {', '.join(sorted(missing))})")
        _check_times(con, store_path)
        try:
            out.mkdir(parents=True, exist_ok=True)
            # import.sh and finish.cypher are written last: without them a folder is not a finished set
            for name in ("import.sh", "finish.cypher"):
                (out / name).unlink(missing_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot prepare {out}: {exc}") from exc
        delim = _array_delimiter(con, store_path)
        multiline, longest = _text_shape(con)
        grouped = bool(
            con.execute(
                "SELECT count(*) FROM interactions WHERE hashtags IS NOT NULL "
                "AND len(list_filter(hashtags, lambda x: x IS NOT NULL)) < len(hashtags)"
            ).fetchall()[0][0]
        )
        events = _EVENTS_GROUPED if grouped else _EVENTS
        fixes = con.execute(f"SELECT count(*) FROM ({events}) WHERE {_AMBIGUOUS}").fetchall()[0][0]
        ev_sql = f"""SELECT src, dst, kind, strftime(ts, '{_ISO}') AS ts, post_id,
                            CASE WHEN {_AMBIGUOUS} THEN NULL ELSE array_to_string(tags, $delim) END AS hashtags,
                            CASE WHEN weight = 1.0 THEN NULL ELSE weight END AS weight,
                            CASE WHEN n > 1 THEN n END AS n
                            {f", CASE WHEN {_AMBIGUOUS} THEN len(tags) END AS {_FIX}" if fixes else ""}
                     FROM ({events}) ORDER BY ALL"""
        ev_header = _EVENT_HEADER + ((f"{_FIX}:long",) if fixes else ())
        nodes = {"Account": _write(con, out, "accounts", _ACCOUNT_HEADER, _ACCOUNTS_SQL, {})}
        rels = {
            "FOLLOWS": _write(con, out, "follows", _FOLLOW_HEADER, _FOLLOWS_SQL, {}),
            "INTERACTS": _write(con, out, "interacts", ev_header, ev_sql, {"delim": delim}),
        }
        counts = dict(
            zip(
                ("accounts", "follows", "interactions", "interaction_events"),
                con.execute(
                    f"""SELECT (SELECT count(*) FROM accounts), (SELECT count(*) FROM follows),
                       (SELECT coalesce(sum(n), 0) FROM interactions), (SELECT count(*) FROM ({events}))"""
                ).fetchall()[0],
                strict=True,
            )
        )
        counts["posts"], post_fixes = _write_posts(con, out, delim, nodes, rels)
    finally:
        con.close()
    finish = out / "finish.cypher"
    statements = [*cypher.SCHEMA, *((neo4j_posts.SCHEMA,) if counts["posts"] else ()), cypher.AWAIT_INDEXES]
    statements += [*((FIX_HASHTAGS,) if fixes else ()), *((FIX_POST_HASHTAGS,) if post_fixes else ())]
    _write_text(finish, "".join(s + ";\n" for s in statements))
    files = ImportFiles(
        out,
        nodes,
        rels,
        finish,
        delim,
        multiline,
        max(_READ_BUFFER, 2 * longest + 1024),
        {k: int(v) for k, v in counts.items()},
    )
    args = files.command("@DB@")[1:]
    line = " ".join(
        ['"${NEO4J_ADMIN:-neo4j-admin}"', *('"${1:-neo4j}"' if a == "@DB@" else shlex.quote(a) for a in args)]
    )
    script = (
        "#!/bin/sh\n# Import into a stopped server's database ($1, default neo4j); then start it and run\n"
        "# cypher-shell -f finish.cypher.  NEO4J_ADMIN names the tool (default neo4j-admin).\nset -e\n" + line + "\n"
    )
    _write_text(out / "import.sh", script)
    os.chmod(out / "import.sh", 0o755)
    return files


def _has_posts(con: duckdb.DuckDBPyConnection) -> bool:
    """Does the store have a non-empty ``posts`` table (stores written before posts have none)?"""
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    return "posts" in tables and bool(con.execute("SELECT count(*) FROM posts").fetchall()[0][0])


def _write_posts(con: duckdb.DuckDBPyConnection, out: Path, delim: str, nodes: dict, rels: dict) -> tuple[int, bool]:
    """Write ``posts`` and ``posted`` files (entered into ``nodes`` / ``rels``) when the store holds posts,
    else remove those of an earlier run; return (posts written, some list needs the hashtag fix)."""
    if not _has_posts(con):
        for name in ("posts", "posted"):
            for suffix in (".header.csv", ".csv"):
                (out / f"{name}{suffix}").unlink(missing_ok=True)
        return 0, False
    ambiguous = "(tags IS NOT NULL AND len(tags) = 1 AND tags[1] = '')"
    fixes = bool(con.execute(f"SELECT count(*) FROM ({_POSTS}) WHERE {ambiguous}").fetchall()[0][0])
    sql = f"""SELECT nid, post_id, us, kind, CASE WHEN {ambiguous} THEN NULL ELSE array_to_string(tags, $delim) END,
                     {", ".join(POST_METRICS)}, platform{f", CASE WHEN {ambiguous} THEN 1 END" if fixes else ""}
              FROM ({_POSTS}) ORDER BY nid"""
    header = _POST_HEADER + ((f"{_FIX}:long",) if fixes else ())
    nodes["Post"] = _write(con, out, "posts", header, sql, {"delim": delim})
    rels["POSTED"] = _write(con, out, "posted", _POSTED_HEADER, f"SELECT author, nid FROM ({_POSTS}) ORDER BY nid", {})
    return int(con.execute("SELECT count(*) FROM posts").fetchall()[0][0]), fixes


def _check_times(con: duckdb.DuckDBPyConnection, store_path: Path) -> None:
    """Every timestamp must print as a four-digit year (what the importer's ``datetime`` parses)."""
    for table, col in (("follows", "since"), ("interactions", "ts")):
        bad = con.execute(f"""SELECT min({col}), max({col}) FROM {table}
                              WHERE {col} < TIMESTAMP '0001-01-01' OR {col} >= TIMESTAMP '10000-01-01'""").fetchall()
        if bad and bad[0][0] is not None:
            raise StoreError(
                f"{store_path}: {table}.{col} holds {bad[0][0]} (up to {bad[0][1]}), outside the years "
                "0001-9999 that neo4j-admin import can parse; fix the input and load again"
            )


def _array_delimiter(con: duckdb.DuckDBPyConnection, store_path: Path) -> str:
    """The first of :data:`_DELIMITERS` that occurs in no hashtag."""
    tables = ("interactions", "posts") if _has_posts(con) else ("interactions",)
    for d in _DELIMITERS:
        used = sum(
            con.execute(
                f"SELECT count(*) FROM {t} WHERE hashtags IS NOT NULL AND contains(array_to_string(hashtags, ''), $d)",
                {"d": d},
            ).fetchall()[0][0]
            for t in tables
        )
        if not used:
            return d
    raise StoreError(f"{store_path}: every candidate array delimiter occurs in some hashtag")


def _text_shape(con: duckdb.DuckDBPyConnection) -> tuple[bool, int]:
    """(some value holds a line break, the longest value's UTF-8 bytes) over the written text columns."""
    multiline, longest = False, 0
    shapes = [
        ("accounts", ("id", "handle", "platform", "affiliation")),
        ("interactions", ("post_id", "array_to_string(hashtags, 'x')")),
    ]
    if _has_posts(con):
        shapes.append(("posts", ("post_id", "kind", "platform", "array_to_string(hashtags, 'x')")))
    for table, cols in shapes:
        for c in cols:
            nl, mx = con.execute(f"""SELECT coalesce(bool_or(contains({c}, chr(10)) OR contains({c}, chr(13))), false),
                                            coalesce(max(strlen({c})), 0) FROM {table}""").fetchall()[0]
            multiline, longest = multiline or bool(nl), max(longest, int(mx))
    return multiline, longest


def _write(
    con: duckdb.DuckDBPyConnection, out: Path, name: str, header: tuple[str, ...], sql: str, params: dict
) -> tuple[Path, Path]:
    """Write ``name.header.csv`` (one line) and ``name.csv`` (the rows of ``sql``, no header)."""
    head, data = out / f"{name}.header.csv", out / f"{name}.csv"
    _write_text(head, ",".join(header) + "\n")
    opts = pacsv.WriteOptions(include_header=False, quoting_style="needed")  # strings quoted, nulls empty
    tmp = data.with_name(data.name + ".partial")
    try:
        reader = con.sql(sql, params=params or None).to_arrow_reader(1 << 17)
        with pacsv.CSVWriter(str(tmp), reader.schema, write_options=opts) as w:
            for b in reader:
                w.write_batch(b)
        os.replace(tmp, data)
    except (OSError, pa.ArrowException) as exc:
        tmp.unlink(missing_ok=True)
        raise StoreError(f"writing {data}: {exc}") from exc
    return head, data


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".partial")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StoreError(f"writing {path}: {exc}") from exc
