//go:build unix

package credstore

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// noFollow opens the lock file without following a symbolic link.
const noFollow = syscall.O_NOFOLLOW

// checkFile refuses a store (or its lock file) that is not a regular file
// of ours, readable and writable by us alone.
func checkFile(path string, fi fs.FileInfo) error {
	switch {
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%w: %s is not a regular file (%s); remove it, or use another path", ErrInsecure, path, fi.Mode().Type())
	case fi.Mode().Perm()&0o077 != 0:
		return fmt.Errorf("%w: %s can be read or written by other users (mode %s); make it yours alone: chmod 600 %s",
			ErrInsecure, path, fi.Mode().Perm(), path)
	}
	if uid, ok := owner(fi); ok && uid != os.Getuid() {
		return fmt.Errorf("%w: %s belongs to user %d, not to you (user %d): remove it, or if it is yours: chown %d %s",
			ErrInsecure, path, uid, os.Getuid(), os.Getuid(), path)
	}
	return nil
}

// checkDir refuses a directory in which another user could replace the
// store: one that user owns, or can write to without the sticky bit.
func checkDir(dir string, fi fs.FileInfo) error {
	if uid, ok := owner(fi); ok && uid != os.Getuid() && uid != 0 {
		return fmt.Errorf("%w: its directory %s belongs to user %d, who could replace the store: keep the store in a directory of your own", ErrInsecure, dir, uid)
	}
	if fi.Mode().Perm()&0o022 != 0 && fi.Mode()&fs.ModeSticky == 0 {
		return fmt.Errorf("%w: its directory %s can be written by other users (mode %s), who could replace the store: chmod go-w %s, or keep the store in a directory of your own",
			ErrInsecure, dir, fi.Mode(), dir)
	}
	return nil
}

func owner(fi fs.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}
