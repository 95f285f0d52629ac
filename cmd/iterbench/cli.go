package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/iterbench/iterbench/internal/bench"
	"github.com/iterbench/iterbench/internal/container"
	"github.com/iterbench/iterbench/internal/suggest"
)

// Exit codes.
const (
	exitOK          = 0
	exitFailure     = 1   // a run failed; results were written
	exitUsage       = 2   // bad input; nothing was written
	exitInterrupted = 130 // stopped by a signal; incomplete results were written
)

// usageError is bad input: reported in one line with exit code 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// asUsage reports whether err is, or wraps, a usage error.
func asUsage(err error, ue *usageError) bool { return errors.As(err, ue) }

// Main runs the command line args and returns the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	err := run(ctx, args, stdout, stderr)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	fmt.Fprintln(stderr, "iterbench: "+oneLine(err.Error()))
	var ue usageError
	switch {
	case asUsage(err, &ue):
		return exitUsage
	case errors.Is(err, bench.ErrInterrupted):
		return exitInterrupted
	}
	return exitFailure
}

const usage = `usage: iterbench <command> [flags]

commands:
  run      seed a table, run every strategy in its own process, write results
  sweep    the same at several row counts, with charts against rows
  seed     only create and fill the table
  plot     redraw the charts and REPORT.md of a results folder
  compare  compare results folders (one per database) in one table
  list     list the strategies
  clean    remove every container and network iterbench started (left by killed runs)

Run "iterbench <command> -h" for the flags of a command.
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usagef("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "run":
		return runCmd(ctx, rest, stdout, stderr)
	case "seed":
		return seedCmd(ctx, rest, stdout, stderr)
	case "plot":
		return plotCmd(rest, stdout, stderr)
	case "list":
		return listCmd(rest, stdout)
	case "compare":
		return compareCmd(rest, stdout)
	case "sweep":
		return sweepCmd(ctx, rest, stdout, stderr)
	case "clean":
		return cleanCmd(ctx, rest, stdout, container.RemoveAll)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return usagef("unknown command %q (want run, sweep, seed, plot, compare, list or clean)", cmd)
}

// synopsis returns what follows a command's flags on its command line, and
// what the command does.
func synopsis(cmd string) (args, what string) {
	switch cmd {
	case "run":
		return "", "Seeds a table, runs every strategy in a worker process of its own, verifies every row, and writes a results folder with a recommendation."
	case "sweep":
		return "", "Runs the strategies at several row counts and writes one results folder per count, with charts of memory and time against rows."
	case "seed":
		return "", "Only creates and fills the table."
	case "plot":
		return "DIR", "Redraws the charts and REPORT.md of the results or sweep folder DIR from its data."
	case "compare":
		return "DIR DIR...", "Compares results folders (one per database) in one table."
	case "list":
		return "", "Lists the strategies, in the order reports show them."
	case "clean":
		return "", "Removes every container iterbench started, running or not (those left by killed runs)."
	}
	return "", ""
}

// parse parses flags, turning errors into one-line usage errors, and leaves
// the other arguments in fs.Args(). -h prints the command's synopsis and
// flags to stdout.
func parse(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stdout)
		rest, what := synopsis(fs.Name())
		line := "usage: iterbench " + fs.Name()
		if len(names) > 0 {
			line += " [flags]"
		}
		if rest != "" {
			line += " " + rest
		}
		fmt.Fprintf(stdout, "%s\n\n%s\n", line, what)
		if len(names) > 0 {
			fmt.Fprint(stdout, "\nflags:\n")
			fs.PrintDefaults()
		}
		return err
	}
	if err != nil {
		hint := ""
		if name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -"); ok {
			hint = suggest.DidYouMean(strings.TrimPrefix(name, "-"), names, "--")
		}
		return usagef("%s: %v%s (see iterbench %s -h)", fs.Name(), err, hint, fs.Name())
	}
	return nil
}

// parseFlags parses the flags of a command that takes no other argument.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q (see iterbench %s -h)", fs.Name(), fs.Arg(0), fs.Name())
	}
	return nil
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
