package strategies_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/container/containertest"
	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/job"
	"github.com/iterbench/iterbench/internal/strategies"
)

// order is a row of a table whose key is (tenant_id, id): ids repeat
// across tenants, so neither column alone is a key.
type order struct {
	TenantID int64  `gorm:"primaryKey;autoIncrement:false"`
	ID       int64  `gorm:"primaryKey;autoIncrement:false"`
	Lines    string `gorm:"not null"`
	Total    int64  `gorm:"not null;default:0"`
	Items    int64  `gorm:"not null;default:0"`
}

func (order) TableName() string { return "orders" }

type line struct {
	Qty   int64 `json:"qty"`
	Price int64 `json:"price"`
}

// orderTotals sets two columns from a JSON array.
func orderTotals(o *order) error {
	var ls []line
	if err := json.Unmarshal([]byte(o.Lines), &ls); err != nil {
		return err
	}
	o.Total, o.Items = 1, int64(len(ls))
	for _, l := range ls {
		o.Total += l.Qty * l.Price
	}
	return nil
}

var ordersJob = job.Def[order]{
	Name:    "orders",
	Read:    []string{"tenant_id", "id", "lines"},
	Write:   []string{"total", "items"},
	Compute: orderTotals,
	SQL: map[string]string{
		"sqlite": "total = 1 + (SELECT COALESCE(SUM(json_extract(value, '$.qty') * json_extract(value, '$.price')), 0) FROM json_each(lines)), " +
			"items = json_array_length(lines)",
		"postgres": "total = 1 + (SELECT COALESCE(SUM((e->>'qty')::bigint * (e->>'price')::bigint), 0) FROM jsonb_array_elements(lines::jsonb) AS e), " +
			"items = jsonb_array_length(lines::jsonb)",
		"mariadb": "total = 1 + (SELECT COALESCE(SUM(q * p), 0) FROM JSON_TABLE(`lines`, '$[*]' COLUMNS (q BIGINT PATH '$.qty', p BIGINT PATH '$.price')) AS jt), " +
			"items = JSON_LENGTH(`lines`)",
	},
}

// writeCounter is, per database, a table counting the UPDATEs of each row
// of orders and the trigger that counts them.
var writeCounter = map[database.Kind][]string{
	database.SQLite: {
		"CREATE TABLE order_writes (tenant_id INTEGER NOT NULL, id INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (tenant_id, id))",
		"CREATE TRIGGER count_writes AFTER UPDATE ON orders BEGIN INSERT INTO order_writes VALUES (NEW.tenant_id, NEW.id, 1) ON CONFLICT (tenant_id, id) DO UPDATE SET n = n + 1; END",
	},
	database.Postgres: {
		"CREATE TABLE order_writes (tenant_id bigint NOT NULL, id bigint NOT NULL, n bigint NOT NULL, PRIMARY KEY (tenant_id, id))",
		"CREATE FUNCTION count_writes() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO order_writes VALUES (NEW.tenant_id, NEW.id, 1) ON CONFLICT (tenant_id, id) DO UPDATE SET n = order_writes.n + 1; RETURN NEW; END $$",
		"CREATE TRIGGER count_writes AFTER UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION count_writes()",
	},
	database.MariaDB: {
		"CREATE TABLE order_writes (tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, n BIGINT NOT NULL, PRIMARY KEY (tenant_id, id))",
		"CREATE TRIGGER count_writes AFTER UPDATE ON orders FOR EACH ROW INSERT INTO order_writes VALUES (NEW.tenant_id, NEW.id, 1) ON DUPLICATE KEY UPDATE n = n + 1",
	},
}

// TestCompositeKey runs every strategy on a table keyed by (tenant_id, id),
// with many rows per tenant across batch boundaries and ids repeating
// across tenants, and checks that each wrote every row exactly once, with
// the right values, on the three databases.
func TestCompositeKey(t *testing.T) {
	open := map[database.Kind]func(t *testing.T) *gorm.DB{
		database.SQLite: func(t *testing.T) *gorm.DB {
			db, err := database.Open(context.Background(), database.SQLite, filepath.Join(t.TempDir(), "orders.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { database.Close(db) })
			return db
		},
	}
	for _, k := range []database.Kind{database.Postgres, database.MariaDB} {
		open[k] = func(t *testing.T) *gorm.DB { db, _ := containertest.Open(t, k); return db }
	}
	j, err := job.Of(ordersJob)
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range database.Kinds() {
		t.Run("db="+string(kind), func(t *testing.T) {
			db := open[kind](t)
			ctx := context.Background()
			if err := db.AutoMigrate(&order{}); err != nil {
				t.Fatal(err)
			}
			for _, q := range writeCounter[kind] {
				if err := db.Exec(q).Error; err != nil {
					t.Fatal(err)
				}
			}
			// 4 tenants of 23 orders, ids 1..23 in each: batches of 7 end
			// inside a tenant and span two.
			var rows []order
			for tenant := int64(1); tenant <= 4; tenant++ {
				for id := int64(1); id <= 23; id++ {
					ls := make([]line, (tenant+id)%5)
					for i := range ls {
						ls[i] = line{Qty: tenant + int64(i), Price: 100*id + int64(i)}
					}
					b, _ := json.Marshal(ls)
					rows = append(rows, order{TenantID: tenant, ID: id, Lines: string(b)})
				}
			}
			if err := db.Create(&rows).Error; err != nil {
				t.Fatal(err)
			}
			for _, s := range strategies.Registry() {
				if !strategies.Supported(s, kind, j) {
					continue
				}
				forms := []strategies.BulkForm{""}
				if s.Name() == "keyset-bulk" || s.Name() == "keyset-bulk"+strategies.DriverSuffix {
					forms = strategies.BulkForms(kind)
				}
				for _, form := range forms {
					t.Run(fmt.Sprintf("strategy=%s/form=%s", s.Name(), form), func(t *testing.T) {
						for _, q := range []string{"UPDATE orders SET total = 0, items = 0", "DELETE FROM order_writes"} {
							if err := db.Exec(q).Error; err != nil {
								t.Fatal(err)
							}
						}
						st, err := s.Run(ctx, db, strategies.Config{Job: j, BatchSize: 7, Workers: 3, BulkForm: form})
						if err != nil {
							t.Fatal(err)
						}
						if st.Rows != int64(len(rows)) {
							t.Errorf("reported %d rows, want %d", st.Rows, len(rows))
						}
						checkOrders(t, db, len(rows))
					})
				}
			}
		})
	}
}

// checkOrders checks every order's computed columns and that each was
// updated exactly once.
func checkOrders(t *testing.T, db *gorm.DB, n int) {
	t.Helper()
	var got []order
	if err := db.Order("tenant_id, id").Find(&got).Error; err != nil {
		t.Fatal(err)
	}
	wrong := 0
	for _, o := range got {
		want := o
		if err := orderTotals(&want); err != nil {
			t.Fatal(err)
		}
		if o.Total != want.Total || o.Items != want.Items {
			if wrong++; wrong <= 3 {
				t.Errorf("order (%d, %d): total %d, items %d; want %d, %d", o.TenantID, o.ID, o.Total, o.Items, want.Total, want.Items)
			}
		}
	}
	var writes []struct{ TenantID, ID, N int64 }
	if err := db.Raw("SELECT tenant_id, id, n FROM order_writes ORDER BY tenant_id, id").Scan(&writes).Error; err != nil {
		t.Fatal(err)
	}
	if len(writes) != n || len(got) != n {
		t.Errorf("%d of %d orders written (%d rows in the table)", len(writes), n, len(got))
	}
	for _, w := range writes {
		if w.N != 1 {
			t.Errorf("order (%d, %d) written %d times", w.TenantID, w.ID, w.N)
		}
	}
}
