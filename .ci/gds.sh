#!/usr/bin/env bash
# Fetch Graph Data Science's open-source modules for Neo4j 5.26 (org.neo4j.gds:proc and
# opengds-extension) from Maven Central (cached in ~/.m2) into .ci/gds/target/lib (gitignored).
# Only benchmarks/bench_neo4j_gds.py uses them (nichegraph itself never needs GDS).
set -euo pipefail
cd "$(dirname "$0")/gds"
if ! command -v mvn >/dev/null || ! command -v java >/dev/null; then
    echo "gds.sh: Java 17 and Maven are needed" >&2
    exit 1
fi
mvn -B -q -Dstyle.color=never package
ls target/lib/proc-2.*.jar target/lib/opengds-extension-2.*.jar >/dev/null
echo "gds.sh: GDS jars in .ci/gds/target/lib ($(ls target/lib | wc -l) jars)"
