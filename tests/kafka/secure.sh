#!/usr/bin/env bash
# Kafka secured two ways, against real Apache Kafka: one cluster from `scripts/kafka start-secure`
# (SASL_SSL with SCRAM-SHA-512, and SSL with required client certificates; CA, certificates and
# the SCRAM user made at start), then the Kafka store and a replication over those listeners
# (tests/secured_kafka.rs, #[ignore] for plain `cargo test`). Always stops the cluster.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
"$kafka" fetch
"$kafka" start-secure ksecure "$(port)" "$(port)" >/dev/null
env_file="$LOCKSTEP_KAFKA_HOME/ksecure/secure.env"
[ -f "$env_file" ] || { echo "no $env_file" >&2; exit 1; }
export LOCKSTEP_TEST_SECURE_KAFKA="$env_file"
cd "$repo"
cargo test -p lockstep --test secured_kafka -- --ignored --test-threads=1 "$@"
