package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/tetherflow/tether/adapters/sessions/internal/sqlstore"
	"github.com/tetherflow/tether/host"
)

// migrateTo brings the database at path to schema version v, up or down.
func migrateTo(t *testing.T, path string, v int64) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys,
		goose.WithTableName(sqlstore.MigrationsTable), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	cur, err := p.GetDBVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if cur < v {
		_, err = p.UpTo(context.Background(), v)
	} else {
		_, err = p.DownTo(context.Background(), v)
	}
	if err != nil {
		t.Fatalf("migrate %s from %d to %d: %v", path, cur, v, err)
	}
}

// withoutRowid are the tables of the database at path that are WITHOUT
// ROWID, of session_log and session_requests.
func withoutRowid(t *testing.T, path string) []string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT name FROM pragma_table_list
		WHERE name IN ('session_log', 'session_requests') AND wr ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	return names
}

// TestMigrateAppendLog opens a database at schema version 2 that holds
// sessions with logs, remembered requests and effects: migration 3 keeps
// every row, the store reads them and goes on writing; migrated down and
// up again, the rows are still there.
func TestMigrateAppendLog(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	migrateTo(t, path, 2)
	if got := withoutRowid(t, path); !slices.Equal(got, []string{"session_log", "session_requests"}) {
		t.Fatalf("WITHOUT ROWID tables at version 2 = %v", got)
	}
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO sessions (id, version, flow, region, hash, done, data) VALUES
			('b', 2, 'f', 'DE', 'h', 0, x'62'), ('a', 3, 'f', 'DE', 'h', 0, x'61')`,
		`INSERT INTO session_log (session_id, seq, data) VALUES
			('b', 2, 'b2'), ('a', 3, 'a3'), ('a', 1, 'a1'), ('b', 1, 'b1'), ('a', 2, 'a2')`,
		`INSERT INTO session_requests (session_id, request_key, response, digest) VALUES
			('a', 'k1', 'ra1', 'da1'), ('b', 'k1', 'rb1', 'db1'), ('a', 'k0', 'ra0', x'')`,
		`INSERT INTO session_effects (session_id, effect_key, kind, data) VALUES ('a', 'e1', 'sms', 'x')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s, err := Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if got := withoutRowid(t, path); len(got) != 0 {
		t.Errorf("WITHOUT ROWID tables after migrating = %v, want none", got)
	}
	checkLog(t, s, "a", 1, "a2", "a3")
	checkLog(t, s, "b", 0, "b1", "b2")
	for _, want := range []host.Request{
		{Key: "k1", Digest: []byte("da1"), Response: []byte("ra1")},
		{Key: "k0", Digest: []byte{}, Response: []byte("ra0")},
	} {
		_, got, err := s.Recall(ctx, "a", want.Key)
		if err != nil || got == nil || string(got.Digest) != string(want.Digest) || string(got.Response) != string(want.Response) {
			t.Errorf("Recall(a, %s) = %+v, %v; want %+v", want.Key, got, err, want)
		}
	}
	if e, err := s.Effects(ctx, "a"); err != nil || len(e) != 1 || e[0].Key != "e1" {
		t.Errorf("Effects(a) = %+v, %v; want e1", e, err)
	}

	// The store goes on: a used key and a used sequence number are
	// refused as before; a new step appends.
	step := func(prev, seq int, key string) *host.Commit {
		return &host.Commit{Prev: prev, Record: host.Record{ID: "a", Version: prev + 1, Flow: "f", Region: "DE", Hash: "h", Data: []byte("a")},
			Entries: []host.LogEntry{{Seq: seq, Data: []byte("a4")}}, Request: &host.Request{Key: key, Response: []byte("r")}}
	}
	if err := s.Save(ctx, step(3, 4, "k1")); !errors.Is(err, host.ErrConflict) {
		t.Errorf("Save with the migrated key k1 = %v, want ErrConflict", err)
	}
	if err := s.Save(ctx, step(3, 3, "k2")); err == nil {
		t.Error("Save of a second entry 3 succeeded")
	}
	if err := s.Save(ctx, step(3, 4, "k2")); err != nil {
		t.Fatalf("Save after migrating = %v", err)
	}
	checkLog(t, s, "a", 0, "a1", "a2", "a3", "a4")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	checkIntegrity(t, path)

	migrateTo(t, path, 2)
	if got := withoutRowid(t, path); !slices.Equal(got, []string{"session_log", "session_requests"}) {
		t.Errorf("WITHOUT ROWID tables migrated down = %v", got)
	}
	s, err = Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkLog(t, s, "a", 0, "a1", "a2", "a3", "a4")
	if _, got, err := s.Recall(ctx, "b", "k1"); err != nil || got == nil || string(got.Digest) != "db1" {
		t.Errorf("Recall(b, k1) after down and up = %+v, %v; want digest db1", got, err)
	}
}

func checkLog(t *testing.T, s *Store, id string, after int, want ...string) {
	t.Helper()
	l, err := s.Log(context.Background(), id, after)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i, e := range l {
		if e.Seq != after+1+i {
			t.Errorf("Log(%s, %d)[%d].Seq = %d, want %d", id, after, i, e.Seq, after+1+i)
		}
		got = append(got, string(e.Data))
	}
	if !slices.Equal(got, want) {
		t.Errorf("Log(%s, %d) = %q, want %q", id, after, got, want)
	}
}

// checkIntegrity checks the pages, the indexes and the foreign keys of
// the database at path.
func checkIntegrity(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ok string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
		t.Errorf("PRAGMA integrity_check = %q, %v, want ok", ok, err)
	}
	var orphans int
	if err := db.QueryRow("SELECT count(*) FROM pragma_foreign_key_check").Scan(&orphans); err != nil || orphans != 0 {
		t.Errorf("PRAGMA foreign_key_check = %d rows, %v; want none", orphans, err)
	}
}
