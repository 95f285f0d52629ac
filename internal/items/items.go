// Package items defines iterbench's own table, the CLI's job: its row type,
// the JSON document each row carries, how rows are generated
// deterministically, and the calculation whose result every strategy writes
// back. Job declares it as any user declares theirs (iterbench.Job).
package items

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	gojson "github.com/goccy/go-json"

	"github.com/iterbench/iterbench/internal/job"
)

// JobName is the name of iterbench's own job.
const JobName = "items"

// Job is iterbench's own backfill, declared as a user declares theirs: read
// each row's document, compute its score, write the score back; in SQL
// on each database for the in-database strategies.
var Job = job.Def[Item]{
	Name:  JobName,
	Table: Table,
	Key:   []string{"id"},
	Read:  []string{"id", "data"},
	Write: []string{"score"},
	Compute: func(it *Item) error {
		s, err := Score(it.Data)
		it.Score = s
		return err
	},
	SQL: map[string]string{
		"sqlite": "score = " + scoreSQL(func(path string) string { return "json_extract(data, '$." + path + "')" },
			"json_array_length(data, '$.tags')"),
		"postgres": "score = " + scoreSQL(func(path string) string {
			switch path {
			case "tier":
				return "(data->>'tier')::bigint"
			case "user.age":
				return "(data->'user'->>'age')::bigint"
			}
			return "(data->'metrics'->>'" + path[len("metrics."):] + "')::bigint"
		}, "jsonb_array_length(data->'tags')"),
		"mariadb": "score = " + scoreSQL(func(path string) string { return "CAST(JSON_VALUE(data, '$." + path + "') AS SIGNED)" },
			"JSON_LENGTH(data, '$.tags')"),
	},
}

// scoreSQL returns Doc.Score written in SQL, given how the database reads a
// field of the document at a path and the length of its tags.
func scoreSQL(field func(path string) string, tags string) string {
	return fmt.Sprintf("1 + 3*%s + 7*%s + 2*%s + 5*%s + 11*%s + %s + 100*%s",
		field("metrics.views"), field("metrics.clicks"), field("metrics.likes"), field("metrics.shares"),
		tags, field("user.age"), field("tier"))
}

// Table is the name of the table iterbench creates, fills and updates. It is
// prefixed so that pointing iterbench at an existing server (--dsn) never
// touches a table of the user's own.
const Table = "iterbench_items"

// TouchedColumn is the column the application probe updates: no strategy
// writes it and verification does not read it.
const TouchedColumn = "touched_at"

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
// It decodes with goccy/go-json, a drop-in for encoding/json that took 4 µs
// instead of 15 µs per 1 KiB document (BenchmarkScore): with the standard
// decoder, decoding was half of a client-side strategy's time.
func Score(data string) (int64, error) {
	var d Doc
	if err := gojson.Unmarshal([]byte(data), &d); err != nil {
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

// letters pads the note: 32 characters, so five random bits pick one.
const letters = "abcdefghijklmnopqrstuvwxyz      "

// appendJSON appends d as JSON to b: the same bytes encoding/json
// produces, without its reflection (generating is a large part of seeding).
// It relies on every string of a generated Doc being plain ASCII letters,
// digits, spaces and dashes, which need no escaping; Note must be empty.
func (d Doc) appendJSON(b []byte) []byte {
	b = append(b, `{"user":{"name":"`...)
	b = append(b, d.User.Name...)
	b = append(b, `","country":"`...)
	b = append(b, d.User.Country...)
	b = append(b, `","age":`...)
	b = strconv.AppendInt(b, d.User.Age, 10)
	b = append(b, `},"metrics":{"views":`...)
	b = strconv.AppendInt(b, d.Metrics.Views, 10)
	b = append(b, `,"clicks":`...)
	b = strconv.AppendInt(b, d.Metrics.Clicks, 10)
	b = append(b, `,"likes":`...)
	b = strconv.AppendInt(b, d.Metrics.Likes, 10)
	b = append(b, `,"shares":`...)
	b = strconv.AppendInt(b, d.Metrics.Shares, 10)
	b = append(b, `},"tier":`...)
	b = strconv.AppendInt(b, d.Tier, 10)
	b = append(b, `,"tags":[`...)
	for i, t := range d.Tags {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, t...)
		b = append(b, '"')
	}
	return append(b, `],"note":""}`...)
}

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
	b := d.appendJSON(make([]byte, 0, max(payload, MinPayload)+16))
	if pad := payload - len(b); pad > 0 {
		// The note is the last field, so padding goes just before `"}`.
		b = b[:len(b)-2]
		for pad > 0 {
			for x, n := r.Uint64(), min(pad, 12); n > 0; n-- {
				b = append(b, letters[x&31])
				x >>= 5
				pad--
			}
		}
		b = append(b, '"', '}')
	}
	return Item{ID: id, Data: string(b)}
}

// Size is row id's document size under seed when sizes range from min to
// max bytes: drawn log-uniformly (as many rows of 200 to 2,000 bytes as of
// 2,000 to 20,000), from a stream of its own, so that the same (seed, id,
// min, max) always gives the same size. With max <= min it is min.
func Size(seed uint64, id int64, min, max int) int {
	if max <= min {
		return min
	}
	r := rand.New(rand.NewPCG(seed^0x9e3779b97f4a7c15, uint64(id)))
	lo, hi := math.Log(float64(min)), math.Log(float64(max)+1)
	return int(math.Min(float64(max), math.Exp(lo+r.Float64()*(hi-lo))))
}

// MeanSize is the mean of Size over many rows: (max − min) / ln(max/min),
// or min for a fixed size.
func MeanSize(min, max int) int {
	if max <= min {
		return min
	}
	return int(float64(max-min) / math.Log(float64(max)/float64(min)))
}
