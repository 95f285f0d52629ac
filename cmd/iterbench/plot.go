package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/iterbench/iterbench/internal/bench"
	"github.com/iterbench/iterbench/internal/outdir"
	"github.com/iterbench/iterbench/internal/report"
	"github.com/iterbench/iterbench/internal/summary"
)

// plotArgs parses plot's command line: one results or sweep folder.
func plotArgs(args []string, stdout io.Writer) (string, error) {
	fs := flag.NewFlagSet("plot", flag.ContinueOnError)
	if err := parse(fs, args, stdout); err != nil {
		return "", err
	}
	if fs.NArg() != 1 {
		return "", usagef("plot needs one results folder, got %d arguments", fs.NArg())
	}
	return fs.Arg(0), nil
}

func plotCmd(args []string, stdout, stderr io.Writer) error {
	dir, err := plotArgs(args, stdout)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, summary.SummaryFile)); err != nil {
		// Not a run: a sweep folder, whose row counts are redrawn one by one.
		ss, sms, serr := report.ReadSweep(dir)
		if serr != nil {
			return usageError{fmt.Errorf("%s: neither a results folder (%v) nor a sweep folder", dir, err)}
		}
		for _, s := range ss {
			bench.FillRoles(s) // results written before roles were recorded
		}
		err := outdir.Replace(dir, outdir.KeepAll, func(tmp string) error {
			for i, s := range ss {
				if err := report.Write(filepath.Join(tmp, report.SweepDir(s.Config.Rows)), s, sms[i]); err != nil {
					return err
				}
			}
			return report.WriteSweep(tmp, ss)
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "redrew the sweep charts and reports in %s\n", dir)
		return nil
	}
	s, samples, err := summary.Read(dir)
	if err != nil {
		return usageError{err}
	}
	bench.FillRoles(s) // results written before roles were recorded
	if err := outdir.Replace(dir, outdir.KeepAll, func(tmp string) error { return report.Write(tmp, s, samples) }); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "redrew charts and %s in %s\n", report.File, dir)
	return nil
}

// newCompareFlags returns compare's flag set and its --out.
func newCompareFlags() (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	return fs, fs.String("out", filepath.Join("results", report.CompareFile), "file to write the comparison to")
}

// compareArgs parses compare's command line: the file to write and two or
// more results folders.
func compareArgs(args []string, stdout io.Writer) (out string, dirs []string, err error) {
	fs, outFlag := newCompareFlags()
	if err := parse(fs, args, stdout); err != nil {
		return "", nil, err
	}
	if fs.NArg() < 2 {
		return "", nil, usagef("compare needs at least two results folders, got %d", fs.NArg())
	}
	return *outFlag, fs.Args(), nil
}

func compareCmd(args []string, stdout io.Writer) error {
	out, dirs, err := compareArgs(args, stdout)
	if err != nil {
		return err
	}
	var ss []*summary.Summary
	var rel []string
	for _, dir := range dirs {
		s, _, err := summary.Read(dir)
		if err != nil {
			return usageError{err}
		}
		bench.FillRoles(s) // results written before roles were recorded
		ss = append(ss, s)
		r, err := filepath.Rel(filepath.Dir(out), dir)
		if err != nil {
			r = dir
		}
		rel = append(rel, r)
	}
	if err := outdir.Writable(filepath.Dir(out)); err != nil {
		return usagef("--out %s: %v", out, err)
	}
	if err := outdir.WriteFile(out, report.Compare(rel, ss)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s\n", out)
	return nil
}
