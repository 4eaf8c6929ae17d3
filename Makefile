# Hookgate. `make run` starts the quickstart; `make test` runs every test.
GO      ?= go
BIN     := bin/caddy
SOURCES := $(shell find . -name '*.go' -not -path './bin/*') go.mod go.sum

.PHONY: build run test unit e2e vet fuzz bench clean redis

build: $(BIN)

$(BIN): $(SOURCES)
	$(GO) build -o $@ ./cmd/caddy

bin/receiver: $(SOURCES)
	$(GO) build -o $@ ./examples/receiver

run: $(BIN) bin/receiver
	examples/quickstart/run.sh

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo 'gofmt: files above need formatting'; exit 1)
	$(GO) vet ./...

# Unit tests (fuzz seed corpora included) and end-to-end tests against the
# real binary. The e2e tests use $(BIN); HOOKGATE_CADDY points them at it.
test: vet redis $(BIN)
	HOOKGATE_CADDY=$(abspath $(BIN)) $(GO) test -count=1 -timeout 15m ./...

# redis-server, which the Redis store's tests start on free loopback ports.
# When it is missing and we may (root or passwordless sudo, with apt-get),
# install Debian's package; otherwise say what to run. Without it those
# tests skip, except under CI=true, where they fail.
REDIS_HINT := redis-server is missing: install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis), then run make test again.
redis:
	@command -v redis-server >/dev/null 2>&1 && exit 0; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo -n"; else sudo=no; fi; \
	if [ "$$sudo" = no ] || ! command -v apt-get >/dev/null 2>&1; then \
		echo "$(REDIS_HINT)"; [ "$$CI" != true ] || exit 1; exit 0; \
	fi; \
	echo "redis-server is missing: installing Debian's redis-server package"; \
	export DEBIAN_FRONTEND=noninteractive; \
	$$sudo apt-get install -y -q redis-server >/dev/null 2>&1 || \
		{ $$sudo apt-get update -q && $$sudo apt-get install -y -q redis-server; } || \
		{ echo "installing redis-server failed. $(REDIS_HINT)"; exit 1; }; \
	command -v redis-server >/dev/null || { echo "$(REDIS_HINT)"; exit 1; }

# Each fuzz target for FUZZTIME (go test -fuzz takes one target at a time).
FUZZTIME ?= 30s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "== $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

# Load test of the real binary against plain Caddy on loopback, < 5 min:
# writes bench/results.md and bench/results.svg. BENCH_QUICK=1 is a ~30 s
# smoke run (results in a temp dir); BENCH_FLAGS passes hookbench flags,
# e.g. BENCH_FLAGS='-run inbound -pprof /tmp/prof'.
bench: $(BIN)
	$(GO) run ./cmd/hookbench -caddy $(BIN) $(BENCH_FLAGS)

clean:
	rm -rf bin
