package events_test

import (
	"math/rand/v2"
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/iterbench/iterbench"
	"github.com/iterbench/iterbench/examples/events"
)

// TestMain runs the tests, and is also how the test binary runs as
// iterbench's worker, started again by BenchmarkBackfill for every pass.
func TestMain(m *testing.M) { iterbench.Main(m) }

// BenchmarkBackfill compares the strategies on a fresh table of events:
// 20,000 by default (ITERBENCH_EXAMPLE_ROWS), 5 passes of each
// strategy (ITERBENCH_EXAMPLE_REPEATS), on SQLite unless
// ITERBENCH_EXAMPLE_DSN names a database, its results written into
// ITERBENCH_EXAMPLE_OUT if set.
func BenchmarkBackfill(b *testing.B) {
	opts := iterbench.Options{
		Rows: 20_000,
		Seed: events.Seed,
		DSN:  os.Getenv("ITERBENCH_EXAMPLE_DSN"),
		Out:  os.Getenv("ITERBENCH_EXAMPLE_OUT"),
	}
	if s := os.Getenv("ITERBENCH_EXAMPLE_ROWS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			b.Fatalf("ITERBENCH_EXAMPLE_ROWS=%q: want a positive number of rows", s)
		}
		opts.Rows = n
	}
	if s := os.Getenv("ITERBENCH_EXAMPLE_REPEATS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			b.Fatalf("ITERBENCH_EXAMPLE_REPEATS=%q: want a positive number of passes", s)
		}
		opts.Repeats = n
	}
	iterbench.Bench(b, events.Backfill, opts)
}

// TestComputeEvent checks the calculation on a hand-written event, against
// digests computed elsewhere (sha256sum).
func TestComputeEvent(t *testing.T) {
	for _, c := range []struct{ payload, digest string }{
		{"{}", "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},
		{`{"type":"click","seq":1}`, "3c9d9a8c1fb5ad98fca15cafc471469f43001e7dbbc8b79b675c71fc7abfb142"},
	} {
		e := events.Event{ID: "0190a6f2-7c1e-4d3b-9a55-2f6c1e0b8d42", Payload: c.payload, Digest: "stale"}
		if err := events.ComputeDigest(&e); err != nil {
			t.Fatal(err)
		}
		if e.Digest != c.digest {
			t.Errorf("digest of %s: %s, want %s", c.payload, e.Digest, c.digest)
		}
		if e.ID != "0190a6f2-7c1e-4d3b-9a55-2f6c1e0b8d42" || e.Payload != c.payload {
			t.Errorf("the key or the payload changed: %+v", e)
		}
	}
}

// TestSeedUUIDs checks that NewUUID draws version 4 UUIDs in their text
// form, different from each other and the same for the same seed.
func TestSeedUUIDs(t *testing.T) {
	form := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a, b := rand.New(rand.NewPCG(1, 2)), rand.New(rand.NewPCG(1, 2))
	seen := map[string]bool{}
	for range 1000 {
		u := events.NewUUID(a)
		if !form.MatchString(u) {
			t.Fatalf("NewUUID returned %q", u)
		}
		if seen[u] {
			t.Fatalf("NewUUID returned %s twice", u)
		}
		seen[u] = true
		if v := events.NewUUID(b); v != u {
			t.Fatalf("the same seed drew %s, then %s", u, v)
		}
	}
}
