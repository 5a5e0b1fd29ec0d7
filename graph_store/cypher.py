"""Every Cypher statement the Neo4j store runs, in one place.

Values always travel as parameters (``$name``).  Labels, relationship types and
property names are fixed constants written here; the only text built from
names is the account-field update, whose names come from the canonical
``schema.ACCOUNTS`` allowlist (checked at import).

Graph model
-----------
``(:Account {key, idx, id, handle, platform, followers_count, following_count, affiliation})``
    ``key`` is the SHA-256 (hex) of ``id`` and carries the uniqueness constraint,
    because Neo4j cannot index property values larger than about 8 kB and ids
    may be arbitrarily long.  ``idx`` (unique) is the dense engine index.
``(:Account)-[:FOLLOWS {since}]->(:Account)``
    One relationship per pair (the pair is the identity; no key, no index);
    ``since`` is a UTC ``DATETIME`` (earliest seen) or absent.
``(:Account)-[:INTERACTS {kind, ts, post_id, hashtags, weight, n}]->(:Account)``
    One relationship per distinct event: the pair and the fields are its
    identity (no key is stored: the loader hashes the fields it reads back);
    ``n`` counts identical events (multiplicity) and is absent when it is 1
    (read ``coalesce(e.n, 1)``); ``ts`` is a UTC ``DATETIME``; ``weight`` is
    absent when it is the default 1.0.  (Every stored property costs server
    time for each relationship written, so neither defaults nor keys are
    stored.)
``(:Run {run_id, created_at, params, counts})``, ``(:RunTable {run_id, table, seq, data})``
    An analysis run; its result tables kept exactly as compressed Arrow IPC
    chunks.  The latest run's per-account results are also written as
    ``Account`` properties and each community as ``(:Community {run_id, id, ...})``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .schema import ACCOUNT_FIELDS

#: Labels and relationship types the store uses (the fixed allowlist).
LABELS: tuple[str, ...] = ("Account", "Post", "Run", "RunTable", "Community")
REL_TYPES: tuple[str, ...] = ("FOLLOWS", "INTERACTS", "POSTED")

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
assert all(_IDENT.match(f) for f in ACCOUNT_FIELDS)

SCHEMA: tuple[str, ...] = (
    "CREATE CONSTRAINT ng_account_key IF NOT EXISTS FOR (a:Account) REQUIRE a.key IS UNIQUE",
    "CREATE CONSTRAINT ng_account_idx IF NOT EXISTS FOR (a:Account) REQUIRE a.idx IS UNIQUE",
    "CREATE CONSTRAINT ng_run_id IF NOT EXISTS FOR (r:Run) REQUIRE r.run_id IS UNIQUE",
    "CREATE INDEX ng_runtable IF NOT EXISTS FOR (t:RunTable) ON (t.run_id)",
    # A chunk and a community that may exist are found by one hinted seek on their whole identity:
    # an index on run_id alone would filter every row of the run written so far (quadratic).
    "CREATE INDEX ng_runtable_key IF NOT EXISTS FOR (t:RunTable) ON (t.run_id, t.table, t.seq)",
    "CREATE INDEX ng_community IF NOT EXISTS FOR (c:Community) ON (c.run_id)",
    "CREATE INDEX ng_community_key IF NOT EXISTS FOR (c:Community) ON (c.run_id, c.level, c.id)",
)
AWAIT_INDEXES = "CALL db.awaitIndexes(300)"

# -- loading -------------------------------------------------------------------

#: Constraints of the first graph model (relationship keys with uniqueness indexes); dropped when
#: found, because keeping their index up to date was a third of the cost of writing a relationship.
OLD_CONSTRAINTS: tuple[str, ...] = ("ng_follows_key", "ng_interacts_key")
FIND_CONSTRAINTS = "SHOW CONSTRAINTS YIELD name WHERE name IN $names RETURN collect(name) AS names"
#: ``DROP CONSTRAINT`` takes no parameter: the name is one of :data:`OLD_CONSTRAINTS`, never input.
DROP_CONSTRAINT = "DROP CONSTRAINT {name} IF EXISTS"

#: ``$keys`` (list of hex) -> the ones that exist, with their idx and element id.
EXISTING_ACCOUNTS = """
UNWIND $keys AS k
MATCH (a:Account {key: k}) USING INDEX a:Account(key)
RETURN collect(k) AS keys, collect(a.idx) AS idx, collect(elementId(a)) AS nid
"""

#: How many accounts hold an ``idx`` and the largest: fewer than ``m + 1`` means free values (holes).
IDX_STATS = "MATCH (a:Account) WHERE a.idx IS NOT NULL RETURN count(a) AS n, max(a.idx) AS m"

#: Every stored ``idx`` (read only when :data:`IDX_STATS` shows holes).
STORED_IDX = "MATCH (a:Account) WHERE a.idx IS NOT NULL RETURN collect(a.idx) AS idx"

#: Fields of a new account in its CREATE map (a null value stores nothing: cheaper than a SET).
_new_fields = ", ".join(f"{f}: $v.{f}[i]" for f in ACCOUNT_FIELDS)

#: Create the accounts that do not exist yet, with their fields (idempotent: looked up by key first;
#: the uniqueness constraint turns a concurrent duplicate into an error).  Returns the keys and
#: element ids of the accounts it created.
CREATE_ACCOUNTS = f"""
UNWIND range(0, size($key) - 1) AS i
OPTIONAL MATCH (x:Account {{key: $key[i]}}) USING INDEX x:Account(key)
WITH i, x WHERE x IS NULL
CREATE (a:Account {{key: $key[i], id: $id[i], idx: $idx[i], {_new_fields}}})
RETURN collect($key[i]) AS keys, collect(elementId(a)) AS nid
"""

#: Fresh database only (no account yet): plain CREATE, no lookups.
CREATE_ACCOUNTS_FRESH = f"""
UNWIND range(0, size($key) - 1) AS i
CREATE (a:Account {{key: $key[i], id: $id[i], idx: $idx[i], {_new_fields}}})
RETURN collect($key[i]) AS keys, collect(elementId(a)) AS nid
"""

#: What a load needs to know first, in one statement (each statement costs planning, and on a freshly
#: started server compiling): the accounts (count store), how many hold an ``idx`` and the largest
#: (fewer than ``m + 1``: free values), the relationships of each type (count store).
LOAD_SIZES = """
CALL () { MATCH (a:Account) RETURN count(a) AS accounts }
CALL () { MATCH (a:Account) WHERE a.idx IS NOT NULL RETURN count(a) AS n, max(a.idx) AS m }
CALL () { MATCH ()-[f:FOLLOWS]->() RETURN count(f) AS follows }
CALL () { MATCH ()-[e:INTERACTS]->() RETURN count(e) AS events }
RETURN accounts, n, m, follows, events
"""

_changed = " OR ".join(f"($v.{f}[i] IS NOT NULL AND (a.{f} IS NULL OR a.{f} <> $v.{f}[i]))" for f in ACCOUNT_FIELDS)
_sets = ", ".join(f"a.{f} = coalesce($v.{f}[i], a.{f})" for f in ACCOUNT_FIELDS)

#: Upsert fields of accounts that existed before this load: a non-null value replaces the stored one.
#: ``$nid`` (element ids), ``$v.<field>``.  Only accounts with a changed field are written.
UPDATE_ACCOUNTS = f"""
UNWIND range(0, size($nid) - 1) AS i
MATCH (a:Account) WHERE elementId(a) = $nid[i]
WITH a, i WHERE {_changed}
SET {_sets}
RETURN count(*) AS updated
"""

#: Endpoints of row ``i`` by element id (``$a``, ``$b``), as the accounts phase returned them:
#: a node-by-element-id seek is cheaper than a unique-index seek on ``idx``.
_ENDPOINTS = """MATCH (a:Account) WHERE elementId(a) = $a[i]
MATCH (b:Account) WHERE elementId(b) = $b[i]"""

_SINCE = "CASE WHEN $ss[i] IS NULL THEN null ELSE datetime.fromepoch($ss[i], $sn[i]) END"

#: Follows whose source is one of ``$a`` (element ids): source and target element ids and
#: ``since`` in epoch microseconds (``$none`` when absent; ``collect`` would drop nulls).
EXISTING_FOLLOWS = """
UNWIND $a AS x
MATCH (a:Account)-[f:FOLLOWS]->(b) WHERE elementId(a) = x
RETURN collect(x) AS a, collect(elementId(b)) AS b,
       collect(coalesce(f.since.epochSeconds * 1000000 + f.since.microsecond, $none)) AS us
"""

#: Merge follows (a pair is the identity: one relationship per pair).  Columns ``$a``, ``$b``
#: (endpoint element ids), ``$ss``, ``$sn`` (since: epoch s, ns).  Keeps the earliest ``since``.
MERGE_FOLLOWS = f"""
UNWIND range(0, size($a) - 1) AS i
{_ENDPOINTS}
WITH i, a, b, {_SINCE} AS since
OPTIONAL MATCH (a)-[f:FOLLOWS]->(b)
CALL (a, b, f, since) {{
  WITH a, b, f, since WHERE f IS NULL
  CREATE (a)-[:FOLLOWS {{since: since}}]->(b)
  RETURN count(*) AS created
}}
SET f.since = CASE WHEN since IS NOT NULL AND (f.since IS NULL OR since < f.since) THEN since ELSE f.since END
REMOVE a.adj_v
RETURN sum(created) AS inserted, count(f) AS existing, count(DISTINCT i) AS matched
"""

#: The end of a statement that created relationships ``(a)-[...]->(b)``, one row each: their sources'
#: adjacency records are stale now (see :mod:`graph_store.neo4j_adjacency`), the rows counted.
_STALE_SOURCES = """WITH a, count(*) AS c
REMOVE a.adj_v
RETURN sum(c) AS inserted, 0 AS existing, sum(c) AS matched"""

#: Follows known to be new (none stored for the type, or not found by :data:`EXISTING_FOLLOWS`).
CREATE_FOLLOWS = f"""
UNWIND range(0, size($a) - 1) AS i
{_ENDPOINTS}
CREATE (a)-[:FOLLOWS {{since: {_SINCE}}}]->(b)
{_STALE_SOURCES}
"""

#: :data:`CREATE_FOLLOWS` in a load into an empty database: every account is new and holds no adjacency
#: records before the load's last step writes them, so there is no ``adj_v`` to remove (and no per-source
#: aggregation to do).
CREATE_FOLLOWS_FRESH = f"""
UNWIND range(0, size($a) - 1) AS i
{_ENDPOINTS}
CREATE (a)-[:FOLLOWS {{since: {_SINCE}}}]->(b)
RETURN count(*) AS inserted, 0 AS existing, count(*) AS matched
"""

#: Interaction events whose source is one of ``$a``: endpoints, the fields that identify an event
#: (``us``: epoch microseconds or ``$none``; ``w`` with the default 1.0) and the multiplicity.
#: ``collect`` drops nulls, so ``post_id`` and ``hashtags`` list only the events that have one and
#: ``has`` says which: bit 0 a post id, bit 1 hashtags (flat lists decode much faster than
#: ``[value]`` singletons).
EXISTING_INTERACTIONS = """
UNWIND $a AS x
MATCH (a:Account)-[e:INTERACTS]->(b) WHERE elementId(a) = x
WITH x, b, e, e.ts AS ts
RETURN collect(x) AS a, collect(elementId(b)) AS b, collect(e.kind) AS kind,
       collect(coalesce(ts.epochSeconds * 1000000 + ts.microsecond, $none)) AS us,
       collect(e.post_id) AS post_id, collect(e.hashtags) AS hashtags,
       collect(CASE WHEN e.post_id IS NULL THEN 0 ELSE 1 END + CASE WHEN e.hashtags IS NULL THEN 0 ELSE 2 END) AS has,
       collect(coalesce(e.weight, 1.0)) AS w, collect(coalesce(e.n, 1)) AS n
"""

#: The event time of row ``i`` (null when absent).
_TS = "CASE WHEN $ts[i] IS NULL THEN null ELSE datetime.fromepoch($ts[i], $tn[i]) END"

#: A new event (``n`` stored only when it is not 1: null stores nothing).
_NEW_EVENT = f"""CREATE (a)-[:INTERACTS {{kind: $kind[i], ts: {_TS},
    post_id: $post[i], hashtags: $tags[i], weight: $w[i], n: CASE WHEN $n[i] = 1 THEN null ELSE $n[i] END}}]->(b)"""

#: Merge interaction events: an event is identified by its fields among the relationships of its pair
#: (two absent values are equal).  Columns ``$a``, ``$b``, ``$kind``, ``$ts``, ``$tn``, ``$post``,
#: ``$tags``, ``$w`` (null for the default 1.0), ``$n`` (multiplicity in this load).
MERGE_INTERACTIONS = f"""
UNWIND range(0, size($a) - 1) AS i
{_ENDPOINTS}
WITH i, a, b, {_TS} AS ts
OPTIONAL MATCH (a)-[e:INTERACTS]->(b)
  WHERE e.kind = $kind[i] AND (e.ts = ts OR (e.ts IS NULL AND ts IS NULL))
    AND (e.post_id = $post[i] OR (e.post_id IS NULL AND $post[i] IS NULL))
    AND (e.hashtags = $tags[i] OR (e.hashtags IS NULL AND $tags[i] IS NULL))
    AND coalesce(e.weight, 1.0) = coalesce($w[i], 1.0)
WITH i, a, b, e, coalesce(e.n, 1) AS old
CALL (i, a, b, e) {{
  WITH i, a, b, e WHERE e IS NULL
  {_NEW_EVENT}
  RETURN count(*) AS created
}}
SET e.n = CASE WHEN $n[i] > old THEN $n[i] ELSE e.n END
REMOVE a.adj_v
RETURN sum(CASE WHEN e IS NULL THEN $n[i] WHEN $n[i] > old THEN $n[i] - old ELSE 0 END) AS inserted,
       count(e) AS existing, count(DISTINCT i) AS matched
"""

#: Events known to be new (plain CREATE; events are distinct after client-side aggregation).
CREATE_INTERACTIONS = f"""
UNWIND range(0, size($a) - 1) AS i
{_ENDPOINTS}
{_NEW_EVENT}
WITH a, count(*) AS c, sum($n[i]) AS n
REMOVE a.adj_v
RETURN sum(n) AS inserted, 0 AS existing, sum(c) AS matched
"""

#: :data:`CREATE_INTERACTIONS` in a load into an empty database (no ``adj_v`` to remove: see
#: :data:`CREATE_FOLLOWS_FRESH`).
CREATE_INTERACTIONS_FRESH = f"""
UNWIND range(0, size($a) - 1) AS i
{_ENDPOINTS}
{_NEW_EVENT}
RETURN sum($n[i]) AS inserted, 0 AS existing, count(*) AS matched
"""

# -- reading -------------------------------------------------------------------

COUNTS = """
CALL () { MATCH (a:Account) RETURN count(a) AS accounts }
CALL () { MATCH ()-[f:FOLLOWS]->() RETURN count(f) AS follows }
CALL () { MATCH ()-[e:INTERACTS]->() RETURN coalesce(sum(coalesce(e.n, 1)), 0) AS interactions }
RETURN accounts, follows, interactions
"""

#: ``collect`` drops nulls, so nullable columns are read as ``[value]`` singletons.
READ_ACCOUNTS_NULLSAFE = """
MATCH (a:Account) USING INDEX a:Account(idx) WHERE a.idx >= $lo AND a.idx < $hi
RETURN collect(a.idx) AS idx, collect(a.id) AS id, collect([a.handle]) AS handle,
       collect([a.platform]) AS platform, collect([a.followers_count]) AS followers_count,
       collect([a.following_count]) AS following_count, collect([a.affiliation]) AS affiliation
"""

#: What a read of every edge needs first, in one statement: the largest ``idx`` and the relationship
#: counts (count store, no scan).
READ_SIZES = """
CALL () { MATCH (a:Account) WHERE a.idx IS NOT NULL RETURN max(a.idx) AS m }
CALL () { MATCH ()-[f:FOLLOWS]->() RETURN count(f) AS follows }
CALL () { MATCH ()-[e:INTERACTS]->() RETURN count(e) AS events }
RETURN m, follows, events
"""

#: Accounts with ``$lo <= idx < $hi``: idx, id, followers count (-1 = unknown), whether their adjacency
#: records are current (``adj_v = $v``) and the records (``$e``, no bytes, when absent or not current).
READ_ADJACENCY = """
MATCH (a:Account) USING INDEX a:Account(idx) WHERE a.idx >= $lo AND a.idx < $hi
WITH a, coalesce(a.adj_v = $v, false) AS ok
RETURN collect(a.idx) AS idx, collect(a.id) AS id, collect(coalesce(a.followers_count, -1)) AS fc,
       collect(ok) AS ok, collect(CASE WHEN ok THEN coalesce(a.adj_f, $e) ELSE $e END) AS f,
       collect(CASE WHEN ok THEN coalesce(a.adj_i, $e) ELSE $e END) AS i
"""

#: Follows of the accounts whose idx is in ``$idx``: source idx, the target's idx (-1 for a node that
#: is not a loaded account; ``collect`` would drop a null), ``since`` in epoch microseconds (``$none``
#: when absent).
READ_FOLLOWS_OF = """
UNWIND $idx AS s
MATCH (a:Account {idx: s})-[f:FOLLOWS]->(b)
RETURN collect(s) AS s, collect(coalesce(b.idx, -1)) AS d,
       collect(coalesce(f.since.epochSeconds * 1000000 + f.since.microsecond, $none)) AS us
"""

#: Interaction events of the accounts whose idx is in ``$idx``: source, target idx, kind ('' when
#: absent), time (epoch microseconds or ``$none``), weight and multiplicity as stored (defaults filled).
READ_INTERACTIONS_OF = """
UNWIND $idx AS s
MATCH (a:Account {idx: s})-[e:INTERACTS]->(b)
WITH s, b, e, e.ts AS ts
RETURN collect(s) AS s, collect(coalesce(b.idx, -1)) AS d, collect(coalesce(e.kind, '')) AS kind,
       collect(coalesce(ts.epochSeconds * 1000000 + ts.microsecond, $none)) AS us,
       collect(coalesce(e.weight, 1.0)) AS w, collect(coalesce(e.n, 1)) AS n
"""

#: Accounts whose adjacency records are missing or of another format (every account when ``$all``): their
#: ``idx`` and element ids.
STALE_ADJACENCY = """
MATCH (a:Account) WHERE a.idx IS NOT NULL AND ($all OR a.adj_v IS NULL OR a.adj_v <> $v)
RETURN collect(a.idx) AS idx, collect(elementId(a)) AS nid
"""

#: Lock the accounts ``$nid`` (element ids; a write takes the node's lock until the commit) and mark them
#: stale, before their relationships are read for new records: a writer adding a relationship waits.
LOCK_ADJACENCY = """
UNWIND $nid AS x
MATCH (a:Account) WHERE elementId(a) = x
REMOVE a.adj_v
RETURN count(a) AS n
"""

#: Store the adjacency records ``$f[i]``, ``$r[i]`` (bytes; null when none) of the account whose element id
#: is ``$nid[i]`` (a node-by-element-id seek: cheaper than the index seek on ``idx``).
WRITE_ADJACENCY = """
UNWIND range(0, size($nid) - 1) AS i
MATCH (a:Account) WHERE elementId(a) = $nid[i]
SET a.adj_f = $f[i], a.adj_i = $r[i], a.adj_v = $v
RETURN count(a) AS n
"""

#: One row per hashtag use (repeated ``n`` times client-side).
READ_HASHTAGS = """
MATCH (a:Account)-[e:INTERACTS]->() WHERE e.hashtags IS NOT NULL AND size(e.hashtags) > 0
RETURN collect(a.idx) AS s, collect(e.hashtags) AS tags, collect(coalesce(e.n, 1)) AS n
"""

INTERACTIONS_TO = """
UNWIND $keys AS k
MATCH (t:Account {key: k})<-[e:INTERACTS]-(s:Account) USING INDEX t:Account(key)
RETURN s.id AS source, t.id AS target, e.kind AS kind, sum(coalesce(e.n, 1)) AS n
"""

HASHTAG_USERS = """
MATCH (s:Account)-[e:INTERACTS]->() WHERE e.hashtags IS NOT NULL
UNWIND e.hashtags AS tag
WITH s, toLower(tag) AS tag, coalesce(e.n, 1) AS n WHERE tag IN $tags
RETURN s.id AS source, tag, sum(n) AS n
"""

# -- runs ------------------------------------------------------------------------


def _create_unless_found(label: str, identity: tuple[str, ...], rows: str) -> str:
    """``UNWIND $<rows> AS row``: each row's node found by one seek in the index on its whole identity, else
    created; its properties set to the row.  ``run_id`` comes from ``$run_id``, the rest from the row.

    Not a ``MERGE``: MERGE takes no index hint, and a planner free to choose may serve it from the
    ``run_id`` index and filter every node of the run written so far (quadratic).  The hint pins one
    seek per row.  ``label`` is from :data:`LABELS`; ``identity`` and ``rows`` are fixed names.
    """
    if label not in LABELS or not all(_IDENT.match(k) for k in (*identity, rows)):
        raise ValueError(f"not an allowed label or name: {label!r}, {identity!r}, {rows!r}")
    where = " AND ".join(f"old.{k} = $run_id" if k == "run_id" else f"old.{k} = row.{k}" for k in identity)
    return f"""
UNWIND ${rows} AS row
OPTIONAL MATCH (old:{label}) USING INDEX old:{label}({", ".join(identity)})
  WHERE {where}
CALL (old) {{
  WITH old WHERE old IS NULL
  CREATE (t:{label})
  RETURN t
  UNION
  WITH old WHERE old IS NOT NULL
  RETURN old AS t
}}
SET t = row
"""


RUN_EXISTS = "MATCH (r:Run {run_id: $run_id}) RETURN count(r) AS n"

#: Chunks of a run's tables known to be new (``$chunks``: maps ``{run_id, table, seq, data}``): plain
#: ``CREATE``\ s, many per statement.  :data:`DELETE_RUN_PARTS` removed whatever an interrupted write of
#: the run left; a batch whose commit outcome is unknown is retried with :data:`RUN_TABLE_CHUNKS_IDEMPOTENT`.
RUN_TABLE_CHUNKS = """
UNWIND $chunks AS ch
CREATE (t:RunTable)
SET t = ch
"""

#: :data:`RUN_TABLE_CHUNKS` for chunks that may exist: each found by one seek on its whole identity, else
#: created (not a ``MERGE``: :func:`_create_unless_found` says why).
RUN_TABLE_CHUNKS_IDEMPOTENT = _create_unless_found("RunTable", ("run_id", "table", "seq"), "chunks")


def property_names(columns: Sequence[str]) -> tuple[str, ...]:
    """``columns`` as property names: letters, digits and underscores (the rule of the DuckDB store's columns)."""
    bad = [c for c in columns if not _IDENT.match(c)]
    if bad:
        raise ValueError(f"result column names must be letters, digits and underscores: {bad}")
    return tuple(columns)


#: Every account: its ``idx``, element id and the run whose results it holds (``a.run_id`` is set with the
#: values, in one statement; ``''`` for none: ``collect`` would drop a null), one list per column.
ACCOUNT_RUNS = """
MATCH (a:Account) WHERE a.idx IS NOT NULL
RETURN collect(a.idx) AS idx, collect(elementId(a)) AS nid, collect(coalesce(a.run_id, '')) AS run_id
"""

#: Result properties of accounts: ``$nid`` (element ids, read by :data:`ACCOUNT_RUNS` just before), and in
#: ``$p`` one map per account of the properties that change (a null removes one;
#: :mod:`graph_store.neo4j_results` leaves out what the node already holds); every account gets ``run_id``.
#: One statement for any set of result columns: its plan is made once per server.  A node-by-element-id
#: seek is cheaper than the unique-index seek on ``idx``, and reads no property that the ``SET`` could
#: change, so the planner need not buffer the batch first.
ACCOUNT_RESULTS = """
UNWIND range(0, size($nid) - 1) AS i
MATCH (a:Account) WHERE elementId(a) = $nid[i]
SET a.run_id = $run_id, a += $p[i]
"""

#: Communities of a run known to be new: ``$p``, one map per community (``run_id``, ``level``, ``id`` and
#: its non-null fields).  A plain ``CREATE`` (no lookup): :data:`DELETE_RUN_PARTS` removed whatever an
#: interrupted write of the run left, and a batch whose commit outcome is unknown is retried with
#: :data:`COMMUNITIES_IDEMPOTENT`.
COMMUNITIES = """
UNWIND $p AS p
CREATE (c:Community)
SET c = p
"""

#: :data:`COMMUNITIES` for rows that may exist: each found by one index seek, else created (not a ``MERGE``:
#: :func:`_create_unless_found` says why).
COMMUNITIES_IDEMPOTENT = _create_unless_found("Community", ("run_id", "level", "id"), "p")


CREATE_RUN = """
MERGE (r:Run {run_id: $run_id})
SET r.created_at = $created_at, r.params = $params, r.counts = $counts, r.tables = $tables
"""

#: What an interrupted write of a run left (its chunks and communities; the run node is written last).
DELETE_RUN_PARTS = """
CALL () { MATCH (t:RunTable {run_id: $run_id}) DETACH DELETE t }
CALL () { MATCH (c:Community {run_id: $run_id}) DETACH DELETE c }
"""

LIST_RUNS = """
MATCH (r:Run) RETURN r.run_id AS run_id, r.created_at AS created_at, r.params AS params, r.counts AS counts
ORDER BY created_at DESC, run_id DESC
"""

READ_RUN_TABLE = """
MATCH (t:RunTable {run_id: $run_id}) WHERE t.table IN $tables
RETURN t.table AS table, t.seq AS seq, t.data AS data ORDER BY table, seq
"""
