package postgres_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tetherflow/tether/adapters/sessions/postgres"
	"github.com/tetherflow/tether/adapters/sessions/storetest"
	"github.com/tetherflow/tether/host"
)

// dsnEnv names the database the tests may use.
const dsnEnv = "TETHER_TEST_POSTGRES"

// database returns a connection to the test database, skipping the test
// when there is none.
func database(t testing.TB) (*pgx.Conn, string) {
	t.Helper()
	dsn := os.Getenv(dsnEnv)
	if dsn == "" {
		t.Skipf("no PostgreSQL to test against: set %s=postgres://postgres@127.0.0.1:5432/test?sslmode=disable (a database the tests may create schemas in) to run the PostgreSQL store's tests", dsnEnv)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to %s: %v", dsnEnv, err)
	}
	t.Cleanup(func() { conn.Close(ctx) })
	return conn, dsn
}

// schemaURL makes a schema of its own for t, dropped when t ends, and
// returns the store URL that keeps the tables in it: tests, and test runs,
// do not see each other's sessions.
func schemaURL(t testing.TB) string {
	t.Helper()
	conn, dsn := database(t)
	ctx := context.Background()
	name := "tether_test_" + strings.ToLower(rand.Text()[:12])
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("create schema %s: %v", name, err)
	}
	t.Cleanup(func() {
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{name}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("%s: %v", dsnEnv, err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}

func open(t testing.TB, url string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	return s
}

func TestContract(t *testing.T) {
	database(t)
	storetest.Run(t, func(t *testing.T) host.ServerStore { return open(t, schemaURL(t)) })
}

func TestInstances(t *testing.T) {
	database(t)
	storetest.RunInstances(t, func(t *testing.T) (host.ServerStore, host.ServerStore) {
		url := schemaURL(t)
		return open(t, url), open(t, url)
	})
}

func TestCrash(t *testing.T) {
	storetest.Crash(t, schemaURL, func(ctx context.Context, url string) (host.ServerStore, error) {
		return postgres.Open(ctx, url)
	}, nil)
}

// migrations are the versions the goose table in the schema of url
// records, in order.
func migrations(t *testing.T, url string) []int64 {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(), "SELECT version_id FROM tether_migrations ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	vs, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

// TestOpen checks that stores opening one new schema at once all work and
// make the schema once, and that a later open changes nothing.
func TestOpen(t *testing.T) {
	const stores = 4
	ctx := context.Background()
	url := schemaURL(t)
	opened := make([]*postgres.Store, stores)
	errs := make([]error, stores)
	var wg sync.WaitGroup
	for i := range stores {
		wg.Go(func() { opened[i], errs[i] = postgres.Open(ctx, url) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d = %v", i, err)
		}
		defer opened[i].Close()
		if err := opened[i].Save(ctx, storetest.Workload(fmt.Sprint("s", i), 0)); err != nil {
			t.Errorf("Save through store %d = %v", i, err)
		}
	}
	again := open(t, url)
	defer again.Close()
	for i := range stores {
		if _, err := again.Load(ctx, fmt.Sprint("s", i)); err != nil {
			t.Errorf("Load(s%d) through a store opened later = %v", i, err)
		}
	}
	if got := migrations(t, url); !slices.Equal(got, []int64{0, 1, 2}) {
		t.Errorf("migrations recorded = %v, want [0 1 2]: each once", got)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct{ url, want string }{
		{"sqlite:tether.db", "not postgres://"},
		{"postgres://u:secret@127.0.0.1:5432/x?sslmode=nonsense", "not a PostgreSQL connection URL"},
		// Nothing listens on port 1: the error names the server, not the
		// password.
		{"postgres://u:secret@127.0.0.1:1/x?connect_timeout=5", "127.0.0.1:1"},
	} {
		_, err := postgres.Open(ctx, tt.url)
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "secret") {
			t.Errorf("Open(%s) = %v, want an error with %q and no password", tt.url, err, tt.want)
		}
	}
}

// TestSaveGivesUp checks that a Save waiting for a row another
// transaction holds stops waiting when its context ends, and writes
// nothing.
func TestSaveGivesUp(t *testing.T) {
	ctx := context.Background()
	url := schemaURL(t)
	s := open(t, url)
	defer s.Close()
	if err := s.Save(ctx, storetest.Workload("s1", 0)); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SELECT 1 FROM sessions WHERE id = 's1' FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	next := storetest.Workload("s1", storetest.StepEntries)
	if err := s.Save(short, next); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Save of a locked session = %v, want context.DeadlineExceeded", err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if r, err := s.Load(ctx, "s1"); err != nil || r.Version != storetest.StepEntries {
		t.Errorf("Load after the Save gave up = %v, %v, want version %d", r, err, storetest.StepEntries)
	}
	if err := s.Save(ctx, next); err != nil {
		t.Errorf("Save once the row is free = %v", err)
	}
}
