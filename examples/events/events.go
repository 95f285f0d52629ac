package events

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench"
)

// Event is one event: a UUID key, a JSON payload of any size, and the
// payload's digest, computed by the backfill.
type Event struct {
	// ID is a UUID in its 36-character text form
	// (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx): varchar(36) so that MariaDB
	// can index it, NOT NULL because SQLite would otherwise let this
	// PRIMARY KEY hold NULL.
	ID string `gorm:"primaryKey;type:varchar(36);not null"`
	// Payload is a JSON document, from a few bytes to several KiB.
	Payload string `gorm:"not null"`
	// Digest is the lowercase hexadecimal SHA-256 of Payload: computed by
	// the backfill, empty before it.
	Digest string `gorm:"type:varchar(64);not null;default:''"`
}

// ComputeDigest sets e's Digest to the SHA-256 of its Payload, in
// lowercase hexadecimal, as PostgreSQL's encode(sha256(…), 'hex') and
// MariaDB's SHA2(…, 256) write it.
func ComputeDigest(e *Event) error {
	sum := sha256.Sum256([]byte(e.Payload))
	e.Digest = hex.EncodeToString(sum[:])
	return nil
}

// Backfill is the job: for every event, read its key and payload, compute
// its digest and write digest back. Its key defaults to Event's primary
// key, id. SQL gives the calculation for PostgreSQL and MariaDB only
// (SQLite has no SHA-256 function), so the in-database strategies run
// there and not on SQLite.
var Backfill = iterbench.Job[Event]{
	Name:    "events",
	Read:    []string{"id", "payload"},
	Write:   []string{"digest"},
	Compute: ComputeDigest,
	SQL: map[string]string{
		"postgres": "digest = encode(sha256(convert_to(payload, 'UTF8')), 'hex')",
		"mariadb":  "digest = SHA2(payload, 256)",
	},
}

// seedBatch is the number of events Seed inserts per statement.
const seedBatch = 250

// eventTypes are the types an event's payload names.
var eventTypes = []string{"page_view", "click", "signup", "purchase", "search", "error"}

// Seed inserts rows events into db's events table, the same ones on every
// call: random UUIDs drawn from a source with a fixed seed, and payloads
// whose sizes spread evenly on a logarithmic scale from 2 bytes ({}) to
// about 8 KiB, so that small rows are many and large ones hold most of
// the bytes. Its signature is iterbench.Options.Seed's.
func Seed(ctx context.Context, db *gorm.DB, rows int) error {
	r := rand.New(rand.NewPCG(2024, 11))
	batch := make([]Event, 0, seedBatch)
	for i := range rows {
		batch = append(batch, Event{ID: NewUUID(r), Payload: payload(r, i)})
		if len(batch) == cap(batch) || i == rows-1 {
			if err := db.WithContext(ctx).Create(&batch).Error; err != nil {
				return fmt.Errorf("insert events: %w", err)
			}
			batch = batch[:0]
		}
	}
	return nil
}

// NewUUID returns a version 4 (random) UUID drawn from r, in its text form
// xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx (lowercase hexadecimal, y one of
// 8, 9, a, b): the same sequence of UUIDs for the same source.
func NewUUID(r *rand.Rand) string {
	var b [16]byte
	hi, lo := r.Uint64(), r.Uint64()
	for i := range 8 {
		b[i], b[8+i] = byte(hi>>(56-8*i)), byte(lo>>(56-8*i))
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 9562 variant
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// payload draws the i-th event's JSON document. One in twenty is empty,
// {}; the others name a type, a sequence number and a user, and carry a
// body of text whose length is spread evenly on a logarithmic scale up to
// 8,000 bytes.
func payload(r *rand.Rand, i int) string {
	if r.IntN(20) == 0 {
		return "{}"
	}
	n := int(math.Exp(r.Float64() * math.Log(8000)))
	var body strings.Builder
	for body.Len() < n {
		if body.Len() > 0 {
			body.WriteByte(' ')
		}
		body.WriteString(word(r))
	}
	doc := struct {
		Type string `json:"type"`
		Seq  int    `json:"seq"`
		User int    `json:"user"`
		Body string `json:"body"`
	}{eventTypes[r.IntN(len(eventTypes))], i, r.IntN(10_000), body.String()[:n]}
	text, err := json.Marshal(doc)
	if err != nil {
		panic(err) // a struct of strings and ints always marshals
	}
	return string(text)
}

// word draws a lowercase word of 2 to 10 letters.
func word(r *rand.Rand) string {
	b := make([]byte, 2+r.IntN(9))
	for i := range b {
		b[i] = byte('a' + r.IntN(26))
	}
	return string(b)
}
