#!/usr/bin/env bash
# Start-up time and memory of the embedded store against log size, before and after compaction.
#   bench/run-startup.sh [VERSIONS...]        (default: 1000 100000 1000000)
# For each size N, bench/gen-log.py writes a log with N/2 live versions and N/2 versions that
# were registered, soft-deleted and hard-deleted (the history compaction drops). The release
# binary starts on it with compaction off (time until it serves, RSS then, peak RSS), then with
# compaction on until the compactor has rewritten the log, then again on the compacted log.
# Everything listens on 127.0.0.1 only; every start is bounded (600 s); all is cleaned up on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes="${*:-1000 100000 1000000}"
cargo build --release --quiet -p lockstep
bin="${CARGO_TARGET_DIR:-target}/release/lockstep"
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# start DIR LOGFILE [ENV...]: start the registry, wait until it serves; sets T (s), RSS, HWM (MB).
start() {
  local dir=$1 log=$2; shift 2
  local t0; t0=$(date +%s.%N)
  env "$@" LOCKSTEP_LOG_FORMAT=json "$bin" registry --listen 127.0.0.1:0 --data-dir "$dir" 2>"$log" >/dev/null &
  pid=$!
  local deadline=$((SECONDS + 600))
  until grep -q '"lockstep registry serving"' "$log" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
    [ $SECONDS -lt $deadline ] || { echo "no start within 600 s" >&2; exit 1; }
    sleep 0.01
  done
  local t1; t1=$(date +%s.%N)
  RSS=$(awk '/VmRSS/ {print int($2/1024)}' "/proc/$pid/status")
  HWM=$(awk '/VmHWM/ {print int($2/1024)}' "/proc/$pid/status")
  T=$(printf '%.2f' "$(echo "$t1 - $t0" | bc -l)")
}

stop() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""; }

mb() { echo "scale=1; $(stat -c %s "$1") / 1048576" | bc -l; }

echo "| versions (live + hard-deleted) | log MB | start s | RSS MB | peak RSS MB | compacted log MB | start s | RSS MB | peak RSS MB | compaction s |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for n in $sizes; do
  dir="$work/d$n"
  python3 bench/gen-log.py "$dir" $((n / 2)) $((n - n / 2))
  before_mb=$(mb "$dir/schemas.log")
  start "$dir" "$work/log-$n-a" LOCKSTEP_COMPACT_MIN_BYTES=18446744073709551615
  t_before=$T rss_before=$RSS hwm_before=$HWM
  stop
  # Compact: the compactor looks after one interval; wait for its "log compacted" line.
  start "$dir" "$work/log-$n-c" LOCKSTEP_COMPACT_MIN_BYTES=1 LOCKSTEP_COMPACT_INTERVAL_MS=100
  deadline=$((SECONDS + 600))
  until grep -q '"log compacted"' "$work/log-$n-c" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { echo "no compaction within 600 s" >&2; exit 1; }
    sleep 0.05
  done
  compact_ms=$(grep '"log compacted"' "$work/log-$n-c" | sed -E 's/.*"ms":([0-9]+).*/\1/')
  stop
  after_mb=$(mb "$dir/schemas.log")
  start "$dir" "$work/log-$n-b" LOCKSTEP_COMPACT_MIN_BYTES=18446744073709551615
  t_after=$T rss_after=$RSS hwm_after=$HWM
  stop
  echo "| $n ($((n / 2)) + $((n - n / 2))) | $before_mb | $t_before | $rss_before | $hwm_before | $after_mb | $t_after | $rss_after | $hwm_after | $(echo "scale=2; $compact_ms / 1000" | bc -l) |"
  rm -rf "$dir"
done
