package suggest

import "testing"

func TestClosest(t *testing.T) {
	flags := []string{"strategies", "rows", "repeats", "db", "dsn", "memory-limit", "rss-limit"}
	strategies := []string{"load-all", "cursor", "cursor-bulk", "keyset", "keyset-bulk", "set-based"}
	for _, c := range []struct {
		name  string
		known []string
		want  string
	}{
		{"strategy", flags, "strategies"},
		{"row", flags, "rows"},
		{"repeat", flags, "repeats"},
		{"memory-limt", flags, "memory-limit"},
		{"dbs", flags, "db"},
		{"frobs", flags, ""},
		{"x", flags, ""},
		{"keyset-blk", strategies, "keyset-bulk"},
		{"Keyset", strategies, "keyset"},
		{"setbased", strategies, "set-based"},
		{"warp-drive", strategies, ""},
	} {
		if got := Closest(c.name, c.known); got != c.want {
			t.Errorf("Closest(%q) = %q, want %q", c.name, got, c.want)
		}
	}
	if got := DidYouMean("strategy", flags, "--"); got != " (did you mean --strategies?)" {
		t.Errorf("DidYouMean = %q", got)
	}
	if got := DidYouMean("frobs", flags, "--"); got != "" {
		t.Errorf("DidYouMean(frobs) = %q, want nothing", got)
	}
}
