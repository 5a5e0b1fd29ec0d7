"""Neo4j settings from a TOML file and the environment (no server needed)."""

from __future__ import annotations

import pytest
import typer

from nichegraph.api.options import neo4j_settings


def test_file_then_environment(tmp_path, monkeypatch):
    cfg = tmp_path / "neo4j.toml"
    cfg.write_text('user = "file-user"\npassword = "p\'w{}"\nbatch_size = 5000\nworkers = 2\n', encoding="utf-8")
    for var in ("NICHEGRAPH_NEO4J_USER", "NEO4J_USER", "NICHEGRAPH_NEO4J_PASSWORD", "NEO4J_PASSWORD",
                "NICHEGRAPH_NEO4J_DATABASE", "NEO4J_DATABASE", "NICHEGRAPH_NEO4J_WORKERS",
                "NICHEGRAPH_NEO4J_PROGRESS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NICHEGRAPH_NEO4J_CONFIG", str(cfg))
    monkeypatch.setenv("NICHEGRAPH_NEO4J_BATCH_SIZE", "777")
    s = neo4j_settings()
    assert s == {"user": "file-user", "password": "p'w{}", "batch_size": "777", "workers": 2}
    monkeypatch.setenv("NICHEGRAPH_NEO4J_USER", "env-user")
    monkeypatch.setenv("NICHEGRAPH_NEO4J_PROGRESS", "1")
    s = neo4j_settings()
    assert s["user"] == "env-user" and s["progress"] is True


def test_bad_config_file_is_named(tmp_path, monkeypatch):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("passwrd = 'x'\n", encoding="utf-8")
    monkeypatch.setenv("NICHEGRAPH_NEO4J_CONFIG", str(cfg))
    with pytest.raises(typer.BadParameter, match="bad.toml.*passwrd"):
        neo4j_settings()
