#!/usr/bin/env bash
# Kafka-store benchmarks: registrations/s and read-your-write latency with the log in Kafka,
# side by side with the embedded file store in the same run.
#   bench/run-kafka-store.sh [--duration 10s] [--warmup 2s] [--broker-warmup 40s] [--connections "1 16"] [--visibility 500]
# Starts a Kafka 4.3.1 broker (scripts/kafka) and warms it up (a fresh JVM spends about half its CPU
# compiling for the first minute: a throwaway node takes registrations on its own topic for
# --broker-warmup), then one Lockstep node on a fresh topic (and a file-store registry for the
# ratio), then three nodes on another topic for the aggregate and cross-node rows.
# Everything started is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=10s; warmup=2s; broker_warmup=40s; connections="1 16"; count=500
. bench/lib.sh
bench_args "[--duration 10s] [--warmup 2s] [--broker-warmup 40s] [--connections LIST] [--visibility N]" "duration warmup broker-warmup=broker_warmup connections visibility=count" "$@"

cargo build --release --quiet -p lockstep -p lockstep-bench
bench="${CARGO_TARGET_DIR:-target}/release/lockstep-bench"
lockstep="${CARGO_TARGET_DIR:-target}/release/lockstep"
bench_init --kafka
start() { # NAME ARGS... → sets $url
  local name="$1" port; shift; port=$(free_port)
  "$lockstep" registry --listen "127.0.0.1:$port" "$@" >>"$data/$name.log" 2>&1 &
  pids+=($!)
  url="http://127.0.0.1:$port"
  wait_up "$url"
}

kafka=$(scripts/kafka start bench "$(free_port)")
if [ "$broker_warmup" != 0s ]; then
  start warm --kafka-bootstrap "$kafka" --kafka-topic _schemas_warmup
  "$bench" load --url "$url" --scenario register-new --connections 16 --duration "$broker_warmup" --warmup 0s >/dev/null
  kill "${pids[-1]}"
fi
start k1 --kafka-bootstrap "$kafka" --kafka-topic _schemas_single; k1=$url
start f1 --data-dir "$data/file"; f1=$url

echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, Kafka 4.3.1 single broker on loopback" \
  "(acks=all, warmed up for $broker_warmup), $warmup warm-up + $duration measured, load generator on the same machine;" \
  "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| new registrations | connections | Kafka store req/s | p50 ms | p99 ms | file store req/s | file p99 ms | Kafka/file |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for c in $connections; do
  k=$("$bench" load --url "$k1" --scenario register-new --connections "$c" --duration "$duration" --warmup "$warmup")
  f=$("$bench" load --url "$f1" --scenario register-new --connections "$c" --duration "$duration" --warmup "$warmup")
  [ "$(field "$k" errors)" = 0 ] || echo "WARNING: $(field "$k" errors) errors on the Kafka store" >&2
  ratio=$(python3 -c "print(f'{$(field "$k" rps)/$(field "$f" rps):.2f}')")
  echo "| one node | $c | $(field "$k" rps) | $(field "$k" p50_ms) | $(field "$k" p99_ms) | $(field "$f" rps) | $(field "$f" p99_ms) | $ratio |"
done

# Three nodes on one topic, each driven by its own load generator at once.
start n1 --kafka-bootstrap "$kafka" --kafka-topic _schemas_three; n1=$url
start n2 --kafka-bootstrap "$kafka" --kafka-topic _schemas_three; n2=$url
start n3 --kafka-bootstrap "$kafka" --kafka-topic _schemas_three; n3=$url
# Followers forward writes to the leader: measure once every node knows it.
for _ in $(seq 1 300); do
  leaders=$(for u in "$n1" "$n2" "$n3"; do curl -s "$u/lockstep/leader" | python3 -c 'import json,sys; print((json.load(sys.stdin).get("current") or {}).get("node",""))'; done | sort -u)
  [ "$(echo "$leaders" | wc -l)" = 1 ] && [ -n "$leaders" ] && break
  sleep 0.1
done
c=$(echo "$connections" | awk '{print $NF}')
outs=()
for u in "$n1" "$n2" "$n3"; do
  "$bench" load --url "$u" --scenario register-new --connections "$c" --duration "$duration" --warmup "$warmup" \
    > "$data/three-${u##*:}.json" &
  outs+=($!)
done
wait "${outs[@]}"
total=0; p99s=""
for f in "$data"/three-*.json; do
  r=$(cat "$f"); total=$((total + $(field "$r" rps))); p99s="$p99s $(field "$r" p99_ms)"
done
echo "| three nodes, one topic (sum) | 3 × $c | $total | – | $p99s | – | – | – |"
echo
v=$("$bench" visibility --writer "$n1" --reader "$n2" --count "$count")
echo "read-your-write, one registration at a time on node 1 ($count): write (answered after node 1 read its" \
  "record back) p50 $(field "$v" write_p50_ms) ms, p99 $(field "$v" write_p99_ms) ms; visible on node 2 after the" \
  "answer: p50 $(field "$v" other_node_p50_ms) ms, p99 $(field "$v" other_node_p99_ms) ms, max $(field "$v" other_node_max_ms) ms"
