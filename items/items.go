// Package items defines the table every strategy iterates over: its row type,
// the JSON document each row carries, how rows are generated deterministically,
// and the calculation whose result every strategy writes back.
package items

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
)

// Table is the name of the table iterbench creates, fills and updates. It is
// prefixed so that pointing iterbench at an existing server (--dsn) never
// touches a table of the user's own.
const Table = "iterbench_items"

// Item is one row of Table.
type Item struct {
	// ID is the primary key, 1..N.
	ID int64 `gorm:"column:id;primaryKey;autoIncrement:false"`
	// Data is a JSON document (see Doc) of roughly the configured payload size.
	Data string `gorm:"column:data;not null"`
	// Score is the column a backfill recomputes from Data; it starts out stale (0).
	Score int64 `gorm:"column:score;not null"`
}

// TableName tells GORM which table Item lives in.
func (Item) TableName() string { return Table }

// Doc is the JSON document stored in Item.Data.
type Doc struct {
	User    User     `json:"user"`
	Metrics Metrics  `json:"metrics"`
	Tier    int64    `json:"tier"`
	Tags    []string `json:"tags"`
	// Note pads the document to the configured payload size.
	Note string `json:"note"`
}

// User is the nested user object of a Doc.
type User struct {
	Name    string `json:"name"`
	Country string `json:"country"`
	Age     int64  `json:"age"`
}

// Metrics is the nested counters object of a Doc.
type Metrics struct {
	Views  int64 `json:"views"`
	Clicks int64 `json:"clicks"`
	Likes  int64 `json:"likes"`
	Shares int64 `json:"shares"`
}

// Score is the calculation a backfill performs: it combines several fields
// of the document. It is always at least 1, so a row whose stale score (0)
// was never rewritten is always detected by verification.
func (d Doc) Score() int64 {
	m := d.Metrics
	return 1 + 3*m.Views + 7*m.Clicks + 2*m.Likes + 5*m.Shares +
		11*int64(len(d.Tags)) + d.User.Age + 100*d.Tier
}

// Score decodes a row's JSON document and returns its calculated score.
func Score(data string) (int64, error) {
	var d Doc
	if err := json.Unmarshal([]byte(data), &d); err != nil {
		return 0, fmt.Errorf("decode document: %w", err)
	}
	return d.Score(), nil
}

// DefaultPayload is the default size in bytes of a row's JSON document.
const DefaultPayload = 1024

// MinPayload is the size of a document without padding; smaller payloads are
// rounded up to it.
const MinPayload = 256

var (
	countries = []string{"DE", "FR", "NL", "SE", "PL", "US", "BR", "JP", "IN", "KE"}
	tagWords  = []string{"alpha", "beta", "gamma", "delta", "sale", "new", "archived", "vip", "trial", "mobile", "web", "api"}
)

const letters = "abcdefghijklmnopqrstuvwxyz     "

// Generate returns row id of a table generated from seed with documents of
// about payload bytes. The same (seed, id, payload) always yields the same
// bytes, whatever order rows are generated in.
func Generate(seed uint64, id int64, payload int) Item {
	r := rand.New(rand.NewPCG(seed, uint64(id)))
	d := Doc{
		User: User{
			Name:    fmt.Sprintf("user-%d-%04x", id, r.Uint32()&0xffff),
			Country: countries[r.IntN(len(countries))],
			Age:     18 + r.Int64N(70),
		},
		Metrics: Metrics{
			Views:  r.Int64N(100000),
			Clicks: r.Int64N(10000),
			Likes:  r.Int64N(5000),
			Shares: r.Int64N(1000),
		},
		Tier: r.Int64N(4),
	}
	for n := r.IntN(6); n > 0; n-- {
		d.Tags = append(d.Tags, tagWords[r.IntN(len(tagWords))])
	}
	if d.Tags == nil {
		d.Tags = []string{}
	}
	b, err := json.Marshal(d)
	if err != nil {
		panic(err) // a Doc of strings and integers always marshals
	}
	if pad := payload - len(b); pad > 0 {
		var sb strings.Builder
		sb.Grow(pad)
		for range pad {
			sb.WriteByte(letters[r.IntN(len(letters))])
		}
		d.Note = sb.String()
		b, _ = json.Marshal(d)
	}
	return Item{ID: id, Data: string(b)}
}
