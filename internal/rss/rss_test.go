package rss

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"
)

func TestSamplerStopsWhenProcessIsGone(t *testing.T) {
	readings := []uint64{10, 30, 20}
	i := 0
	read := func() (Usage, error) {
		if i == len(readings) {
			return Usage{}, ErrGone
		}
		u := Usage{RSS: readings[i], HWM: readings[i] + 1}
		i++
		return u, nil
	}
	var seen int
	s := Sampler{Interval: time.Millisecond, Read: read, OnSample: func(Sample) { seen++ }}
	got, err := s.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || seen != 3 {
		t.Fatalf("got %d samples, callback saw %d, want 3", len(got), seen)
	}
	for j := 1; j < len(got); j++ {
		if got[j].T <= got[j-1].T {
			t.Errorf("sample %d at %v is not after %v", j, got[j].T, got[j-1].T)
		}
	}
	if pk := PeaksOf(got); pk.RSS != 30 || pk.HWM != 31 {
		t.Errorf("PeaksOf = %d, %d; want 30, 31", pk.RSS, pk.HWM)
	}
}

func TestSamplerStopsOnContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	read := func() (Usage, error) {
		n++
		if n == 5 {
			cancel()
		}
		return Usage{RSS: 1}, nil
	}
	s := Sampler{Interval: time.Millisecond, Read: read}
	got, err := s.Run(ctx)
	if err != nil || len(got) != 5 {
		t.Fatalf("got %d samples, %v; want 5", len(got), err)
	}
}

func TestSamplerReturnsReaderError(t *testing.T) {
	boom := errors.New("boom")
	s := Sampler{Interval: time.Millisecond, Read: func() (Usage, error) { return Usage{}, boom }}
	if _, err := s.Run(context.Background()); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	s.Interval = 0
	if _, err := s.Run(context.Background()); err == nil {
		t.Fatal("zero interval accepted")
	}
}

func TestProcReaderOnRealProcess(t *testing.T) {
	cmd := exec.Command("cat") // lives until its stdin is closed
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Skip("no cat command:", err)
	}
	read, err := ProcReader(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	u, err := read()
	if err != nil || u.RSS == 0 || u.HWM < u.RSS {
		t.Fatalf("reading a live process: %+v, %v", u, err)
	}
	stdin.Close()
	cmd.Wait()
	if _, err := read(); !errors.Is(err, ErrGone) {
		t.Fatalf("reading a reaped process: err = %v, want ErrGone", err)
	}
	self, err := Self()
	if err != nil || self.RSS == 0 || self.HWM < self.RSS {
		t.Fatalf("Self = %+v, %v", self, err)
	}
}

// TestFileBackedPart: a Go process always has file-backed pages resident
// (its executable's text), and procfs's VmRSS is RssAnon + RssFile +
// RssShmem, so the two parts read must be non-zero and add up to no more
// than the RSS of the same reading.
func TestFileBackedPart(t *testing.T) {
	read, err := ProcReader(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for name, read := range map[string]Reader{"Self": Self, "ProcReader": read} {
		u, err := read()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if u.Anon == 0 || u.File == 0 || u.Anon+u.File > u.RSS {
			t.Errorf("%s = %+v: want Anon > 0, File > 0 and Anon + File ≤ RSS", name, u)
		}
	}
}
