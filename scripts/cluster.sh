#!/usr/bin/env bash
# A livemall cluster on one machine (run as root):
#
#   scripts/cluster.sh up            three livemall nodes, each in its own network
#                                    namespace, a three-server NATS cluster with
#                                    JetStream, PostgreSQL and HAProxy in front
#   scripts/cluster.sh status        what runs, and whether each node is ready
#   scripts/cluster.sh kill node-2   SIGKILL one node (its namespace stays)
#   scripts/cluster.sh start node-2  start a killed node again
#   scripts/cluster.sh down          stop everything and remove the namespaces
#                                    (also after an `up` that failed half-way)
#
# Layout: a bridge lmcl<ID>-br in the root namespace holds NET.1; node-N lives
# in namespace lmcl-<ID>-node-N at NET.1N (veth to the bridge) and serves
# HTTP on :8080, media on UDP 7882 and TCP 7883, TURN on 3478. The NATS servers and
# HAProxy run in the root namespace on NET.1 (clients 4222-4224, routes
# 6222-6224, PostgreSQL forwarded on 5432), so nothing else on the machine
# is in the way. HAProxy serves http://localhost:PORT (HTTP and WebSocket,
# health check on /readyz): a client whose node dies reconnects through it
# to a live one. No traffic leaves the machine.
#
# Settings (environment):
#   PORT=8080                    the balancer's host port
#   PUBLIC_URL=http://localhost:PORT   the origin the nodes serve (passkeys)
#   CLUSTER_DIR=.cluster         state: pids, logs, NATS stores, node data
#   CLUSTER_ID=0                 names: lmcl-<ID>-node-N, lmcl<ID>-br (1-4 chars)
#   CLUSTER_NET=10.93.0          the /24 of the cluster (within 10.93.0.0/16)
#   DATABASE_URL=postgres://...  use this PostgreSQL (reachable from this
#                                namespace) instead of starting one
#   LIVEMALL_BIN=path            use this binary instead of building one
#   NODE_FLAGS="..."             extra flags for every node (e.g. short
#                                --presence-ttl/--heartbeat-interval in tests)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
PORT=${PORT:-8080}
PUBLIC_URL=${PUBLIC_URL:-http://localhost:$PORT}
STATE=${CLUSTER_DIR:-$repo/.cluster}
ID=${CLUSTER_ID:-0}
NET=${CLUSTER_NET:-10.93.0}
NODES=(node-1 node-2 node-3)
BR="lmcl${ID}-br"

say() { echo "cluster: $*"; }
die() { echo "cluster: $*" >&2; exit 1; }

[[ $ID =~ ^[a-z0-9]{1,4}$ ]] || die "CLUSTER_ID must be 1-4 lowercase letters or digits, not '$ID'"
[[ $NET =~ ^10\.93\.([0-9]{1,3})$ ]] && ((BASH_REMATCH[1] < 256)) || die "CLUSTER_NET must be 10.93.X (the cluster's /24 within 10.93.0.0/16), not '$NET'"
[[ $PORT =~ ^[0-9]+$ ]] || die "PORT must be a number, not '$PORT'"

ns_of() { echo "lmcl-${ID}-$1"; }   # node-1 -> lmcl-0-node-1
idx_of() { echo "${1#node-}"; }      # node-1 -> 1
ip_of() { echo "$NET.1$(idx_of "$1")"; }
# alive FILE: the process named in FILE runs (a zombie, killed but not yet
# reaped by whoever inherited it, does not count).
alive() {
  [ -f "$1" ] || return 1
  local st
  st=$(awk '{print $3}' "/proc/$(cat "$1")/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
nats_urls() { echo "nats://$NET.1:4222,nats://$NET.1:4223,nats://$NET.1:4224"; }

# wait_for WHAT SECONDS CMD...: polls CMD until it succeeds or time is up.
wait_for() {
  local what=$1 secs=$2
  shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || { say "gave up waiting for $what after ${secs}s"; return 1; }
    sleep 0.3
  done
}

need_root() { [ "$(id -u)" -eq 0 ] || die "network namespaces need root: run as root (sudo $0 $*)"; }

build() {
  if [ -n "${LIVEMALL_BIN:-}" ]; then
    BIN=$LIVEMALL_BIN
    [ -x "$BIN" ] || die "LIVEMALL_BIN=$BIN is not an executable"
    return
  fi
  cd "$repo"
  if [ ! -f backend/web/dist/app/index.html ] && [ ! -d backend/web/dist/app ]; then
    say "building the web apps (npm run build)"
    npm run --silent build
  fi
  say "building the binary (go build -o bin/livemall ./backend/cmd/livemall)"
  GOTOOLCHAIN=local go build -o bin/livemall ./backend/cmd/livemall
  BIN=$repo/bin/livemall
}

network_up() {
  say "network: bridge $BR at $NET.1/24"
  ip link add "$BR" type bridge
  ip addr add "$NET.1/24" dev "$BR"
  ip link set "$BR" up
  for n in "${NODES[@]}"; do
    local ns i
    ns=$(ns_of "$n") i=$(idx_of "$n")
    say "network: namespace $ns, $n at $(ip_of "$n")"
    ip netns add "$ns"
    ip link add "lmcl${ID}-n$i" type veth peer name "lmcl${ID}-p$i"
    ip link set "lmcl${ID}-p$i" netns "$ns"
    ip link set "lmcl${ID}-n$i" master "$BR" up
    ip -n "$ns" link set lo up
    ip -n "$ns" link set "lmcl${ID}-p$i" name eth0
    ip -n "$ns" addr add "$(ip_of "$n")/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" route add default via "$NET.1"
  done
}

postgres_up() {
  if [ -n "${DATABASE_URL:-}" ]; then
    say "database: using DATABASE_URL"
    echo "$DATABASE_URL" >"$STATE/database-url"
    return
  fi
  say "database: starting a throwaway PostgreSQL (scripts/postgres.sh)"
  local out
  out=$(bash "$repo/scripts/postgres.sh")
  echo "$out" | head -1 >"$STATE/pg-dir"
  echo "$out" | tail -1 >"$STATE/database-url"
}

# node_database_url is the database URL as the nodes see it: through
# HAProxy's TCP forward on the bridge, since PostgreSQL may listen on this
# namespace's loopback only.
node_database_url() {
  sed -E "s#@[^/]+/#@$NET.1:5432/#" "$STATE/database-url"
}

db_hostport() {
  sed -E 's#^[a-z]+://([^@]*@)?([^/?]+).*#\2#' "$STATE/database-url"
}

nats_up() {
  for i in 1 2 3; do
    local dir=$STATE/nats-$i
    mkdir -p "$dir"
    cat >"$dir/nats.conf" <<EOF
server_name: nats-$i
listen: $NET.1:$((4221 + i))
http: $NET.1:$((8221 + i))
jetstream { store_dir: "$dir/store", sync_interval: always }
cluster {
  name: lmcl
  listen: $NET.1:$((6221 + i))
  routes: [nats://$NET.1:6222, nats://$NET.1:6223, nats://$NET.1:6224]
}
EOF
    say "nats: nats-$i on $NET.1:$((4221 + i)) (routes on $((6221 + i)), JetStream in $dir/store)"
    "$repo/.bin/nats-server" -c "$dir/nats.conf" >"$STATE/nats-$i.log" 2>&1 &
    echo $! >"$STATE/nats-$i.pid"
  done
  for i in 1 2 3; do
    wait_for "nats-$i JetStream" 60 curl -fsS "http://$NET.1:$((8221 + i))/healthz"
  done
}

haproxy_up() {
  local cfg=$STATE/haproxy.cfg
  cat >"$cfg" <<EOF
global
  maxconn 9000
defaults
  timeout connect 2s
  timeout client 1h
  timeout server 1h
  timeout tunnel 1h
  retries 3
  option redispatch
frontend www
  mode http
  bind 127.0.0.1:$PORT
  option forwardfor
  default_backend livemall
backend livemall
  mode http
  balance leastconn
  option httpchk GET /readyz
  http-check expect status 200
  default-server check inter 1s fall 2 rise 2 on-marked-down shutdown-sessions
EOF
  for n in "${NODES[@]}"; do
    echo "  server $n $(ip_of "$n"):8080" >>"$cfg"
  done
  cat >>"$cfg" <<EOF
listen postgres
  mode tcp
  bind $NET.1:5432
  server pg $(db_hostport)
EOF
  haproxy -c -q -f "$cfg"
  say "balancer: HAProxy on http://127.0.0.1:$PORT -> node-1..3:8080 (health /readyz), PostgreSQL forwarded on $NET.1:5432"
  haproxy -db -f "$cfg" >"$STATE/haproxy.log" 2>&1 &
  echo $! >"$STATE/haproxy.pid"
  wait_for "HAProxy" 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT"
}

start_node() {
  local n=$1 ns ip demo=()
  ns=$(ns_of "$n") ip=$(ip_of "$n")
  alive "$STATE/$n.pid" && die "$n already runs (pid $(cat "$STATE/$n.pid"))"
  [ "$n" = node-1 ] && demo=(--demo)
  mkdir -p "$STATE/$n"
  say "$n: livemall serve in $ns at $ip:8080 (media UDP 7882, TCP 7883, TURN 3478)"
  # shellcheck disable=SC2086 # NODE_FLAGS is a list of flags
  ip netns exec "$ns" "$BIN" serve --addr :8080 --data "$STATE/$n" --node "$n" \
    --database-url "$(node_database_url)" --nats-url "$(nats_urls)" --nats-replicas 3 \
    --public-url "$PUBLIC_URL" --cluster-secret "$(cat "$STATE/cluster-secret")" \
    --turn-public-ip "$ip" --turn-allow-private --media-udp-port 7882 --media-tcp-port 7883 --public-ip "$ip" \
    --trusted-proxies "$NET.1" --metrics-addr "$ip:9464" --payments offline "${demo[@]}" ${NODE_FLAGS:-} \
    >"$STATE/$n.out" 2>"$STATE/$n.log" &
  echo $! >"$STATE/$n.pid"
  if ! wait_for "$n /readyz" 90 curl -fsS "http://$ip:8080/readyz"; then
    tail -5 "$STATE/$n.log" >&2
    return 1
  fi
}

up() {
  need_root up
  mkdir -p "$STATE"
  for f in "$STATE"/*.pid; do
    [ -e "$f" ] && alive "$f" && die "a cluster runs already ($f): scripts/cluster.sh down first"
  done
  ip link show "$BR" >/dev/null 2>&1 && die "$BR exists: scripts/cluster.sh down first"
  command -v haproxy >/dev/null || die "haproxy is missing: bash scripts/deps.sh (or apt-get install haproxy)"
  [ -x "$repo/.bin/nats-server" ] || die ".bin/nats-server is missing: bash scripts/deps.sh"
  set +e
  (
    set -e
    build
    # What kill/start/status need later.
    printf 'PORT=%q\nPUBLIC_URL=%q\nNODE_FLAGS=%q\nBIN=%q\n' "$PORT" "$PUBLIC_URL" "${NODE_FLAGS:-}" "$BIN" >"$STATE/env"
    openssl rand -hex 32 >"$STATE/cluster-secret"
    network_up
    postgres_up
    nats_up
    haproxy_up
    for n in "${NODES[@]}"; do start_node "$n"; done
  )
  local rc=$?
  set -e
  if [ $rc -ne 0 ]; then
    say "up failed: cleaning up (logs were in $STATE)"
    for f in "$STATE"/*.log; do [ -s "$f" ] && { echo "--- $f"; tail -5 "$f"; }; done
    down
    exit 1
  fi
  wait_for "the balancer to see a ready node" 20 curl -fsS "http://127.0.0.1:$PORT/readyz"
  echo
  echo "livemall cluster is up: three nodes behind $PUBLIC_URL/"
  echo "  mall:  $PUBLIC_URL/    desk: $PUBLIC_URL/desk/    phone: $PUBLIC_URL/phone/"
  echo "  kill a node:  sudo scripts/cluster.sh kill node-2   (start it again: start node-2)"
  echo "  status:       sudo scripts/cluster.sh status"
  echo "  stop:         sudo scripts/cluster.sh down"
  echo "  logs:         $STATE/node-N.log, nats-N.log, haproxy.log"
  if grep -q enroll "$STATE/node-1.out" 2>/dev/null; then
    echo
    grep -A20 "enrollment links" "$STATE/node-1.out" || true
  fi
}

# stop_pid FILE: SIGTERM, then SIGKILL after 5 s, the process named in FILE.
stop_pid() {
  local f=$1 pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if alive "$f"; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do alive "$f" || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

down() {
  need_root down
  set +e
  for n in "${NODES[@]}"; do
    [ -f "$STATE/$n.pid" ] && say "stopping $n"
    stop_pid "$STATE/$n.pid"
  done
  [ -f "$STATE/haproxy.pid" ] && say "stopping HAProxy"
  stop_pid "$STATE/haproxy.pid"
  for i in 1 2 3; do
    [ -f "$STATE/nats-$i.pid" ] && say "stopping nats-$i"
    stop_pid "$STATE/nats-$i.pid"
  done
  if [ -f "$STATE/pg-dir" ]; then
    say "stopping PostgreSQL"
    bash "$repo/scripts/postgres.sh" stop "$(cat "$STATE/pg-dir")"
    rm -f "$STATE/pg-dir"
  fi
  for n in "${NODES[@]}"; do
    local ns
    ns=$(ns_of "$n")
    if ip netns list | grep -qw "$ns"; then
      say "removing namespace $ns"
      # Anything still running in it (a node started by hand) goes with it.
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
      ip netns del "$ns"
    fi
    ip link del "lmcl${ID}-n$(idx_of "$n")" 2>/dev/null
  done
  if ip link show "$BR" >/dev/null 2>&1; then
    say "removing bridge $BR"
    ip link del "$BR"
  fi
  rm -rf "$STATE"
  say "down"
  set -e
}

status() {
  for n in "${NODES[@]}"; do
    local st=stopped
    if alive "$STATE/$n.pid"; then
      st="running (pid $(cat "$STATE/$n.pid")), readyz $(curl -s -o /dev/null -w '%{http_code}' -m 2 "http://$(ip_of "$n"):8080/readyz")"
    fi
    echo "$n  $(ip_of "$n")  $st"
  done
  for i in 1 2 3; do
    local st=stopped
    alive "$STATE/nats-$i.pid" && st="running (pid $(cat "$STATE/nats-$i.pid"))"
    echo "nats-$i  $NET.1:$((4221 + i))  $st"
  done
  local st=stopped
  alive "$STATE/haproxy.pid" && st="running (pid $(cat "$STATE/haproxy.pid")), readyz $(curl -s -o /dev/null -w '%{http_code}' -m 2 "http://127.0.0.1:$PORT/readyz")"
  echo "haproxy  127.0.0.1:$PORT  $st"
}

node_arg() {
  [[ ${1:-} =~ ^node-[123]$ ]] || die "name a node: node-1, node-2 or node-3"
}

# Commands after `up` use the settings it ran with.
if [ "${1:-}" != up ] && [ -f "$STATE/env" ]; then
  # shellcheck disable=SC1091
  . "$STATE/env"
fi

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  kill)
    need_root kill
    node_arg "${2:-}"
    alive "$STATE/$2.pid" || die "$2 is not running"
    say "SIGKILL $2 (pid $(cat "$STATE/$2.pid"))"
    kill -9 "$(cat "$STATE/$2.pid")"
    for _ in $(seq 100); do alive "$STATE/$2.pid" || break; sleep 0.1; done
    ;;
  start)
    need_root start
    node_arg "${2:-}"
    [ -n "${BIN:-}" ] || die "no cluster is up"
    start_node "$2"
    ;;
  *) die "usage: scripts/cluster.sh up|down|status|kill NODE|start NODE" ;;
esac
