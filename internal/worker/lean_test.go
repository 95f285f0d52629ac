package worker

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLeanImports: the worker links what a real backfill job links, and
// nothing of the harness, or its memory would not be a real job's.
func TestLeanImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-tags", BuildArgs[1], Package).CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	for _, must := range []string{"gorm.io/gorm", "github.com/iterbench/iterbench/internal/strategies", "github.com/iterbench/iterbench/internal/database"} {
		if !contains(deps, must) {
			t.Errorf("the worker does not link %s; is the dependency list read right?", must)
		}
	}
	forbidden := []string{
		"github.com/testcontainers/", "github.com/moby/", "github.com/docker/", "gonum.org/",
		"github.com/schollz/progressbar", "github.com/iterbench/iterbench/internal/bench", "github.com/iterbench/iterbench/internal/container", "github.com/iterbench/iterbench/internal/plots",
		"github.com/iterbench/iterbench/internal/report", "github.com/iterbench/iterbench/internal/summary", "github.com/iterbench/iterbench/internal/seed",
	}
	for _, d := range deps {
		for _, f := range forbidden {
			if strings.HasPrefix(d, f) {
				t.Errorf("the worker links %s (of the harness)", d)
			}
		}
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
