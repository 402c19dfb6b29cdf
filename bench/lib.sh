# Shared helpers for the bench/run-*.sh scripts; source it after `cd` to the repository root.
#   bench_init [--kafka]   makes $data (a temp dir) and $pids, and on exit kills every pid in
#                          $pids, then (with --kafka) stops the Kafka clusters started under
#                          $LOCKSTEP_KAFKA_HOME=$data/kafka, and removes $data.
#   free_port              prints a free TCP port on 127.0.0.1.
#   wait_up URL            waits up to 30 s for a 200 from URL/; else prints the logs in $data, exits.
#   mm2_props SRC DST      prints the MirrorMaker 2 (dedicated mode) properties both benchmarks
#                          share: clusters src/dst, src->dst only, single-broker replication.
#   start_mm2 [FILE]       starts MirrorMaker 2 on FILE (default $data/mm2.properties; jars from
#                          $cache), logging next to it (.log); its pid in $pid and in $pids.
#   replicator_toml NAME SRC DST INCLUDE PREFIX
#                          prints the head of a `lockstep replicate` config both benchmarks share:
#                          name, source and destination clusters, one included topic, prefix rename.
#   field JSON KEY         prints one top-level field of a JSON object (floats rounded to
#                          $field_decimals places when that is set).
#   bench_args USAGE "OPT[=VAR] ..." "$@"
#                          sets $VAR (default: OPT with - as _) from each `--OPT VALUE`; anything
#                          else prints `usage: $0 USAGE` and exits 2.

bench_init() {
  data="$(mktemp -d)"
  pids=()
  bench_kafka=""
  if [ "${1:-}" = --kafka ]; then
    bench_kafka=1
    export LOCKSTEP_KAFKA_HOME="$data/kafka"
  fi
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

bench_cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -z "$bench_kafka" ] || scripts/kafka stop-all
  rm -rf "$data"
}

# Wait (at most 60 s) until the machine is at least 85 % idle over 2 s: the previous run's
# brokers and copiers may still be writing back or exiting.
wait_idle() {
  local t a b
  for _ in $(seq 1 30); do
    a=$(awk '/^cpu /{print $5+$6, $2+$3+$4+$5+$6+$7+$8}' /proc/stat); sleep 2
    b=$(awk '/^cpu /{print $5+$6, $2+$3+$4+$5+$6+$7+$8}' /proc/stat)
    t=$(python3 -c "a='$a'.split(); b='$b'.split(); print(int(100*(int(b[0])-int(a[0]))/max(1,int(b[1])-int(a[1]))))")
    [ "$t" -ge 85 ] && return 0
  done
  echo "machine still busy (idle $t %); measuring anyway" >&2
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_up() {
  for _ in $(seq 1 300); do curl -sf -o /dev/null "$1/" && return 0; sleep 0.1; done
  echo "no 200 from $1/ within 30 s; logs:" >&2
  tail -20 "$data"/*.log >&2
  exit 1
}

field() {
  python3 -c "import json,sys; v=json.loads(sys.argv[1])[sys.argv[2]]; d=sys.argv[3]
print(f'{v:.{int(d)}f}' if d and isinstance(v,float) else v)" "$1" "$2" "${field_decimals:-}"
}

bench_args() {
  local usage="$1" specs="$2" spec opt var found
  shift 2
  while [ $# -gt 0 ]; do
    found=""
    for spec in $specs; do
      opt="${spec%%=*}"; var="${spec#*=}"; var="${var//-/_}"
      if [ "$1" = "--$opt" ] && [ $# -ge 2 ]; then printf -v "$var" '%s' "$2"; found=1; break; fi
    done
    [ -n "$found" ] || { echo "usage: $0 $usage" >&2; exit 2; }
    shift 2
  done
}

mm2_props() {
  cat <<PROPS
clusters = src, dst
src.bootstrap.servers = $1
dst.bootstrap.servers = $2
src->dst.enabled = true
dst->src.enabled = false
replication.factor = 1
offset-syncs.topic.replication.factor = 1
checkpoints.topic.replication.factor = 1
heartbeats.topic.replication.factor = 1
offset.storage.replication.factor = 1
config.storage.replication.factor = 1
status.storage.replication.factor = 1
refresh.topics.interval.seconds = 1
sync.topic.acls.enabled = false
PROPS
}

replicator_toml() {
  cat <<TOML
name = "$1"
[source]
alias = "src"
bootstrap = "$2"
[destination]
alias = "dst"
bootstrap = "$3"
[topics]
include = ["$4"]
rename = "prefix"
prefix = "$5"
TOML
}

start_mm2() { # [PROPERTIES-FILE] — default $data/mm2.properties; sets $pid
  local props="${1:-$data/mm2.properties}"
  java -Xms1g -Xmx1g -Dlog4j2.configurationFile="$PWD/scripts/kafka.d/log4j2-tools.xml" \
    -cp "$cache/libs/*:$cache/libs-mirrormaker/*" org.apache.kafka.connect.mirror.MirrorMaker \
    "$props" >"${props%.properties}.log" 2>&1 &
  pid=$!; pids+=("$pid")
}
