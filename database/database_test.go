package database

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"postgres://bob:s3cret@db:5432/app?sslmode=disable", "postgres://bob:xxxxx@db:5432/app?sslmode=disable"},
		{"mysql://bob:s3cret@db:3306/app", "mysql://bob:xxxxx@db:3306/app"},
		{"bob:s3cret@tcp(db:3306)/app", "bob:xxxxx@tcp(db:3306)/app"},
		{"postgres://bob@db/app", "postgres://bob@db/app"},
		{"/tmp/x.db", "/tmp/x.db"},
	} {
		if got := Redact(c.in); got != c.want {
			t.Errorf("Redact(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestMySQLDSN(t *testing.T) {
	got, err := MySQLDSN("mysql://bob:pw@db/app?charset=utf8mb4")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"bob:pw@tcp(db:3306)/app", "parseTime=true", "charset=utf8mb4"} {
		if !strings.Contains(got, want) {
			t.Errorf("MySQLDSN = %q, lacks %q", got, want)
		}
	}
	if _, err := MySQLDSN("not a dsn at all"); err == nil {
		t.Error("MySQLDSN accepted garbage")
	}
}

func TestKinds(t *testing.T) {
	for _, c := range []struct {
		dsn  string
		want Kind
	}{
		{"postgres://x", Postgres}, {"postgresql://x", Postgres}, {"mysql://x", MariaDB}, {"mariadb://x", MariaDB},
		{"/tmp/a.db", SQLite}, {"file:a.db", SQLite},
	} {
		if got := KindOfDSN(c.dsn); got != c.want {
			t.Errorf("KindOfDSN(%q) = %s, want %s", c.dsn, got, c.want)
		}
	}
	if k, err := ParseKind("mysql"); err != nil || k != MariaDB {
		t.Errorf("ParseKind(mysql) = %s, %v", k, err)
	}
	if _, err := ParseKind("oracle"); err == nil {
		t.Error("ParseKind accepted oracle")
	}
	if MariaDB.Dialect() != "mysql" || Postgres.Dialect() != "postgres" {
		t.Error("wrong dialect names")
	}
}
