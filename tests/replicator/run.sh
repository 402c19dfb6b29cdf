#!/usr/bin/env bash
# Replication against real Kafka: starts two clusters with scripts/kafka, makes sure the Python
# venv with Confluent's client exists, runs tests/replication.rs (#[ignore] for plain
# `cargo test`) one test at a time, and always stops the clusters.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
kafka="$repo/scripts/kafka"
export LOCKSTEP_KAFKA_HOME="${LOCKSTEP_KAFKA_HOME:-$(mktemp -d)/kafka}"
trap '"$kafka" stop-all' EXIT

venv="${LOCKSTEP_VENV:-$repo/target/venv-python-clients}"
req="$repo/tests/clients/python/requirements.txt"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [ "$(cat "$venv/.requirements.sha" 2>/dev/null)" != "$want" ]; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
  echo "$want" > "$venv/.requirements.sha"
fi
export LOCKSTEP_TEST_PYTHON="$venv/bin/python"

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
"$kafka" fetch
LOCKSTEP_TEST_SRC="$("$kafka" start repl-src "$(port)")"
LOCKSTEP_TEST_DST="$("$kafka" start repl-dst "$(port)")"
export LOCKSTEP_TEST_SRC LOCKSTEP_TEST_DST
cd "$repo"
cargo test -p lockstep --test replication -- --ignored --test-threads=1 "$@"
