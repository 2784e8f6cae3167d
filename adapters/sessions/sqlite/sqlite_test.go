package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetherflow/tether/adapters/sessions/sqlite"
	"github.com/tetherflow/tether/adapters/sessions/storetest"
	"github.com/tetherflow/tether/catalog"
	"github.com/tetherflow/tether/host"
)

func open(t *testing.T, url string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), url)
	if err != nil {
		t.Fatalf("Open(%s) = %v", url, err)
	}
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) host.ServerStore {
		return open(t, "sqlite:"+filepath.Join(t.TempDir(), "sessions.db"))
	})
}

func TestArchive(t *testing.T) {
	storetest.RunArchive(t, func(t *testing.T) (func() catalog.Archive, func() catalog.Archive) {
		url := "sqlite:" + filepath.Join(t.TempDir(), "sessions.db")
		s := open(t, url)
		t.Cleanup(func() { s.Close() })
		return s.Archive, func() catalog.Archive {
			again := open(t, url)
			t.Cleanup(func() { again.Close() })
			return again.Archive()
		}
	})
}

func TestInstances(t *testing.T) {
	storetest.RunInstances(t, func(t *testing.T) (host.ServerStore, host.ServerStore) {
		url := "sqlite:" + filepath.Join(t.TempDir(), "sessions.db")
		return open(t, url), open(t, url)
	})
}

func TestCrash(t *testing.T) {
	storetest.Crash(t, func(t testing.TB) string {
		return "sqlite:" + filepath.Join(t.TempDir(), "crash.db")
	}, func(ctx context.Context, url string) (host.ServerStore, error) {
		return sqlite.Open(ctx, url)
	}, checkIntegrity)
}

// checkIntegrity checks the database at url as SQLite sees it: its pages
// and indexes, and no row whose session is gone.
func checkIntegrity(t *testing.T, url string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+strings.TrimPrefix(url, "sqlite:"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ok string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
		t.Errorf("PRAGMA integrity_check = %q, %v, want ok", ok, err)
	}
	rows, err := db.Query("PRAGMA foreign_key_check")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if rows.Next() {
		t.Error("PRAGMA foreign_key_check found rows whose session is gone")
	}
}

// TestReopen checks that a second open finds what the first saved and
// applies no migration again.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	url := "sqlite:" + filepath.Join(t.TempDir(), "s.db")
	s := open(t, url)
	c := storetest.Workload("s1", 0)
	if err := s.Save(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, url)
	defer s.Close()
	if r, err := s.Load(ctx, "s1"); err != nil || r.Version != c.Record.Version {
		t.Errorf("Load after reopening = %v, %v, want version %d", r, err, c.Record.Version)
	}
	if got := migrations(t, url); !slices.Equal(got, []int64{0, 1, 2, 3}) {
		t.Errorf("migrations recorded = %v, want [0 1 2 3]: each once", got)
	}
}

// migrations are the versions the goose table of the database at url
// records, in order.
func migrations(t *testing.T, url string) []int64 {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+strings.TrimPrefix(url, "sqlite:"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT version_id FROM tether_migrations ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var vs []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	return vs
}

// TestConcurrentOpen opens one new database from several stores at once,
// as processes starting together would: every open succeeds and the
// schema is made once.
func TestConcurrentOpen(t *testing.T) {
	const stores = 8
	url := "sqlite:" + filepath.Join(t.TempDir(), "s.db")
	opened := make([]*sqlite.Store, stores)
	errs := make([]error, stores)
	var wg sync.WaitGroup
	for i := range stores {
		wg.Go(func() { opened[i], errs[i] = sqlite.Open(context.Background(), url) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d = %v", i, err)
			continue
		}
		// Each works: it can save a session the others see.
		id := fmt.Sprint("s", i)
		if err := opened[i].Save(context.Background(), storetest.Workload(id, 0)); err != nil {
			t.Errorf("Save through store %d = %v", i, err)
		}
	}
	for i, s := range opened {
		if s == nil {
			continue
		}
		for j := range stores {
			if _, err := s.Load(context.Background(), fmt.Sprint("s", j)); err != nil && errs[j] == nil {
				t.Errorf("store %d: Load(s%d) = %v", i, j, err)
			}
		}
		s.Close()
	}
	if got := migrations(t, url); !slices.Equal(got, []int64{0, 1, 2, 3}) {
		t.Errorf("migrations recorded = %v, want [0 1 2 3]: each once", got)
	}
}

// TestSaveGivesUp checks that a Save waiting for another process's write
// lock stops waiting when its context ends, well before the busy timeout.
func TestSaveGivesUp(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	s := open(t, "sqlite:"+path+"?busy_timeout=1m")
	defer s.Close()
	other, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if err := s.Save(short, storetest.Workload("s1", 0)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Save while another holds the write lock = %v, want context.DeadlineExceeded", err)
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	// The lock released, the store writes again.
	if err := s.Save(ctx, storetest.Workload("s1", 0)); err != nil {
		t.Errorf("Save after the lock was released = %v", err)
	}
}
