package plots

import (
	"fmt"
	"testing"

	"iterbench/strategies"
)

// TestOneStylePerStrategy: every registered strategy has a colour and a
// marker of its own, as docs/methodology.md promises ("Each strategy keeps its
// colour and marker on every chart").
func TestOneStylePerStrategy(t *testing.T) {
	colours, shapes := map[string]string{}, map[string]string{}
	for _, st := range strategies.All() {
		name := st.Name()
		c, m := fmt.Sprint(colorOf(name)), fmt.Sprintf("%#v", markerOf(name))
		if other, ok := colours[c]; ok {
			t.Errorf("%s and %s share the colour %s", name, other, c)
		}
		if other, ok := shapes[m]; ok {
			t.Errorf("%s and %s share the marker %s", name, other, m)
		}
		colours[c], shapes[m] = name, name
	}
}
