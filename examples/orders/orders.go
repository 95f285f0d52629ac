package orders

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench"
)

// Order is one order of one tenant. Its key is (TenantID, ID): every
// tenant numbers its orders from 1, so ids repeat across tenants. Both key
// columns are declared NOT NULL: SQLite lets the columns of a composite
// PRIMARY KEY hold NULL otherwise, and iterbench refuses a nullable key.
type Order struct {
	// TenantID is the tenant the order belongs to.
	TenantID int64 `gorm:"primaryKey;autoIncrement:false;not null"`
	// ID numbers the order within its tenant.
	ID int64 `gorm:"primaryKey;autoIncrement:false;not null"`
	// Lines is the order's lines, a JSON array of Line.
	Lines string `gorm:"not null"`
	// TotalCents is the sum of the lines' quantity times unit price:
	// computed by the backfill.
	TotalCents int64 `gorm:"not null;default:0"`
	// LineCount is the number of lines: computed by the backfill.
	LineCount int64 `gorm:"not null;default:0"`
}

// Line is one line of an order, an element of Order.Lines.
type Line struct {
	// SKU names the article.
	SKU string `json:"sku"`
	// Qty is the number of articles, at least 1.
	Qty int64 `json:"qty"`
	// PriceCents is the unit price in cents, at least 1.
	PriceCents int64 `json:"price_cents"`
}

// ComputeTotals sets o's TotalCents and LineCount from its Lines. Every
// seeded order has at least one line of a positive amount, so both columns
// end up different from their default, 0, and a row a strategy skipped
// cannot pass the verification.
func ComputeTotals(o *Order) error {
	var lines []Line
	if err := json.Unmarshal([]byte(o.Lines), &lines); err != nil {
		return fmt.Errorf("order (%d, %d): lines: %w", o.TenantID, o.ID, err)
	}
	o.TotalCents, o.LineCount = 0, int64(len(lines))
	for _, l := range lines {
		o.TotalCents += l.Qty * l.PriceCents
	}
	return nil
}

// Backfill is the job: for every order, read its key and lines, compute
// its totals and write total_cents and line_count back. Its key defaults to
// Order's primary key, (tenant_id, id). SQL gives the same calculation per
// database, for the in-database strategies.
var Backfill = iterbench.Job[Order]{
	Name:    "orders",
	Read:    []string{"tenant_id", "id", "lines"},
	Write:   []string{"total_cents", "line_count"},
	Compute: ComputeTotals,
	SQL: map[string]string{
		"sqlite": "total_cents = (SELECT COALESCE(SUM(json_extract(value, '$.qty') * json_extract(value, '$.price_cents')), 0) FROM json_each(lines)), " +
			"line_count = json_array_length(lines)",
		"postgres": "total_cents = (SELECT COALESCE(SUM((l->>'qty')::bigint * (l->>'price_cents')::bigint), 0) FROM jsonb_array_elements(lines::jsonb) AS l), " +
			"line_count = jsonb_array_length(lines::jsonb)",
		// lines is a keyword on MariaDB: quoted with backticks.
		"mariadb": "total_cents = (SELECT COALESCE(SUM(jt.qty * jt.price_cents), 0) FROM JSON_TABLE(`lines`, '$[*]' COLUMNS (qty BIGINT PATH '$.qty', price_cents BIGINT PATH '$.price_cents')) AS jt), " +
			"line_count = JSON_LENGTH(`lines`)",
	},
}

// Tenants is the number of tenants Seed spreads the orders over.
const Tenants = 50

// seedBatch is the number of orders Seed inserts per statement.
const seedBatch = 500

// Seed inserts rows orders into db's orders table, the same ones on every
// call: each order goes to one of Tenants tenants at random (so the
// tenants' orders are interleaved in insertion order, as they arrive in
// production), numbered from 1 within its tenant, with 1 to 40 lines (most
// orders have a few, some many). Its signature is iterbench.Options.Seed's.
func Seed(ctx context.Context, db *gorm.DB, rows int) error {
	r := rand.New(rand.NewPCG(2024, 7))
	next := make([]int64, Tenants+1) // the last id of each tenant
	batch := make([]Order, 0, seedBatch)
	for i := range rows {
		tenant := 1 + r.Int64N(Tenants)
		next[tenant]++
		lines := make([]Line, lineCount(r))
		for l := range lines {
			lines[l] = Line{
				SKU:        fmt.Sprintf("SKU-%05d", r.IntN(100_000)),
				Qty:        1 + r.Int64N(9),
				PriceCents: 1 + r.Int64N(50_000),
			}
		}
		text, err := json.Marshal(lines)
		if err != nil {
			return err
		}
		batch = append(batch, Order{TenantID: tenant, ID: next[tenant], Lines: string(text)})
		if len(batch) == cap(batch) || i == rows-1 {
			if err := db.WithContext(ctx).Create(&batch).Error; err != nil {
				return fmt.Errorf("insert orders: %w", err)
			}
			batch = batch[:0]
		}
	}
	return nil
}

// lineCount draws an order's number of lines, 1 to 40: three orders in
// four have 1 to 5, the others up to 40.
func lineCount(r *rand.Rand) int {
	if r.IntN(4) > 0 {
		return 1 + r.IntN(5)
	}
	return 1 + r.IntN(40)
}
