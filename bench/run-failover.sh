#!/usr/bin/env bash
# Failover replay, Lockstep side by side with MirrorMaker 2 (connect-mirror 4.3.1) on the same
# brokers and the same history: how many records a consumer group re-reads (or skips) on the
# destination after it moves there.
#   bench/run-failover.sh [--records 20000]
# 1. Topic `hist` (1 partition) on the source gets RECORDS plain records (keys k0, k1, …), then
#    20 one-record transactions of which every fifth is aborted, then RECORDS/4 plain records
#    again (markers and aborted records shift the destination's offsets).
# 2. Three source groups commit: `mid` in the first stretch, `tx` just after the transactions,
#    `end` 7 records before the end.
# 3. MirrorMaker 2 copies `hist` (checkpoints and group-offset sync every second, the groups
#    above); after the copy and 15 s, each group's offset on `src.hist` is what MM2 synced.
#    Then `lockstep replicate` copies `hist` to `ls.hist` (checkpoints every second); after the
#    copy and 3 s, `lockstep replicate failover --group G` for each group.
# 4. For each: records re-read (keys the group had processed) and skipped, from its committed
#    offset on the destination (`lockstep-bench kafka-replay`).
set -euo pipefail
cd "$(dirname "$0")/.."
records=20000
while [ $# -gt 0 ]; do
  case "$1" in
    --records) records="$2"; shift 2 ;;
    *) echo "usage: $0 [--records N]" >&2; exit 2 ;;
  esac
done

cargo build --release --quiet -p lockstep -p lockstep-bench
tdir="${CARGO_TARGET_DIR:-target}"
bench="$tdir/release/lockstep-bench"
lockstep="$tdir/release/lockstep"
scripts/kafka fetch-mirrormaker
cache="${LOCKSTEP_KAFKA_CACHE:-$HOME/.cache/lockstep/kafka-4.3.1}"
. bench/lib.sh
bench_init --kafka

src=$(scripts/kafka start fo-src "$(free_port)")
dst=$(scripts/kafka start fo-dst "$(free_port)")
scripts/kafka tool fo-src kafka-topics --create --topic hist --partitions 1 >/dev/null
"$bench" kafka-produce --bootstrap "$src" --topic hist --count "$records" --size 100 --partitions 1 >/dev/null
"$bench" kafka-transactions --bootstrap "$src" --topic hist --first "$records" --count 20 --abort-every 5 >/dev/null
offset_end() { scripts/kafka tool fo-src kafka-get-offsets --topic hist | awk -F: '{print $3}'; }
tx_end=$(offset_end)
tail=$((records / 4))
"$bench" kafka-produce --bootstrap "$src" --topic hist --count "$tail" --size 100 --partitions 1 --first $((records + 20)) >/dev/null
end=$(offset_end)
# Commit points (source offsets) and `processed`: every key k<i> with i below it was processed
# (keys of aborted records never show). The tail starts at tx_end with key k(records + 20).
declare -A at processed
at[mid]=$((records / 2)); processed[mid]=$((records / 2))
at[tx]=$tx_end; processed[tx]=$((records + 20))
at[end]=$((end - 7)); processed[end]=$((records + 20 + end - 7 - tx_end))
for g in mid tx end; do
  "$bench" kafka-commit --bootstrap "$src" --topic hist --group "fo-$g" --offset "${at[$g]}"
done

{
  mm2_props "$src" "$dst"
  cat <<PROPS
src->dst.topics = hist
src->dst.groups = fo-.*
emit.checkpoints.interval.seconds = 1
sync.group.offsets.enabled = true
sync.group.offsets.interval.seconds = 1
refresh.groups.interval.seconds = 1
PROPS
} > "$data/mm2.properties"
start_mm2
count=$((records + 20 + tail))
"$bench" kafka-wait --bootstrap "$dst" --topic src.hist --count "$((records + 16 + tail))" --timeout-secs 600 >/dev/null
sleep 15
kill "$pid"; wait "$pid" 2>/dev/null || true

{ replicator_toml fo "$src" "$dst" hist ls.
  printf '[offsets]\ngroups = ["fo-.*"]\ncheckpoint_interval_ms = 1000\n'; } > "$data/ls.toml"
"$lockstep" replicate --config "$data/ls.toml" 2>"$data/ls.log" & pid=$!; pids+=("$pid")
"$bench" kafka-wait --bootstrap "$dst" --topic ls.hist --group lockstep-replicator-fo --count "$end" --timeout-secs 600 >/dev/null
sleep 3
for g in mid tx end; do
  "$lockstep" replicate failover --config "$data/ls.toml" --group "fo-$g" >/dev/null 2>>"$data/ls.log"
done

echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), one partition: $records plain records, 20 one-record" \
  "transactions (4 aborted), $tail plain records ($count records); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| group commits at (source offset) | records processed | MirrorMaker 2: re-read | skipped | Lockstep: re-read | skipped |"
echo "|---|---:|---:|---:|---:|---:|"
for g in mid tx end; do
  m=$("$bench" kafka-replay --bootstrap "$dst" --topic src.hist --group "fo-$g" --processed "${processed[$g]}" 2>&1 || echo '{"replayed":"no offset","skipped":"-"}')
  l=$("$bench" kafka-replay --bootstrap "$dst" --topic ls.hist --group "fo-$g" --processed "${processed[$g]}" 2>&1 || echo '{"replayed":"no offset","skipped":"-"}')
  echo "| $g (${at[$g]}) | ${processed[$g]} | $(field "$m" replayed) | $(field "$m" skipped) | $(field "$l" replayed) | $(field "$l" skipped) |"
done
