package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/iterbench/iterbench/internal/cluster"
	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/items"
	"github.com/iterbench/iterbench/internal/seed"
	"github.com/iterbench/iterbench/internal/units"
)

// newSeedFlags returns seed's flag set, with where its values go: the
// database's flags, --rows, --payload and --seed. The docs are checked
// against it (doc_test.go).
func newSeedFlags() (fs *flag.FlagSet, f *dbFlags, rows, payload *int, dataSeed *uint64) {
	fs = flag.NewFlagSet("seed", flag.ContinueOnError)
	f = new(dbFlags)
	f.register(fs)
	rows = rowsFlag(fs, seed.DefaultRows, "`count` of rows in the table: 50000, 5k, 1.5M")
	payload = fs.Int("payload", items.DefaultPayload, "size in bytes of each row's JSON document")
	dataSeed = fs.Uint64("seed", seed.DefaultSeed, "seed of the generated rows")
	return fs, f, rows, payload, dataSeed
}

// seedKind checks seed's parsed flags and returns the kind of database to
// fill. It changes nothing.
func seedKind(fs *flag.FlagSet, f *dbFlags, rows, payload int) (database.Kind, error) {
	if err := positive(map[string]int{"rows": rows, "payload": payload}); err != nil {
		return "", err
	}
	kind, err := f.kind(fs)
	if err != nil {
		return "", err
	}
	if kind == database.SQLite && f.dsn == "" {
		return "", usagef("seed --db sqlite needs --dsn, the database file to fill")
	}
	return kind, nil
}

func seedCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, f, rows, payload, dataSeed := newSeedFlags()
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	kind, err := seedKind(fs, f, *rows, *payload)
	if err != nil {
		return err
	}
	if err := checkSpace(kind, f.dsn, *rows, *payload); err != nil {
		return err
	}
	db, t, err := f.open(ctx, kind, cluster.Single, stderr)
	if err != nil {
		return err
	}
	defer t.cleanup()
	defer database.Close(db)
	p := newProgress(stderr)
	p.Start("seed", int64(*rows))
	st, err := seed.Seed(ctx, db, seed.Config{Rows: *rows, Payload: *payload, Seed: *dataSeed, Progress: p.Set})
	p.Finish()
	if err != nil {
		return inputError(err)
	}
	fmt.Fprintf(stdout, "seeded %s rows into %s (%s) in %s\n", units.Thousands(st.Rows), items.Table, database.Redact(t.dsn), units.Seconds(st.Duration.Seconds()))
	return nil
}
