package bench

import (
	"github.com/iterbench/iterbench/internal/strategies"
	"github.com/iterbench/iterbench/internal/summary"
)

// RolesOf returns what the registered strategy called name declares of
// itself (strategies/roles.go), as results record it; its Order is its
// place in strategies.Registry (after all of them for a name the registry
// does not know).
func RolesOf(name string) summary.Roles {
	all := strategies.Registry()
	r := summary.Roles{Order: len(all)}
	for i, s := range all {
		if s.Name() != name {
			continue
		}
		r.Order = i
		_, r.Resumable = s.(strategies.Resumable)
		_, r.InDatabase = s.(strategies.InDatabase)
		if b, ok := s.(strategies.BulkTwin); ok {
			r.BulkOf = b.BulkOf().Name()
		}
		if l, ok := s.(strategies.Layered); ok {
			of, layer := l.LayerOf()
			r.LayerOf, r.Layer = of.Name(), string(layer)
		}
		if p, ok := s.(strategies.Pager); ok {
			r.Paging = map[strategies.PageMethod]string{strategies.OffsetPaging: summary.PagingOffset, strategies.KeysetPaging: summary.PagingKeyset}[p.PageMethod()]
		}
	}
	return r
}

// FillRoles records the registry's roles in a summary written before
// results recorded them (every strategy's Roles zero), so that such a
// folder reads as it did; it reports whether it filled any.
func FillRoles(s *summary.Summary) bool {
	for _, st := range s.Strategies {
		if st.Roles != (summary.Roles{}) {
			return false
		}
	}
	for i := range s.Strategies {
		s.Strategies[i].Roles = RolesOf(s.Strategies[i].Name)
	}
	return len(s.Strategies) > 0
}
