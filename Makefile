# iterbench — see README.md.
GO      ?= go
BIN     := bin/iterbench
ROWS    ?= 50000
REPEATS ?= 6
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

# Container tests and runs use the images built by `make images` when they
# exist, else the official ones (postgres:17, mariadb:11.4). Where
# testcontainers' reaper (Ryuk, itself an image) cannot be pulled, iterbench
# turns it off by itself and terminates its containers itself.
HAVE_DOCKER := $(shell command -v docker >/dev/null 2>&1 && echo yes)
ifeq ($(HAVE_DOCKER),yes)
ifneq ($(shell docker image inspect iterbench/postgres >/dev/null 2>&1 && echo yes),)
export ITERBENCH_POSTGRES_IMAGE ?= iterbench/postgres
endif
ifneq ($(shell docker image inspect iterbench/mariadb >/dev/null 2>&1 && echo yes),)
export ITERBENCH_MARIADB_IMAGE ?= iterbench/mariadb
endif
endif

.PHONY: build run run-postgres run-mariadb layers-sqlite postgres-1m replica galera compare-clusters sweep rss-limit memory-limit load-all-limit kill-at probe-cost compare images test mutate bench plots examples adaptive lint clean

# The worker (cmd/iterbench-worker) is built statically, with the same
# arguments as worker.BuildArgs, so that an image holding only that file can
# run it under --memory-limit; iterbench finds it beside itself.
WORKER_BUILD := -tags netgo,osusergo,sqlite_omit_load_extension -ldflags '-linkmode external -extldflags -static'

build:
	$(GO) build -o $(BIN) ./cmd/iterbench
	$(GO) build $(WORKER_BUILD) -o bin/iterbench-worker ./cmd/iterbench-worker

# The main job: every strategy on SQLite, 50,000 rows, 3 repeats of every
# strategy and up to 6 of those the statistics cannot yet tell apart.
run: build
	$(BIN) run --db sqlite --rows $(ROWS) --repeats $(REPEATS) --out results/sqlite

# The same on PostgreSQL and MariaDB in containers (needs Docker), with
# keyset-bulk and keyset-pipelined also on the driver directly: REPORT.md
# says what GORM costs on each.
run-postgres: build
	$(BIN) run --db postgres --rows $(ROWS) --repeats $(REPEATS) --layers gorm,driver --out results/postgres

run-mariadb: build
	$(BIN) run --db mariadb --rows $(ROWS) --repeats $(REPEATS) --layers gorm,driver --out results/mariadb

# What GORM costs on SQLite: the strategies with a driver form, both ways,
# beside set-based.
layers-sqlite: build
	$(BIN) run --db sqlite --rows $(ROWS) --repeats $(REPEATS) --strategies keyset-bulk,keyset-pipelined,set-based --layers gorm,driver --out results/sqlite-layers

# The best client-side forms against set-based on PostgreSQL at 1,000,000
# rows, 3 runs each (needs Docker; about 15 minutes: every run reseeds).
BIG_ROWS ?= 1000000
postgres-1m: build
	$(BIN) run --db postgres --rows $(BIG_ROWS) --repeats 3 --strategies keyset-bulk,keyset-pipelined,set-based --layers gorm,driver --timeout 10m --out results/postgres-1m

# Beyond one server, at 200,000 rows (needs Docker): a PostgreSQL primary
# with a hot standby, and a three-node MariaDB Galera cluster, each beside
# the same strategies on one server, for how the ranking changes.
CLUSTER_ROWS ?= 200000
CLUSTER_STRATEGIES := cursor-bulk,keyset-bulk,keyset-pipelined,parallel-keyset,set-based,set-based-once
replica: build
	$(BIN) run --db postgres --rows $(CLUSTER_ROWS) --repeats 3 --strategies $(CLUSTER_STRATEGIES) --timeout 10m --out results/postgres-200k
	$(BIN) run --topology replica --rows $(CLUSTER_ROWS) --repeats 3 --strategies $(CLUSTER_STRATEGIES) --timeout 10m --out results/postgres-replica

galera: build
	$(BIN) run --db mariadb --rows $(CLUSTER_ROWS) --repeats 3 --strategies $(CLUSTER_STRATEGIES) --timeout 10m --out results/mariadb-200k
	$(BIN) run --topology galera --rows $(CLUSTER_ROWS) --repeats 3 --strategies $(CLUSTER_STRATEGIES) --timeout 10m --out results/mariadb-galera

# One table across one server and the clusters.
compare-clusters: build
	$(BIN) compare --out results/CLUSTERS.md results/postgres-200k results/postgres-replica results/mariadb-200k results/mariadb-galera

# A sweep up to 1,000,000 rows and a run under a memory limit, as committed.
SWEEP_STRATEGIES := load-all,cursor-bulk,paging-bulk,keyset-bulk,server-cursor,parallel-keyset,set-based
sweep: build
	$(BIN) sweep --db sqlite --rows 10000,50000,200000,1000000 --strategies $(SWEEP_STRATEGIES) --timeout 10m --out results/sweep-sqlite
	$(BIN) sweep --db postgres --rows 10000,50000,200000,1000000 --strategies $(SWEEP_STRATEGIES) --timeout 10m --out results/sweep-postgres

rss-limit: build
	$(BIN) run --db postgres --rows 200000 --repeats 1 --rss-limit 128MiB --out results/postgres-rss-limit

# Every strategy in a container limited to 128 MiB: the kernel's OOM killer
# ends what does not fit (needs Docker).
memory-limit: build
	$(BIN) run --db sqlite --rows 200000 --repeats 1 --memory-limit 128MiB --out results/sqlite-memory-limit
	$(BIN) run --db postgres --rows 200000 --repeats 1 --memory-limit 128MiB --out results/postgres-memory-limit

# The largest table load-all survives under a 128 MiB container limit,
# without and with GOMEMLIMIT (needs Docker).
LOAD_ALL_ROWS := 30000,40000,50000,60000,70000,80000,90000,100000,110000,120000
load-all-limit: build
	$(BIN) sweep --db sqlite --strategies load-all --rows $(LOAD_ALL_ROWS) --memory-limit 128MiB --gomemlimit off --timeout 3m --out results/load-all-128MiB-gomemlimit-off
	$(BIN) sweep --db sqlite --strategies load-all --rows $(LOAD_ALL_ROWS) --memory-limit 128MiB --gomemlimit auto --timeout 3m --out results/load-all-128MiB-gomemlimit-auto

# What each strategy costs the database and the application beside it on
# PostgreSQL, with every strategy also killed at half the rows and started
# again (needs Docker).
KILL_AT_STRATEGIES := cursor,keyset-bulk,server-cursor,set-based,set-based-once
kill-at: build
	$(BIN) run --db postgres --rows 50000 --repeats 3 --strategies $(KILL_AT_STRATEGIES) --kill-at 0.5 --out results/postgres-kill-at

# The probe's own cost: keyset-bulk on PostgreSQL with and without it,
# alternately (needs Docker); kept in results/bench/probe-cost.txt.
probe-cost:
	mkdir -p results/bench
	ITERBENCH_BENCH_ROWS=$(ROWS) $(GO) test -run '^$$' -bench BenchmarkProbeCost -benchtime 8x -timeout 60m ./internal/bench \
		| tee results/bench/probe-cost.txt.tmp
	mv results/bench/probe-cost.txt.tmp results/bench/probe-cost.txt

# One table across the databases' results.
compare: build
	$(BIN) compare --out results/COMPARISON.md results/sqlite results/postgres results/mariadb

# PostgreSQL 15 and MariaDB 10.11 images from Debian packages, for machines
# without a container registry (needs root and debootstrap; skips existing images).
images:
	images/build.sh postgres
	images/build.sh mariadb

# A chart that differs from its golden image is kept beside it as
# internal/plots/testdata/golden/NAME.got.png (ignored by git).
test:
	$(GO) test -race -count=1 -timeout 60m ./...

# Mutation testing: each mutation of mutate/mutations.txt, applied alone to a
# copy of the module, must make the tests it names fail (go doc ./mutate).
# Slow; not in CI. MUTATE_FLAGS: e.g. -run cost- or -check.
mutate:
	$(GO) run ./mutate $(MUTATE_FLAGS)

# go test -bench: each strategy in its own worker process; the output is
# kept (benchstat-readable) in results/bench/strategies.txt.
bench:
	mkdir -p results/bench
	ITERBENCH_BENCH_ROWS=$(ROWS) $(GO) test -run '^$$' -bench BenchmarkStrategies -benchtime 1x -count $(REPEATS) -timeout 60m ./internal/bench \
		| tee results/bench/strategies.txt.tmp
	mv results/bench/strategies.txt.tmp results/bench/strategies.txt

# Redraw the charts and REPORT.md of every results and sweep folder.
# keyset-adaptive (batches aiming at 500 ms) against keyset-bulk at fixed
# batches of 100, 1000 and 10000 rows, on PostgreSQL, 200,000 rows of 200 B
# to 64 KiB (log-uniform), the application probe's rate ×5 for the middle
# third of every run, 3 repeats each, about 50 minutes (needs Docker)
# → results/adaptive-batch-100, -1000, -10000 and results/adaptive.
ADAPTIVE_ROWS ?= 200000
adaptive: build
	@for b in 100 1000 10000; do \
		$(BIN) run --db postgres --rows $(ADAPTIVE_ROWS) --payload 200..65536 --probe-step 5 --repeats 3 --strategies keyset-bulk --batch $$b --out results/adaptive-batch-$$b || exit 1; \
	done
	$(BIN) run --db postgres --rows $(ADAPTIVE_ROWS) --payload 200..65536 --probe-step 5 --repeats 3 --strategies keyset-adaptive --out results/adaptive

# The example modules (examples/*, each a module of its own, importing this
# one): every strategy on their own tables, SQLite, 20,000 rows, 5 passes
# → examples/NAME/results.
examples:
	@for d in examples/*/; do \
		(cd "$$d" && ITERBENCH_EXAMPLE_OUT=results $(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m) || exit 1; \
	done

plots: build
	@for d in results/*/ examples/*/results/; do \
		if [ -f "$$d/summary.json" ] || ls -d "$$d"rows-* >/dev/null 2>&1; then \
			$(BIN) plot "$$d" || exit 1; \
		fi; \
	done

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change: $$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

clean:
	rm -rf bin
