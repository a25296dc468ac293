#!/bin/bash
# Installs what is needed, builds Linli and runs the whole test suite: unit tests, the storage
# contract on SQLite and on a throwaway PostgreSQL cluster, and the API, access-matrix and crash
# tests against a real server over loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
# PostgreSQL tests must run here: a missing cluster fails them instead of skipping them.
export LINLI_REQUIRE_PG=1
cd build
ctest --output-on-failure -j 2 --timeout 600
