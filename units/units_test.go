package units

import "testing"

func TestFormat(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{Thousands(0), "0"}, {Thousands(999), "999"}, {Thousands(1000), "1,000"}, {Thousands(-1234567), "-1,234,567"},
		{MiB(1.5 * (1 << 20)), "1.5 MiB"},
		{Seconds(0.01234), "0.012 s"}, {Seconds(1.234), "1.23 s"}, {Seconds(12.34), "12.3 s"}, {Seconds(123.4), "123 s"},
		{Millis(2.854), "2.85 ms"}, {Millis(13.31), "13.3 ms"}, {Millis(633.4), "633 ms"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
