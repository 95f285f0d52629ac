package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/iterbench/iterbench/internal/container"
	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/strategies"
)

func listCmd(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	for _, s := range strategies.Registry() {
		var only []string
		for _, k := range database.Kinds() {
			if strategies.Supported(s, k, nil) {
				only = append(only, string(k))
			}
		}
		note := ""
		if len(only) < len(database.Kinds()) {
			note = " (" + strings.Join(only, ", ") + " only)"
		}
		fmt.Fprintf(tw, "%s\t%s%s\n", s.Name(), s.Description(), note)
	}
	return tw.Flush()
}

// cleanCmd removes the containers remove selects: every iterbench
// container (container.RemoveAll), or in tests only the test's own, as other
// tests share the Docker daemon.
func cleanCmd(ctx context.Context, args []string, stdout io.Writer, remove func(context.Context) (container.Removed, error)) error {
	fs := flag.NewFlagSet("clean", flag.ContinueOnError)
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	r, err := remove(ctx)
	if errors.Is(err, container.ErrNoDocker) {
		return usageError{err}
	}
	if err != nil {
		return err
	}
	if r.Containers == 0 && r.Networks == 0 {
		fmt.Fprintln(stdout, "no iterbench container to remove")
		return nil
	}
	nets := ""
	if r.Networks > 0 {
		nets = fmt.Sprintf(" and %d network(s)", r.Networks)
	}
	fmt.Fprintf(stdout, "removed %d iterbench container(s)%s (%s)\n", r.Containers, nets, strings.Join(r.Owners, ", "))
	return nil
}
