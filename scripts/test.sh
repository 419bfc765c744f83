#!/usr/bin/env bash
# Runs every suite: vet, Go tests on SQLite, the same on PostgreSQL, short
# fuzz runs, the TypeScript check and the browser tests in Chromium. Each
# suite prints how many tests it ran; a suite that ran nothing, skipped a
# test or cannot find Chromium or PostgreSQL fails.
#
#   scripts/test.sh --busy   the same, with two busy loops (one per core of
#                            a 2-core machine) running beside the suites, so
#                            that a test that measures the machine's speed
#                            instead of what arrived fails here, not in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
busy=0
for arg in "$@"; do
  case $arg in
    --busy) busy=1 ;;
    *) echo "usage: scripts/test.sh [--busy]" >&2; exit 2 ;;
  esac
done
export GOTOOLCHAIN=local
logs=$(mktemp -d /tmp/livemall-test.XXXXXX)
summary=()
pgdir=""
busy_pids=()
cleanup() {
  if [ ${#busy_pids[@]} -gt 0 ]; then
    kill "${busy_pids[@]}" 2>/dev/null || true
    wait "${busy_pids[@]}" 2>/dev/null || true
    echo "== --busy: stopped the busy loops (pids ${busy_pids[*]})"
  fi
  [ -n "$pgdir" ] && bash scripts/postgres.sh stop "$pgdir" || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

if [ "$busy" = 1 ]; then
  for _ in 1 2; do
    sh -c 'while :; do :; done' &
    busy_pids+=($!)
  done
  echo "== --busy: two busy loops run beside the suites (pids ${busy_pids[*]}); stopped on any exit"
fi

# count_go LOG NAME: summarise a `go test -v` log and fail on failures, skips
# or an empty run.
count_go() {
  local log=$1 name=$2 pass fail skip
  pass=$(grep -cE '^\s*--- PASS' "$log" || true)
  fail=$(grep -cE '^\s*--- FAIL' "$log" || true)
  skip=$(grep -cE '^\s*--- SKIP' "$log" || true)
  summary+=("$name: $pass passed, $fail failed, $skip skipped")
  echo "== $name: $pass passed, $fail failed, $skip skipped (log: $log)"
  if [ "$fail" -gt 0 ] || grep -qE '^(FAIL|panic:)' "$log"; then
    grep -E '^\s*--- FAIL|^FAIL|panic:|_test.go:[0-9]+:' "$log" | head -60
    return 1
  fi
  if [ "$skip" -gt 0 ]; then grep -E -A2 '^\s*--- SKIP' "$log" | head -20; echo "a skipped test is a failure here"; return 1; fi
  if [ "$pass" -eq 0 ]; then echo "$name ran no tests"; return 1; fi
}

bash scripts/deps.sh

echo "== typecheck and build the web apps"
npm run --silent typecheck
npm run --silent build >"$logs/vite.log" 2>&1 || { cat "$logs/vite.log"; exit 1; }

echo "== go vet"
go vet ./...

# The load tests put forty pion phones, or a hundred shoppers over two
# nodes, on one machine. Under the race detector (several times the CPU and
# memory per goroutine) they measure the detector, not the node, so they run
# in a pass of their own without -race, on both databases; the same code
# paths run under -race in the call and routing tests.
# They live beside what they load: the forty phones in directory (calls),
# the hundred shoppers in backend/app (two nodes); load_pkgs names both.
load_tests='^(TestTwentyConcurrentCallsOnOneNode|TestHundredShoppersFiveAgentsOverTwoNodes)$'
load_pkgs=(./directory/ ./backend/app/)

echo "== go test -race (SQLite)"
go test -race -count=1 -p 2 -timeout 30m -v -skip "$load_tests" ./... >"$logs/sqlite.log" 2>&1 || true
count_go "$logs/sqlite.log" "Go suite on SQLite"

echo "== go test -race (PostgreSQL)"
if [ -z "${LIVEMALL_TEST_POSTGRES_URL:-}" ]; then
  out=$(bash scripts/postgres.sh)
  pgdir=$(echo "$out" | head -1)
  export LIVEMALL_TEST_POSTGRES_URL=$(echo "$out" | tail -1)
fi
LIVEMALL_TEST_DATABASE=postgres go test -race -count=1 -p 2 -timeout 30m -v -skip "$load_tests" ./... >"$logs/postgres.log" 2>&1 || true
count_go "$logs/postgres.log" "Go suite on PostgreSQL"

echo "== load tests, without -race (SQLite, PostgreSQL)"
for db in sqlite postgres; do
  LIVEMALL_TEST_DATABASE=$db go test -count=1 -p 1 -timeout 30m -v -run "$load_tests" "${load_pkgs[@]}" >"$logs/load-$db.log" 2>&1 || true
  count_go "$logs/load-$db.log" "Load tests on $db"
  for t in TestTwentyConcurrentCallsOnOneNode TestHundredShoppersFiveAgentsOverTwoNodes; do
    grep -q -- "--- PASS: $t " "$logs/load-$db.log" || { echo "load test $t did not run on $db"; exit 1; }
  done
done

echo "== fuzz targets (short runs)"
fuzzed=0
while IFS= read -r line; do
  file=${line%%:*}; fn=$(echo "$line" | sed -E 's/.*func (Fuzz[A-Za-z0-9_]*).*/\1/')
  pkg=./$(dirname "$file")
  # Minimizing each new interesting input is capped: left at its 60 s default
  # it can outlast -fuzztime and end the run with "context deadline exceeded".
  # Go's fuzzer sometimes ends a clean run with a bare "context deadline
  # exceeded" when -fuzztime runs out mid-input (no failing input written):
  # that run is tried once more; a real crasher always writes its input.
  fuzz_once() { go test -run='^$' -fuzz="^${fn}\$" -fuzztime="${FUZZTIME:-8s}" -fuzzminimizetime=200x "$pkg" >"$logs/fuzz-$fn.log" 2>&1; }
  if ! fuzz_once; then
    if grep -q 'context deadline exceeded' "$logs/fuzz-$fn.log" && ! grep -q 'Failing input written' "$logs/fuzz-$fn.log"; then
      echo "== $fn: the fuzzer's deadline ended the run without a failing input; running it again"
      fuzz_once || { cat "$logs/fuzz-$fn.log"; exit 1; }
    else
      cat "$logs/fuzz-$fn.log"; exit 1
    fi
  fi
  fuzzed=$((fuzzed + 1))
done < <(grep -rHE '^func Fuzz[A-Za-z0-9_]*\(' --include='*_test.go' . | grep -v node_modules)
summary+=("fuzz: $fuzzed targets, no crashers")
echo "== fuzz: $fuzzed targets ran without a crasher"
[ "$fuzzed" -gt 0 ]

echo "== browser tests (Chromium, Playwright)"
go build -o "$logs/livemall" ./backend/cmd/livemall
LIVEMALL_BIN="$logs/livemall" node --test --test-concurrency=1 tests/browser/ 2>&1 | tee "$logs/browser.log" | grep -vE '^\s*$' | tail -40
# A failing browser test is told last, with its error, so that the tail of
# the run (all a CI page may show) names it.
if ! grep -qE '^# fail 0$' "$logs/browser.log"; then
  echo "== browser tests that failed, with their errors:"
  awk '/^not ok/ {p=1} p && /^  \.\.\.$/ {print; p=0} p' "$logs/browser.log" | grep -vE '^\s*at ' | head -80
  echo "browser suite failed: $(grep -cE '^not ok' "$logs/browser.log") test file(s) with failures; names above"
  exit 1
fi
btests=$(sed -nE 's/^# tests ([0-9]+)$/\1/p' "$logs/browser.log")
bskip=$(sed -nE 's/^# skipped ([0-9]+)$/\1/p' "$logs/browser.log")
[ "${btests:-0}" -gt 0 ] || { echo "browser suite ran no tests"; exit 1; }
[ "${bskip:-0}" -eq 0 ] || { echo "browser suite skipped tests"; exit 1; }
summary+=("browser suite: $btests passed")

echo
echo "== all suites passed"
printf '  %s\n' "${summary[@]}"
