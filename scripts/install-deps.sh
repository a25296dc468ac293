#!/bin/bash
# Installs everything Linli needs to build, run and test on Debian 12, from Debian's packages.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(
  g++ cmake ninja-build pkg-config git ca-certificates
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsodium-dev libspdlog-dev libcli11-dev libsqlite3-dev libpq-dev libssl-dev
  libxlsxwriter-dev libminizip-dev libexpat1-dev   # spreadsheets: write XLSX; read XLSX (zip + XML)
  libopencc-dev libopencc-data   # search: traditional and simplified characters alike
  libqrencode-dev                # printable QR codes for grids
  libgtest-dev libgmock-dev   # GTest's CMake package also declares the gmock targets
  postgresql sqlite3 wrk curl openssl
  libxml2-utils python3-jsonschema   # tests: xmllint and the Open311 JSON Schemas
  zbar-tools librsvg2-bin            # tests: read the printed QR codes back
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The Debian package starts a system PostgreSQL; Linli's tests use their own throwaway cluster.
