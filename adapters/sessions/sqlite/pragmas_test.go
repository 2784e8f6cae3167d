package sqlite

import (
	"context"
	"path/filepath"
	"testing"
)

// TestWriterPragmas checks the settings the writer commits under: WAL,
// synchronous=FULL unless the URL asks otherwise, foreign keys enforced
// (they delete a reaped session's rows) and checkpoints every
// walCheckpoint frames.
func TestWriterPragmas(t *testing.T) {
	for _, tt := range []struct {
		query string
		sync  int
	}{
		{"", 2},
		{"?synchronous=normal", 1},
	} {
		s, err := Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "s.db")+tt.query)
		if err != nil {
			t.Fatal(err)
		}
		var mode string
		var sync, fk, ckpt int
		for _, p := range []struct {
			pragma string
			dest   any
		}{
			{"journal_mode", &mode}, {"synchronous", &sync}, {"foreign_keys", &fk}, {"wal_autocheckpoint", &ckpt},
		} {
			if err := s.w.QueryRow("PRAGMA " + p.pragma).Scan(p.dest); err != nil {
				t.Fatalf("PRAGMA %s: %v", p.pragma, err)
			}
		}
		if mode != "wal" || sync != tt.sync || fk != 1 || ckpt != walCheckpoint {
			t.Errorf("URL %q: journal_mode, synchronous, foreign_keys, wal_autocheckpoint = %s, %d, %d, %d; want wal, %d, 1, %d",
				tt.query, mode, sync, fk, ckpt, tt.sync, walCheckpoint)
		}
		s.Close()
	}
}
