#!/usr/bin/env bash
# Build the Neo4j 5.26 test launcher (tests/neo4j_server): mvn resolves Neo4j Community from
# Maven Central into ~/.m2 (once) and copies the jars to tests/neo4j_server/target/lib.
# The tests start the server themselves (tests/conftest.py); nothing here needs Docker.
set -euo pipefail
cd "$(dirname "$0")/../tests/neo4j_server"
if ! command -v mvn >/dev/null || ! command -v java >/dev/null; then
    echo "neo4j.sh: Java 17+ and Maven are needed to run the Neo4j tests" >&2
    exit 1
fi
mvn -B -q -Dstyle.color=never package -DskipTests
ls target/lib/neo4j-5.26*.jar >/dev/null
echo "neo4j.sh: launcher built in tests/neo4j_server/target ($(ls target/lib | wc -l) jars)"
