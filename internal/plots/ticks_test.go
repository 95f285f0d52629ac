package plots

import (
	"slices"
	"testing"
)

func TestTicks(t *testing.T) {
	var got []string
	for _, tk := range (linearTicks{minStep: 1}).Ticks(0, 130) {
		if tk.Label != "" {
			got = append(got, tk.Label)
		}
	}
	if want := []string{"0", "20", "40", "60", "80", "100", "120"}; !slices.Equal(got, want) {
		t.Errorf("MiB ticks 0–130: %v, want %v", got, want)
	}
	got = nil
	for _, tk := range (linearTicks{minStep: 1}).Ticks(12, 26) {
		if tk.Label != "" {
			got = append(got, tk.Label)
		}
	}
	if want := []string{"12", "14", "16", "18", "20", "22", "24", "26"}; !slices.Equal(got, want) {
		t.Errorf("MiB ticks 12–26: %v, want %v", got, want)
	}
	got = nil
	for _, tk := range (linearTicks{}).Ticks(0, 1.2) {
		if tk.Label != "" {
			got = append(got, tk.Label)
		}
	}
	if want := []string{"0", "0.2", "0.4", "0.6", "0.8", "1", "1.2"}; !slices.Equal(got, want) {
		t.Errorf("seconds 0–1.2: %v, want %v", got, want)
	}
	got = nil
	for _, tk := range (rowTicks{10000, 50000, 200000, 1000000}).Ticks(10000, 1000000) {
		got = append(got, tk.Label)
	}
	if want := []string{"10k", "50k", "200k", "1M"}; !slices.Equal(got, want) {
		t.Errorf("rows: %v, want %v", got, want)
	}
	got = nil
	for _, tk := range (logTicks{}).Ticks(30, 2500) {
		got = append(got, tk.Label)
	}
	if want := []string{"50", "100", "200", "500", "1000", "2000"}; !slices.Equal(got, want) {
		t.Errorf("log 30–2500: %v, want %v", got, want)
	}
}
