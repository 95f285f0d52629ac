# iterbench — see README.md.
GO      ?= go
BIN     := bin/iterbench
ROWS    ?= 50000
REPEATS ?= 3
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: build run test bench plots lint clean

build:
	$(GO) build -o $(BIN) ./cmd/iterbench

# The main job: every strategy on SQLite, 50,000 rows, 3 repeats.
run: build
	$(BIN) run --db sqlite --rows $(ROWS) --repeats $(REPEATS) --out results/sqlite

test:
	$(GO) test -count=1 -timeout 60m ./...

# go test -bench: each strategy in its own worker process; the output is
# kept (benchstat-readable) in results/bench/strategies.txt.
bench:
	mkdir -p results/bench
	ITERBENCH_BENCH_ROWS=$(ROWS) $(GO) test -run '^$$' -bench BenchmarkStrategies -benchtime 1x -count $(REPEATS) -timeout 60m ./bench \
		| tee results/bench/strategies.txt.tmp
	mv results/bench/strategies.txt.tmp results/bench/strategies.txt

# Redraw the charts and REPORT.md of every results folder.
plots: build
	@for d in results/*/; do \
		if [ -f "$$d/summary.json" ]; then $(BIN) plot "$$d" || exit 1; fi; \
	done

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change: $$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

clean:
	rm -rf bin
