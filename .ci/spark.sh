#!/usr/bin/env bash
# Fetch the GraphFrames jars of the Spark engine from Maven Central (cached in ~/.m2) into
# .ci/spark/target/lib (gitignored).  api/spark/session.py finds them there, or wherever
# NICHEGRAPH_SPARK_JARS points (a folder of jars or a comma-separated list).
set -euo pipefail
cd "$(dirname "$0")/spark"
if ! command -v mvn >/dev/null || ! command -v java >/dev/null; then
    echo "spark.sh: Java 17 and Maven are needed for the Spark engine's tests" >&2
    exit 1
fi
mvn -B -q -Dstyle.color=never package
ls target/lib/graphframes-*.jar >/dev/null
echo "spark.sh: GraphFrames jars in .ci/spark/target/lib ($(ls target/lib | wc -l) jars)"
