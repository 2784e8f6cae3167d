// Package sqlite is a session store in an SQLite database file, through
// modernc.org/sqlite (pure Go, no cgo): the default store of `tether
// serve`, for one process on one machine. Several processes may open the
// same file; SQLite serialises their writes.
//
//	s, err := sqlite.Open(ctx, "sqlite:tether.db")
//	if err != nil { ... }
//	defer s.Close()
//
// The database is in WAL mode with synchronous=FULL by default: a Save
// that returned nil has reached the disk, and survives the process being
// killed and the machine losing power. `?synchronous=normal` trades the
// latter for speed (see docs/stores.md).
package sqlite
