package bench

import (
	"testing"

	"github.com/iterbench/iterbench/internal/summary"
)

// TestFillRoles: a summary written before roles were recorded gets the
// registry's; one that recorded them keeps its own.
func TestFillRoles(t *testing.T) {
	old := &summary.Summary{Strategies: []summary.Strategy{{Name: "keyset-bulk"}, {Name: "set-based"}}}
	if !FillRoles(old) || !old.Strategies[0].Roles.Resumable || old.Strategies[0].Roles.BulkOf != "keyset" ||
		!old.Strategies[1].Roles.InDatabase {
		t.Errorf("old summary: %+v, want the registry's roles", old.Strategies)
	}
	recorded := &summary.Summary{Strategies: []summary.Strategy{{Name: "keyset-bulk", Roles: summary.Roles{Order: 3}}}}
	if FillRoles(recorded) || recorded.Strategies[0].Roles != (summary.Roles{Order: 3}) {
		t.Errorf("recorded roles changed: %+v", recorded.Strategies[0].Roles)
	}
}
