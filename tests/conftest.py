"""Session-wide fixtures shared by every test folder.

``neo4j_server``: one real Neo4j 5.26 Community (``tests/neo4j_server``), started the first
time a test asks for it, stopped when the session ends.  Set ``NICHEGRAPH_TEST_NEO4J_URI``
to use a server you already run instead (its database is wiped by the store tests!).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest


def _load_launcher():
    """Import tests/neo4j_server/server.py under a unique module name."""
    name = "nichegraph_neo4j_test_server"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parent / "neo4j_server" / "server.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


neo4j_launcher = _load_launcher()


@pytest.fixture(scope="session")
def neo4j_server():
    """A running Neo4j: an object with ``.uri`` (``bolt://127.0.0.1:PORT``)."""
    uri = os.environ.get("NICHEGRAPH_TEST_NEO4J_URI")
    if uri:
        class External:
            pass
        ext = External()
        ext.uri = uri
        yield ext
        return
    if not neo4j_launcher.is_built():
        neo4j_launcher.build()  # mvn package (needs ~/.m2 or Maven Central; .ci/neo4j.sh does this ahead)
    srv = neo4j_launcher.Neo4jServer(heap=os.environ.get("NICHEGRAPH_TEST_NEO4J_HEAP", "1g"))
    try:
        srv.start()
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def neo4j_uri(neo4j_server) -> str:
    return neo4j_server.uri
