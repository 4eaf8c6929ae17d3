# Hookgate. `make run` starts the quickstart; `make test` runs every test.
GO      ?= go
BIN     := bin/caddy
SOURCES := $(shell find . -name '*.go' -not -path './bin/*') go.mod go.sum

.PHONY: build run test unit e2e vet fuzz bench chaos clean redis chromium

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
test: vet redis chromium $(BIN)
	HOOKGATE_CADDY=$(abspath $(BIN)) $(GO) test -count=1 -timeout 15m ./...

# Programs the tests start: redis-server (Redis store) and chromium (the
# dashboard). scripts/require-deb.sh installs Debian's package when one is
# missing and it may (root or passwordless sudo), else says what to run;
# without them those tests skip, except under CI=true, where they fail.
redis:
	@scripts/require-deb.sh redis-server redis-server "install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis), then run make test again."

chromium:
	@[ -n "$$HOOKGATE_CHROMIUM" ] || scripts/require-deb.sh chromium chromium "install it (Debian/Ubuntu: sudo apt-get install chromium), or set HOOKGATE_CHROMIUM to a Chrome/Chromium binary, then run make test again."

# The full fault suite (a few minutes): each fault alone, then mixed, on the
# embedded store, Redis and the outbound route; lost must be 0. Writes the
# figures into docs/reliability.md. make test runs a short version.
# The disk-full fault needs root (it mounts a small tmpfs).
chaos: redis $(BIN)
	HOOKGATE_CADDY=$(abspath $(BIN)) HOOKGATE_CHAOS=full HOOKGATE_CHAOS_REPORT=$(abspath docs/reliability.md) \
		$(GO) test -count=1 -timeout 30m -v -run '^(TestChaos|TestDiskFull|TestDamaged)' ./e2e

# Each fuzz target for FUZZTIME (go test -fuzz takes one target at a time).
FUZZTIME ?= 30s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "== $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

# Load test of the real binary against plain Caddy on loopback, ~12 min:
# writes bench/results.md and bench/results.svg. BENCH_QUICK=1 is a ~30 s
# smoke run (results in a temp dir); BENCH_FLAGS passes hookbench flags,
# e.g. BENCH_FLAGS='-run inbound -pprof /tmp/prof'.
bench: $(BIN)
	$(GO) run ./cmd/hookbench -caddy $(BIN) $(BENCH_FLAGS)

clean:
	rm -rf bin
