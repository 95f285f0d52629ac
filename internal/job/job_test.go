package job_test

import (
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/iterbench/iterbench/internal/job"
)

type thing struct {
	Tenant int64  `gorm:"primaryKey;autoIncrement:false"`
	ID     int64  `gorm:"primaryKey;autoIncrement:false"`
	Body   string `gorm:"not null"`
	Size   int64
}

func size(t *thing) error { t.Size = int64(len(t.Body)); return nil }

// TestOfDefaults checks the defaults Of fills from the model: the table
// name, the primary key (composite), every column as Read, the key added
// to an explicit Read.
func TestOfDefaults(t *testing.T) {
	j, err := job.Of(job.Def[thing]{Name: "things", Write: []string{"size"}, Compute: size})
	if err != nil {
		t.Fatal(err)
	}
	if j.Table != "things" || strings.Join(j.Key, ",") != "tenant,id" || strings.Join(j.Read, ",") != "tenant,id,body,size" {
		t.Errorf("defaults: table %q, key %v, read %v", j.Table, j.Key, j.Read)
	}
	j, err = job.Of(job.Def[thing]{Name: "things", Table: "other", Read: []string{"body"}, Write: []string{"size"}, Compute: size})
	if err != nil {
		t.Fatal(err)
	}
	if j.Table != "other" || strings.Join(j.Read, ",") != "id,tenant,body" && strings.Join(j.Read, ",") != "tenant,id,body" {
		t.Errorf("explicit: table %q, read %v (the key must be read)", j.Table, j.Read)
	}
	if c := j.WithTable("copy"); c.Name != "copy" || c.Table != "copy" || j.Name != "things" {
		t.Errorf("WithTable: %s on %s; the source job became %s", c.Name, c.Table, j.Name)
	}
}

// TestOfRefuses checks that a job naming what its model lacks is refused
// with the column named.
func TestOfRefuses(t *testing.T) {
	for _, c := range []struct {
		def  job.Def[thing]
		want string
	}{
		{job.Def[thing]{Write: []string{"size"}, Compute: size}, "Name is empty"},
		{job.Def[thing]{Name: "x", Write: []string{"size"}}, "Compute is nil"},
		{job.Def[thing]{Name: "x", Compute: size}, "Write names no column"},
		{job.Def[thing]{Name: "x", Write: []string{"nope"}, Compute: size}, `has no column "nope"`},
		{job.Def[thing]{Name: "x", Key: []string{"id", "size"}, Write: []string{"size"}, Compute: size}, "column size is in both Key and Write"},
		{job.Def[thing]{Name: "x", Write: []string{"size"}, Compute: size, SQL: map[string]string{"oracle": "size = 1"}}, "oracle"},
	} {
		if _, err := job.Of(c.def); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.def, err, c.want)
		}
	}
}

// TestScannable: the driver layer scans plain fields, and those of an
// embedded struct, itself; a serialized column needs GORM.
func TestScannable(t *testing.T) {
	j, err := job.Of(job.Def[thing]{Name: "things", Write: []string{"size"}, Compute: size})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Rows.Scannable(); err != nil {
		t.Errorf("plain fields: %v", err)
	}
	type tagged struct {
		Thing thing    `gorm:"embedded"`
		Tags  []string `gorm:"serializer:json"`
	}
	j, err = job.Of(job.Def[tagged]{Name: "tagged", Write: []string{"size"}, Compute: func(t *tagged) error { return size(&t.Thing) }})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Rows.Scannable(); err == nil || !strings.Contains(err.Error(), "tags") {
		t.Errorf("a serialized column: %v", err)
	}
	j2, _ := job.Of(job.Def[tagged]{Name: "tagged", Read: []string{"tenant", "id", "body"}, Write: []string{"size"}, Compute: func(t *tagged) error { return size(&t.Thing) }})
	if err := j2.Rows.Scannable(); err != nil {
		t.Errorf("an embedded struct's fields, the serialized one not read: %v", err)
	}
	type soft struct {
		ID        int64 `gorm:"primaryKey"`
		Size      int64
		DeletedAt gorm.DeletedAt
	}
	j3, err := job.Of(job.Def[soft]{Name: "soft", Write: []string{"size"}, Compute: func(*soft) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if err := j3.Rows.Scannable(); err == nil || !strings.Contains(err.Error(), "soft delete") {
		t.Errorf("a soft-deleting model: %v", err)
	}
}
