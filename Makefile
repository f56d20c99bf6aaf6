# Casebridge — the commands a newcomer needs are `make run` and `make test`.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO          ?= go
BUF         := $(GO) tool buf
# protovalidate's rules (buf/validate/validate.proto) come from this pinned Go
# module and are copied into .build/protodeps; buf reaches no registry.
PROTOVALIDATE_MODULE := github.com/bufbuild/protovalidate@v1.2.2
PROTODEPS   := .build/protodeps/buf/validate/validate.proto
DATA        := .data
GOTESTFLAGS ?=

.PHONY: help
help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(PROTODEPS):
	@mkdir -p $(dir $@)
	@src=$$($(GO) mod download -json $(PROTOVALIDATE_MODULE) | sed -n 's/.*"Dir": "\(.*\)",/\1/p'); \
	  cp "$$src/proto/protovalidate/buf/validate/validate.proto" $@ && chmod 644 $@

.PHONY: proto-deps
proto-deps: $(PROTODEPS)

.PHONY: generate
generate: $(PROTODEPS) ## regenerate Go code from proto/
	$(BUF) format -w proto
	$(BUF) generate

.PHONY: lint
lint: $(PROTODEPS) ## buf lint, stale generated code, gofmt, go vet
	$(BUF) lint
	$(BUF) format -d --exit-code proto
	@tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	  $(BUF) generate -o $$tmp; \
	  if ! diff -r -q $$tmp/proto proto -x '*.proto' >/dev/null; then \
	    diff -r -q $$tmp/proto proto -x '*.proto' || true; \
	    echo "generated code is stale: run 'make generate' and commit the result"; exit 1; fi
	@unformatted=$$(gofmt -l $$(git ls-files --cached --others --exclude-standard '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	cd faults && $(GO) vet ./...

.PHONY: build
build: ## build casebridged, casectl and casebridge-web into bin/
	$(GO) build -o bin/ ./cmd/...

# The object-store tests need an S3-compatible server: deploy/with-s3.sh
# starts one (versitygw, built once from tools/ into .build/versitygw).
.PHONY: test
test: ## run every test with the race detector against a real (throwaway) PostgreSQL and S3 server
	deploy/with-postgres.sh deploy/with-s3.sh $(GO) test -race -count=1 -timeout 20m $(GOTESTFLAGS) ./...

# The fault suite is a module of its own (faults/): it starts PostgreSQL
# clusters of its own and kills them, so it needs no DATABASE_URL, and
# `make test` (./... of the root module) never runs it. Its log keeps the
# reliability figures (lines "RELIABILITY | fault | acknowledged | found |
# lost | recovery |"), printed again at the end.
FAULTSFLAGS ?=

# Go native fuzz targets, each run for FUZZTIME without the race detector
# (package:target). A crash leaves its input in the package's
# testdata/fuzz/<target>/, where `make test` runs it from then on: commit it
# with the fix.
FUZZTIME    ?= 10s
FUZZTARGETS := internal/ctdc:FuzzReader internal/pagetoken:FuzzDecode \
  internal/validation:FuzzCheck internal/vault:FuzzOpen internal/authn:FuzzVerify \
  internal/casectl/money:FuzzParse internal/casectl/datetime:FuzzDate

# The soak: the fault suite's mixed workload for SOAK_DURATION against a
# server on loopback, its memory, goroutines, PostgreSQL connections and
# audit queue sampled every second; not in CI (it is long by design).
SOAK_DURATION ?= 10m

.PHONY: soak
soak: ## the mixed workload for SOAK_DURATION (10m); memory, goroutines, connections, audit queue must stay flat
	cd faults && SOAK_DURATION=$(SOAK_DURATION) $(GO) test -tags soak -count=1 -v -run '^TestSoak$$' -timeout 2h ./... 2>&1 | grep -E '^(=== RUN|--- |ok|FAIL|PASS)|SOAK \||_test.go'

# Go's fuzzing engine sometimes ends a timed run with "context deadline
# exceeded" and no failing input, when a worker is slow to stop on a busy
# machine; such a run is tried once more. A failure with an input (written
# to testdata/fuzz) fails at once.
.PHONY: fuzz
fuzz: ## run every fuzz target for FUZZTIME (10s) each
	@mkdir -p .build
	@for t in $(FUZZTARGETS); do \
	  echo "fuzz: $${t#*:} in ./$${t%%:*} for $(FUZZTIME)"; \
	  for try in 1 2; do \
	    if $(GO) test -run '^$$' -fuzz "^$${t#*:}$$" -fuzztime $(FUZZTIME) ./$${t%%:*}/ 2>&1 | tee .build/fuzz.log; \
	      test $${PIPESTATUS[0]} -eq 0; then break; fi; \
	    if [ $$try = 2 ] || ! grep -q 'context deadline exceeded' .build/fuzz.log || grep -q 'Failing input written' .build/fuzz.log; then exit 1; fi; \
	    echo "fuzz: the engine timed out stopping its workers, with no failing input: once more"; \
	  done; \
	done

.PHONY: test-faults
test-faults: ## the fault suite: PostgreSQL, network, failover, server and audit faults under load (about 5 min)
	@mkdir -p .build
	cd faults && $(GO) test -count=1 -p 1 -v -timeout 15m $(FAULTSFLAGS) ./... 2>&1 | tee ../.build/test-faults.log
	@echo "reliability (fault | acknowledged | found | lost | recovery):"
	@grep -ho 'RELIABILITY | .*' .build/test-faults.log | sed 's/^RELIABILITY //' | awk '!seen[$$0]++'

# `make bench BENCH_1M=1` adds the 1M-case CountCases benchmark and seeds the
# load harness with 1,000,000 cases; BENCHFLAGS go to the harness (see
# `go run ./cmd/loadharness --help`), e.g. BENCHFLAGS='--duration 5s'.
BENCHTIME  ?= 1s
BENCH_1M   ?=
BENCHFLAGS ?=

.PHONY: bench
bench: ## Go benchmarks, then the load harness (real server; a durable throwaway PostgreSQL, and an fsync-off one for the second column); results in bench-results.json
	deploy/with-postgres.sh $(GO) test -run '^$$' -bench . -benchmem -benchtime=$(BENCHTIME) \
	  ./internal/authz/ ./internal/authn/ ./internal/vault/ ./internal/keys/ ./internal/audit/ $(if $(BENCH_1M),./services/stats/)
	deploy/with-postgres.sh deploy/with-s3.sh $(GO) test -run '^$$' -bench . -benchmem -benchtime=$(BENCHTIME) ./internal/blobstore/...
	$(GO) build -o bin/ ./cmd/casebridged ./cmd/loadharness
	deploy/with-postgres.sh --durable deploy/with-postgres.sh --as FAST_DATABASE_URL \
	  bin/loadharness --server-bin bin/casebridged $(if $(BENCH_1M),--cases 1000000) $(BENCHFLAGS)
	$(MAKE) bench-documents

# Documents on a durable throwaway PostgreSQL and a throwaway S3 server,
# without the race detector: upload and download MB/s next to the blob
# store's raw write and read speed in the same run, for each store; the
# re-key of a case holding 100 documents of 10 KiB and of 10 MiB (1 GiB
# uploaded first); and a 1 GiB upload and download to a casebridged
# subprocess whose resident memory must grow by less than 50 MB (lines
# "DOCUMENTS |").
.PHONY: bench-documents
bench-documents: ## document throughput vs the raw store (PostgreSQL, S3), re-key of 100 x 10 MiB documents, a 1 GiB upload's server memory
	$(GO) build -o bin/ ./cmd/casebridged
	CASEBRIDGE_HUGE_UPLOAD=1 CASEBRIDGE_SERVER_BIN=$(abspath bin/casebridged) \
	  deploy/with-postgres.sh --durable deploy/with-s3.sh $(GO) test -count=1 -timeout 60m -v \
	  -run '^TestHugeUploadKeepsMemoryFlat$$' -bench 'BenchmarkTransfer|BenchmarkRekey' -benchtime 3x ./services/documents/ \
	  | grep -E '^(Benchmark|--- |ok|FAIL|PASS)|DOCUMENTS \|'

# The image is built by tools/ (its own module, so go-containerregistry and the
# manifest checkers never enter the server's dependency graph).
IMAGE_REF     ?= casebridge/casebridged:dev
WEB_IMAGE_REF ?= casebridge/casebridge-web:dev
IMAGE_VERSION ?= dev

.PHONY: image
image: ## build the server's and the web client's OCI images (no container daemon): bin/image/oci, bin/image/*.tar
	cd tools && $(GO) run ./cmd/image --module .. --out ../bin/image --ref $(IMAGE_REF) --web-ref $(WEB_IMAGE_REF) --version $(IMAGE_VERSION)

# The CloudNativePG and Barman Cloud Plugin CRDs the manifests are checked
# against, read in place (they are not part of this repository).
SCHEMAS ?= ../shared/schemas

.PHONY: deploy-check
deploy-check: ## validate every Kubernetes overlay and the compose file; test the image build (SCHEMAS=dir of CRDs)
	@test -d "$(SCHEMAS)" || { echo "deploy-check: no CRD schemas at $(SCHEMAS) (set SCHEMAS=...)"; exit 1; }
	cd tools && $(GO) vet ./... && \
	  CASEBRIDGE_SCHEMA_DIR=$(abspath $(SCHEMAS)) $(GO) run ./cmd/deploycheck && \
	  CASEBRIDGE_SCHEMA_DIR=$(abspath $(SCHEMAS)) $(GO) test -count=1 ./...

.PHONY: db
db: ## start (or reuse) the persistent local PostgreSQL under .data/ and print its URL
	@deploy/postgres.sh start $(DATA)/postgres

.PHONY: db-stop
db-stop: ## stop the local PostgreSQL
	deploy/postgres.sh stop $(DATA)/postgres

WEB_LISTEN ?= 127.0.0.1:8080

.PHONY: run
run: ## run the server in dev mode on 127.0.0.1:7443 with demo data, and the web client on WEB_LISTEN (127.0.0.1:8080)
	@deploy/postgres.sh start $(DATA)/postgres >/dev/null
	$(GO) build -o bin/ ./cmd/casebridged ./cmd/casebridge-web
	@DATABASE_URL=$$(deploy/postgres.sh database $(DATA)/postgres casebridge) \
	  bin/casebridged --dev --demo-caseload --data-dir $(DATA)/casebridged & srv=$$!; \
	  trap 'kill $$srv 2>/dev/null; wait $$srv' EXIT INT TERM; \
	  for i in $$(seq 300); do [ -f $(DATA)/casebridged/dev-issuer.jwk ] && break; kill -0 $$srv || exit 1; sleep 0.2; done; \
	  echo "web client: http://$(WEB_LISTEN)  (sign in as a demo user; Ctrl-C stops both)"; \
	  bin/casebridge-web --dev --dev-data-dir $(DATA)/casebridged --listen $(WEB_LISTEN)

.PHONY: clean
clean: ## stop the local PostgreSQL and remove .data/ and bin/
	-deploy/postgres.sh stop $(DATA)/postgres
	rm -rf $(DATA) bin .build
