#!/usr/bin/env bash
# The web console in a real browser: installs Debian's chromium + chromium-driver when missing
# (scripts/browser), makes a venv with Selenium under target/, starts two registries on free
# loopback ports (the console's, and an exporter's destination), runs the Selenium tests and
# always stops the registries. Screenshots: target/ui-screenshots/. The first-paint benchmark
# line starts with "BENCH".
#   tests/ui/run.sh [pytest args]        LOCKSTEP_UI_SUBJECTS=10000 by default
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="${LOCKSTEP_UI_VENV:-$repo/target/venv-ui}"
bin="${LOCKSTEP_BIN:-$repo/target/debug/lockstep}"
shots="${LOCKSTEP_UI_SCREENSHOTS:-$repo/target/ui-screenshots}"

eval "$("$repo/scripts/browser")"   # sets browser=… driver=…

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
stamp="$venv/.requirements.sha"
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
  echo "$want" > "$stamp"
fi
[ -x "$bin" ] || { echo "no $bin: run cargo build first" >&2; exit 1; }

work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { "$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
start() { # name → prints its URL
  local port; port="$(free_port)"
  "$bin" registry --listen "127.0.0.1:$port" --data-dir "$work/$1" >"$work/$1.log" 2>&1 &
  pids+=("$!")
  local url="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do
    if "$venv/bin/python" -c "import urllib.request; urllib.request.urlopen('$url/', timeout=1)" 2>/dev/null; then
      echo "$url"; return 0
    fi
    sleep 0.1
  done
  echo "registry $1 did not start:" >&2; cat "$work/$1.log" >&2; return 1
}
src="$(start source)"
dest="$(start destination)"

rm -rf "$shots"
mkdir -p "$shots"
SE_OFFLINE=true CHROMIUM="$browser" CHROMEDRIVER="$driver" SCREENSHOTS="$shots" \
  LOCKSTEP_URL="$src" LOCKSTEP_DEST_URL="$dest" \
  "$venv/bin/python" -m pytest -q -s -p no:cacheprovider "$here" "$@"
echo "screenshots: $shots"
