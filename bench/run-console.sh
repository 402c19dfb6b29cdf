#!/usr/bin/env bash
# First paint of the console's subject list with 10,000 subjects, in headless Chromium
# (docs/BENCHMARKS.md, "Console"). Runs the browser test's benchmark step only and prints its
# BENCH line. Build first: cargo build (or set LOCKSTEP_BIN to a release binary).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
"$repo/tests/ui/run.sh" -k first_paint | grep -E '^BENCH|passed|failed'
