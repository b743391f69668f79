#!/usr/bin/env bash
# Builds the web app into OUT_DIR: installs web/'s locked npm packages when they changed (npm ci), type-checks,
# and runs vite build. Called by CMake (the `web` target) and so by `make` and `make test`.
# Usage: scripts/web_build.sh OUT_DIR
set -euo pipefail
out=${1:?usage: web_build.sh OUT_DIR}
cd "$(dirname "$0")/../web"
# npm ci replaces node_modules wholesale: only when the lock file is newer than the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
  touch node_modules/.package-lock.json
fi
node_modules/.bin/tsc --noEmit -p .
node_modules/.bin/vite build --logLevel warn --outDir "$out" --emptyOutDir
