package worker

import (
	"io"
	"reflect"
	"runtime/debug"
	"testing"
	"time"

	"iterbench/database"
)

func TestJobArgsRoundTrip(t *testing.T) {
	j := Job{Kind: database.Postgres, DSNFile: "/tmp/x/dsn", Strategy: "keyset-bulk", Batch: 250, BulkForm: "unnest",
		Workers: 3, Hold: 200 * time.Millisecond, Touch: 1 << 20, GoMemLimit: "1000000", Resume: true}
	got, err := parseJob(j.Args(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, j) {
		t.Errorf("got %+v\nwant %+v", got, j)
	}
	for _, a := range j.Args() {
		if a == "secret-dsn" {
			t.Error("the DSN is on the command line")
		}
	}
}

func TestSetGoMemLimit(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	if n, err := setGoMemLimit("123456789"); err != nil || n != 123456789 {
		t.Errorf("size: %d, %v", n, err)
	}
	if _, err := setGoMemLimit("lots"); err == nil {
		t.Error("no error for a bad setting")
	}
}
