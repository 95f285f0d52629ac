package items

import "testing"

func BenchmarkScore(b *testing.B) {
	data := Generate(1, 42, DefaultPayload).Data
	for b.Loop() {
		if _, err := Score(data); err != nil {
			b.Fatal(err)
		}
	}
}
