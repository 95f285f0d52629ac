package items

import (
	"encoding/json"
	"testing"
)

func TestGenerateDeterministic(t *testing.T) {
	for _, id := range []int64{1, 2, 999, 50000} {
		a, b := Generate(7, id, DefaultPayload), Generate(7, id, DefaultPayload)
		if a != b {
			t.Fatalf("row %d differs between two generations", id)
		}
		if c := Generate(8, id, DefaultPayload); c.Data == a.Data {
			t.Errorf("row %d is the same under another seed", id)
		}
	}
}

func TestGeneratePayloadSize(t *testing.T) {
	for _, payload := range []int{MinPayload, DefaultPayload, 4096} {
		for id := int64(1); id <= 50; id++ {
			it := Generate(1, id, payload)
			if got := len(it.Data); got != payload {
				t.Fatalf("payload %d, row %d: document is %d bytes", payload, id, got)
			}
			if !json.Valid([]byte(it.Data)) {
				t.Fatalf("row %d: invalid JSON", id)
			}
		}
	}
	// Below the unpadded size the document is as small as it can be.
	if got := len(Generate(1, 1, 10).Data); got > MinPayload {
		t.Errorf("tiny payload gave %d bytes, want at most %d", got, MinPayload)
	}
}

func TestScore(t *testing.T) {
	d := Doc{
		User:    User{Age: 30},
		Metrics: Metrics{Views: 10, Clicks: 2, Likes: 3, Shares: 4},
		Tier:    2,
		Tags:    []string{"a", "b"},
	}
	b, _ := json.Marshal(d)
	got, err := Score(string(b))
	if err != nil {
		t.Fatal(err)
	}
	want := int64(1 + 30 + 14 + 6 + 20 + 22 + 30 + 200)
	if got != want {
		t.Errorf("Score = %d, want %d", got, want)
	}
	if _, err := Score("{not json"); err == nil {
		t.Error("Score accepted invalid JSON")
	}
	for id := int64(1); id < 1000; id++ {
		data := Generate(3, id, 300).Data
		s, err := Score(data)
		if err != nil || s < 1 {
			t.Fatalf("row %d: score %d, err %v", id, s, err)
		}
		// The fast decoder agrees with encoding/json.
		var d Doc
		if err := json.Unmarshal([]byte(data), &d); err != nil || d.Score() != s {
			t.Fatalf("row %d: Score %d, encoding/json gives %d (%v)", id, s, d.Score(), err)
		}
	}
}

// TestGenerateMatchesEncodingJSON checks the hand-written encoder against
// encoding/json: decoding a generated document and encoding it again must
// give the same bytes.
func TestGenerateMatchesEncodingJSON(t *testing.T) {
	for id := int64(1); id <= 2000; id++ {
		it := Generate(11, id, DefaultPayload)
		var d Doc
		if err := json.Unmarshal([]byte(it.Data), &d); err != nil {
			t.Fatalf("row %d: %v", id, err)
		}
		again, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if string(again) != it.Data {
			t.Fatalf("row %d: encoding/json gives\n%s\nthe generator gave\n%s", id, again, it.Data)
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		Generate(1, int64(i), DefaultPayload)
	}
}

// TestSize checks the sizes of a range: the same for the same (seed, id),
// within the range, log-uniform (as many below the geometric mean as
// above), and the fixed size without a range.
func TestSize(t *testing.T) {
	below, n := 0, 20000
	for id := int64(1); id <= int64(n); id++ {
		s := Size(7, id, 200, 65536)
		if s != Size(7, id, 200, 65536) || s < 200 || s > 65536 {
			t.Fatalf("row %d: size %d", id, s)
		}
		if s < 3620 { // √(200·65536)
			below++
		}
	}
	if below < n*45/100 || below > n*55/100 {
		t.Errorf("%d of %d sizes below the geometric mean; want about half (log-uniform)", below, n)
	}
	if Size(7, 1, 1024, 0) != 1024 || Size(7, 1, 1024, 1024) != 1024 {
		t.Error("a fixed size is not itself")
	}
	if a, b := Generate(7, 9, Size(7, 9, 200, 65536)), Generate(7, 9, Size(7, 9, 200, 65536)); a != b {
		t.Error("the same seed gave different bytes")
	}
}
