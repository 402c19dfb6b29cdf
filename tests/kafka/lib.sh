# Sourced by the tests/kafka scripts: sets $repo and $kafka (scripts/kafka), a private
# LOCKSTEP_KAFKA_HOME unless one is set, stops every cluster started under it on exit, and
# defines `port` (a free TCP port on 127.0.0.1).
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
kafka="$repo/scripts/kafka"
export LOCKSTEP_KAFKA_HOME="${LOCKSTEP_KAFKA_HOME:-$(mktemp -d)/kafka}"
trap '"$kafka" stop-all' EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
