package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"iterbench/outdir"
	"iterbench/report"
	"iterbench/summary"
)

func plotCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("plot", flag.ContinueOnError)
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("plot needs one results folder, got %d arguments", fs.NArg())
	}
	dir := fs.Arg(0)
	if _, err := os.Stat(filepath.Join(dir, summary.SummaryFile)); err != nil {
		// Not a run: a sweep folder, whose row counts are redrawn one by one.
		ss, sms, serr := report.ReadSweep(dir)
		if serr != nil {
			return usageError{fmt.Errorf("%s: neither a results folder (%v) nor a sweep folder", dir, err)}
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
	if err := outdir.Replace(dir, outdir.KeepAll, func(tmp string) error { return report.Write(tmp, s, samples) }); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "redrew charts and %s in %s\n", report.File, dir)
	return nil
}

func compareCmd(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	out := fs.String("out", filepath.Join("results", report.CompareFile), "file to write the comparison to")
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	if fs.NArg() < 2 {
		return usagef("compare needs at least two results folders, got %d", fs.NArg())
	}
	var ss []*summary.Summary
	var rel []string
	for _, dir := range fs.Args() {
		s, _, err := summary.Read(dir)
		if err != nil {
			return usageError{err}
		}
		ss = append(ss, s)
		r, err := filepath.Rel(filepath.Dir(*out), dir)
		if err != nil {
			r = dir
		}
		rel = append(rel, r)
	}
	if err := checkWritable(filepath.Dir(*out)); err != nil {
		return usageError{err}
	}
	if err := outdir.WriteFile(*out, report.Compare(rel, ss)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s\n", *out)
	return nil
}
