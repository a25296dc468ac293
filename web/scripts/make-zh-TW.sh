#!/bin/bash
# Regenerates the traditional-Chinese messages from the simplified ones with OpenCC (Debian's
# `opencc` package; s2twp: Taiwan phrasing). Run after changing zh-CN.json; the result is committed.
set -euo pipefail
cd "$(dirname "$0")/../src/shared/locales"
opencc -c s2twp.json -i zh-CN.json -o zh-TW.json
