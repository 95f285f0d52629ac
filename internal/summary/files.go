package summary

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/iterbench/iterbench/internal/outdir"
)

// The files a results folder holds.
const (
	SummaryFile = "summary.json"
	SamplesFile = "samples.csv"
	BenchFile   = "bench.txt"
)

// SampleRow is one line of samples.csv: a reading of one run's worker.
type SampleRow struct {
	Strategy string
	Repeat   int
	// T is the time since the worker started, in seconds.
	T float64
	// RSS is the resident set size in bytes.
	RSS uint64
	// HWM is the kernel's high-water mark of RSS so far, in bytes.
	HWM uint64
	// Anon and File split RSS into anonymous and file-backed pages (zero in
	// files written before they were recorded).
	Anon, File uint64
	// Cgroup and WorkingSet are the worker's container's charge and working
	// set, under --memory-limit; zero otherwise.
	Cgroup, WorkingSet uint64
}

// samplesHeader names samples.csv's columns; files written before the
// memory split have only its first five.
var samplesHeader = []string{"strategy", "repeat", "t_seconds", "rss_bytes", "hwm_bytes",
	"anon_bytes", "file_bytes", "cgroup_bytes", "cgroup_working_set_bytes"}

const oldSampleColumns = 5

// WriteSamples writes rows as CSV with a header line.
func WriteSamples(w io.Writer, rows []SampleRow) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(samplesHeader); err != nil {
		return err
	}
	for _, r := range rows {
		rec := []string{r.Strategy, strconv.Itoa(r.Repeat), strconv.FormatFloat(r.T, 'f', 4, 64)}
		for _, v := range []uint64{r.RSS, r.HWM, r.Anon, r.File, r.Cgroup, r.WorkingSet} {
			rec = append(rec, strconv.FormatUint(v, 10))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ReadSamples parses what WriteSamples wrote, or an older file without the
// memory split.
func ReadSamples(r io.Reader) ([]SampleRow, error) {
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	if got := strings.Join(header, ","); got != strings.Join(samplesHeader, ",") && got != strings.Join(samplesHeader[:oldSampleColumns], ",") {
		return nil, fmt.Errorf("unexpected header %q", got)
	}
	var out []SampleRow
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		row := SampleRow{Strategy: rec[0]}
		var errs []error
		var e error
		row.Repeat, e = strconv.Atoi(rec[1])
		errs = append(errs, e)
		row.T, e = strconv.ParseFloat(rec[2], 64)
		errs = append(errs, e)
		for i, dst := range []*uint64{&row.RSS, &row.HWM, &row.Anon, &row.File, &row.Cgroup, &row.WorkingSet}[:len(rec)-3] {
			*dst, e = strconv.ParseUint(rec[3+i], 10, 64)
			errs = append(errs, e)
		}
		for _, e := range errs {
			if e != nil {
				return nil, fmt.Errorf("line %d: %w", line, e)
			}
		}
		out = append(out, row)
	}
}

// WriteBench writes the ok runs in the Go benchmark format, one result line
// per run, preceded by configuration lines, so that benchstat can compare
// two results folders.
func WriteBench(w io.Writer, s *Summary) error {
	c := s.Config
	var b bytes.Buffer
	fmt.Fprintf(&b, "goos: %s\ngoarch: %s\npkg: iterbench\n", c.OS, c.Arch)
	if c.CPUModel != "" {
		fmt.Fprintf(&b, "cpu: %s\n", c.CPUModel)
	}
	fmt.Fprintf(&b, "database: %s %s\n", c.Database, c.DatabaseVersion)
	fmt.Fprintf(&b, "driver: %s %s\n", c.Driver, c.DriverVersion)
	fmt.Fprintf(&b, "bulk-form: %s\n", c.BulkForm)
	fmt.Fprintf(&b, "batch: %d\n", c.BatchSize)
	if c.Job != nil {
		fmt.Fprintf(&b, "job: %s\n", c.Job.Name)
	} else {
		fmt.Fprintf(&b, "payload-bytes: %d\n", c.PayloadBytes)
	}
	fmt.Fprintf(&b, "go: %s\n", c.GoVersion)
	for _, r := range s.Runs {
		if r.Status != StatusOK || r.Resume != nil {
			continue
		}
		fmt.Fprintf(&b, "BenchmarkIterate/strategy=%s/rows=%d \t1\t%d ns/op\t%d peak-RSS-bytes\t%.0f rows/s\n",
			r.Strategy, c.Rows, int64(r.DurationSeconds*1e9), r.PeakRSSBytes, r.RowsPerSecond())
	}
	_, err := w.Write(b.Bytes())
	return err
}

// Write writes summary.json, samples.csv, probe.csv, bench.txt and, with a
// cluster's readings, lag.csv into dir, each
// atomically: a reader never sees a half-written file.
func Write(dir string, s *Summary, samples []SampleRow) error {
	var js, cs, bs, ps bytes.Buffer
	enc := json.NewEncoder(&js)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return fmt.Errorf("encode %s: %w", SummaryFile, err)
	}
	if err := WriteSamples(&cs, samples); err != nil {
		return fmt.Errorf("encode %s: %w", SamplesFile, err)
	}
	if err := WriteBench(&bs, s); err != nil {
		return fmt.Errorf("encode %s: %w", BenchFile, err)
	}
	if err := WriteProbe(&ps, s.ProbeWindows); err != nil {
		return fmt.Errorf("encode %s: %w", ProbeFile, err)
	}
	files := []struct {
		name string
		data []byte
	}{{SamplesFile, cs.Bytes()}, {ProbeFile, ps.Bytes()}, {BenchFile, bs.Bytes()}}
	if len(s.Lag) > 0 {
		var ls bytes.Buffer
		if err := WriteLag(&ls, s.Lag); err != nil {
			return fmt.Errorf("encode %s: %w", LagFile, err)
		}
		files = append(files, struct {
			name string
			data []byte
		}{LagFile, ls.Bytes()})
	}
	// summary.json last: a folder with it is whole.
	files = append(files, struct {
		name string
		data []byte
	}{SummaryFile, js.Bytes()})
	for _, f := range files {
		if err := outdir.WriteFile(filepath.Join(dir, f.name), f.data); err != nil {
			return err
		}
	}
	return nil
}

// Read reads summary.json, samples.csv and, if there, probe.csv and
// lag.csv from dir.
func Read(dir string) (*Summary, []SampleRow, error) {
	js, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	if err != nil {
		return nil, nil, err
	}
	var s Summary
	if err := json.Unmarshal(js, &s); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", filepath.Join(dir, SummaryFile), err)
	}
	f, err := os.Open(filepath.Join(dir, SamplesFile))
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	rows, err := ReadSamples(f)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", filepath.Join(dir, SamplesFile), err)
	}
	pf, err := os.Open(filepath.Join(dir, ProbeFile))
	switch {
	case errors.Is(err, fs.ErrNotExist): // written before the probe
	case err != nil:
		return nil, nil, err
	default:
		defer pf.Close()
		if s.ProbeWindows, err = ReadProbe(pf); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", filepath.Join(dir, ProbeFile), err)
		}
	}
	lf, err := os.Open(filepath.Join(dir, LagFile))
	switch {
	case errors.Is(err, fs.ErrNotExist): // one server, or written before clusters
	case err != nil:
		return nil, nil, err
	default:
		defer lf.Close()
		if s.Lag, err = ReadLag(lf); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", filepath.Join(dir, LagFile), err)
		}
	}
	return &s, rows, nil
}
