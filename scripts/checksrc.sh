#!/usr/bin/env bash
# Fails when the C sources use a banned function (STYLE.md rule 18): unbounded string writes, unchecked
# number parsing, bare assert. Usage: scripts/checksrc.sh SRC_DIR
set -u
dir=${1:-src}
pattern='(^|[^_a-zA-Z0-9.>])(sprintf|vsprintf|strcpy|strcat|atoi|atol|atoll|strtok|gets|assert)[[:space:]]*\('
hits=$(grep -rnE "$pattern" --include='*.c' --include='*.cc' --include='*.h' "$dir" | grep -vE '^\S+:[0-9]+:\s*(/\*|\*|//)')
if [ -n "$hits" ]; then
  echo "banned functions (use snprintf, strtol with checks, checked forms):"
  echo "$hits"
  echo "checksrc: 0 passed, 1 failed"
  exit 1
fi
echo "checksrc: 1 passed, 0 failed"
