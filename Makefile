# livemall: `make run` serves the demo, `make test` runs every suite.
export GOTOOLCHAIN := local
BIN := bin/livemall
## PORT is where `make run` serves (and `make cluster` its load balancer): PORT=9090 make run
PORT ?= 8080

.PHONY: run test build ui clean bench cluster cluster-down

## run: build the web apps and the binary, seed the demo if empty, serve on :$(PORT)
run: build
	@echo "==> starting livemall on http://localhost:$(PORT)/ (the demo mall is seeded if the database is empty)"
	$(BIN) serve --demo --addr :$(PORT)

## build: the web apps (embedded) and the binary
build: ui
	@echo "==> building the binary $(BIN); the first build compiles every Go dependency (a few minutes on a small machine, each package named as it compiles), later ones take seconds"
	go build -v -o $(BIN) ./backend/cmd/livemall

## ui: install npm packages if needed and build the three web apps
ui:
	@[ -d node_modules ] && [ ! package-lock.json -nt node_modules/.package-lock.json ] || { echo "==> installing the npm packages (npm ci)"; npm ci --no-audit --no-fund --loglevel=error; }
	@echo "==> building the web apps (mall, desk, phone) with Vite"
	npm run --silent build

## test: install what is missing (chromium, postgresql, npm packages) and run every suite
test:
	bash scripts/test.sh

## bench: every benchmark scenario with its defaults (BENCHFLAGS=--centrifugo adds the presence ceiling); see BENCHMARKS.md
bench:
	go run ./bench all $(BENCHFLAGS)

## cluster: three nodes in network namespaces, a NATS cluster, PostgreSQL and HAProxy on :$(PORT) (as root; see README)
cluster:
	PORT=$(PORT) bash scripts/cluster.sh up
	@echo "stop it with: make cluster-down (or scripts/cluster.sh down)"

## cluster-down: stop the cluster and remove its namespaces
cluster-down:
	bash scripts/cluster.sh down

clean:
	rm -rf bin backend/web/dist/app
