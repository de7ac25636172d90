# ESP API Credentials. `make run` and `make test` are all a newcomer needs.
GO      ?= go
# make run ADDR=... DATA=..., or ESP_ADDR and ESP_DATA as for esp serve itself.
DATA    ?= $(or $(ESP_DATA),./data)
ADDR    ?= $(or $(ESP_ADDR),127.0.0.1:8080)
# The race detector needs a C compiler; use it whenever one is present.
RACE    := $(shell command -v $$($(GO) env CC) >/dev/null 2>&1 && echo -race)
FUZZTIME ?= 20s
# The packages whose behaviour tests run a second time on PostgreSQL when
# ESP_TEST_DATABASE_URL names a database the tests may use.
PG_PACKAGES := ./store/... ./lifecycle/... ./web/admin/... ./web/api/... ./cmd/app/...
PG_SKIPPED  := *** POSTGRESQL TESTS SKIPPED: set ESP_TEST_DATABASE_URL=postgres://USER@HOST:PORT/DB?sslmode=disable (a database the tests may use; under CI=true they fail) ***

.PHONY: run build test test-tools generate lint bench fuzz clean

run: build
	./bin/esp serve --data $(DATA) --addr $(ADDR)

build:
	$(GO) build -o bin/esp ./cmd/esp

test:
	@[ -n "$$CHROME_PATH" ] || command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1 || \
	  echo "*** BROWSER TESTS WILL BE SKIPPED: no Chromium found; install chromium or set CHROME_PATH (under CI=true they fail) ***"
	@[ -n "$$ESP_REDOCLY" ] || [ -x .ci/node_modules/.bin/redocly ] || \
	  echo "*** THE OPENAPI LINT WILL BE SKIPPED: run make test-tools first (needs Node.js and npm; under CI=true it fails) ***"
	@[ -n "$$ESP_AXE_JS" ] || [ -f .ci/node_modules/axe-core/axe.min.js ] || \
	  echo "*** AXE CHECKS WILL BE SKIPPED: run make test-tools first (needs Node.js and npm; under CI=true they fail) ***"
	@if [ -z "$$ESP_TEST_DATABASE_URL" ] && [ "$$CI" = true ]; then \
	  echo "*** ESP_TEST_DATABASE_URL is not set: under CI=true the PostgreSQL tests must run (.ci/run starts a server and sets it) ***"; exit 1; fi
	@[ -n "$$ESP_TEST_DATABASE_URL" ] || echo "$(PG_SKIPPED)"
	$(GO) vet ./...
	ESP_TEST_BACKEND=sqlite $(GO) test $(RACE) -count=1 -timeout 20m ./...
	@if [ -n "$$ESP_TEST_DATABASE_URL" ]; then \
	  echo "ESP_TEST_BACKEND=postgres $(GO) test $(RACE) -count=1 -timeout 20m $(PG_PACKAGES)"; \
	  ESP_TEST_BACKEND=postgres $(GO) test $(RACE) -count=1 -timeout 20m $(PG_PACKAGES); \
	else echo "$(PG_SKIPPED)"; fi

# Test-only tools from npm (the OpenAPI linter, axe-core), pinned by .ci/package-lock.json.
test-tools:
	npm ci --prefix .ci --no-audit --no-fund

generate:
	$(GO) tool templ generate -path views
	$(GO) generate ./web/internal/apiclient
	gofmt -l . | (! grep .) || (echo "gofmt needed on the files above" && false)

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go') && false)
	$(GO) vet ./...
	$(GO) tool templ fmt -fail views >/dev/null

# make bench BENCHFLAGS=-quick for a short run; see go run ./cmd/espbench -h.
# The SQLite table, then, when ESP_BENCH_DATABASE_URL names a PostgreSQL
# database the bench may create a schema in, the same table on PostgreSQL.
BENCH_PG_SKIPPED := *** POSTGRESQL TABLE SKIPPED: set ESP_BENCH_DATABASE_URL=postgres://USER@HOST:PORT/DB?sslmode=disable for it ***
bench:
	$(GO) run ./cmd/espbench $(BENCHFLAGS)
	@if [ -n "$$ESP_BENCH_DATABASE_URL" ]; then \
	  echo '$(GO) run ./cmd/espbench -database-url "$$ESP_BENCH_DATABASE_URL" $(BENCHFLAGS)'; \
	  $(GO) run ./cmd/espbench -database-url "$$ESP_BENCH_DATABASE_URL" $(BENCHFLAGS); \
	else echo "$(BENCH_PG_SKIPPED)"; fi

# Each fuzz target for FUZZTIME (their seed corpora also run under `make test`).
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

clean:
	rm -rf bin .ci/node_modules
