// Package dbfile keeps a SQLite database's files for their owner's eyes
// only: what a store holds (sealed secrets, accounts, the sessions' logs)
// is nobody else's to read, whatever the umask.
//
// SQLite creates a database file with mode 0644 less the umask, and gives
// its -wal, -shm and -journal files the mode of the database file; so the
// database file is made before SQLite opens it, mode 0600, and then all
// of them are.
package dbfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Mode is the mode of a database's files.
const Mode fs.FileMode = 0o600

// Private makes the database file at path, mode 0600, unless it exists,
// and takes the access of group and others away from it and from the
// -wal, -shm and -journal files beside it that exist. It returns an error
// that says what to do when it cannot.
func Private(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, Mode)
	switch {
	case err == nil:
		return f.Close()
	case !errors.Is(err, fs.ErrExist):
		return err
	}
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) && p != path {
			continue
		}
		if err != nil {
			return err
		}
		if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o077 == 0 {
			continue
		}
		if err := os.Chmod(p, fi.Mode().Perm()&^0o077); err != nil {
			return fmt.Errorf("%s: mode %04o lets other users read it, and it cannot be changed (chmod 600 %s): %w", p, fi.Mode().Perm(), p, err)
		}
	}
	return nil
}
