# ESP API Credentials. `make run` and `make test` are all a newcomer needs.
GO      ?= go
DATA    ?= ./data
ADDR    ?= 127.0.0.1:8080
# The race detector needs a C compiler; use it whenever one is present.
RACE    := $(shell command -v $$($(GO) env CC) >/dev/null 2>&1 && echo -race)
FUZZTIME ?= 20s
# axe-core for the browser tests' accessibility checks, installed with npm
# into .test-tools/ (git ignores it; the tests look there, or at $ESP_AXE_JS).
AXE_VERSION ?= 4.14.1
AXE_JS := .test-tools/node_modules/axe-core/axe.min.js

.PHONY: run build test e2e-deps generate lint bench fuzz clean

run: build
	./bin/esp serve --data $(DATA) --addr $(ADDR)

build:
	$(GO) build -o bin/esp ./cmd/esp

test:
	@[ -n "$$CHROME_PATH" ] || command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1 || \
	  echo "*** BROWSER TESTS WILL BE SKIPPED: no Chromium found; install chromium or set CHROME_PATH (under CI=true they fail) ***"
	@[ -n "$$ESP_AXE_JS" ] || [ -f $(AXE_JS) ] || \
	  echo "*** AXE CHECKS WILL BE SKIPPED: run 'make e2e-deps' (npm) or set ESP_AXE_JS (under CI=true they fail) ***"
	$(GO) vet ./...
	$(GO) test $(RACE) -count=1 -timeout 20m ./...

e2e-deps:
	npm install --prefix .test-tools --no-save --no-package-lock --no-audit --no-fund --loglevel=error axe-core@$(AXE_VERSION)
	@test -f $(AXE_JS)

generate:
	$(GO) tool templ generate -path views
	gofmt -l . | (! grep .) || (echo "gofmt needed on the files above" && false)

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go') && false)
	$(GO) vet ./...
	$(GO) tool templ fmt -fail views >/dev/null

# make bench BENCHFLAGS=-quick for a short run; see go run ./cmd/espbench -h.
bench:
	$(GO) run ./cmd/espbench $(BENCHFLAGS)

# Each fuzz target for FUZZTIME (their seed corpora also run under `make test`).
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

clean:
	rm -rf bin
