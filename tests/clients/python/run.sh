#!/usr/bin/env bash
# Confluent's Python client against a real `lockstep registry`.
# Creates (once) a venv with the pinned client, starts the registry on a free loopback port
# with a fresh data dir, runs pytest with LOCKSTEP_URL set, and always stops the registry.
# test_encrypted_replication.py starts its own second registry and two Kafka clusters
# (scripts/kafka, in a temporary LOCKSTEP_KAFKA_HOME; Java and Maven needed) and stops them.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
venv="${LOCKSTEP_VENV:-$repo/target/venv-python-clients}"
bin="${LOCKSTEP_BIN:-$repo/target/debug/lockstep}"

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
stamp="$venv/.requirements.sha"
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
  echo "$want" > "$stamp"
fi

data="$(mktemp -d)"
log="$data/registry.log"
cleanup() {
  if [ -n "${pid:-}" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$data"
}
trap cleanup EXIT

port="$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
"$bin" registry --listen "127.0.0.1:$port" --data-dir "$data/store" >"$log" 2>&1 &
pid=$!
url="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
  if "$venv/bin/python" -c "import urllib.request,sys; urllib.request.urlopen('$url/', timeout=1)" 2>/dev/null; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then echo "registry exited early:"; cat "$log"; exit 1; fi
  sleep 0.1
done

LOCKSTEP_URL="$url" "$venv/bin/python" -m pytest -q -p no:cacheprovider "$here" "$@"
