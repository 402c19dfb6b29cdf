#!/usr/bin/env bash
# Registry benchmarks, side by side with a static-response axum server (this machine's ceiling).
#   bench/run-registry.sh [--duration 10] [--connections 64] [--subjects 20000]
# Prints a markdown table (ratios against the static server) and the registry's memory.
# All traffic stays on 127.0.0.1; every load runs for a fixed time.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=10; connections=64; subjects=0
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --subjects) subjects="$2"; shift 2 ;;
    *) echo "usage: $0 [--duration S] [--connections N] [--subjects N]" >&2; exit 2 ;;
  esac
done

cargo build --release --quiet -p lockstep -p lockstep-bench
bench=target/release/lockstep-bench
data="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$data"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 1 100); do curl -sf "$1/" >/dev/null && return 0; sleep 0.1; done; echo "no answer from $1" >&2; exit 1; }

sport=$(free_port); rport=$(free_port)
"$bench" static --listen "127.0.0.1:$sport" 2>/dev/null & pids+=($!)
target/release/lockstep registry --listen "127.0.0.1:$rport" --data-dir "$data/store" 2>"$data/registry.log" & rpid=$!; pids+=($rpid)
static_url="http://127.0.0.1:$sport"; reg_url="http://127.0.0.1:$rport"
wait_up "$static_url"; wait_up "$reg_url"

field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

echo "| scenario | lockstep req/s | p50 ms | p99 ms | static req/s | static p99 ms | lockstep/static |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for scen in get-by-id lookup register-existing register-new; do
  r=$("$bench" load --url "$reg_url" --scenario "$scen" --connections "$connections" --duration "$duration")
  s=$("$bench" load --url "$static_url" --scenario "$scen" --connections "$connections" --duration "$duration")
  rr=$(field "$r" rps); sr=$(field "$s" rps)
  ratio=$(python3 -c "print(f'{$rr/$sr:.2f}')")
  errs=$(field "$r" errors)
  [ "$errs" = "0" ] || echo "WARNING: $scen had $errs errors against lockstep" >&2
  echo "| $scen | $rr | $(field "$r" p50_ms) | $(field "$r" p99_ms) | $sr | $(field "$s" p99_ms) | $ratio |"
done
echo
echo "registry RSS after the run: $(awk '/VmRSS/ {print $2, $3}' /proc/$rpid/status)"

if [ "$subjects" -gt 0 ]; then
  # Memory with many subjects, on a fresh registry.
  kill "$rpid"; wait "$rpid" 2>/dev/null || true
  rm -rf "$data/store"
  target/release/lockstep registry --listen "127.0.0.1:$rport" --data-dir "$data/store" 2>>"$data/registry.log" & rpid=$!; pids+=($rpid)
  wait_up "$reg_url"
  f=$("$bench" fill --url "$reg_url" --subjects "$subjects")
  echo "registered $subjects subjects in $(field "$f" seconds) s; registry RSS: $(awk '/VmRSS/ {print $2, $3}' /proc/$rpid/status)"
  kill "$rpid"; wait "$rpid" 2>/dev/null || true
  start=$(date +%s.%N)
  target/release/lockstep registry --listen "127.0.0.1:$rport" --data-dir "$data/store" 2>>"$data/registry.log" & rpid=$!; pids+=($rpid)
  wait_up "$reg_url"
  echo "restart (replay of $subjects registrations) to first answer: $(python3 -c "import time; print(f'{time.time()-$start:.2f}')") s; RSS after replay: $(awk '/VmRSS/ {print $2, $3}' /proc/$rpid/status)"
fi
