package plots

import (
	"fmt"
	"testing"

	"github.com/iterbench/iterbench/internal/bench"
	"github.com/iterbench/iterbench/internal/strategies"
	"github.com/iterbench/iterbench/internal/summary"
)

// TestOneStylePerStrategy: every registered strategy has a colour and a
// marker of its own, as docs/methodology.md promises ("Each strategy keeps
// its colour and marker on every chart"), from the roles results record.
func TestOneStylePerStrategy(t *testing.T) {
	s := &summary.Summary{}
	for _, st := range strategies.Registry() {
		s.Strategies = append(s.Strategies, summary.Strategy{Name: st.Name(), Roles: bench.RolesOf(st.Name())})
	}
	colours, shapes := map[string]string{}, map[string]string{}
	for _, st := range s.Strategies {
		name := st.Name
		c, m := fmt.Sprint(colorOf(s, name)), fmt.Sprintf("%#v", markerOf(s, name))
		if other, ok := colours[c]; ok {
			t.Errorf("%s and %s share the colour %s", name, other, c)
		}
		if other, ok := shapes[m]; ok {
			t.Errorf("%s and %s share the marker %s", name, other, m)
		}
		colours[c], shapes[m] = name, name
	}
}
