package strategies

import (
	"database/sql/driver"
	"encoding/hex"
	"testing"
	"time"
)

type (
	namedBool bool
	enum      int
	hexTag    [2]byte
)

func (e enum) String() string { return "enum" }

func (t hexTag) Value() (driver.Value, error) { return hex.EncodeToString(t[:]), nil }

func (t hexTag) String() string { return "tag" }

// TestArrayText checks the text form of unnest's array parameters: every
// element type a model may write, escaped, and NULL for nil pointers, even
// to types whose Valuer has a value receiver.
func TestArrayText(t *testing.T) {
	var nilTag *hexTag
	s := "a"
	got, err := pgArray{
		int64(-3), "q\"b\\s", []byte{0, '\\', 'x'}, namedBool(true), enum(2), hexTag{0xab, 1}, nilTag, &s, (*string)(nil),
		time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC), uint8(7), nil,
	}.Value()
	if err != nil {
		t.Fatal(err)
	}
	want := `{-3,"q\"b\\s","\\x005c78",true,2,"ab01",NULL,"a",NULL,"2026-01-02T03:04:05.000006Z",7,NULL}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestDollars(t *testing.T) {
	for in, want := range map[string]string{
		`SELECT a FROM t WHERE (a, b) > (?, ?) LIMIT 5`:            `SELECT a FROM t WHERE (a, b) > ($1, $2) LIMIT 5`,
		`UPDATE "we?rd" SET x = '?' WHERE "k" = ? AND y = 'it''s'`: `UPDATE "we?rd" SET x = '?' WHERE "k" = $1 AND y = 'it''s'`,
		`no placeholder`: `no placeholder`,
	} {
		if got := dollars(in); got != want {
			t.Errorf("dollars(%s) = %s, want %s", in, got, want)
		}
	}
}
