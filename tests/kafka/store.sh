#!/usr/bin/env bash
# The registry on the Kafka store against real Apache Kafka: starts a broker with scripts/kafka,
# runs the Kafka-backed tests (tests/kafka_store.rs, marked #[ignore] for plain `cargo test`)
# and always stops every broker it started.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
kafka="$repo/scripts/kafka"
export LOCKSTEP_KAFKA_HOME="${LOCKSTEP_KAFKA_HOME:-$(mktemp -d)/kafka}"
trap '"$kafka" stop-all' EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
"$kafka" fetch
LOCKSTEP_TEST_KAFKA="$("$kafka" start kstore "$(port)")"
export LOCKSTEP_TEST_KAFKA
cd "$repo"
cargo test -p lockstep --test kafka_store -- --ignored --test-threads=2 "$@"
