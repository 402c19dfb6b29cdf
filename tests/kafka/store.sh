#!/usr/bin/env bash
# The registry on the Kafka store against real Apache Kafka: starts a broker with scripts/kafka,
# runs the Kafka-backed tests (tests/kafka_store.rs, tests/cluster.rs, tests/leader.rs,
# tests/jepsen.rs, marked #[ignore] for plain `cargo test`)
# and always stops every broker it started.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
"$kafka" fetch
LOCKSTEP_TEST_KAFKA="$("$kafka" start kstore "$(port)")"
export LOCKSTEP_TEST_KAFKA
cd "$repo"
cargo test -p lockstep --test kafka_store --test cluster --test leader --test jepsen -- --ignored --test-threads=2 "$@"
