// Package units formats the quantities iterbench reports: row counts, bytes
// in MiB, seconds and milliseconds.
package units

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// Thousands formats n with comma separators: 50000 → "50,000".
func Thousands(n int64) string {
	if n < 0 {
		return "-" + Thousands(-n)
	}
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// MiB formats a byte count in mebibytes with one decimal: "95.3 MiB".
func MiB(bytes float64) string {
	return fmt.Sprintf("%.1f MiB", bytes/(1<<20))
}

// Seconds formats a duration in seconds with three significant digits.
func Seconds(s float64) string {
	switch {
	case s >= 100:
		return fmt.Sprintf("%.0f s", s)
	case s >= 10:
		return fmt.Sprintf("%.1f s", s)
	case s >= 1:
		return fmt.Sprintf("%.2f s", s)
	default:
		return fmt.Sprintf("%.3f s", s)
	}
}

// Millis formats milliseconds with three significant digits at most:
// "633 ms", "13.3 ms", "2.85 ms".
func Millis(ms float64) string {
	switch {
	case ms >= 100:
		return fmt.Sprintf("%.0f ms", ms)
	case ms >= 10:
		return fmt.Sprintf("%.1f ms", ms)
	}
	return fmt.Sprintf("%.2f ms", ms)
}

// ParseCount parses a row count written as people write them: "50000",
// "50_000", "5k", "1.5M", "30M", "2G" (k = 1,000, M = 1,000,000,
// G = 1,000,000,000). The result must be a whole number.
func ParseCount(s string) (int64, error) {
	t := strings.ReplaceAll(strings.TrimSpace(s), "_", "")
	mult := int64(1)
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'k', 'K':
			mult = 1e3
		case 'M':
			mult = 1e6
		case 'G':
			mult = 1e9
		}
		if mult != 1 {
			t = t[:n-1]
		}
	}
	r, ok := new(big.Rat).SetString(t)
	if !ok || t == "" || strings.ContainsAny(t, "/eE") {
		return 0, fmt.Errorf("%q is not a count (such as 50000, 5k, 1.5M, 30M)", s)
	}
	r.Mul(r, new(big.Rat).SetInt64(mult))
	if !r.IsInt() {
		return 0, fmt.Errorf("%q is not a whole number of rows", s)
	}
	if !r.Num().IsInt64() {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return r.Num().Int64(), nil
}

// Size formats a byte count in MiB, or in GiB from 10 GiB on: "61 GiB".
func Size(b float64) string {
	if b >= 10<<30 {
		return fmt.Sprintf("%.0f GiB", b/(1<<30))
	}
	return MiB(b)
}

// Duration formats seconds as Seconds does, in minutes from 2 minutes on
// and in hours from 2 hours on: "43 min", "34.1 h".
func Duration(s float64) string {
	switch {
	case s >= 2*3600:
		return fmt.Sprintf("%.1f h", s/3600)
	case s >= 120:
		return fmt.Sprintf("%.0f min", s/60)
	}
	return Seconds(s)
}

// Bytes formats a byte count in the largest binary unit that keeps it at
// 1 or more: "512 B", "2.4 KiB", "2.0 MiB", "1.5 GiB".
func Bytes(b float64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", b/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", b/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", b/(1<<10))
	}
	return fmt.Sprintf("%.0f B", b)
}
