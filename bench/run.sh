#!/usr/bin/env bash
# bench/run.sh BUILD_DIR: the benchmark `make bench` runs, on this machine, over loopback only.
#
# Steps: generate a member CSV (bench/gen_members.py), time `bashgah member import`, start `bashgah serve`
# and the bare h2o ceiling (bench_bare) on free 127.0.0.1 ports, run wrk for the ceiling, GET member and
# POST member, read the server's peak RSS, stop everything, print one table against the targets.
# Exit status: non-zero only when something failed to run; a missed target prints "below target".
# Every step is bounded by `timeout`; the EXIT trap stops what this script started and removes its files.
#
# Environment: BENCH_MEMBERS (1000000), BENCH_DURATION (10s), BENCH_THREADS (wrk threads, 2),
# BENCH_CONNECTIONS (64), BENCH_SERVER_THREADS (loops for bench_bare and, when set, bashgah serve; default
# bench_bare's: nproc), BENCH_IMPORT_TIMEOUT (seconds, 600), BENCH_KEEP=1 keeps the temp dir, TMPDIR.
set -euo pipefail

usage() {
  echo "usage: bench/run.sh BUILD_DIR   (BUILD_DIR holds bashgah and bench_bare)" >&2
  exit 2
}
[ $# -eq 1 ] || usage
case "$1" in -h | --help) usage ;; esac

BUILD=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BIN=$BUILD/bashgah
BARE=$BUILD/bench_bare
MEMBERS=${BENCH_MEMBERS:-1000000}
DURATION=${BENCH_DURATION:-10s}
WRK_THREADS=${BENCH_THREADS:-2}
WRK_CONNECTIONS=${BENCH_CONNECTIONS:-64}
SERVER_THREADS=${BENCH_SERVER_THREADS:-$(nproc)}
IMPORT_TIMEOUT=${BENCH_IMPORT_TIMEOUT:-600}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

IMPORT_TARGET_ROWS_PER_S=100000
READ_TARGET_PCT=50       # GET member req/s as a share of the bare ceiling
START_TIMEOUT_S=60       # from spawning a server to its /healthz answering
STOP_TIMEOUT_S=15        # from SIGTERM to exit

die() {
  echo "bench: $*" >&2
  exit 1
}

# ---- children and cleanup ------------------------------------------------------------------------------
declare -A CHILDREN=()   # pid -> name, only while running (so a reused pid is never signalled)
TMP=""

cleanup() {
  local pid
  for pid in "${!CHILDREN[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${!CHILDREN[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ -n "$TMP" ] && [ -d "$TMP" ]; then
    if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench: kept $TMP" >&2; else rm -rf "$TMP"; fi
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Runs "$@" under `timeout SECS` in the background (so a signal to this script is handled at once) and
# waits; stdout to OUT, stderr to ERR. Returns the command's status (124 on timeout).
run_bounded() {
  local secs=$1 out=$2 err=$3 pid rc=0
  shift 3
  timeout --kill-after=5 "$secs" "$@" >"$out" 2>"$err" &
  pid=$!
  CHILDREN[$pid]=$1
  wait "$pid" || rc=$?
  unset "CHILDREN[$pid]"
  return "$rc"
}

free_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

now_s() { echo "$EPOCHREALTIME"; }
elapsed_s() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# wrk -d accepts 10, 10s, 2m, 1h; the wall-clock bound adds a margin for start-up and the report.
duration_s() {
  local d=$1
  case "$d" in
    *s) d=${d%s}; echo "$d" ;;
    *m) d=${d%m}; echo $((d * 60)) ;;
    *h) d=${d%h}; echo $((d * 3600)) ;;
    *) echo "$d" ;;
  esac
}

# ---- servers -------------------------------------------------------------------------------------------
# start_server NAME LOG CMD...: spawns CMD, sets SERVER_PID.
start_server() {
  local name=$1 log=$2
  shift 2
  "$@" >"$log" 2>&1 &
  SERVER_PID=$!
  CHILDREN[$SERVER_PID]=$name
}

# wait_healthy NAME PID PORT LOG: waits for GET /healthz to answer 200 while PID lives.
wait_healthy() {
  local name=$1 pid=$2 port=$3 log=$4 deadline=$((SECONDS + START_TIMEOUT_S))
  while [ $SECONDS -lt $deadline ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$log" >&2 || true
      die "$name exited during start-up (log above)"
    fi
    if curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$port/healthz" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  tail -n 20 "$log" >&2 || true
  die "$name did not answer /healthz on 127.0.0.1:$port within ${START_TIMEOUT_S}s"
}

peak_rss_kib() {
  awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0
}

# stop_server NAME PID: SIGTERM, wait up to STOP_TIMEOUT_S, then SIGKILL; a bad exit is reported, not fatal.
stop_server() {
  local name=$1 pid=$2 rc=0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq $((STOP_TIMEOUT_S * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "bench: warning: $name did not stop within ${STOP_TIMEOUT_S}s of SIGTERM; killed" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || rc=$?
  unset "CHILDREN[$pid]"
  [ "$rc" -eq 0 ] || echo "bench: warning: $name exited with status $rc after SIGTERM" >&2
}

# ---- wrk -----------------------------------------------------------------------------------------------
declare -A RPS=() P99=() REQS=() ERRS=()

# parse_wrk FILE: prints "req/s p99_ms requests errors" (errors: non-2xx/3xx plus socket errors).
parse_wrk() {
  awk '
    function ms(v) {
      if (v ~ /us$/) return v * 0.001
      if (v ~ /ms$/) return v + 0
      if (v ~ /m$/) return v * 60000
      if (v ~ /s$/) return v * 1000
      return v + 0
    }
    /^Requests\/sec:/ { rps = $2 }
    $1 == "99%" { p99 = ms($2) }
    / requests in / { reqs = $1 }
    /Non-2xx or 3xx responses:/ { errs += $NF }
    /Socket errors:/ { gsub(/,/, ""); errs += $4 + $6 + $8 + $10 }
    END {
      if (rps == "" || p99 == "") exit 1
      printf "%s %.3f %d %d\n", rps, p99, reqs, errs
    }' "$1"
}

# run_wrk NAME SCRIPT URL [SCRIPT ARGS...]
run_wrk() {
  local name=$1 script=$2 url=$3 out="$TMP/wrk-$1.txt" rc=0 parsed
  shift 3
  echo "bench: wrk $name ($DURATION, -t$WRK_THREADS -c$WRK_CONNECTIONS) ..." >&2
  run_bounded $((DURATION_S + 60)) "$out" "$out.err" \
    wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$DURATION" --latency -s "$script" "$url" -- "$@" || rc=$?
  if [ "$rc" -ne 0 ]; then
    cat "$out" "$out.err" >&2 || true
    die "wrk $name failed (status $rc)"
  fi
  parsed=$(parse_wrk "$out") || { cat "$out" >&2; die "cannot read wrk's report for $name"; }
  read -r "RPS[$name]" "P99[$name]" "REQS[$name]" "ERRS[$name]" <<<"$parsed"
}

# ---- steps ---------------------------------------------------------------------------------------------
check_tools() {
  [ -x "$BIN" ] || die "$BIN not found: build target bashgah first"
  [ -x "$BARE" ] || die "$BARE not found: build target bench_bare first"
  local t
  for t in wrk curl timeout awk; do
    command -v "$t" >/dev/null || die "$t is not installed (scripts/deps.sh bench)"
  done
  case "$MEMBERS" in '' | *[!0-9]*) die "BENCH_MEMBERS must be a positive integer" ;; esac
  [ "$MEMBERS" -ge 1 ] || die "BENCH_MEMBERS must be a positive integer"
  DURATION_S=$(duration_s "$DURATION")
  case "$DURATION_S" in '' | *[!0-9]*) die "BENCH_DURATION must look like 10s, 2m or 10" ;; esac
}

generate() {
  local t0 rc=0
  echo "bench: generating $MEMBERS members ..." >&2
  t0=$(now_s)
  run_bounded 600 /dev/null "$TMP/gen.err" "$PY" "$HERE/gen_members.py" --count "$MEMBERS" --out "$CSV" || rc=$?
  [ "$rc" -eq 0 ] || { cat "$TMP/gen.err" >&2; die "gen_members.py failed (status $rc)"; }
  GEN_S=$(elapsed_s "$t0" "$(now_s)")
}

import_members() {
  local t0 rc=0
  echo "bench: importing ..." >&2
  run_bounded 120 "$TMP/migrate.out" "$TMP/migrate.err" "$BIN" migrate --data "$DATA" || rc=$?
  [ "$rc" -eq 0 ] || { cat "$TMP/migrate.out" "$TMP/migrate.err" >&2; die "bashgah migrate failed (status $rc)"; }
  t0=$(now_s)
  # Exit 1 means some rows were rejected (the rest are kept): a result to report, not a failure to run.
  run_bounded "$IMPORT_TIMEOUT" "$TMP/import.out" "$TMP/import.err" \
    "$BIN" member import --data "$DATA" "$CSV" || rc=$?
  IMPORT_S=$(elapsed_s "$t0" "$(now_s)")
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
    tail -n 20 "$TMP/import.out" "$TMP/import.err" >&2 || true
    die "bashgah member import failed (status $rc$([ "$rc" -eq 124 ] && echo ", over ${IMPORT_TIMEOUT}s"))"
  fi
  IMPORT_SUMMARY=$(grep -E 'created=[0-9]+' "$TMP/import.out" | tail -n 1 || true)
  [ -n "$IMPORT_SUMMARY" ] || IMPORT_SUMMARY="(no summary line)"
  IMPORT_REJECTED=$(sed -nE 's/.*rejected=([0-9]+).*/\1/p' <<<"$IMPORT_SUMMARY")
  IMPORT_REJECTED=${IMPORT_REJECTED:-0}
  if [ "$IMPORT_REJECTED" -gt 0 ]; then
    echo "bench: warning: import rejected $IMPORT_REJECTED rows; first ones:" >&2
    head -n 5 "$TMP/import.err" >&2 || true
  fi
  IMPORT_RPS=$(awk -v n="$MEMBERS" -v s="$IMPORT_S" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
  DB_MIB=$(du -sm "$DATA" | awk '{ print $1 }')
}

bench_bare() {
  local port log="$TMP/bare.log"
  port=$(free_port)
  start_server bench_bare "$log" "$BARE" --listen "127.0.0.1:$port" --threads "$SERVER_THREADS"
  BARE_PID=$SERVER_PID
  wait_healthy bench_bare "$BARE_PID" "$port" "$log"
  run_wrk bare "$HERE/get_member.lua" "http://127.0.0.1:$port" "bench-key" "$MEMBERS"
  BARE_RSS_KIB=$(peak_rss_kib "$BARE_PID")
  stop_server bench_bare "$BARE_PID"
}

# One request of each kind before measuring: if these fail, the wrk figures would measure error pages.
smoke_test() {
  local base=$1 status
  status=$(curl -sS -o "$TMP/smoke-get.out" -w '%{http_code}' --max-time 10 \
    -H "Authorization: Bearer $KEY" "$base/api/v1/members/1") || die "GET member: curl failed"
  [ "$status" = 200 ] || { cat "$TMP/smoke-get.out" >&2; echo >&2; die "GET /api/v1/members/1 answered $status, want 200"; }
  status=$(curl -sS -o "$TMP/smoke-post.out" -w '%{http_code}' --max-time 10 \
    -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
    --data '{"external_ref":"SMOKE-1","given_name":"Smoke","family_name":"Test","phone":"+989360000001","email":"smoke@bench.example.com"}' \
    "$base/api/v1/members") || die "POST member: curl failed"
  [ "$status" = 201 ] || { cat "$TMP/smoke-post.out" >&2; echo >&2; die "POST /api/v1/members answered $status, want 201"; }
}

bench_bashgah() {
  local port log="$TMP/serve.log" base rc=0
  local -a extra=()
  [ -z "${BENCH_SERVER_THREADS:-}" ] || extra=(--threads "$BENCH_SERVER_THREADS")
  port=$(free_port)
  base="http://127.0.0.1:$port"
  start_server "bashgah serve" "$log" \
    "$BIN" serve --listen "127.0.0.1:$port" --data "$DATA" --access-log off "${extra[@]}"
  SERVE_PID=$SERVER_PID
  wait_healthy "bashgah serve" "$SERVE_PID" "$port" "$log"

  run_bounded 60 "$TMP/apikey.out" "$TMP/apikey.err" \
    "$BIN" apikey create --data "$DATA" --role manager --name bench || rc=$?
  [ "$rc" -eq 0 ] || { cat "$TMP/apikey.out" "$TMP/apikey.err" >&2; die "bashgah apikey create failed (status $rc)"; }
  KEY=$(tail -n 1 "$TMP/apikey.out" | tr -d '[:space:]')
  [ -n "$KEY" ] || die "bashgah apikey create printed no key"

  smoke_test "$base"
  run_wrk get "$HERE/get_member.lua" "$base" "$KEY" "$MEMBERS"
  BENCH_RUN=$(date +%s) run_wrk post "$HERE/post_member.lua" "$base" "$KEY"
  SERVE_RSS_KIB=$(peak_rss_kib "$SERVE_PID")
  stop_server "bashgah serve" "$SERVE_PID"
}

# ---- report --------------------------------------------------------------------------------------------
verdict() { # verdict OK_CONDITION(0|1) ERRORS
  if [ "$2" -gt 0 ]; then echo "below target ($2 errors)"; elif [ "$1" -eq 1 ]; then echo "ok"; else echo "below target"; fi
}

report() {
  local name label ratio errs get_ok import_ok
  echo
  echo "bashgah benchmark: $MEMBERS members, wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$DURATION, $(nproc) cores, 127.0.0.1"
  echo
  printf '%-22s %12s %10s %10s %11s %9s\n' "run" "req/s" "p99 ms" "vs bare" "requests" "errors"
  printf '%-22s %12s %10s %10s %11s %9s\n' "----------------------" "------------" "----------" "----------" "-----------" "---------"
  for name in bare get post; do
    case $name in
      bare) label="bare h2o (ceiling)" ;;
      get) label="GET member" ;;
      post) label="POST member" ;;
    esac
    ratio=$(awk -v a="${RPS[$name]}" -v b="${RPS[bare]}" 'BEGIN { printf "%.1f%%", (b > 0 ? 100 * a / b : 0) }')
    printf '%-22s %12.0f %10.2f %10s %11d %9d\n' "$label" "${RPS[$name]}" "${P99[$name]}" "$ratio" "${REQS[$name]}" "${ERRS[$name]}"
  done
  echo
  get_ok=$(awk -v a="${RPS[get]}" -v b="${RPS[bare]}" -v t="$READ_TARGET_PCT" 'BEGIN { print (100 * a >= t * b) ? 1 : 0 }')
  import_ok=$(awk -v r="$IMPORT_RPS" -v t="$IMPORT_TARGET_ROWS_PER_S" 'BEGIN { print (r >= t) ? 1 : 0 }')
  printf 'generate CSV           %d rows in %s s\n' "$MEMBERS" "$GEN_S"
  printf 'import                 %d rows in %s s = %d rows/s (%s)\n' "$MEMBERS" "$IMPORT_S" "$IMPORT_RPS" "$IMPORT_SUMMARY"
  printf 'database size          %d MiB after import\n' "$DB_MIB"
  printf 'peak RSS (VmHWM)       bashgah serve %.1f MiB, bench_bare %.1f MiB\n' \
    "$(awk -v k="$SERVE_RSS_KIB" 'BEGIN { print k / 1024 }')" "$(awk -v k="$BARE_RSS_KIB" 'BEGIN { print k / 1024 }')"
  echo
  echo "targets"
  printf '  %-48s %s\n' "GET member >= ${READ_TARGET_PCT}% of the bare ceiling" "$(verdict "$get_ok" "${ERRS[get]}")"
  printf '  %-48s %s\n' "import >= $IMPORT_TARGET_ROWS_PER_S rows/s" "$(verdict "$import_ok" "$IMPORT_REJECTED")"
  errs=${ERRS[post]}
  printf '  %-48s %s\n' "POST member (no target; every write committed)" "$([ "$errs" -eq 0 ] && echo "measured" || echo "$errs errors")"
}

main() {
  check_tools
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/bashgah-bench.XXXXXX")
  DATA=$TMP/data
  CSV=$TMP/members.csv
  mkdir -p "$DATA"
  generate
  import_members
  rm -f "$CSV"   # 150 MB per million rows; not needed past the import
  bench_bare
  bench_bashgah
  report
}

main
