#!/usr/bin/env bash
# Installs what the test suites need and a fresh machine lacks: Debian's
# chromium, postgresql, nftables (the NAT test's masquerading) and haproxy
# (the cluster's balancer), the npm packages, stripe-mock and nats-server.
# Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -x /usr/lib/chromium/chromium ] || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v nft >/dev/null 2>&1 || [ -x /usr/sbin/nft ] || need+=(nftables)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need+=(haproxy)
command -v sqlite3 >/dev/null 2>&1 || need+=(sqlite3)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing Debian packages: ${need[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

# stripe-mock, Stripe's own mock server, for the Stripe provider's tests.
if [ ! -x .bin/stripe-mock ]; then
  echo "== installing stripe-mock into .bin"
  GOBIN="$PWD/.bin" go install github.com/stripe/stripe-mock@v0.203.0
fi

# nats-server, for tests that run NATS as a process of its own (killed and
# restarted, or three of them as a cluster). The version is go.mod's.
if [ ! -x .bin/nats-server ]; then
  echo "== installing nats-server into .bin"
  GOBIN="$PWD/.bin" go install "github.com/nats-io/nats-server/v2@$(go list -m -f '{{.Version}}' github.com/nats-io/nats-server/v2)"
fi
