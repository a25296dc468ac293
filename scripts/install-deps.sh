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
  libgoogle-perftools-dev        # TCMalloc, the allocator (memory freed on other threads)
  libgtest-dev libgmock-dev   # GTest's CMake package also declares the gmock targets
  postgresql sqlite3 wrk curl openssl
  libxml2-utils python3-jsonschema   # tests: xmllint and the Open311 JSON Schemas
  zbar-tools librsvg2-bin            # tests: read the printed QR codes back
  chromium fonts-wqy-microhei        # tests: the web app in a real browser, with Chinese glyphs
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

# The web app is built with Node.js (20.19 or later, for Vite) and npm. The machine's Node.js is
# used when present; otherwise Debian's.
if ! command -v node >/dev/null 2>&1; then
  apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' || {
  echo "Linli's web app needs Node.js 20.19 or later (found $(node --version))" >&2
  exit 1
}
