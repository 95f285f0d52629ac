package container

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/moby/moby/client"
	"github.com/prometheus/procfs"
)

// Labels naming the process that started a container, so that a container
// whose owner died without cleaning up (SIGKILL, the OOM killer, a CI
// timeout: Ryuk is off where no image can be pulled) can be told from one
// in use.
const (
	LabelHost  = Label + ".host"
	LabelPID   = Label + ".pid"
	LabelStart = Label + ".start" // the owner's start time, in clock ticks since boot
)

// ownerLabels returns the labels every container iterbench starts carries.
func ownerLabels() map[string]string {
	host, _ := os.Hostname()
	labels := map[string]string{Label: "1", LabelHost: host, LabelPID: strconv.Itoa(os.Getpid())}
	if st, ok := startTime(os.Getpid()); ok {
		labels[LabelStart] = strconv.FormatUint(st, 10)
	}
	return labels
}

// startTime returns a process's start time (clock ticks since boot), which
// tells it from a later process given the same pid.
func startTime(pid int) (uint64, bool) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return 0, false
	}
	st, err := p.Stat()
	if err != nil {
		return 0, false
	}
	return st.Starttime, true
}

// ownerGone reports whether the container's labels name a process on this
// host that no longer runs. Containers of other hosts, and without owner
// labels, are not judged.
func ownerGone(labels map[string]string) bool {
	host, _ := os.Hostname()
	if labels[LabelHost] != host {
		return false
	}
	pid, err := strconv.Atoi(labels[LabelPID])
	if err != nil || pid <= 0 {
		return false
	}
	st, running := startTime(pid)
	if !running {
		return true
	}
	want, err := strconv.ParseUint(labels[LabelStart], 10, 64)
	return err == nil && st != want // the pid now belongs to another process
}

// Removed describes what RemoveOrphans or RemoveAll removed.
type Removed struct {
	// Containers is the number of containers removed.
	Containers int
	// Networks is the number of networks removed (a cluster's).
	Networks int
	// Owners names the processes that had started them ("pid 12 on host").
	Owners []string
}

// String is the one line iterbench prints about it.
func (r Removed) String() string {
	var what []string
	for _, c := range []struct {
		n    int
		noun string
	}{{r.Containers, "container"}, {r.Networks, "network"}} {
		switch {
		case c.n == 1:
			what = append(what, "1 "+c.noun)
		case c.n > 1:
			what = append(what, fmt.Sprintf("%d %ss", c.n, c.noun))
		}
	}
	if len(what) == 0 {
		what = []string{"0 containers"}
	}
	return fmt.Sprintf("removed %s left by iterbench runs that ended without cleaning up (%s)",
		strings.Join(what, " and "), strings.Join(r.Owners, ", "))
}

// RemoveOrphans removes the iterbench containers whose owner process is
// gone.
func RemoveOrphans(ctx context.Context) (Removed, error) {
	return RemoveWhere(ctx, func(_ string, labels map[string]string) bool { return ownerGone(labels) })
}

// RemoveAll removes every iterbench container and network, running or
// not, whoever started it (iterbench clean).
func RemoveAll(ctx context.Context) (Removed, error) {
	return RemoveWhere(ctx, func(string, map[string]string) bool { return true })
}

// RemoveWhere removes the iterbench containers for which which, given the
// container's id and labels, returns true; then the iterbench networks (a
// cluster's) for which it returns true, once no container is left on them.
func RemoveWhere(ctx context.Context, which func(id string, labels map[string]string) bool) (Removed, error) {
	var r Removed
	cli, err := dockerClient(ctx)
	if err != nil {
		return r, err
	}
	defer cli.Close()
	list, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("label", Label+"=1")})
	if err != nil {
		return r, fmt.Errorf("list iterbench containers: %w", err)
	}
	owners := map[string]bool{}
	for _, c := range list.Items {
		if !which(c.ID, c.Labels) {
			continue
		}
		if _, err := cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
			return r, fmt.Errorf("remove container %.12s: %w", c.ID, err)
		}
		r.Containers++
		owner := "owner unknown"
		if c.Labels[LabelPID] != "" {
			owner = fmt.Sprintf("pid %s on %s", c.Labels[LabelPID], c.Labels[LabelHost])
		}
		owners[owner] = true
	}
	nets, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: make(client.Filters).Add("label", Label+"=1")})
	if err != nil {
		return r, fmt.Errorf("list iterbench networks: %w", err)
	}
	for _, n := range nets.Items {
		if !which(n.ID, n.Labels) {
			continue
		}
		if _, err := cli.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{}); err != nil {
			return r, fmt.Errorf("remove network %.12s: %w", n.ID, err)
		}
		r.Networks++
		if n.Labels[LabelPID] != "" {
			owners[fmt.Sprintf("pid %s on %s", n.Labels[LabelPID], n.Labels[LabelHost])] = true
		}
	}
	for o := range owners {
		r.Owners = append(r.Owners, o)
	}
	sort.Strings(r.Owners)
	return r, nil
}
