#!/usr/bin/env bash
# Installs the Debian packages bashgah needs to build, test and run, skipping those already present.
# Usage: scripts/deps.sh [build|test|bench]   (test and bench include build)
set -euo pipefail
what=${1:-build}
pkgs=(build-essential cmake pkg-config libh2o-evloop-dev libssl-dev zlib1g-dev libsqlite3-dev libjansson-dev
      libsodium-dev libicu-dev libcurl4-openssl-dev libcsv-dev libphonenumber-dev libboost-dev sqlite3)
# The web app is built with node and npm (Debian's; a node already on the PATH will do).
command -v node >/dev/null && command -v npm >/dev/null || pkgs+=(nodejs npm)
case "$what" in
  test)  pkgs+=(libcmocka-dev python3 python3-yaml python3-aiosmtpd chromium fonts-dejavu-core) ;;  # fonts: Persian glyphs in screenshots; aiosmtpd: the SMTP peer
  bench) pkgs+=(libcmocka-dev wrk python3 python3-aiosmtpd postgresql postgresql-contrib) ;;
esac
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# The end-to-end tests drive chromium with playwright-core, one of web/'s locked npm packages.
if [ "$what" = test ] && [ ! -d "$(dirname "$0")/../web/node_modules/playwright-core" ]; then
  (cd "$(dirname "$0")/../web" && npm ci --no-audit --no-fund --loglevel=error)
fi
