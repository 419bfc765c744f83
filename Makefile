# livemall: `make run` serves the demo, `make test` runs every suite.
export GOTOOLCHAIN := local
BIN := bin/livemall

.PHONY: run test build ui clean bench cluster cluster-down

## run: build the web apps and the binary, seed the demo if empty, serve on :8080
run: build
	$(BIN) serve --demo

## build: the web apps (embedded) and the binary
build: ui
	go build -o $(BIN) ./backend/cmd/livemall

## ui: install npm packages if needed and build the three web apps
ui:
	@[ -d node_modules ] && [ ! package-lock.json -nt node_modules/.package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error
	npm run --silent build

## test: install what is missing (chromium, postgresql, npm packages) and run every suite
test:
	bash scripts/test.sh

## bench: every benchmark scenario with its defaults (BENCHFLAGS=--centrifugo adds the presence ceiling); see BENCHMARKS.md
bench:
	go run ./bench all $(BENCHFLAGS)

## cluster: three nodes in network namespaces, a NATS cluster, PostgreSQL and HAProxy on :$(PORT) (as root; see README)
PORT ?= 8080
cluster:
	PORT=$(PORT) bash scripts/cluster.sh up
	@echo "stop it with: make cluster-down (or scripts/cluster.sh down)"

## cluster-down: stop the cluster and remove its namespaces
cluster-down:
	bash scripts/cluster.sh down

clean:
	rm -rf bin backend/web/dist/app
