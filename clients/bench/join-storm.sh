#!/bin/bash
# Join storm (issue 10.3): starts an OutLoud server alone on a temporary database, joins N
# connections into R rooms at once with outloud-bench, and prints the wall time and the server's
# CPU-seconds for it. PRESENCE_LIMIT 0 joins as the contract does (whole presence list, an event per
# change); N > 0 asks for paged, coalesced presence (protocol/README.md "Large rooms").
# Usage: clients/bench/join-storm.sh SERVER_BIN PORT N R PRESENCE_LIMIT   (from a Release build)
set -euo pipefail
BIN=$1; PORT=$2; N=$3; R=$4; PL=$5
BENCH=$(dirname "$BIN")/outloud-bench
DIR=$(mktemp -d)
ulimit -n "$(ulimit -Hn)"
"$BIN" --listen 127.0.0.1:"$PORT" --data "$DIR"/db --auth open --threads 1 --rate-limit 0 --create-rate 0 \
  --max-requests-in-flight 1000 --max-connections 20000 --max-connections-per-address 20000 >/dev/null 2>"$DIR"/err &
SPID=$!
trap 'kill $SPID 2>/dev/null; wait $SPID 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 100); do curl -fs http://127.0.0.1:"$PORT"/healthz >/dev/null && break; sleep 0.1; done
"$BENCH" --url ws://127.0.0.1:"$PORT"/ws -n "$N" -r "$R" --join-only --server-pid "$SPID" --presence-limit "$PL" \
  | grep -E 'join storm|connections |ABORT|errors'
