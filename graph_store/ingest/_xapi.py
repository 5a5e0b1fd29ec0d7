"""Reader for X (Twitter) API v2 tweet objects as JSON Lines.

Each line is one tweet object or one API response page
(``{"data": [tweets], "includes": {"users": [...], "tweets": [...]}}``).

* ``author_id`` is the source of every interaction a tweet makes;
* ``entities.mentions[].id`` -> ``mention`` (not for retweets: a retweet's
  mentions belong to the original tweet; they are counted as skipped); a mention
  with a ``username`` only (older responses) is resolved to an id through every
  ``includes.users`` entry and id-carrying mention of the file, and otherwise kept
  under the account ``@username`` (see :mod:`._handles`);
* ``in_reply_to_user_id`` -> ``reply``;
* ``referenced_tweets`` of type ``quoted`` / ``retweeted`` -> ``quote`` /
  ``repost`` of the referenced tweet's author, looked up among every tweet of
  the file (``includes.tweets`` and the tweets themselves); a reference whose
  author is not in the file is skipped and counted.  ``replied_to`` references
  are counted as skipped because ``in_reply_to_user_id`` already gives the reply;
* ``created_at`` -> ``ts``, the tweet ``id`` -> ``post_id``,
  ``entities.hashtags[].tag`` -> ``hashtags`` of each interaction;
* ``includes.users`` -> accounts (``username`` as handle, platform ``"x"``,
  ``public_metrics.followers_count`` / ``following_count``);
* every tweet, and every ``includes.tweets`` entry with an ``id`` and ``author_id``, -> a post
  (:mod:`._xapi_posts`): ``public_metrics`` ``like_count``, ``reply_count``, ``retweet_count``,
  ``quote_count`` and ``impression_count`` as ``likes``, ``replies``, ``reposts``, ``quotes`` and
  ``views``; its kind from ``referenced_tweets`` (``retweeted`` -> repost, else ``replied_to`` ->
  reply, else ``quoted`` -> quote, else original).  So a twarc / tweepy export gives posts,
  interactions and accounts in one load.

Everything is done with Arrow list/struct kernels over whole blocks.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import partial

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..schema import TIMESTAMP
from ._convert import Piece, TableOptions, convert
from ._handles import handle_pairs as _handle_pairs
from ._handles import resolve_handles
from ._jsonl import LineBlocks, parse_json_block
from ._report import FileStats
from ._xapi_posts import PUBLIC_METRICS, SKIP_INCLUDED_NO_AUTHOR, posts_piece

S = pa.string()
MENTION = pa.struct([("id", S), ("username", S)])
HASHTAG = pa.struct([("tag", S)])
REF = pa.struct([("type", S), ("id", S)])
TWEET_FIELDS = [
    ("id", S),
    ("author_id", S),
    ("created_at", S),
    ("in_reply_to_user_id", S),
    ("entities", pa.struct([("mentions", pa.list_(MENTION)), ("hashtags", pa.list_(HASHTAG))])),
    ("referenced_tweets", pa.list_(REF)),
    ("public_metrics", PUBLIC_METRICS),
]
TWEET = pa.struct(TWEET_FIELDS)
USER = pa.struct(
    [
        ("id", S),
        ("username", S),
        ("public_metrics", pa.struct([("followers_count", pa.int64()), ("following_count", pa.int64())])),
    ]
)
LINE = pa.schema(
    [
        *TWEET_FIELDS,
        ("data", pa.list_(TWEET)),
        ("includes", pa.struct([("users", pa.list_(USER)), ("tweets", pa.list_(TWEET))])),
    ]
)
STRING_KEYS = ["id", "author_id", "in_reply_to_user_id", "username", "type", "tag", "created_at"]

SKIP_RT_MENTIONS = "mentions inside retweets (they belong to the original tweet)"
SKIP_REPLIED_TO = "replied_to references (the reply comes from in_reply_to_user_id)"
SKIP_UNKNOWN_AUTHOR = "quote/repost references whose tweet's author is not in the file"
SKIP_OTHER_REF = "references of another type"
SKIP_NO_DATA = "lines without tweets (a page with no data)"
SKIP_NO_INTERACTION = "tweets without any mention, reply, quote or repost (loaded as posts only)"


def _fix_single(obj: dict) -> dict:
    """A single-tweet lookup page has ``data`` as one object: make it a list."""
    if isinstance(obj.get("data"), dict):
        obj = {**obj, "data": [obj["data"]]}
    return obj


def _flat(lists: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Values of a list array and the row each came from."""
    if isinstance(lists, pa.ChunkedArray):
        lists = lists.combine_chunks()
    vals = pc.list_flatten(lists)
    parent = np.asarray(pc.list_parent_indices(lists).to_numpy(zero_copy_only=False), dtype=np.int64)
    return vals, parent


def _mask(a) -> np.ndarray:
    return np.asarray(pc.fill_null(a, False).to_numpy(zero_copy_only=False), dtype=bool)


def _take(arr: pa.Array, idx: np.ndarray) -> pa.Array:
    return arr.take(pa.array(idx, pa.int64()))


def _hashtag_lists(entities: pa.Array) -> pa.Array:
    """``entities.hashtags[].tag`` as list<string> per tweet (null when none)."""
    ht = pc.struct_field(entities, "hashtags")
    vals, parent = _flat(ht)
    tags = pc.struct_field(vals, "tag") if len(vals) else pa.array([], S)
    n = len(entities)
    counts = np.bincount(parent, minlength=n) if parent.size else np.zeros(n, np.int64)
    offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), tags.cast(S), mask=pa.array(counts == 0))


def read_xapi(path: str, stats: FileStats, file: str, opts: TableOptions) -> Iterator:
    pending: list[pa.Table] = []
    authors: list[pa.Table] = []
    handles: list[pa.Table] = []  # (lower-case username, id) pairs seen anywhere in the file
    by_handle: list[pa.Table] = []  # mentions that name a username only
    for issues, values, _trimmed, numbers in LineBlocks(path, stats, file):
        stats.rows -= len(values)  # rows of an X API file are tweets, counted below
        if issues:
            yield issues
        if len(values) == 0:
            continue
        tbl, kept, bad = parse_json_block(values, numbers, LINE, STRING_KEYS, file, fix=_fix_single)
        if bad:
            stats.rows += len(bad)  # an unreadable line counts as one row read (and rejected)
            yield bad
        if tbl.num_rows == 0:
            continue
        lines = numbers[kept]

        # -- tweets: top-level objects and page data ------------------------------------------------
        top = np.asarray(
            pc.or_(pc.is_valid(tbl.column("author_id")), pc.is_valid(tbl.column("id")))
            .combine_chunks()
            .fill_null(False)
            .to_numpy(zero_copy_only=False),
            dtype=bool,
        )
        top_idx = np.flatnonzero(top)
        top_struct = pa.StructArray.from_arrays(
            [_take(tbl.column(name).combine_chunks(), top_idx) for name, _ in TWEET_FIELDS], fields=list(TWEET)
        )
        page_vals, page_parent = _flat(tbl.column("data"))
        tweets = pa.concat_arrays([top_struct, page_vals.cast(TWEET)])
        row_of = np.concatenate((top_idx, page_parent)).astype(np.int64)  # tweet -> position in tbl
        includes = tbl.column("includes").combine_chunks()
        no_data = ~top & (np.bincount(page_parent, minlength=tbl.num_rows) == 0)
        stats.skip(SKIP_NO_DATA, int(no_data.sum()))
        stats.rows += len(tweets)

        # accounts from includes.users
        users, u_parent = _flat(pc.struct_field(includes, "users"))
        if len(users):
            handles.append(_handle_pairs(pc.struct_field(users, "id"), pc.struct_field(users, "username")))
            pm = pc.struct_field(users, "public_metrics")
            acc = Piece(
                "accounts",
                {
                    "id": pc.struct_field(users, "id"),
                    "handle": pc.struct_field(users, "username"),
                    "platform": pa.array(["x"] * len(users), S),
                    "followers_count": pc.struct_field(pm, "followers_count"),
                    "following_count": pc.struct_field(pm, "following_count"),
                },
                lines[u_parent],
                partial(_json_text, users),
                names={
                    "id": "includes.users.id",
                    "handle": "includes.users.username",
                    "followers_count": "public_metrics.followers_count",
                    "following_count": "public_metrics.following_count",
                },
            )
            yield acc

        # tweet authors known in this file (for quote / repost targets)
        inc_tweets, inc_parent = _flat(pc.struct_field(includes, "tweets"))
        inc_tweets = inc_tweets.cast(TWEET)
        known = pa.concat_arrays([tweets, inc_tweets])
        if len(inc_tweets):  # referenced tweets are posts too (their authors' engagement)
            usable = _mask(
                pc.and_(
                    pc.is_valid(pc.struct_field(inc_tweets, "id")),
                    pc.is_valid(pc.struct_field(inc_tweets, "author_id")),
                )
            )
            stats.skip(SKIP_INCLUDED_NO_AUTHOR, int((~usable).sum()))
            keep = np.flatnonzero(usable)
            if keep.size:
                inc = _take(inc_tweets, keep)
                yield posts_piece(
                    inc,
                    _hashtag_lists(pc.struct_field(inc, "entities")),
                    lines[inc_parent[keep]],
                    partial(_json_text, inc),
                )
        authors.append(
            pa.table(
                {"ref_id": pc.struct_field(known, "id"), "ref_author": pc.struct_field(known, "author_id")}
            ).filter(
                pc.and_(pc.is_valid(pc.struct_field(known, "id")), pc.is_valid(pc.struct_field(known, "author_id")))
            )
        )
        if len(tweets) == 0:
            continue

        # tweet-level checks (author, created_at) once per tweet
        t_lines = lines[row_of]
        t_text = lambda pos, _t=tweets: _json_text(_t, pos)
        author = pc.struct_field(tweets, "author_id")
        check = Piece(
            "interactions",
            {
                "source": author,
                "target": author,
                "kind": pa.array(["mention"] * len(tweets), S),
                "ts": pc.struct_field(tweets, "created_at"),
                "post_id": pc.struct_field(tweets, "id"),
            },
            t_lines,
            t_text,
            names={"source": "author_id", "ts": "created_at", "post_id": "id"},
        )
        checked, t_issues, t_bad = convert(check, opts, file)
        if t_issues:
            yield t_issues
        good = np.flatnonzero(~t_bad)
        tweets, row_of, t_lines = _take(tweets, good), row_of[good], t_lines[good]
        author, ts, post = checked.column("source"), checked.column("ts"), checked.column("post_id")
        entities = pc.struct_field(tweets, "entities")
        tags = _hashtag_lists(entities)
        yield posts_piece(tweets, tags, t_lines, partial(_json_text, tweets))
        refs = pc.struct_field(tweets, "referenced_tweets")
        r_vals, r_parent = _flat(refs)
        r_type = pc.struct_field(r_vals, "type") if len(r_vals) else pa.array([], S)
        is_rt = np.zeros(len(tweets), dtype=bool)
        rt_ref = np.asarray(pc.equal(r_type, "retweeted").fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
        is_rt[r_parent[rt_ref]] = True
        made = np.zeros(len(tweets), dtype=np.int64)

        parts: list[tuple[np.ndarray, pa.Array, str, str]] = []  # (tweet idx, target, kind, target field)
        m_vals, m_parent = _flat(pc.struct_field(entities, "mentions"))
        if len(m_vals):
            in_rt = is_rt[m_parent]
            stats.skip(SKIP_RT_MENTIONS, int(in_rt.sum()))
            m_id, m_name = pc.struct_field(m_vals, "id"), pc.struct_field(m_vals, "username")
            handles.append(_handle_pairs(m_id, m_name))
            by_name = ~in_rt & _mask(pc.and_(pc.is_null(m_id), pc.is_valid(m_name)))
            keep = np.flatnonzero(~in_rt & ~by_name)
            parts.append((m_parent[keep], _take(m_id, keep), "mention", "entities.mentions.id"))
            named = np.flatnonzero(by_name)
            if named.size:  # older responses: a username only, resolved after the whole file is read
                t_idx = m_parent[named]
                made += np.bincount(t_idx, minlength=len(tweets))
                by_handle.append(
                    pa.table(
                        {
                            "source": _take(author, t_idx),
                            "username": pc.utf8_lower(_take(m_name, named)),
                            "ts": _take(ts, t_idx).cast(TIMESTAMP),
                            "post_id": _take(post, t_idx),
                            "hashtags": _take(tags, t_idx),
                            "line": pa.array(t_lines[t_idx]),
                        }
                    )
                )
        reply_to = pc.struct_field(tweets, "in_reply_to_user_id")
        has_reply = np.flatnonzero(np.asarray(pc.is_valid(reply_to).to_numpy(zero_copy_only=False), dtype=bool))
        if has_reply.size:
            parts.append((has_reply, _take(reply_to, has_reply), "reply", "in_reply_to_user_id"))
        for t_idx, target, kind, fld in parts:
            made += np.bincount(t_idx, minlength=len(tweets))
            yield Piece(
                "interactions",
                {
                    "source": _take(author, t_idx),
                    "target": target,
                    "kind": pa.array([kind] * len(t_idx), S),
                    "ts": _take(ts, t_idx),
                    "post_id": _take(post, t_idx),
                    "hashtags": _take(tags, t_idx),
                },
                t_lines[t_idx],
                partial(_json_text_at, tweets, t_idx),
                names={"target": fld},
            )
        if len(r_vals):
            r_id = pc.struct_field(r_vals, "id")
            kind = pc.if_else(
                pc.equal(r_type, "quoted"),
                "quote",
                pc.if_else(pc.equal(r_type, "retweeted"), "repost", pa.scalar(None, S)),
            )
            replied = np.asarray(pc.equal(r_type, "replied_to").fill_null(False).to_numpy(zero_copy_only=False), bool)
            usable = np.asarray(pc.is_valid(kind).to_numpy(zero_copy_only=False), bool)
            stats.skip(SKIP_REPLIED_TO, int(replied.sum()))
            stats.skip(SKIP_OTHER_REF, int((~usable & ~replied).sum()))
            u = np.flatnonzero(usable)
            if u.size:
                t_idx = r_parent[u]
                made += np.bincount(t_idx, minlength=len(tweets))
                pending.append(
                    pa.table(
                        {
                            "source": _take(author, t_idx),
                            "ref_id": _take(r_id, u),
                            "kind": _take(kind, u),
                            "ts": _take(ts, t_idx).cast(TIMESTAMP),
                            "post_id": _take(post, t_idx),
                            "hashtags": _take(tags, t_idx),
                            "line": pa.array(t_lines[t_idx]),
                        }
                    )
                )
        stats.skip(SKIP_NO_INTERACTION, int((made == 0).sum()))

    if by_handle:
        yield from resolve_handles(pa.concat_tables(by_handle), handles, stats)
    # -- quotes and reposts: resolve the referenced tweet's author over the whole file --------------
    if not pending:
        return
    refs = pa.concat_tables(pending)
    known = (
        pa.concat_tables(authors) if authors else pa.table({"ref_id": pa.array([], S), "ref_author": pa.array([], S)})
    )
    known = (
        known.group_by("ref_id").aggregate([("ref_author", "min")]).rename_columns(["ref_id", "ref_author"])
        if known.num_rows
        else known
    )
    refs = refs.append_column("order", pa.array(np.arange(refs.num_rows, dtype=np.int64)))
    # (list columns cannot ride through a join: join the keys, then put the author next to each row)
    keys = refs.select(["ref_id", "order"]).join(known, "ref_id", join_type="left outer").sort_by("order")
    joined = refs.append_column("ref_author", keys.column("ref_author"))
    found = pc.is_valid(joined.column("ref_author")).combine_chunks()
    stats.skip(SKIP_UNKNOWN_AUTHOR, int(joined.num_rows - pc.sum(found).as_py() if joined.num_rows else 0))
    joined = joined.filter(found)
    if joined.num_rows == 0:
        return
    yield Piece(
        "interactions",
        {
            "source": joined.column("source"),
            "target": joined.column("ref_author"),
            "kind": joined.column("kind"),
            "ts": joined.column("ts"),
            "post_id": joined.column("post_id"),
            "hashtags": joined.column("hashtags"),
        },
        np.asarray(joined.column("line").to_numpy(), dtype=np.int64),
        partial(_ref_text, joined),
        names={"target": "referenced_tweets (author)"},
    )


def _drop_none(v):
    if isinstance(v, dict):
        return {k: _drop_none(x) for k, x in v.items() if x is not None}
    if isinstance(v, list):
        return [_drop_none(x) for x in v]
    return v


def _json_text(arr: pa.Array, pos: np.ndarray) -> list[str]:
    """The tweet / user objects at ``pos`` as compact JSON (for messages and the rejects file)."""
    return [json.dumps(_drop_none(v), ensure_ascii=False) for v in _take(arr, np.asarray(pos)).to_pylist()]


def _json_text_at(arr: pa.Array, idx: np.ndarray, pos: np.ndarray) -> list[str]:
    """:func:`_json_text` of the objects ``idx[pos]``."""
    return _json_text(arr, idx[pos])


def _ref_text(joined: pa.Table, pos: np.ndarray) -> list[str]:
    rows = joined.select(["post_id", "source", "ref_id", "kind"]).take(pa.array(np.asarray(pos))).to_pylist()
    return [
        json.dumps(
            {"id": r["post_id"], "author_id": r["source"], "referenced_tweets": [{"id": r["ref_id"], "as": r["kind"]}]}
        )
        for r in rows
    ]


def is_xapi_line(line: bytes) -> bool:
    """Does this JSON line look like an X API v2 tweet or page?"""
    try:
        obj = json.loads(line)
    except ValueError:
        return False
    if not isinstance(obj, dict):
        return False
    if "data" in obj and ("includes" in obj or "meta" in obj or isinstance(obj["data"], (list, dict))):
        return True
    return "author_id" in obj or ("entities" in obj and "id" in obj) or "referenced_tweets" in obj
