//go:build unix

package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/tetherflow/tether/adapters/demoportal"
)

// The portal's state file and SQLite's -wal and -shm beside it are their
// owner's alone (mode 0600), whatever the umask.
func TestFilesAreOwnersOnly(t *testing.T) {
	old := syscall.Umask(0) // the loosest: SQLite alone would make 0644
	defer syscall.Umask(old)
	dir := t.TempDir()
	st := open(t, filepath.Join(dir, "portal.db"))
	if err := st.Update(context.Background(), func(tx demoportal.Tx) error {
		return tx.PutAccount(demoportal.AccountRecord{Email: "a@example.com"})
	}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"portal.db", "portal.db-wal", "portal.db-shm"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", name, got)
		}
	}
}
