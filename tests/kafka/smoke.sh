#!/usr/bin/env bash
# The Kafka test clusters work: two clusters at once, a topic, records through, clean stop.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
pass=0; fail=0
check() { if "$@"; then pass=$((pass+1)); else echo "FAILED: $*" >&2; fail=$((fail+1)); fi; }

"$kafka" fetch
a="$("$kafka" start smoke-a "$(port)")"
b="$("$kafka" start smoke-b "$(port)")"
check test "$a" != "$b"
"$kafka" tool smoke-a kafka-topics --create --topic smoke --partitions 3 >/dev/null
printf 'one\ntwo\nthree\n' | "$kafka" tool smoke-a kafka-console-producer --topic smoke
got="$("$kafka" tool smoke-a kafka-console-consumer --topic smoke --from-beginning --max-messages 3 --timeout-ms 20000 2>/dev/null | sort | tr '\n' ' ')"
check test "$got" = "one three two "
check test "$("$kafka" tool smoke-b kafka-topics --list | grep -c '^smoke$' || true)" = "0"
"$kafka" stop-all
check test -z "$(pgrep -f "kafka.Kafka $LOCKSTEP_KAFKA_HOME" || true)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
