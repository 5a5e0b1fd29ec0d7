#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh machine: the virtual environment with every
# extra, the Neo4j 5.26 test launcher (Maven Central, cached in ~/.m2) and Debian's Chromium for
# the report-rendering test.  Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e ".[all]"
bash .ci/neo4j.sh
bash .ci/spark.sh
if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "setup: Chromium is missing; as root run 'apt-get install -y chromium' (the report test renders with it)" >&2
        exit 1
    fi
fi
echo "setup: done"
