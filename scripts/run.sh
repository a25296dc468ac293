#!/bin/bash
# Installs what is needed, builds Linli, loads the demo subdistrict into the embedded SQLite
# database in ./linli-data and serves it on http://127.0.0.1:8080 (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
./build/linli demo
exec ./build/linli serve "$@"
