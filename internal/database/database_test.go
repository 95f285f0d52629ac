package database

import (
	"fmt"
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
		{"postgres://bob@db/app?password=s3cret&sslmode=disable", "postgres://bob@db/app?password=xxxxx&sslmode=disable"},
		{"host=db user=bob password=s3cret dbname=app", "host=db user=bob password=xxxxx dbname=app"},
		{"host=db password='s3 cr\\'et' dbname=app", "host=db password=xxxxx dbname=app"},
		{"password = s3cret host=db", "password = xxxxx host=db"},
	} {
		if got := Redact(c.in); got != c.want {
			t.Errorf("Redact(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestRedactErr: a driver's error text that echoes the DSN loses the
// password, in every DSN form.
func TestRedactErr(t *testing.T) {
	for _, dsn := range []string{
		"postgres://bob:s3cret@db/app", "postgres://bob@db/app?password=s3cret",
		"host=db user=bob password=s3cret dbname=app", "host=db password='s3cret' dbname=app",
		"bob:s3cret@tcp(db:3306)/app", "mysql://bob:s3cret@db/app",
	} {
		got := redactErr(fmt.Errorf("failed to connect to %s: password s3cret rejected", dsn), dsn)
		if strings.Contains(got, "s3cret") {
			t.Errorf("%q: %q", dsn, got)
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
		{"/tmp/a.db", SQLite}, {"file:a.db", SQLite}, {"my results/a b.db", SQLite},
		{"host=db user=bob password=pw dbname=app", Postgres}, {"dbname=app", Postgres},
		{"bob:pw@tcp(db:3306)/app", MariaDB}, {"tcp(db)/app", MariaDB},
	} {
		if got, err := KindOfDSN(c.dsn); got != c.want || err != nil {
			t.Errorf("KindOfDSN(%q) = %s, %v; want %s", c.dsn, got, err, c.want)
		}
	}
	for _, bad := range []string{"sqlserver://sa:pw@db/app", "redis://db", "server=db uid=sa pwd=pw"} {
		if _, err := KindOfDSN(bad); err == nil {
			t.Errorf("KindOfDSN(%q) accepted it", bad)
		} else if strings.Contains(err.Error(), "pw@") {
			t.Errorf("the error shows the password: %v", err)
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
