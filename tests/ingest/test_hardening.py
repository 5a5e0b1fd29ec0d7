"""Issue 20's input and CLI items, each reproduced through the real CLI (a subprocess) or the loader.

Data loss (--rejects over the store or an input), silently dropped columns, username-only X API
mentions, URIs with credentials or without a host, tracebacks for user mistakes, Ctrl-C, Rich
markup in user data.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nichegraph.graph_store import StoreLocationError, parse_neo4j_uri, redact
from nichegraph.graph_store.duckdb_store import DuckDBStore
from nichegraph.graph_store.errors import InputRejected
from nichegraph.graph_store.ingest import MappingError, RejectsPathError, load_files, load_mapping

from .conftest import FIXTURES, dump
from .test_hostile import run_cli, sha256

BAD = FIXTURES / "bad_interactions.csv"


@pytest.fixture
def seeded_store(tmp_path) -> Path:
    store = tmp_path / "s.duckdb"
    r = run_cli("load", "--store", str(store), "--interactions", str(FIXTURES / "interactions.csv"), "-q")
    assert r.returncode == 0, r.stderr
    return store


def _info(store) -> dict:
    r = run_cli("info", "--store", str(store), "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


# -- items 1, 2, 13: where --rejects may point -------------------------------------------------------------

@pytest.mark.parametrize("spelling", ["same", "relative", "symlink", "hardlink"])
def test_rejects_naming_the_store_is_refused_and_the_store_kept(seeded_store, tmp_path, spelling):
    target = {"same": str(seeded_store), "relative": "./s.duckdb"}.get(spelling)
    if spelling == "symlink":
        target = str(tmp_path / "link.csv")
        os.symlink(seeded_store, target)
    elif spelling == "hardlink":
        target = str(tmp_path / "hard.csv")
        os.link(seeded_store, target)
    before, counts = sha256(seeded_store), _info(seeded_store)
    r = subprocess.run([sys.executable, "-c", "import sys; from nichegraph.api.cli import main; "
                        "sys.argv = ['nichegraph', *sys.argv[1:]]; main()", "load", "--store", str(seeded_store),
                        "--interactions", str(BAD), "--on-error", "skip", "--rejects", target, "-q"],
                       capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "COLUMNS": "300"})
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "is the store's file" in r.stderr and "would destroy the store" in r.stderr
    assert sha256(seeded_store) == before
    assert _info(seeded_store) == counts


def test_rejects_naming_a_store_that_does_not_exist_yet_creates_nothing(tmp_path):
    r = subprocess.run([sys.executable, "-c", "import sys; from nichegraph.api.cli import main; "
                        "sys.argv = ['nichegraph', *sys.argv[1:]]; main()", "load", "--store", "new.duckdb",
                        "--interactions", str(BAD), "--on-error", "skip", "--rejects", str(tmp_path / "new.duckdb")],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 2 and "is the store's file" in r.stderr
    assert not (tmp_path / "new.duckdb").exists()


@pytest.mark.parametrize("spelling", ["same", "hardlink"])
def test_rejects_naming_an_input_is_refused_and_the_input_kept(seeded_store, tmp_path, spelling):
    data = tmp_path / "m.csv"
    data.write_bytes(BAD.read_bytes())
    target = data
    if spelling == "hardlink":
        target = tmp_path / "other-name.csv"
        os.link(data, target)
    r = run_cli("load", "--store", str(seeded_store), "--interactions", str(data), "--on-error", "skip",
                "--rejects", str(target), "-q")
    assert r.returncode == 2 and "is the input file" in r.stderr and "Traceback" not in r.stderr
    assert data.read_bytes() == BAD.read_bytes()


def test_rejects_in_a_missing_folder_is_refused_before_parsing(tmp_path):
    store = DuckDBStore(tmp_path / "s.duckdb")
    with pytest.raises(RejectsPathError, match=r"folder .*nowhere does not exist"):
        # a missing input would be reported while parsing: the rejects check comes first
        load_files(store, interactions=BAD, on_error="skip", rejects=tmp_path / "nowhere" / "r.csv")
    r = run_cli("load", "--store", str(tmp_path / "t.duckdb"), "--interactions", str(BAD), "--on-error", "skip",
                "--rejects", str(tmp_path / "nowhere" / "r.csv"))
    assert r.returncode == 2 and "does not exist" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "t.duckdb").exists()


def test_rejects_file_is_written_whole_and_replaces_an_old_one(tmp_path):
    rejects = tmp_path / "r.csv"
    rejects.write_text("old content\n")
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        report = load_files(store, interactions=BAD, on_error="skip", rejects=rejects)
    lines = rejects.read_text().splitlines()
    assert lines[0] == "file,line,field,reason,text" and len(lines) == 1 + report.rejected == 8
    assert not list(tmp_path.glob("r.csv.partial-*"))


# -- item 4: no column dropped silently ---------------------------------------------------------------------

def test_common_spellings_are_mapped_and_named_in_the_summary(tmp_path):
    path = tmp_path / "i.csv"
    path.write_text("from,to,kind,timestamp\na,b,mention,2024-03-01T10:00:00Z\n")
    store = tmp_path / "s.duckdb"
    r = run_cli("load", "--store", str(store), "--interactions", str(path), "-q")
    assert r.returncode == 0, r.stderr
    for col, fld in (("from", "source"), ("to", "target"), ("timestamp", "ts")):
        assert f"column '{col}' read as {fld}" in r.stdout
    with DuckDBStore(store, read_only=True) as st:
        (row,) = dump(st)["interactions"]
    assert row[:3] == ("a", "b", "mention") and row[3] is not None and row[3].year == 2024


def test_follows_and_jsonl_spellings(tmp_path):
    follows = tmp_path / "f.csv"
    follows.write_text("src,dst,created_at\nA,B,2024-01-02\n")
    inter = tmp_path / "i.jsonl"
    inter.write_text('{"author": "A", "target": "B", "kind": "reply", "date": "2024-01-03"}\n')
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        report = load_files(store, follows=follows, interactions=inter)
        d = dump(store)
    assert report.files[0].columns == {"src": "follower", "dst": "followee", "created_at": "since"}
    assert report.files[1].columns == {"author": "source", "date": "ts"}
    assert [f[:2] for f in d["follows"]] == [("A", "B")] and d["follows"][0][2].day == 2
    assert d["interactions"][0][:3] == ("A", "B", "reply") and d["interactions"][0][3].day == 3


@pytest.mark.parametrize("header,needle", [
    ("source,target,kind,timestamp,created_at", "could each be ts"),
    ("from,src,target,kind", "could each be source"),
    ("source,target,kind,ts,timestamp", "'timestamp' is not among the interactions fields"),
    ("source,target,kind,note", "--ignore-column note"),
])
def test_unknown_or_ambiguous_columns_are_refused(tmp_path, header, needle):
    path = tmp_path / "i.csv"
    path.write_text(header + "\n" + ",".join(["a", "b", "mention", "2024-01-01", "2024-01-01"][: header.count(",") + 1])
                    + "\n")
    with DuckDBStore(tmp_path / "s.duckdb") as store, pytest.raises(InputRejected) as ei:
        load_files(store, interactions=path)
    assert needle in str(ei.value) and f"{path}:1:" in str(ei.value)


def test_ignored_column_loads(tmp_path):
    path = tmp_path / "i.csv"
    path.write_text("source,target,kind,note\na,b,mention,hello\n")
    r = run_cli("load", "--store", str(tmp_path / "s.duckdb"), "--interactions", str(path), "--ignore-column", "note",
                "-q")
    assert r.returncode == 0, r.stderr
    assert _info(tmp_path / "s.duckdb")["interactions"] == 1


@pytest.mark.parametrize("toml,needle", [
    ('[follows]\ncolumns = "source"\n', "columns: must be a table"),
    ('[follows]\nwhere = 5\n', "where: must be a string or a list"),
    ('[follows]\nignore = "x"\n', "ignore: must be a list"),
    ('[follows]\ncolumns = { follower = 3 }\n', "columns: must be a table"),
])
def test_toml_mapping_with_wrong_types_is_a_clear_error(tmp_path, toml, needle):
    mapping = tmp_path / "m.toml"
    mapping.write_text(toml)
    with pytest.raises(MappingError, match=needle):
        load_mapping(mapping)
    r = run_cli("load", "--store", str(tmp_path / "s.duckdb"), "--follows", str(FIXTURES / "follows.tsv"),
                "--columns", str(mapping))
    assert r.returncode == 2 and needle in r.stderr and "Traceback" not in r.stderr


# -- item 15: X API mentions by username only ---------------------------------------------------------------

def _page(tweet_id: str, author: str, mentions: list[dict], users: list[dict]) -> str:
    return json.dumps({"data": [{"id": tweet_id, "author_id": author, "created_at": "2024-01-01T00:00:00Z",
                                 "entities": {"mentions": mentions}}], "includes": {"users": users}}) + "\n"


def test_username_only_mentions_resolve_later_in_the_file_or_keep_the_handle_until_the_id_appears(tmp_path):
    first = tmp_path / "old.jsonl"
    first.write_text(
        _page("10", "1", [{"username": "Bob"}, {"username": "carol"}], [{"id": "1", "username": "alice"}])
        + _page("11", "1", [{"username": "dave"}], [{"id": "2", "username": "bob"}]))  # bob's id comes later
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        report = load_files(store, interactions=first)
        d = dump(store)
        assert report.files[0].keyed_by_handle == 2 and report.rejected == 0
        assert sorted(r[:2] for r in d["interactions"]) == [("1", "2"), ("1", "@carol"), ("1", "@dave")]
        assert d["accounts"]["@carol"]["handle"] == "carol"
        # carol's id shows up in a later load: the @carol account becomes 3, its mention follows
        second = tmp_path / "new.jsonl"
        second.write_text(_page("12", "3", [{"id": "1", "username": "alice"}], [{"id": "3", "username": "Carol"}]))
        load_files(store, interactions=second)
        d = dump(store)
    assert "@carol" not in d["accounts"] and d["accounts"]["3"]["handle"] == "Carol"
    assert sorted(r[:2] for r in d["interactions"]) == [("1", "2"), ("1", "3"), ("1", "@dave"), ("3", "1")]
    assert d["counts"]["accounts"] == 4  # 1, 2, 3 (was @carol) and @dave


# -- items 9, 10: store URIs ------------------------------------------------------------------------------

@pytest.mark.parametrize("uri,needle", [
    ("bolt://", "names no host"),
    ("bolt://:7687", "names no host"),
    ("bolt://db.example:99999", "port out of range"),
    ("bolt://db.example:0", "port out of range"),
    ("neo4j://db.example:http", "not a number"),
    ("neo4j://db.example:7687/graph", "no path"),
    ("bolt://u:s3cret@db.example:70000", "port out of range"),
])
def test_malformed_neo4j_uris_are_refused(uri, needle):
    with pytest.raises(StoreLocationError, match=needle) as ei:
        parse_neo4j_uri(uri)
    assert "s3cret" not in str(ei.value)


def test_uri_credentials_are_split_off_and_redacted():
    loc = parse_neo4j_uri("neo4j+s://ann:p%40ss@db.example:7687?policy=eu")
    assert (loc.uri, loc.user, loc.password) == ("neo4j+s://db.example:7687?policy=eu", "ann", "p@ss")
    assert redact("cannot reach bolt://ann:hunter2@h:1 and neo4j://x:y@z") == \
        "cannot reach bolt://ann:***@h:1 and neo4j://x:***@z"


def test_info_with_a_password_in_the_uri_never_prints_it():
    r = run_cli("info", "--store", "bolt://user:s3cret@127.0.0.1:1")
    assert r.returncode == 2 and "127.0.0.1:1" in r.stderr
    assert "s3cret" not in r.stderr + r.stdout and "Traceback" not in r.stderr


def test_serve_with_a_malformed_uri_exits_at_once():
    start = time.monotonic()
    r = run_cli("serve", "--store", "bolt://user:s3cret@db.example:99999", timeout=60)
    assert r.returncode == 2 and "port out of range" in r.stderr and "s3cret" not in r.stderr
    assert time.monotonic() - start < 30


@pytest.mark.neo4j
def test_neo4j_credentials_in_the_uri_reach_no_output(neo4j_uri, tmp_path):
    host = neo4j_uri.split("://", 1)[1]
    uri = f"bolt://neo4j:s3cret-pw@{host}"
    r = run_cli("load", "--store", uri, "--follows", str(FIXTURES / "follows.tsv"), "-q")
    assert r.returncode == 0, r.stderr
    outputs = [r.stdout + r.stderr]
    r = run_cli("info", "--store", uri, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["store"] == "bolt://neo4j:***@" + host
    outputs.append(r.stdout + r.stderr)
    assert not any("s3cret-pw" in o for o in outputs)


# -- items 13, 14: no tracebacks, Ctrl-C, missing extras, escaped markup ---------------------------------------

def test_debug_flag_shows_the_traceback_otherwise_one_line():
    r = run_cli("info", "--store", "bolt://db.example:99999")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    r = run_cli("--debug", "info", "--store", "bolt://db.example:99999")
    assert r.returncode != 0 and "Traceback" in r.stderr and "StoreLocationError" in r.stderr


@pytest.mark.parametrize("command,module,extra", [("report", "matplotlib", "report"), ("serve", "uvicorn", "api")])
def test_commands_name_their_missing_extra(tmp_path, command, module, extra):
    code = (f"import sys; sys.modules[{module!r}] = None\n"  # as if the package were not installed
            "from nichegraph.api.cli import main; sys.argv = ['nichegraph', *sys.argv[1:]]; main()")
    r = subprocess.run([sys.executable, "-c", code, command, "--store", str(tmp_path / "s.duckdb")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"pip install 'nichegraph[{extra}]'" in r.stderr and repr(module) in r.stderr


def _child_has_open(pid: int, path: Path) -> bool:
    try:
        return any(os.readlink(f"/proc/{pid}/fd/{fd}") == str(path) for fd in os.listdir(f"/proc/{pid}/fd"))
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False


def _terminal_ctrl_c() -> None:
    """In the child before exec: SIGINT with its default action and unblocked, as a shell gives a command."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _signal_state(pid: int) -> str:
    """The ignored, blocked and caught signal masks of ``pid`` (for a failure message)."""
    with open(f"/proc/{pid}/status") as fh:
        return " ".join(line.strip() for line in fh if line.startswith(("SigBlk", "SigIgn", "SigCgt")))


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc to see when the load reads its input")
def test_ctrl_c_during_a_load_exits_130_and_keeps_the_store(seeded_store, tmp_path):
    big = tmp_path / "big.csv"
    with open(big, "w") as fh:
        fh.write("source,target,kind\n")
        for i in range(400_000):
            fh.write(f"u{i % 5000},v{i % 7919},mention\n")
    before = _info(seeded_store)
    code = "import sys; from nichegraph.api.cli import main; sys.argv = ['nichegraph', *sys.argv[1:]]; main()"
    # as from a terminal: Ctrl-C neither ignored nor blocked, whatever this test process inherited or set
    proc = subprocess.Popen([sys.executable, "-c", code, "load", "--store", str(seeded_store), "--interactions",
                             str(big), "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_terminal_ctrl_c)
    deadline = time.monotonic() + 60
    while not _child_has_open(proc.pid, big) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert proc.poll() is None, "the load ended before it could be interrupted"
    signals = _signal_state(proc.pid)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (signals, out, err)
    assert "interrupted" in err and "the store was not changed" in err and "Traceback" not in err
    assert _info(seeded_store) == before


def test_user_data_is_not_read_as_markup(tmp_path):
    accounts = tmp_path / "[red]a.csv"
    accounts.write_text("id,handle,followers_count\n[bold]boss,:x: lord,5\n")
    store = tmp_path / "s.duckdb"
    r = run_cli("load", "--store", str(store), "--accounts", str(accounts))
    assert r.returncode == 0, r.stderr
    assert "[red]a.csv" in r.stdout
    r = run_cli("load", "--store", str(store), "--interactions", str(BAD))
    assert r.returncode == 2
    bad = tmp_path / "b.csv"
    bad.write_text("source,target,kind\n[bold]x,:x:,poke\n")
    r = run_cli("load", "--store", str(store), "--interactions", str(bad))
    assert "unknown interaction kind 'poke'" in r.stderr and "[bold]x,:x:" not in r.stderr  # the text is in rejects
    assert "\u274c" not in r.stderr + r.stdout


def test_rank_table_shows_ids_and_handles_literally(tmp_path):
    follows = tmp_path / "f.csv"
    follows.write_text("follower,followee\n" + "".join(f"u{i},[bold]boss\nu{i},:x:\n" for i in range(5)))
    store = tmp_path / "s.duckdb"
    assert run_cli("load", "--store", str(store), "--follows", str(follows), "-q").returncode == 0
    assert run_cli("analyze", "--store", str(store)).returncode == 0
    r = run_cli("rank", "--store", str(store), "--by", "pagerank", "--limit", "10")
    assert r.returncode == 0, r.stderr
    assert "[bold]boss" in r.stdout and ":x:" in r.stdout and "\u274c" not in r.stdout
