"""The bytewise fast paths of ``_convert`` agree with the regular-expression paths they shortcut."""

import random

import pyarrow as pa
import pyarrow.compute as pc

from nichegraph.graph_store.ingest import _convert as C
from nichegraph.graph_store.ingest import _timestamps as T


def _general_hashtags(s: pa.Array) -> pa.Array:
    s = pc.replace_substring_regex(s, r"[#\s,;|]+", " ")
    s = pc.utf8_trim_whitespace(s)
    s = pc.if_else(pc.equal(s, ""), pa.scalar(None, pa.string()), s)
    return pc.split_pattern(s, " ")


def _random_values(rng: random.Random, alphabet: str, n: int) -> list:
    return [None if rng.random() < 0.2 else "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))
            for _ in range(n)]


def test_hashtag_split_matches_general_path():
    rng = random.Random(1)
    alphabets = ["ab|", "ab ", "a#b", "ab,;", "ab\t", "a\u00a0|", "ab\x0b|", "abc", "a|#"]
    for trial in range(400):
        vals = _random_values(rng, rng.choice(alphabets), rng.randint(0, 8))
        s = C._text(pa.array(vals, pa.string()))
        assert C._hashtags_column(pa.array(vals, pa.string())).equals(_general_hashtags(s)), vals


def test_hashtag_fast_path_is_taken_for_pipe_lists():
    s = C._text(pa.array(["acme|chess", "", "x", None]))
    assert C._single_separator(s) == "|"
    assert C._single_separator(C._text(pa.array(["a||b"]))) is None
    assert C._single_separator(C._text(pa.array(["|a"]))) is None


def test_plain_decimals_agree_with_float_regex():
    rng = random.Random(2)
    for trial in range(400):
        vals = _random_values(rng, rng.choice(["0123.", "12", "1.e", "1-+.", "9 ."]), rng.randint(1, 8))
        s = C._text(pa.array(vals, pa.string()))
        if C._all_plain_decimals(s):
            assert pc.all(pc.match_substring_regex(s, C._FLOAT_RE)).as_py() is not False, vals


def test_iso_z_layout_implies_both_regexes():
    rng = random.Random(3)
    good = "2024-01-02T03:04:05Z"
    for trial in range(400):
        vals = []
        for _ in range(rng.randint(1, 5)):
            v = list(good)
            if rng.random() < 0.5:
                i = rng.randrange(len(v))
                v[i] = rng.choice("0-:TZ +x9")
            vals.append(None if rng.random() < 0.1 else "".join(v))
        s = C._text(pa.array(vals, pa.string()))
        fast = C._all_iso_z(s)
        slow = (pc.all(pc.match_substring_regex(s, T._ISO_RE)).as_py() is not False
                and pc.all(pc.match_substring_regex(s, T._ZONE_RE)).as_py() is not False)
        if fast:
            assert slow, vals
    assert C._all_iso_z(C._text(pa.array([good, None, "2024-12-31 23:59:59Z"])))
    assert not C._all_iso_z(C._text(pa.array([good, "2024-01-02T03:04:05+00:00"])))
