//go:build !unix

package credstore

import (
	"fmt"
	"io/fs"
)

// noFollow is not available here: the lock file is checked once open.
const noFollow = 0

// checkFile refuses a store that is not a regular file. Permission bits
// and owners are Unix notions; elsewhere the store relies on the
// directory's access control.
func checkFile(path string, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%w: %s is not a regular file (%s); remove it, or use another path", ErrInsecure, path, fi.Mode().Type())
	}
	return nil
}

// checkDir accepts any directory: see checkFile.
func checkDir(string, fs.FileInfo) error { return nil }
