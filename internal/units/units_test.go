package units

import (
	"strings"
	"testing"
)

func TestFormat(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{Thousands(0), "0"}, {Thousands(999), "999"}, {Thousands(1000), "1,000"}, {Thousands(-1234567), "-1,234,567"},
		{MiB(1.5 * (1 << 20)), "1.5 MiB"},
		{Seconds(0.01234), "0.012 s"}, {Seconds(1.234), "1.23 s"}, {Seconds(12.34), "12.3 s"}, {Seconds(123.4), "123 s"},
		{Millis(2.854), "2.85 ms"}, {Millis(13.31), "13.3 ms"}, {Millis(633.4), "633 ms"},
		{Size(61 << 30), "61 GiB"}, {Size(1.5 * (1 << 20)), "1.5 MiB"},
		{Duration(12.34), "12.3 s"}, {Duration(2580), "43 min"}, {Duration(34.1 * 3600), "34.1 h"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestParseCount(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		err  string
	}{
		{in: "50000", want: 50000},
		{in: "50_000", want: 50000},
		{in: " 5k ", want: 5000},
		{in: "5K", want: 5000},
		{in: "1.5M", want: 1_500_000},
		{in: "1.005k", want: 1005},
		{in: "30M", want: 30_000_000},
		{in: "2G", want: 2_000_000_000},
		{in: "0", want: 0},
		{in: "-5", want: -5},
		{in: "1.5", err: "not a whole number"},
		{in: "1.0005k", err: "not a whole number"},
		{in: "5m", err: "not a count"},
		{in: "k", err: "not a count"},
		{in: "", err: "not a count"},
		{in: "1/2k", err: "not a count"},
		{in: "1e3", err: "not a count"},
		{in: "many", err: "not a count"},
		{in: "99999999999G", err: "too large"},
	} {
		got, err := ParseCount(c.in)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("ParseCount(%q) = %d, %v; want an error saying %q", c.in, got, err, c.err)
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("ParseCount(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
}

func TestBytes(t *testing.T) {
	for b, want := range map[float64]string{512: "512 B", 2458: "2.4 KiB", 2 << 20: "2.0 MiB", 1.5 * (1 << 30): "1.5 GiB"} {
		if got := Bytes(b); got != want {
			t.Errorf("Bytes(%v) = %q, want %q", b, got, want)
		}
	}
}
