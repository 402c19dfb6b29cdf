#!/usr/bin/env bash
# Replicator benchmark, side by side with MirrorMaker 2 (org.apache.kafka:connect-mirror 4.3.1)
# on the same two brokers and the same records.
#   bench/run-replicator.sh [--records 1000000] [--size 200] [--partitions 6] [--processes 1] [--rate 10000] [--seconds 20]
#                           [--only throughput|latency] [--batch-ms MS (the replicator's batch_max_ms; default its own)]
#                           [--broker-warmup S (latency: seconds of load on both brokers first; default 40)]
# 1. Fills topic `bench` on the source cluster, then copies it with `lockstep replicate`
#    (at-least-once and exactly-once) and with MirrorMaker 2 (dedicated mode, at-least-once, its
#    defaults plus tasks.max = partitions); each copy goes to its own destination topic. Time and
#    CPU are measured from the first copied record to the last (start-up excluded for both).
#    With --processes N, N copiers of each kind share the work: N `lockstep replicate` processes
#    with one config, N MirrorMaker 2 nodes of one dedicated cluster (internal REST on), and the
#    CPU is the sum over the N.
# 2. Latency: records produced at --rate per second stamped with the produce time; the copy's
#    consumer on the destination reports now − timestamp. Both brokers first carry the same load
#    for --broker-warmup seconds (a fresh broker JVM spends about half its CPU compiling in the
#    first minute, which turned into seconds of queueing for whichever copier came first).
# Everything started is stopped on exit. Needs Java 17+ and Maven (jars cached by scripts/kafka).
set -euo pipefail
cd "$(dirname "$0")/.."
records=1000000; size=200; partitions=6; processes=1; rate=10000; seconds=20; only=all; batch_ms=""; broker_warmup=40
. bench/lib.sh
bench_args "[--records N] [--size BYTES] [--partitions P] [--processes N] [--rate R] [--seconds S] [--only throughput|latency] [--batch-ms MS] [--broker-warmup S]" "records size partitions processes rate seconds only batch-ms=batch_ms broker-warmup=broker_warmup" "$@"

cargo build --release --quiet -p lockstep -p lockstep-bench
tdir="${CARGO_TARGET_DIR:-target}"
bench="$tdir/release/lockstep-bench"
lockstep="$tdir/release/lockstep"
scripts/kafka fetch-mirrormaker
cache="${LOCKSTEP_KAFKA_CACHE:-$HOME/.cache/lockstep/kafka-4.3.1}"
bench_init --kafka
field_decimals=3

wait_idle
src=$(scripts/kafka start bench-src "$(free_port)")
dst=$(scripts/kafka start bench-dst "$(free_port)")
scripts/kafka tool bench-src kafka-topics --create --topic bench --partitions "$partitions" >/dev/null
scripts/kafka tool bench-dst kafka-topics --create --topic pipe.bench --partitions "$partitions" >/dev/null
for t in lat-at-least-once lat-exactly-once lat-mm2; do
  scripts/kafka tool bench-src kafka-topics --create --topic "$t" --partitions "$partitions" >/dev/null
done
[ "$only" = latency ] || fill=$("$bench" kafka-produce --bootstrap "$src" --topic bench --count "$records" --size "$size" --partitions "$partitions")
mb=$(python3 -c "print($records*$size/1e6)")

lockstep_config() { # NAME MODE INCLUDE PREFIX
  { replicator_toml "$1" "$src" "$dst" "$3" "$4"
    printf '[delivery]\nmode = "%s"\n' "$2"
    [ -z "$batch_ms" ] || echo "batch_max_ms = $batch_ms"; } > "$data/$1.toml"
}

mm2_config() { # TOPICS [NODE] — MirrorMaker 2 writes src.<topic>; NODE ≥ 1 adds the internal REST
  # listener several dedicated-mode nodes need to hand task configs to each other.
  local file="$data/mm2${2:+-$2}.properties"
  { mm2_props "$src" "$dst"; echo "src->dst.topics = $1"; echo "tasks.max = $partitions"
    if [ -n "${2:-}" ]; then
      echo "dedicated.mode.enable.internal.rest = true"; echo "listeners = http://127.0.0.1:$(free_port)"
    fi; } > "$file"
  echo "$file"
}
start_copiers() { # KIND ... — starts $processes copiers, sets $cpids and $pid_args
  cpids=(); pid_args=()
  for i in $(seq 1 "$processes"); do
    if [ "$1" = mm2 ]; then
      if [ "$processes" = 1 ]; then start_mm2 "$(mm2_config "$2")"; else start_mm2 "$(mm2_config "$2" "$i")"; fi
    else
      "$lockstep" replicate --config "$data/$2.toml" 2>"$data/$2-$i.log" & pid=$!; pids+=("$pid")
    fi
    cpids+=("$pid"); pid_args+=(--pid "$pid")
  done
}
stop_copiers() { kill "${cpids[@]}"; wait "${cpids[@]}" 2>/dev/null || true; }

echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, two single-broker Kafka 4.3.1 clusters on loopback;" \
  "$records records × $size B = $mb MB in $partitions partitions, $processes process(es) per copier; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
if [ "$only" != latency ]; then
echo "| replicator | records/s | MB/s | CPU s | CPU s per 100 MB | vs MirrorMaker 2 (throughput) | vs native ceiling |"
echo "|---|---:|---:|---:|---:|---:|---:|"
rows=()
run() { # LABEL WAIT-JSON
  local r=$2 recs secs cpu
  recs=$(field "$r" records_measured); secs=$(field "$r" seconds_measured); cpu=$(field "$r" cpu_seconds_measured)
  rows+=("$1|$(python3 -c "print(round($recs/$secs))")|$(python3 -c "print(f'{$recs*$size/1e6/$secs:.1f}')")|$cpu|$(python3 -c "print(f'{$cpu/($recs*$size/1e6)*100:.2f}')")|$(python3 -c "print($recs/$secs)")")
}

# MirrorMaker 2 first (its destination topic is src.bench).
# The native ceiling: a bare librdkafka consume ∥ produce pair (lockstep-bench kafka-pipe).
"$bench" kafka-pipe --source "$src" --topic bench --destination "$dst" --to pipe.bench --count "$records" >/dev/null & pid=$!; pids+=("$pid")
w=$("$bench" kafka-wait --bootstrap "$dst" --topic pipe.bench --count "$records" --pid "$pid" --timeout-secs 900)
wait "$pid" 2>/dev/null || true
run "native librdkafka consume ∥ produce (ceiling)" "$w"
start_copiers mm2 bench
w=$("$bench" kafka-wait --bootstrap "$dst" --topic src.bench --count "$records" "${pid_args[@]}" --timeout-secs 900)
stop_copiers
run "MirrorMaker 2 (at-least-once)" "$w"
for mode in at-least-once exactly-once; do
  lockstep_config "ls-$mode" "$mode" bench "$mode."
  start_copiers lockstep "ls-$mode"
  group=(); [ "$mode" = exactly-once ] && group=(--group "lockstep-replicator-ls-$mode")
  w=$("$bench" kafka-wait --bootstrap "$dst" --topic "$mode.bench" --count "$records" "${group[@]}" "${pid_args[@]}" --timeout-secs 900)
  stop_copiers
  run "lockstep replicate ($mode)" "$w"
done
ceiling_rps=$(echo "${rows[0]}" | cut -d'|' -f6); mm2_rps=$(echo "${rows[1]}" | cut -d'|' -f6)
for row in "${rows[@]}"; do
  IFS='|' read -r label rps mbs cpu per100 raw <<<"$row"
  echo "| $label | $rps | $mbs | $cpu | $per100 | $(python3 -c "print(f'{$raw/$mm2_rps:.2f}×')") | $(python3 -c "print(f'{$raw/$ceiling_rps:.2f}×')") |"
done
fi
[ "$only" = throughput ] && exit 0

if [ "$broker_warmup" != 0 ]; then
  wpids=()
  for c in src dst; do
    scripts/kafka tool "bench-$c" kafka-topics --create --topic warm --partitions "$partitions" >/dev/null
    b=$([ $c = src ] && echo "$src" || echo "$dst")
    "$bench" kafka-latency --source "$b" --source-topic warm --destination "$b" --destination-topic warm \
      --rate "$rate" --seconds "$broker_warmup" --size "$size" >/dev/null & wpids+=("$!")
  done
  wait "${wpids[@]}"
fi
echo
echo "Latency at $rate records/s for $seconds s ($size B records), destination consumer read_committed, brokers warmed up for $broker_warmup s:"
echo
echo "| replicator | p50 ms | p99 ms | max ms | records seen |"
echo "|---|---:|---:|---:|---:|"
for mode in at-least-once exactly-once; do
  lockstep_config "lat-$mode" "$mode" "lat-$mode" "copy."
  "$lockstep" replicate --config "$data/lat-$mode.toml" 2>"$data/lat-$mode.log" & pid=$!; pids+=("$pid")
  for _ in $(seq 1 100); do scripts/kafka tool bench-dst kafka-topics --list 2>/dev/null | grep -qx "copy.lat-$mode" && break; sleep 0.3; done
  sleep 2
  l=$("$bench" kafka-latency --source "$src" --source-topic "lat-$mode" --destination "$dst" --destination-topic "copy.lat-$mode" --rate "$rate" --seconds "$seconds" --size "$size")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "| lockstep replicate ($mode) | $(field "$l" p50_ms) | $(field "$l" p99_ms) | $(field "$l" max_ms) | $(field "$l" records)/$(field "$l" expected) |"
done
start_mm2 "$(mm2_config lat-mm2)"
for _ in $(seq 1 200); do scripts/kafka tool bench-dst kafka-topics --list 2>/dev/null | grep -qx "src.lat-mm2" && break; sleep 0.5; done
sleep 5
l=$("$bench" kafka-latency --source "$src" --source-topic lat-mm2 --destination "$dst" --destination-topic src.lat-mm2 --rate "$rate" --seconds "$seconds" --size "$size")
echo "| MirrorMaker 2 | $(field "$l" p50_ms) | $(field "$l" p99_ms) | $(field "$l" max_ms) | $(field "$l" records)/$(field "$l" expected) |"
