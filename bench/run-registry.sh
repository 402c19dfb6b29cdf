#!/usr/bin/env bash
# Registry benchmarks, side by side with a static-response axum server (this machine's ceiling).
#   bench/run-registry.sh [--duration 10s] [--warmup 2s] [--connections 64]
#                         [--scenarios "get-by-id lookup register-existing register-new" | none]
#                         [--repeat 1] [--subjects 20000]
# Each scenario runs against the registry, then the static server; with --repeat N that pair runs
# N times and the pair with the median ratio is shown (the machine is shared and noisy).
# Prints a markdown table (ratios against the static server) and the registry's memory; with
# --subjects N, also registers N subjects on a fresh registry and reports its RSS.
# All traffic stays on 127.0.0.1; every load runs for a fixed time; everything started is
# killed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=10s; warmup=2s; connections=64; subjects=0; repeat=1
scenarios="get-by-id lookup register-existing register-new"
. bench/lib.sh
bench_args "[--duration 10s] [--warmup 2s] [--connections N] [--scenarios LIST|none] [--repeat N] [--subjects N]" "duration warmup connections scenarios subjects repeat" "$@"
[ "$scenarios" = none ] && scenarios=""

cargo build --release --quiet -p lockstep -p lockstep-bench
bench="${CARGO_TARGET_DIR:-target}/release/lockstep-bench"
lockstep="${CARGO_TARGET_DIR:-target}/release/lockstep"
bench_init
rss() { awk '/VmRSS/ {printf "%.0f MB", $2/1024}' "/proc/$1/status"; }
peak() { awk '/VmHWM/ {printf "%.0f MB", $2/1024}' "/proc/$1/status"; }
start_registry() {
  "$lockstep" registry --listen "127.0.0.1:$rport" --data-dir "$data/store" 2>>"$data/registry.log" &
  rpid=$!; pids+=("$rpid")
  wait_up "$reg_url"
}
stop_registry() { kill "$rpid"; wait "$rpid" 2>/dev/null || true; }

sport=$(free_port); rport=$(free_port)
static_url="http://127.0.0.1:$sport"; reg_url="http://127.0.0.1:$rport"
"$bench" static --listen "127.0.0.1:$sport" 2>/dev/null & pids+=($!)
wait_up "$static_url"
start_registry

echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, $connections connections," \
  "$warmup warm-up + $duration measured per run, median of $repeat, load generator on the same machine;" \
  "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| scenario | lockstep req/s | p50 ms | p99 ms | static req/s | static p99 ms | lockstep/static | target |"
echo "|---|---:|---:|---:|---:|---:|---:|---|"
for scen in $scenarios; do
  pairs=()
  for _ in $(seq 1 "$repeat"); do
    r=$("$bench" load --url "$reg_url" --scenario "$scen" --connections "$connections" --duration "$duration" --warmup "$warmup")
    s=$("$bench" load --url "$static_url" --scenario "$scen" --connections "$connections" --duration "$duration" --warmup "$warmup")
    errs=$(field "$r" errors)
    [ "$errs" = "0" ] || echo "WARNING: $scen had $errs errors against lockstep" >&2
    ratio=$(python3 -c "print(f'{$(field "$r" rps)/$(field "$s" rps):.2f}')")
    pairs+=("$ratio $r $s")
  done
  read -r ratio r s < <(printf '%s\n' "${pairs[@]}" | sort -n | sed -n "$(( (repeat + 1) / 2 ))p")
  case "$scen" in
    get-by-id) target="≥ 0.80" ;;
    register-existing) target="≥ 0.50" ;;
    register-new) target="≥ 5,000/s" ;;
    *) target="–" ;;
  esac
  echo "| $scen | $(field "$r" rps) | $(field "$r" p50_ms) | $(field "$r" p99_ms) | $(field "$s" rps) |" \
    "$(field "$s" p99_ms) | $ratio | $target |"
done
echo
echo "registry RSS after the run: $(rss "$rpid") (peak $(peak "$rpid"))"

if [ "$subjects" -gt 0 ]; then
  # Memory with many subjects, on a fresh registry (target: ≤ 300 MB for 20,000 subjects).
  stop_registry; rm -rf "$data/store"; start_registry
  f=$("$bench" fill --url "$reg_url" --subjects "$subjects")
  echo "registered $subjects subjects in $(field "$f" seconds | cut -c1-5) s; registry RSS: $(rss "$rpid") (peak $(peak "$rpid"))"
  stop_registry
  t0=$(date +%s.%N); start_registry; t1=$(date +%s.%N)
  echo "restart (replay of $subjects registrations) to first answer: $(python3 -c "print(f'{$t1-$t0:.2f}')") s;" \
    "RSS after replay: $(rss "$rpid")"
fi
