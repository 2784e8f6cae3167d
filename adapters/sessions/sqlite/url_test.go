package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseURL(t *testing.T) {
	for _, tt := range []struct {
		url     string
		want    options
		wantErr string
	}{
		{url: "sqlite:tether.db", want: options{path: "tether.db", synchronous: "FULL", busyTimeout: 5 * time.Second}},
		{url: "sqlite:///var/lib/t.db", want: options{path: "/var/lib/t.db", synchronous: "FULL", busyTimeout: 5 * time.Second}},
		{url: "sqlite:/abs/t.db?synchronous=normal&busy_timeout=250ms", want: options{path: "/abs/t.db", synchronous: "NORMAL", busyTimeout: 250 * time.Millisecond}},
		{url: "sqlite:t.db?synchronous=FULL", want: options{path: "t.db", synchronous: "FULL", busyTimeout: 5 * time.Second}},
		{url: "postgres://x/y", wantErr: "not sqlite:PATH"},
		{url: "tether.db", wantErr: "not sqlite:PATH"},
		{url: "sqlite:", wantErr: "no database file"},
		{url: "sqlite:?synchronous=full", wantErr: "no database file"},
		{url: "sqlite::memory:", wantErr: "use the memory store"},
		{url: "sqlite:t.db?synchronous=off", wantErr: "want full or normal"},
		{url: "sqlite:t.db?busy_timeout=5", wantErr: "want a duration"},
		{url: "sqlite:t.db?busy_timeout=-1s", wantErr: "want a duration"},
		{url: "sqlite:t.db?journal_mode=delete", wantErr: "unknown option journal_mode"},
		{url: "sqlite:t.db?%zz", wantErr: "invalid URL escape"},
	} {
		got, err := parseURL(tt.url)
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseURL(%q) = %v, want an error containing %q", tt.url, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("parseURL(%q) = %v", tt.url, err)
		case got != tt.want:
			t.Errorf("parseURL(%q) = %+v, want %+v", tt.url, got, tt.want)
		}
	}
}

// TestSettings checks the settings each connection runs with, and that a
// path with characters a file: URI gives a meaning to is still a path.
func TestSettings(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		query string
		sync  int // PRAGMA synchronous: 1 NORMAL, 2 FULL
		busy  int
	}{
		{"", 2, 5000},
		{"?synchronous=normal&busy_timeout=1500ms", 1, 1500},
	} {
		path := filepath.Join(t.TempDir(), "odd #1 100%3f.db")
		s, err := Open(ctx, "sqlite:"+path+tt.query)
		if err != nil {
			t.Fatalf("Open(%q): %v", path, err)
		}
		for _, c := range []struct {
			name   string
			pragma string
			want   any
		}{
			{"writer", "journal_mode", "wal"},
			{"writer", "synchronous", tt.sync},
			{"writer", "foreign_keys", 1},
			{"writer", "busy_timeout", tt.busy},
			{"reader", "synchronous", tt.sync},
			{"reader", "foreign_keys", 1},
			{"reader", "busy_timeout", tt.busy},
			{"reader", "query_only", 1},
			{"writer", "query_only", 0},
		} {
			db := s.w
			if c.name == "reader" {
				db = s.r
			}
			var got any
			if err := db.QueryRowContext(ctx, "PRAGMA "+c.pragma).Scan(&got); err != nil {
				t.Fatalf("%s: PRAGMA %s: %v", c.name, c.pragma, err)
			}
			if g, ok := got.(int64); ok {
				got = int(g)
			}
			if got != c.want {
				t.Errorf("%s: PRAGMA %s = %v, want %v", c.name, c.pragma, got, c.want)
			}
		}
		var file string
		if err := s.w.QueryRowContext(ctx, "SELECT file FROM pragma_database_list WHERE name = 'main'").Scan(&file); err != nil {
			t.Fatal(err)
		}
		if file != path {
			t.Errorf("database file = %q, want %q", file, path)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
