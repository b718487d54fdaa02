#!/usr/bin/env bash
# Runs OutLoud as a cluster on this machine: Redis (append-only file on), three nodes and nginx as a
# WebSocket-aware load balancer on one port. Loopback only.
#   deploy/local-cluster.sh start   → http://127.0.0.1:8080 and, on a first run, the setup link that
#                                     works (override with OUTLOUD_PORT; OUTLOUD_AUTH=open
#                                     for a demo without accounts)
#   deploy/local-cluster.sh status
#   deploy/local-cluster.sh stop    → SIGTERM to every process (nodes close sockets with 1001)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
run=${OUTLOUD_CLUSTER_DIR:-$top/build/cluster}
bin=${OUTLOUD_BIN:-$top/build/bin}
port=${OUTLOUD_PORT:-8080}
redis_port=${OUTLOUD_REDIS_PORT:-6390}
node_ports=(${OUTLOUD_NODE_PORTS:-8101 8102 8103})

# A zombie (exited, not yet reaped by whoever adopted the daemon) counts as gone.
alive() { kill -0 "$1" 2>/dev/null && [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" != Z ]; }
pid_alive() { [ -f "$1" ] && alive "$(cat "$1")"; }

wait_for() {  # wait_for <what> <command...>: up to 10 s
  local what=$1; shift
  for _ in $(seq 1 100); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "timed out waiting for $what" >&2; return 1
}

node_hears_cluster() { curl -fsS "http://127.0.0.1:$1/healthz" | grep -q '"redis":"up"'; }

# Accounts mode, before the first organisation exists, every node that starts prints a setup link
# and replaces the one before it: only the link of the node started last works. So the nodes start
# one after another, each once it has printed its link, and the last link is the one shown.
node_settled() {  # node_settled <index>: the node printed its setup link, or setup is done
  grep -q 'first run: open' "$run/node$1.log" || setup_done
}
# An organisation exists (accounts keys: server/redis/account_keys.hpp). Not /api/me's "setup": a
# node that has just started says false there until it has made its setup code.
setup_done() { [ "$(redis-cli -p "$redis_port" zcard 'outloud:{accounts}:orgs' 2>/dev/null)" -gt 0 ] 2>/dev/null; }

start() {
  local auth=${OUTLOUD_AUTH:-accounts} link=""
  if [ ! -x "$bin/outloud-server" ] || ! command -v nginx >/dev/null || ! command -v redis-server >/dev/null; then
    source "$top/scripts/lib/deps.sh"
    outloud_ensure_packages "${OUTLOUD_BUILD_PACKAGES[@]}" redis-server nginx-light
  fi
  if [ ! -x "$bin/outloud-server" ]; then
    cmake -S "$top" -B "$top/build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$top/build"
  fi
  mkdir -p "$run/redis" "$run/nginx/logs" "$run/nginx/tmp"
  if ! pid_alive "$run/redis.pid"; then
    redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$run/redis" --appendonly yes \
      --appendfsync everysec --maxmemory-policy noeviction --save "" --daemonize yes \
      --pidfile "$run/redis.pid" --logfile "$run/redis.log"
    wait_for "redis" redis-cli -p "$redis_port" ping
  fi
  local i=0
  for node_port in "${node_ports[@]}"; do
    i=$((i + 1))
    if ! pid_alive "$run/node$i.pid"; then
      # Behind nginx every connection comes from 127.0.0.1: nginx caps connections per client
      # (deploy/nginx/outloud.conf), and the nodes count sign-in attempts per client that nginx's
      # X-Forwarded-For names.
      "$bin/outloud-server" --listen "127.0.0.1:$node_port" --redis "redis://127.0.0.1:$redis_port/0" \
        --node-id "node$i" --max-connections-per-address 10000 --trusted-proxy 127.0.0.1 \
        --public-url "http://127.0.0.1:$port" --auth "$auth" >"$run/node$i.log" 2>&1 &
      echo $! >"$run/node$i.pid"
      if [ "$auth" = accounts ]; then
        wait_for "node on $node_port" node_hears_cluster "$node_port"
        wait_for "node on $node_port to print its setup link" node_settled "$i" || true
        link=$(grep -o 'first run: open [^ ]*' "$run/node$i.log" | tail -1 | cut -d' ' -f4 || true)
      fi
    fi
  done
  # "redis":"up": connected and subscribed to its own channels, so it hears the other nodes.
  for node_port in "${node_ports[@]}"; do wait_for "node on $node_port" node_hears_cluster "$node_port"; done
  {
    echo "worker_processes 1; pid $run/nginx.pid; error_log $run/nginx/logs/error.log;"
    echo "events { worker_connections 4096; }"
    echo "http { access_log $run/nginx/logs/access.log;"
    echo "  client_body_temp_path $run/nginx/tmp; proxy_temp_path $run/nginx/tmp; fastcgi_temp_path $run/nginx/tmp;"
    echo "  uwsgi_temp_path $run/nginx/tmp; scgi_temp_path $run/nginx/tmp;"
    sed -e "/^upstream/,/^}/c\\upstream outloud_nodes { least_conn; $(printf 'server 127.0.0.1:%s; ' "${node_ports[@]}") keepalive 32; }" \
        -e "s/^    listen 80;/    listen 127.0.0.1:$port;/" -e "s/server_name chat.example.org;/server_name _;/" \
        "$here/nginx/outloud.conf"
    echo "}"
  } >"$run/nginx.conf"
  if ! pid_alive "$run/nginx.pid"; then nginx -p "$run/nginx" -c "$run/nginx.conf"; fi
  wait_for "nginx" curl -fsS "http://127.0.0.1:$port/healthz"
  echo "OutLoud cluster: http://127.0.0.1:$port (nodes ${node_ports[*]}, redis $redis_port; logs in $run)"
  if [ -n "$link" ] && ! setup_done; then
    echo "first run: open $link to create the first organisation and its administrator"
  fi
}

wait_gone() {  # wait_gone <pid>: up to 10 s for the process to exit
  local pid=$1
  for _ in $(seq 1 100); do alive "$pid" || return 0; sleep 0.1; done
  echo "process $pid did not exit" >&2; return 1
}

stop() {
  local pidfile pid nginx_pid=""
  # Every process is waited for: `stop` returns only once the ports are free again. nginx stops
  # accepting first, but its graceful quit waits for the proxied WebSockets, which close when the
  # nodes go: so it is waited for after them.
  if pid_alive "$run/nginx.pid"; then
    nginx_pid=$(cat "$run/nginx.pid")
    nginx -p "$run/nginx" -c "$run/nginx.conf" -s quit 2>/dev/null || kill -QUIT "$nginx_pid"
  fi
  for pidfile in "$run"/node*.pid; do
    [ -f "$pidfile" ] || continue
    pid_alive "$pidfile" && kill -TERM "$(cat "$pidfile")"
  done
  for pidfile in "$run"/node*.pid; do
    [ -f "$pidfile" ] || continue
    for _ in $(seq 1 60); do pid_alive "$pidfile" || break; sleep 0.1; done
    # A node must exit within 5 s of SIGTERM; one that did not is killed rather than left behind.
    pid_alive "$pidfile" && kill -KILL "$(cat "$pidfile")" 2>/dev/null
    rm -f "$pidfile"
  done
  if [ -n "$nginx_pid" ] && ! wait_gone "$nginx_pid"; then kill -KILL "$nginx_pid" 2>/dev/null || true; fi
  rm -f "$run/nginx.pid"
  if pid_alive "$run/redis.pid"; then
    pid=$(cat "$run/redis.pid")
    redis-cli -p "$redis_port" shutdown >/dev/null 2>&1 || kill "$pid"
    wait_gone "$pid" || true
  fi
  rm -f "$run/redis.pid"
  echo "OutLoud cluster stopped"
}

status() {
  local pidfile
  for pidfile in "$run"/redis.pid "$run"/node*.pid "$run"/nginx.pid; do
    [ -f "$pidfile" ] || continue
    if pid_alive "$pidfile"; then echo "$(basename "$pidfile" .pid): running ($(cat "$pidfile"))"; else echo "$(basename "$pidfile" .pid): stopped"; fi
  done
  if ! curl -fsS "http://127.0.0.1:$port/healthz" 2>/dev/null; then echo "nothing answers on http://127.0.0.1:$port"; return 1; fi
  echo
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
