#!/usr/bin/env bash
# Installs the npm packages the tests drive (the official inngest client, ws, react) from the
# lock file, once.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f package.json ] || exit 0
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.stamp ]; then
  echo "installing npm packages (one time)..."
  npm ci --no-audit --no-fund --loglevel=error
  touch node_modules/.stamp
fi
