#!/usr/bin/env bash
# Linker benchmark: two in-process Lockstep registries (embedded file store, fsync) on loopback.
#   bench/run-linker.sh [--subjects 10000] [--samples 500] [--context-type NONE|CUSTOM] [--poll-samples 10]
# Prints the initial-sync time of N subjects (one version each) and the p50/p90/p99/max time from
# sending a registration to the source until the linked record is durable on the destination
# (a continuous link following the source's change feed), then polling with the feed off: requests
# per idle poll and registration → visible with a 1 s poll interval. See linker/benches/link.rs.
set -euo pipefail
cd "$(dirname "$0")/.."
subjects=10000; samples=500; ct=NONE; poll_samples=10
. bench/lib.sh
bench_args "[--subjects N] [--samples N] [--context-type NONE|CUSTOM] [--poll-samples N]" "subjects samples context-type=ct poll-samples" "$@"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target-linker}"
LINK_BENCH_SUBJECTS="$subjects" LINK_BENCH_SAMPLES="$samples" LINK_BENCH_CONTEXT_TYPE="$ct" LINK_BENCH_POLL_SAMPLES="$poll_samples" \
  cargo bench --quiet -p lockstep-linker --bench link
