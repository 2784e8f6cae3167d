// Package atomicfile replaces files so that a reader, or a process killed
// at any moment, sees the old content or the new, never a mix or nothing.
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// WriteFile replaces the file at path with data: it writes a temporary
// file in the same directory (hidden, mode perm before any byte is
// written), syncs it, renames it over path and syncs the directory, so
// that the rename itself survives a crash where the system allows. The
// directory must exist. On error, path is as it was and no temporary file
// is left.
func WriteFile(path string, data []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(perm); err != nil {
		return fmt.Errorf("restrict %s: %w", tmp.Name(), err)
	}
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	// Not every system can sync a directory, and the data is safe
	// already: a failure here is ignored.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
