#!/usr/bin/env bash
# Confluent's Go and JavaScript clients (and, for cross-language records, the Python one)
# against a real `lockstep registry` on a free loopback port with a fresh data dir.
#
#   tests/clients/run-all.sh          # needs target/debug/lockstep (cargo build -p lockstep)
#
# Dependencies come from the project's own pinned files: go/go.mod + go.sum through the Go
# module proxy, js/package-lock.json through npm, python/requirements.txt through pip. They
# are cached under target/ (go/, js-clients/, npm-cache/, venv-python-clients/), so re-runs
# install nothing. Pass 1 runs every suite; each also writes records to a shared directory.
# Pass 2 has each language read what the others wrote. Every suite runs even if one fails;
# the exit status is non-zero if any did.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bin="${LOCKSTEP_BIN:-$repo/target/debug/lockstep}"
cache="$repo/target"
if [ ! -x "$bin" ]; then echo "no $bin: run cargo build -p lockstep first" >&2; exit 2; fi

step() { printf '\n==> %s\n' "$*"; }

# Go: modules and build cache under target/ (writable, so cargo clean can remove them).
export GOMODCACHE="$cache/go/mod" GOCACHE="$cache/go/build" GOFLAGS="-modcacherw -mod=readonly" CGO_ENABLED=1
step "Go modules (go.sum)"
(cd "$here/go" && go mod download)

# JavaScript: npm ci from the lock file into target/js-clients, linked as js/node_modules.
step "npm packages (package-lock.json)"
js_cache="$cache/js-clients"
want="$(sha256sum "$here/js/package-lock.json" | cut -d' ' -f1)"
if [ "$(cat "$js_cache/.lock.sha" 2>/dev/null)" != "$want" ]; then
  rm -rf "$js_cache" && mkdir -p "$js_cache"
  cp "$here/js/package.json" "$here/js/package-lock.json" "$js_cache/"
  (cd "$js_cache" && npm ci --ignore-scripts --no-audit --no-fund --cache "$cache/npm-cache" --loglevel=error)
  echo "$want" > "$js_cache/.lock.sha"
fi
# (a node_modules left by a hand-run npm install in js/ is replaced by the link)
if [ -d "$here/js/node_modules" ] && [ ! -L "$here/js/node_modules" ]; then rm -rf "$here/js/node_modules"; fi
ln -sfn "$js_cache/node_modules" "$here/js/node_modules"

# Python: the same venv and pins as tests/clients/python/run.sh.
step "Python venv (requirements.txt)"
venv="${LOCKSTEP_VENV:-$cache/venv-python-clients}"
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
want="$(sha256sum "$here/python/requirements.txt" | cut -d' ' -f1)"
if [ "$(cat "$venv/.requirements.sha" 2>/dev/null)" != "$want" ]; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/python/requirements.txt"
  echo "$want" > "$venv/.requirements.sha"
fi

data="$(mktemp -d)"
cleanup() {
  if [ -n "${pid:-}" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$data"
}
trap cleanup EXIT
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
"$bin" registry --listen "127.0.0.1:$port" --data-dir "$data/store" >"$data/registry.log" 2>&1 &
pid=$!
export LOCKSTEP_URL="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
  if curl -sf -o /dev/null "$LOCKSTEP_URL/"; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then echo "registry exited early:"; cat "$data/registry.log"; exit 1; fi
  sleep 0.1
done
export LOCKSTEP_XLANG_DIR="$data/xlang"
mkdir -p "$LOCKSTEP_XLANG_DIR"

failed=()
run() { # name, command...
  local name="$1"; shift
  step "$name"
  if ! "$@"; then failed+=("$name"); fi
}
run "Go: confluent-kafka-go schemaregistry + serdes" \
  bash -c "cd '$here/go' && go test -count=1 ./..."
run "JavaScript: @confluentinc/schemaregistry" \
  bash -c "cd '$here/js' && node --test --test-reporter=spec"
run "Python: cross-language records (write)" "$venv/bin/python" "$here/xlang_python.py" write
run "Go reads the JavaScript and Python records" \
  bash -c "cd '$here/go' && LOCKSTEP_XLANG_READ=js,python go test -count=1 -run TestCrossLanguageRead -v ./..."
run "JavaScript reads the Go and Python records" \
  bash -c "cd '$here/js' && LOCKSTEP_XLANG_READ=go,python node --test --test-reporter=spec xlang.test.mjs"
run "Python reads the Go and JavaScript records" "$venv/bin/python" "$here/xlang_python.py" read go,js

if [ "${#failed[@]}" -gt 0 ]; then
  printf '\nFAILED:\n'; printf '  %s\n' "${failed[@]}"
  exit 1
fi
printf '\nall client suites passed\n'
