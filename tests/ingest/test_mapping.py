"""Column mapping: TOML files, --column flags, row filters, id case and timestamp formats."""

from __future__ import annotations

import datetime as dt

import pytest

from nichegraph.graph_store.errors import InputRejected
from nichegraph.graph_store.ingest import MappingError, load_files, load_mapping
from nichegraph.graph_store.ingest.mapping import MAPPINGS_DIR, parse_where

from .conftest import dump


def test_toml_mapping_with_filter_ids_and_strptime(store, fx):
    rep = load_files(store, follows=fx / "my_follows.csv", columns=fx / "my_follows.toml")
    assert dump(store)["follows"] == [
        ("alice", "bob", dt.datetime(2024, 2, 1, 10, 0)),
        ("alice", "carol", dt.datetime(2024, 2, 2, 11, 30)),
        ("carol", "bob", None),
    ]
    st = rep.files[0]
    assert (st.rows, st.filtered, st.loaded, st.rejected) == (4, 1, 3, 0)


def test_column_flags(store, tmp_path):
    p = tmp_path / "f.csv"
    p.write_text("src,dst,when\na,b,1700000000\n")
    load_files(store, follows=p, columns=["follower=src", "follows.followee=dst", "since=when"])
    assert dump(store)["follows"] == [("a", "b", dt.datetime(2023, 11, 14, 22, 13, 20))]


def test_flags_override_toml(tmp_path):
    t = tmp_path / "m.toml"
    t.write_text('[follows]\ncolumns = { follower = "a", followee = "b" }\n')
    m = load_mapping(t, ["follows.follower=z"])
    assert m.for_table("follows").columns == {"follower": "z", "followee": "b"}


def test_unqualified_flag_applies_to_every_table_with_that_field(tmp_path):
    m = load_mapping(None, ["hashtags=tags", "id=user_id"])
    assert m.for_table("interactions").columns == {"hashtags": "tags"}
    assert m.for_table("accounts").columns == {"id": "user_id"}


def test_where_with_not_equal_and_quotes(store, tmp_path):
    p = tmp_path / "f.csv"
    p.write_text("follower,followee,status,platform\na,b,ok,x\nb,c,gone,x\nc,d,ok,mastodon\n")
    t = tmp_path / "m.toml"
    t.write_text("[follows]\nwhere = \"status == 'OK' and platform != x\"\n")
    rep = load_files(store, follows=p, columns=t)
    assert dump(store)["follows"] == [("c", "d", None)]
    assert rep.files[0].filtered == 2


def test_where_on_parquet_boolean(store, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"source": ["a", "b"], "target": ["b", "a"], "following": [True, False]}),
                   tmp_path / "s.parquet")
    rep = load_files(store, follows=tmp_path / "s.parquet", columns="senators-follow")
    assert dump(store)["follows"] == [("a", "b", None)] and rep.files[0].filtered == 1


def test_unix_ms_and_defaults(store, tmp_path):
    p = tmp_path / "i.csv"
    p.write_text("from,to,at\na,b,1700000000123\n")
    t = tmp_path / "m.toml"
    t.write_text('[interactions]\ncolumns = { source = "from", target = "to", ts = "at" }\n'
                 'timestamp_format = "unix_ms"\ndefaults = { kind = "RT" }\n')
    load_files(store, interactions=p, columns=t)
    (row,) = dump(store)["interactions"]
    assert row[:4] == ("a", "b", "repost", dt.datetime(2023, 11, 14, 22, 13, 20, 123000))


def test_issue_names_the_users_column(store, tmp_path):
    p = tmp_path / "i.csv"
    p.write_text("from,to,type\na,b,mention\na,b,wave\n")
    with pytest.raises(InputRejected) as ei:
        load_files(store, interactions=p, columns=["source=from", "target=to", "kind=type"])
    (i,) = ei.value.issues
    assert (i.line, i.field) == (3, "type") and "unknown interaction kind 'wave'" in i.reason


def test_kind_flag_for_tables_without_kind(store, tmp_path):
    p = tmp_path / "i.csv"
    p.write_text("source,target\na,b\n")
    with pytest.raises(InputRejected, match="--kind"):
        load_files(store, interactions=p)
    load_files(store, interactions=p, kind="mention")
    assert dump(store)["interactions"][0][2] == "mention"
    with pytest.raises(MappingError, match="not an interaction kind"):
        load_files(store, interactions=p, kind="wave")


@pytest.mark.parametrize("toml,match", [
    ("[folows]\n", "unknown section"),
    ("[follows]\ncolumn = {}\n", "unknown keys"),
    ("[follows]\ncolumns = { followr = 'x' }\n", "no field 'followr'"),
    ("[follows]\nwhere = 'a > 3'\n", "cannot read condition"),
    ("[follows]\nids = 'upper'\n", "not 'keep' or 'lower'"),
    ("[follows\n", "not valid TOML"),
])
def test_bad_mapping_files(tmp_path, toml, match):
    t = tmp_path / "m.toml"
    t.write_text(toml)
    with pytest.raises(MappingError, match=match):
        load_mapping(t)


def test_bad_flags_and_names():
    with pytest.raises(MappingError, match="FIELD=COLUMN"):
        load_mapping(None, ["follower"])
    with pytest.raises(MappingError, match="unknown field 'nope'"):
        load_mapping(None, ["nope=x"])
    with pytest.raises(MappingError, match="shipped: senators-follow"):
        load_mapping("no-such-mapping")


def test_mapped_column_missing_from_file(store, tmp_path):
    p = tmp_path / "f.csv"
    p.write_text("a,b\n1,2\n")
    with pytest.raises(InputRejected, match="mapped column 'src'"):
        load_files(store, follows=p, columns=["follower=src", "followee=b"])
    with pytest.raises(InputRejected, match="filter column 'status'"):
        t = p.with_suffix(".toml")
        t.write_text("[follows]\ncolumns = {follower='a', followee='b'}\nwhere='status == x'\n")
        load_files(store, follows=p, columns=t)


def test_parse_where():
    assert parse_where("following == TRUE") == [("following", "==", "TRUE")]
    assert parse_where("`my col` != 'a b' AND x == 1") == [("my col", "!=", "a b"), ("x", "==", "1")]


def test_shipped_mappings_are_valid():
    names = sorted(p.stem for p in MAPPINGS_DIR.glob("*.toml"))
    assert "senators-follow" in names
    for n in names:
        load_mapping(n)


def test_defaults_fill_absent_and_empty_fields(store, tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("id,platform\na,\nb,mastodon\n")
    t = tmp_path / "m.toml"
    t.write_text('[accounts]\ndefaults = { platform = "x", affiliation = "Acme" }\n')
    load_files(store, accounts=p, columns=t)
    acc = dump(store)["accounts"]
    assert (acc["a"]["platform"], acc["b"]["platform"]) == ("x", "mastodon")
    assert acc["a"]["affiliation"] == acc["b"]["affiliation"] == "Acme"
