# Starting and stopping one outloud-server for a bench script (sourced). The caller sets SERVER.
# outloud_bench_start_server DIR CORES ARGS...: a fresh server on a free loopback port, pinned to
# CORES, its log in DIR/server.log; sets SERVER_PID and SERVER_PORT, or exits if it does not start.
SERVER_PID=""
SERVER_PORT=""
outloud_bench_start_server() {
  local dir=$1 cores=$2
  shift 2
  taskset -c "$cores" "$SERVER" --listen 127.0.0.1:0 --data "$dir/outloud.db" "$@" >"$dir/server.log" 2>&1 &
  SERVER_PID=$!
  SERVER_PORT=""
  for _ in $(seq 100); do
    SERVER_PORT="$(grep -oE 'listening on https?://[^ ]*:[0-9]+' "$dir/server.log" | head -1 | grep -oE '[0-9]+$' || true)"
    [[ -n $SERVER_PORT ]] && curl -fsS "http://127.0.0.1:$SERVER_PORT/healthz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "the server did not start:" >&2
  cat "$dir/server.log" >&2
  exit 2
}

# Stops the server (SIGTERM, then SIGKILL after 5 s).
outloud_bench_stop_server() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}
