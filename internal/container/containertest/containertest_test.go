package containertest

import (
	"errors"
	"fmt"
	"testing"
)

// recorder is a testing.TB that records how a test would have ended.
type recorder struct {
	testing.TB
	how string
}

func (r *recorder) Helper()                        {}
func (r *recorder) Fatalf(format string, a ...any) { r.how = "fail: " + fmt.Sprintf(format, a...) }
func (r *recorder) Skipf(format string, a ...any)  { r.how = "skip: " + fmt.Sprintf(format, a...) }

func TestRequireDocker(t *testing.T) {
	noDocker := errors.New("docker is not reachable: no socket")
	for _, c := range []struct {
		env  string
		err  error
		want string
	}{
		{"", nil, ""},
		{"1", nil, ""},
		{"", noDocker, "skip: skipping container test: docker is not reachable: no socket (set ITERBENCH_REQUIRE_DOCKER=1 to make this a failure)"},
		{"1", noDocker, "fail: ITERBENCH_REQUIRE_DOCKER=1 but docker is not reachable: no socket"},
	} {
		t.Setenv(RequireEnv, c.env)
		r := &recorder{TB: t}
		requireDocker(r, c.err)
		if r.how != c.want {
			t.Errorf("env %q, err %v: %q, want %q", c.env, c.err, r.how, c.want)
		}
	}
}
