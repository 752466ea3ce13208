# gotrl — one entry point. `make demo` runs the main job, `make test` passes the tests.
SHELL := /bin/bash
GO ?= go
INSTALL := scripts/install_libtorch.sh
GOWORK_FILE := go.work

.PHONY: all libtorch build install test test-pure fuzz demo bench vet lint clean readme-check

all: build

# the version gotrl prints (gotrl version, gotrl --version)
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT)
# where `make install` puts gotrl: GOBIN, else GOPATH/bin (on PATH for Go users)
BINDIR  ?= $(shell d=$$($(GO) env GOBIN); [ -n "$$d" ] && echo $$d || echo $$($(GO) env GOPATH)/bin)

# libtorch 2.1 (CPU) + patched gotch and go.work; idempotent, ~1 s when done
libtorch:
	@bash $(INSTALL)

build: libtorch
	$(GO) build -ldflags '$(LDFLAGS)' -o bin/gotrl ./cmd/gotrl

# put gotrl on PATH (the binary finds libtorch through its rpath)
install: build
	@mkdir -p $(BINDIR)
	install -m 0755 bin/gotrl $(BINDIR)/gotrl
	@echo "installed $(BINDIR)/gotrl$$(case :$$PATH: in *:$(BINDIR):*) ;; *) echo ' (add $(BINDIR) to PATH)';; esac)"

vet: libtorch
	$(GO) vet ./...

# library code must never exit the process: gotch's Must* calls log.Fatal
# (regexp.MustCompile of a constant pattern is fine: it cannot fail at run time)
lint:
	@if grep -rnE '\.Must[A-Z][A-Za-z0-9]*\(|log\.Fatal' --include='*.go' pkg cmd internal | grep -v '_test.go' | grep -vE '^[^:]+:[0-9]+:\s*//' | grep -v 'regexp\.MustCompile'; then \
	  echo "lint: Must*/log.Fatal in library code (use the error-returning forms)"; exit 1; fi
	@test -z "$$(gofmt -l cmd pkg internal)" || { gofmt -l cmd pkg internal; echo "lint: gofmt needed"; exit 1; }

# pure-Go packages: no libtorch needed (checked with GOWORK=off and CGO disabled)
test-pure:
	GOWORK=off CGO_ENABLED=0 $(GO) test ./pkg/data/... ./pkg/prompt ./pkg/metrics/... ./pkg/models/weights/safetensors ./pkg/hub/... ./internal/config

# Go native fuzzing: each target runs for FUZZTIME, one after another (go
# test fuzzes one target per invocation). All fuzzed packages are pure Go.
# Their seed corpora (f.Add and testdata/fuzz/) run in every go test.
# A crash leaves its input in the package's testdata/fuzz/<target>/: fix
# the code and commit the file, so it stays a regression test.
# On a busy machine: make fuzz FUZZTIME=3m FUZZFLAGS='-parallel 1 -fuzzminimizetime 10s'
# (with one worker, minimizing each new input for the default 60 s stops
# the targets that write a file per input for most of their time).
FUZZTIME ?= 10m
FUZZFLAGS ?=
FUZZ_TARGETS := \
	pkg/prompt:FuzzParse \
	pkg/prompt:FuzzParseConfig \
	pkg/data:FuzzRead \
	pkg/models/weights/safetensors:FuzzHeader \
	pkg/data/tokenizer:FuzzEncode \
	pkg/data/tokenizer:FuzzVocabTxt \
	pkg/data/tokenizer:FuzzTokenizerJSON \
	internal/config:FuzzResolve

fuzz:
	@failed=; for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; name=$${t##*:}; \
	  echo "==> $$name (./$$pkg, $(FUZZTIME))"; \
	  GOWORK=off CGO_ENABLED=0 $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $(FUZZFLAGS) ./$$pkg || failed="$$failed $$name"; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: crashes in$$failed (inputs in testdata/fuzz/)"; exit 1; fi

test: libtorch lint vet
	$(GO) test -count=1 -timeout 60m ./...
	$(MAKE) --no-print-directory test-pure

demo: build
	bash scripts/demo.sh

bench: build
	bash scripts/bench.sh

# every `gotrl …` command of README.md, run as written (short: --max-steps 2)
readme-check: build
	bash scripts/readme_check.sh

clean:
	rm -rf bin runs
