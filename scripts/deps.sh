#!/usr/bin/env bash
# Installs the Debian packages bashgah needs to build, test and run, skipping those already present.
# Usage: scripts/deps.sh [build|test|bench]   (test and bench include build)
set -euo pipefail
what=${1:-build}
pkgs=(build-essential cmake pkg-config libh2o-evloop-dev libssl-dev zlib1g-dev libsqlite3-dev libjansson-dev
      libsodium-dev libicu-dev libcurl4-openssl-dev libcsv-dev libphonenumber-dev sqlite3)
case "$what" in
  test)  pkgs+=(libcmocka-dev python3 python3-yaml) ;;
  bench) pkgs+=(libcmocka-dev wrk python3 postgresql postgresql-contrib) ;;
esac
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
