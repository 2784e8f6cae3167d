package dbfile

import (
	"os"
	"path/filepath"
	"testing"
)

// A new database file is made 0600 whatever the umask; existing files
// that others may read, the database's and SQLite's beside it, are made
// so; a file already private, and what is not beside it, are left alone.
func TestPrivate(t *testing.T) {
	dir := t.TempDir()
	fresh := filepath.Join(dir, "new.db")
	if err := Private(fresh); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(dir, "old.db")
	for name, mode := range map[string]os.FileMode{"old.db": 0o644, "old.db-wal": 0o664, "old.db-shm": 0o640, "other": 0o644, "kept.db": 0o400} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // the umask spares chmod
			t.Fatal(err)
		}
	}
	if err := Private(old); err != nil {
		t.Fatal(err)
	}
	if err := Private(filepath.Join(dir, "kept.db")); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]os.FileMode{"new.db": 0o600, "old.db": 0o600, "old.db-wal": 0o600, "old.db-shm": 0o600, "other": 0o644, "kept.db": 0o400} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %04o, want %04o", name, got, want)
		}
	}
	if err := Private(filepath.Join(dir, "missing", "x.db")); err == nil {
		t.Error("a database in a directory that does not exist was made")
	}
}
