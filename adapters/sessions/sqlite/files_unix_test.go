//go:build unix

package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/tetherflow/tether/adapters/sessions/storetest"
)

// The database and the -wal and -shm files SQLite makes beside it are
// their owner's alone (mode 0600) whatever the umask, and so is a file an
// earlier release made 0644 once it is opened again.
func TestFilesAreOwnersOnly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	old := syscall.Umask(0) // the loosest: SQLite alone would make 0644
	defer syscall.Umask(old)
	path := filepath.Join(dir, "s.db")
	s := open(t, "sqlite:"+path)
	if err := s.Save(ctx, storetest.Workload("s1", 0)); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		for _, name := range []string{"s.db", "s.db-wal", "s.db-shm"} {
			fi, err := os.Stat(filepath.Join(dir, name))
			if err != nil {
				t.Fatalf("%s: %v", when, err)
			}
			if got := fi.Mode().Perm(); got != 0o600 {
				t.Errorf("%s: %s has mode %04o, want 0600", when, name, got)
			}
		}
	}
	check("open")
	s.Close()
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	s = open(t, "sqlite:"+path)
	defer s.Close()
	if err := s.Save(ctx, storetest.Workload("s2", 0)); err != nil {
		t.Fatal(err)
	}
	check("reopened after a chmod 644")
}
