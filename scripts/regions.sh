#!/usr/bin/env bash
# Three livemall regions on one machine (run as root):
#
#   scripts/regions.sh up            regions a, b and c, each in its own network
#                                    namespace with its own PostgreSQL, its own
#                                    NATS server (its cluster named after the region)
#                                    and one livemall node; the NATS servers are
#                                    joined by gateways into one supercluster
#   scripts/regions.sh status        what runs, and whether each node is ready
#   scripts/regions.sh partition A B cut the path between regions A and B (both
#                                    ways; packets are dropped, not refused)
#   scripts/regions.sh heal          restore every cut path
#   scripts/regions.sh down          stop everything, remove the namespaces
#                                    (also after an `up` that failed half-way)
#
# Layout: a bridge lmrg<ID>-br in the root namespace holds NET.1; region R
# lives in namespace lmrg-<ID>-R at NET.1N (a=1, b=2, c=3) and runs there:
# PostgreSQL on :5432, NATS on :4222 (cluster :6222, gateway :7222,
# monitoring :8222), livemall on :8080 (media UDP 7882, TCP 7883). Between
# regions tc netem delays every packet one way: a-b 20 ms, a-c 40 ms, b-c
# 70 ms (so round trips of 40, 80 and 140 ms); traffic from this namespace
# to a region is not delayed. On a kernel without netem the NATS gateways
# go through relays that hold each byte for the same delays
# (tests/regions/pathdelay, built here; 127.0.0.1:730N in each namespace
# leads to region N's gateway), and STATE/delays says which was used. Numbers: a owns 2xxx xxxx xxxx, b 3xxx, c 4xxx
# (--number-blocks, the same plan on every node). No traffic leaves the
# machine.
#
# Settings (environment):
#   PUBLIC_URL=http://localhost:8080   the origin the nodes serve (passkeys)
#   REGIONS_DIR=.regions         state: pids, logs, databases, NATS stores
#   REGIONS_ID=0                 names: lmrg-<ID>-a, lmrg<ID>-br (1-4 chars)
#   REGIONS_NET=10.94.0          the /24 of the regions (within 10.94.0.0/16)
#   LIVEMALL_BIN=path            use this binary instead of building one
#   NODE_FLAGS="..."             extra flags for every node
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
PUBLIC_URL=${PUBLIC_URL:-http://localhost:8080}
STATE=${REGIONS_DIR:-$repo/.regions}
ID=${REGIONS_ID:-0}
NET=${REGIONS_NET:-10.94.0}
REGIONS=(a b c)
BR="lmrg${ID}-br"
PLAN="a=200000000000-299999999999,b=300000000000-399999999999,c=400000000000-499999999999"

say() { echo "regions: $*"; }
die() { echo "regions: $*" >&2; exit 1; }

[[ $ID =~ ^[a-z0-9]{1,4}$ ]] || die "REGIONS_ID must be 1-4 lowercase letters or digits, not '$ID'"
[[ $NET =~ ^10\.94\.([0-9]{1,3})$ ]] && ((BASH_REMATCH[1] < 256)) || die "REGIONS_NET must be 10.94.X (a /24 within 10.94.0.0/16), not '$NET'"

idx_of() { case $1 in a) echo 1 ;; b) echo 2 ;; c) echo 3 ;; *) die "no region '$1': a, b or c" ;; esac; }
ns_of() { echo "lmrg-${ID}-$1"; }
ip_of() { echo "$NET.1$(idx_of "$1")"; }

# delay_of A B: the one-way delay between two regions, in ms.
delay_of() {
  case "$1$2" in
    ab | ba) echo 20 ;;
    ac | ca) echo 40 ;;
    bc | cb) echo 70 ;;
  esac
}

alive() {
  [ -f "$1" ] || return 1
  local st
  st=$(awk '{print $3}' "/proc/$(cat "$1")/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

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

pgbin() { ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1; }

build() {
  if [ -n "${LIVEMALL_BIN:-}" ]; then
    BIN=$LIVEMALL_BIN
    [ -x "$BIN" ] || die "LIVEMALL_BIN=$BIN is not an executable"
    return
  fi
  cd "$repo"
  if [ ! -d backend/web/dist/app ]; then
    say "building the web apps (npm run build)"
    npm run --silent build
  fi
  say "building the binary (go build -o bin/livemall ./backend/cmd/livemall)"
  GOTOOLCHAIN=local go build -o bin/livemall ./backend/cmd/livemall
  BIN=$repo/bin/livemall
}

# netem_probe sets DELAYS to "netem" when the kernel has tc's netem (and
# prio) queueing disciplines, else to "none": some kernels are built
# without sch_netem, and the regions then run undelayed, which status
# and the file STATE/delays say.
netem_probe() {
  local probe="lmrg${ID}-probe"
  DELAYS=none
  ip netns add "$probe"
  ip -n "$probe" link add p0 type veth peer name p1
  if ip netns exec "$probe" tc qdisc add dev p0 root handle 1: prio >/dev/null 2>&1 &&
    ip netns exec "$probe" tc qdisc add dev p0 parent 1:1 handle 10: netem delay 1ms >/dev/null 2>&1; then
    DELAYS=netem
  fi
  ip netns del "$probe"
  if [ "$DELAYS" = none ]; then
    # No netem: the gateways between regions (the only traffic between
    # them) go through pathdelay, a relay that holds every byte for the
    # one-way delay.
    PATHDELAY=${PATHDELAY_BIN:-$STATE/pathdelay}
    if [ -x "$PATHDELAY" ] || (cd "$repo" && GOTOOLCHAIN=local go build -o "$PATHDELAY" ./tests/regions/pathdelay); then
      DELAYS=relay
      say "this kernel has no tc netem (sch_netem): the NATS gateways between regions go through delaying relays (tests/regions/pathdelay)"
    else
      say "WARNING: no tc netem in this kernel and no pathdelay: the regions run WITHOUT delays between them"
    fi
  fi
  echo "$DELAYS" >"$STATE/delays"
}

# relay_port R: in every namespace but R's own, the port of the relay to
# region R's gateway (with DELAYS=relay).
relay_port() { echo $((7300 + $(idx_of "$1"))); }

# relays_up R: region R's relays to the gateways of the other regions.
relays_up() {
  local r=$1 args=()
  for peer in "${REGIONS[@]}"; do
    [ "$peer" = "$r" ] && continue
    args+=(-path "127.0.0.1:$(relay_port "$peer")=$(ip_of "$peer"):7222@$(delay_of "$r" "$peer")ms")
  done
  ip netns exec "$(ns_of "$r")" "$PATHDELAY" "${args[@]}" >"$STATE/$r/pathdelay.log" 2>&1 &
  echo $! >"$STATE/$r/pathdelay.pid"
}

# network_up: the bridge, one namespace per region, and in each a prio
# qdisc whose bands delay the packets to each other region (netem).
network_up() {
  netem_probe
  say "network: bridge $BR at $NET.1/24"
  ip link add "$BR" type bridge
  ip addr add "$NET.1/24" dev "$BR"
  ip link set "$BR" up
  for r in "${REGIONS[@]}"; do
    local ns i
    ns=$(ns_of "$r") i=$(idx_of "$r")
    say "network: namespace $ns, region $r at $(ip_of "$r")"
    ip netns add "$ns"
    ip link add "lmrg${ID}-h$i" type veth peer name "lmrg${ID}-r$i"
    ip link set "lmrg${ID}-r$i" netns "$ns"
    ip link set "lmrg${ID}-h$i" master "$BR" up
    ip -n "$ns" link set lo up
    ip -n "$ns" link set "lmrg${ID}-r$i" name eth0
    ip -n "$ns" addr add "$(ip_of "$r")/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" route add default via "$NET.1"
    [ "$DELAYS" = netem ] || continue
    # Band 1 (1:1) carries everything not matched below, undelayed; bands
    # 2 and 3 carry the packets to the two other regions.
    ip netns exec "$ns" tc qdisc add dev eth0 root handle 1: prio bands 3 priomap 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
    local band=2
    for peer in "${REGIONS[@]}"; do
      [ "$peer" = "$r" ] && continue
      ip netns exec "$ns" tc qdisc add dev eth0 parent "1:$band" handle "${band}0:" netem delay "$(delay_of "$r" "$peer")ms" limit 100000
      ip netns exec "$ns" tc filter add dev eth0 parent 1: protocol ip prio 1 u32 match ip dst "$(ip_of "$peer")/32" flowid "1:$band"
      band=$((band + 1))
    done
  done
}

# pg_dir R: region R's PostgreSQL directory. It lives apart from the state
# (which may sit in a directory the postgres user cannot enter, such as a
# test's temporary directory), named in STATE/pg-root.
pg_dir() { echo "$(cat "$STATE/pg-root" 2>/dev/null)/$1"; }

postgres_up() {
  local r=$1 ns dir bin
  ns=$(ns_of "$r") dir=$(pg_dir "$r") bin=$(pgbin)
  mkdir -p "$dir"
  chown postgres: "$dir"
  say "$r: PostgreSQL on $(ip_of "$r"):5432"
  (cd / && su postgres -c "$bin/initdb -D $dir/data -U postgres --auth=trust -E UTF8 >$dir/initdb.log 2>&1")
  echo "host all all $NET.0/24 trust" >>"$dir/data/pg_hba.conf"
  (cd / && ip netns exec "$ns" su postgres -c "$bin/pg_ctl -D $dir/data -o '-p 5432 -k $dir -c listen_addresses=127.0.0.1,$(ip_of "$r") -c fsync=off -c max_connections=300' -l $dir/log -w start >/dev/null")
}

nats_up() {
  local r=$1 ns dir
  ns=$(ns_of "$r") dir=$STATE/$r/nats
  mkdir -p "$dir"
  local gws="" advertise=""
  for peer in "${REGIONS[@]}"; do
    if [ "$DELAYS" = relay ] && [ "$peer" != "$r" ]; then
      gws+="    {name: $peer, url: \"nats://127.0.0.1:$(relay_port "$peer")\"}"$'\n'
    else
      gws+="    {name: $peer, url: \"nats://$(ip_of "$peer"):7222\"}"$'\n'
    fi
  done
  # Through relays, a region tells the others to reach its gateway at
  # their own relay to it, so a reconnection is delayed too.
  [ "$DELAYS" = relay ] && advertise="  advertise: \"127.0.0.1:$(relay_port "$r")\""
  cat >"$dir/nats.conf" <<EOF
server_name: nats-$r
listen: 0.0.0.0:4222
http: 0.0.0.0:8222
# One JetStream domain for the whole supercluster (none named): a server
# ignores the peer information of servers in another domain, so with a
# domain per region no region's leader could place a stream in another
# region's cluster. Streams are kept in a region by placement on its
# cluster (--region = cluster name).
jetstream { store_dir: "$dir/store", sync_interval: always }
# One server per region: its cluster routes to itself, which JetStream
# needs to run clustered (gateways require it).
cluster { name: $r, listen: 0.0.0.0:6222, routes: [nats://127.0.0.1:6222] }
gateway {
  name: $r
  listen: 0.0.0.0:7222
$advertise
  gateways: [
$gws  ]
}
EOF
  say "$r: NATS on $(ip_of "$r"):4222 (gateway :7222, cluster $r)"
  ip netns exec "$ns" "$NATS_SERVER" -c "$dir/nats.conf" >"$STATE/$r/nats.log" 2>&1 &
  echo $! >"$STATE/$r/nats.pid"
}

start_node() {
  local r=$1 ns ip
  ns=$(ns_of "$r") ip=$(ip_of "$r")
  alive "$STATE/$r/node.pid" && die "region $r's node already runs"
  mkdir -p "$STATE/$r/node"
  say "$r: livemall serve at $ip:8080 (region $r)"
  # shellcheck disable=SC2086 # NODE_FLAGS is a list of flags
  ip netns exec "$ns" "$BIN" serve --addr :8080 --data "$STATE/$r/node" --node "$r-1" --region "$r" --number-blocks "$PLAN" \
    --database-url "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable" --nats-url nats://127.0.0.1:4222 --nats-replicas 1 \
    --public-url "$PUBLIC_URL" --cluster-secret "$(cat "$STATE/cluster-secret")" \
    --turn-public-ip "$ip" --turn-allow-private --media-udp-port 7882 --media-tcp-port 7883 --public-ip "$ip" \
    --metrics-addr "$ip:9464" --payments offline ${NODE_FLAGS:-} \
    >"$STATE/$r/node.out" 2>"$STATE/$r/node.log" &
  echo $! >"$STATE/$r/node.pid"
}

up() {
  need_root up
  mkdir -p "$STATE"
  for r in "${REGIONS[@]}"; do
    for f in "$STATE/$r"/*.pid; do
      [ -e "$f" ] && alive "$f" && die "regions run already ($f): scripts/regions.sh down first"
    done
  done
  ip link show "$BR" >/dev/null 2>&1 && die "$BR exists: scripts/regions.sh down first"
  NATS_SERVER=${NATS_SERVER:-$repo/.bin/nats-server}
  [ -x "$NATS_SERVER" ] || die "$NATS_SERVER is missing: bash scripts/deps.sh"
  command -v tc >/dev/null || die "tc is missing: apt-get install iproute2"
  [ -n "$(pgbin)" ] || die "PostgreSQL is missing: bash scripts/deps.sh"
  set +e
  (
    set -e
    build
    printf 'PUBLIC_URL=%q\nNODE_FLAGS=%q\nBIN=%q\n' "$PUBLIC_URL" "${NODE_FLAGS:-}" "$BIN" >"$STATE/env"
    openssl rand -hex 32 >"$STATE/cluster-secret"
    pgroot=$(mktemp -d /tmp/livemall-regions-pg.XXXXXX)
    chmod 755 "$pgroot"
    echo "$pgroot" >"$STATE/pg-root"
    network_up
    for r in "${REGIONS[@]}"; do mkdir -p "$STATE/$r"; postgres_up "$r"; done
    if [ "$DELAYS" = relay ]; then
      for r in "${REGIONS[@]}"; do relays_up "$r"; done
    fi
    for r in "${REGIONS[@]}"; do nats_up "$r"; done
    for r in "${REGIONS[@]}"; do
      wait_for "region $r's NATS JetStream" 60 curl -fsS "http://$(ip_of "$r"):8222/healthz?js-enabled-only=true"
    done
    for r in "${REGIONS[@]}"; do start_node "$r"; done
    for r in "${REGIONS[@]}"; do
      if ! wait_for "region $r's node /readyz" 120 curl -fsS "http://$(ip_of "$r"):8080/readyz"; then
        tail -5 "$STATE/$r/node.log" >&2
        exit 1
      fi
    done
  )
  local rc=$?
  set -e
  if [ $rc -ne 0 ]; then
    say "up failed: cleaning up"
    for f in "$STATE"/*/*.log; do [ -s "$f" ] && { echo "--- $f"; tail -5 "$f"; }; done
    down
    exit 1
  fi
  echo
  if [ "$(cat "$STATE/delays")" = netem ]; then
    echo "three regions are up (one-way delays a-b 20 ms, a-c 40 ms, b-c 70 ms):"
  elif [ "$(cat "$STATE/delays")" = relay ]; then
    echo "three regions are up (one-way delays a-b 20 ms, a-c 40 ms, b-c 70 ms on the NATS gateways, through relays):"
  else
    echo "three regions are up, WITHOUT delays between them (no tc netem in this kernel):"
  fi
  for r in "${REGIONS[@]}"; do echo "  region $r: http://$(ip_of "$r"):8080/   (numbers $((1 + $(idx_of "$r")))xxx xxxx xxxx)"; done
  echo "  cut a path:  sudo scripts/regions.sh partition a b   (restore: heal)"
  echo "  stop:        sudo scripts/regions.sh down"
  echo "  logs:        $STATE/R/node.log, $STATE/R/nats.log, $(cat "$STATE/pg-root")/R/log"
}

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
  local bin
  bin=$(pgbin)
  for r in "${REGIONS[@]}"; do
    [ -f "$STATE/$r/node.pid" ] && say "stopping region $r's node"
    stop_pid "$STATE/$r/node.pid"
  done
  for r in "${REGIONS[@]}"; do
    [ -f "$STATE/$r/nats.pid" ] && say "stopping region $r's NATS"
    stop_pid "$STATE/$r/nats.pid"
    stop_pid "$STATE/$r/pathdelay.pid"
    if [ -f "$STATE/pg-root" ] && [ -f "$(pg_dir "$r")/data/postmaster.pid" ]; then
      say "stopping region $r's PostgreSQL"
      (cd / && su postgres -c "$bin/pg_ctl -D $(pg_dir "$r")/data -m immediate stop" >/dev/null 2>&1)
    fi
  done
  [ -f "$STATE/pg-root" ] && rm -rf "$(cat "$STATE/pg-root")"
  for r in "${REGIONS[@]}"; do
    local ns
    ns=$(ns_of "$r")
    if ip netns list | grep -qw "$ns"; then
      say "removing namespace $ns"
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
      ip netns del "$ns"
    fi
    ip link del "lmrg${ID}-h$(idx_of "$r")" 2>/dev/null
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
  echo "delays between regions: $(cat "$STATE/delays" 2>/dev/null || echo unknown)"
  for r in "${REGIONS[@]}"; do
    local st=stopped
    if alive "$STATE/$r/node.pid"; then
      st="running (pid $(cat "$STATE/$r/node.pid")), readyz $(curl -s -o /dev/null -w '%{http_code}' -m 2 "http://$(ip_of "$r"):8080/readyz")"
    fi
    local cut
    cut=$(ip -n "$(ns_of "$r")" route show type blackhole 2>/dev/null | awk '{print $2}' | tr '\n' ' ')
    echo "region $r  $(ip_of "$r")  node $st${cut:+, cut from $cut}"
  done
}

# partition A B: blackhole routes in both namespaces, so packets between
# the two regions vanish (as on a broken link) and everything else flows.
partition() {
  need_root partition
  local x=${1:-} y=${2:-}
  [ -n "$x" ] && [ -n "$y" ] && [ "$x" != "$y" ] || die "usage: scripts/regions.sh partition A B (two of a, b, c)"
  idx_of "$x" >/dev/null && idx_of "$y" >/dev/null
  ip -n "$(ns_of "$x")" route replace blackhole "$(ip_of "$y")/32"
  ip -n "$(ns_of "$y")" route replace blackhole "$(ip_of "$x")/32"
  say "cut the path between regions $x and $y"
}

heal() {
  need_root heal
  for r in "${REGIONS[@]}"; do
    for dst in $(ip -n "$(ns_of "$r")" route show type blackhole 2>/dev/null | awk '{print $2}'); do
      ip -n "$(ns_of "$r")" route del blackhole "$dst"
    done
  done
  say "every path between regions is restored"
}

if [ "${1:-}" != up ] && [ -f "$STATE/env" ]; then
  # shellcheck disable=SC1091
  . "$STATE/env"
fi

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  partition) partition "${2:-}" "${3:-}" ;;
  heal) heal ;;
  *) die "usage: scripts/regions.sh up|down|status|partition A B|heal" ;;
esac
