// Package outdir writes a results folder whole or not at all: the new
// content is built in a temporary folder beside the target and swapped into
// place only once every file is written. A reader never sees a half-written
// folder, and a failure (a full disk, say) leaves the previous folder as it
// was and no partial folder behind.
package outdir

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/google/renameio/v2"
	"golang.org/x/sys/unix"
)

// tmpPrefix starts the names of the temporary folders beside a target.
const tmpPrefix = ".iterbench-tmp-"

// Keep says which entries of the previous folder carry over into the new
// one before it is filled (by name, at the folder's top level); nil keeps
// none.
type Keep func(name string) bool

// KeepAll carries the whole previous folder over: for redrawing, where the
// new files are written over the old ones.
func KeepAll(string) bool { return true }

// Replace builds dir's new content with fill, in a temporary folder beside
// dir, and puts it in dir's place when fill returns nil. The entries of the
// previous dir that keep selects are copied into the temporary folder first.
// If fill fails, the temporary folder is removed and dir is untouched.
func Replace(dir string, keep Keep, fill func(tmp string) error) (err error) {
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", parent, err)
	}
	removeStale(parent, filepath.Base(dir))
	// The folder's name carries this process's pid, so that a later run can
	// tell a folder left by a killed process from one still being filled.
	tmp, err := os.MkdirTemp(parent, fmt.Sprintf("%s%s-%d-", tmpPrefix, filepath.Base(dir), os.Getpid()))
	if err != nil {
		return fmt.Errorf("create a folder beside %s: %w", dir, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if keep != nil {
		if err := carryOver(dir, tmp, keep); err != nil {
			return err
		}
	}
	if err := fill(tmp); err != nil {
		return err
	}
	return swap(tmp, dir)
}

// Check reports, before any work, whether Replace can put a folder at dir:
// dir is neither the root, nor the current folder or one that holds it, nor
// a mount point, nor something other than a folder, and the folder that
// will hold it is writable (a probe file is created there and removed). It
// leaves nothing behind.
func Check(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	parent := filepath.Dir(abs)
	if parent == abs {
		return errors.New("is the root folder; name a folder of its own, such as results/run1")
	}
	if cwd, err := os.Getwd(); err == nil && (cwd == abs || strings.HasPrefix(cwd, abs+string(filepath.Separator))) {
		return errors.New("holds the current folder, which iterbench cannot replace; name a folder of its own, such as results/run1")
	}
	fi, err := os.Stat(abs)
	switch {
	case err == nil && !fi.IsDir():
		return fmt.Errorf("%s is not a folder", dir)
	case err == nil:
		if mounted(abs, parent) {
			return errors.New("is a mount point, which iterbench cannot replace; name a folder inside it")
		}
	case !errors.Is(err, os.ErrNotExist) && !errors.Is(err, unix.ENOTDIR):
		return err
	}
	return Writable(parent)
}

// Writable reports, leaving nothing behind, whether dir is, or can be
// created as, a writable folder: the nearest folder that exists on the way
// to it takes a probe file.
func Writable(dir string) error {
	probe := dir
	for {
		fi, err := os.Stat(probe)
		if err == nil {
			if !fi.IsDir() {
				return fmt.Errorf("%s is not a folder", probe)
			}
			break
		}
		if !errors.Is(err, os.ErrNotExist) && !errors.Is(err, unix.ENOTDIR) {
			return err
		}
		if filepath.Dir(probe) == probe {
			break
		}
		probe = filepath.Dir(probe)
	}
	f, err := os.CreateTemp(probe, tmpPrefix+"probe-*")
	if err != nil {
		return fmt.Errorf("cannot write in %s: %w", probe, errors.Unwrap(err))
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// mounted reports whether dir is on another file system than its parent.
func mounted(dir, parent string) bool {
	var a, b unix.Stat_t
	if unix.Stat(dir, &a) != nil || unix.Stat(parent, &b) != nil {
		return false
	}
	return a.Dev != b.Dev
}

// removeStale removes the temporary folders beside base that processes
// killed before they finished (SIGKILL, the OOM killer) left behind.
func removeStale(parent, base string) {
	RemoveStale(parent, tmpPrefix+base+"-")
}

// RemoveStale removes the folders in parent named prefix, a pid, "-" and
// anything, whose process no longer runs: temporary folders a process
// named after itself and could not remove because it was killed.
func RemoveStale(parent, prefix string) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || !e.IsDir() {
			continue
		}
		pidText, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil || pid <= 0 {
			continue
		}
		if unix.Kill(pid, 0) == unix.ESRCH {
			os.RemoveAll(filepath.Join(parent, e.Name()))
		}
	}
}

// swap puts tmp in dir's place: an atomic exchange where dir exists, then
// the old content (now at tmp) is removed.
func swap(tmp, dir string) error {
	err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, dir, unix.RENAME_EXCHANGE)
	switch {
	case err == nil:
		return os.RemoveAll(tmp) // the previous content
	case errors.Is(err, unix.ENOENT):
		if err := os.Rename(tmp, dir); err != nil {
			return fmt.Errorf("put %s in place: %w", dir, err)
		}
		return nil
	case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOSYS):
		// No RENAME_EXCHANGE on this file system: move the old folder
		// aside, the new one in, and remove the old.
		old := tmp + ".old"
		if err := os.Rename(dir, old); err != nil {
			return fmt.Errorf("put %s in place: %w", dir, err)
		}
		if err := os.Rename(tmp, dir); err != nil {
			os.Rename(old, dir)
			return fmt.Errorf("put %s in place: %w", dir, err)
		}
		return os.RemoveAll(old)
	}
	return fmt.Errorf("put %s in place: %w", dir, err)
}

// carryOver copies the entries of dir that keep selects into tmp.
func carryOver(dir, tmp string, keep Keep) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", dir, err)
	}
	for _, e := range entries {
		if !keep(e.Name()) || strings.HasPrefix(e.Name(), tmpPrefix) {
			continue
		}
		if err := copyTree(filepath.Join(dir, e.Name()), filepath.Join(tmp, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		return copyFile(path, target)
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return nil
}

// WriteFile writes data to path through a temporary file in the same folder
// and a rename.
func WriteFile(path string, data []byte) error {
	if err := renameio.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
