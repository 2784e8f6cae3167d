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
	if got := migrations(t, url); !slices.Equal(got, []int64{0, 1, 2, 3}) {
		t.Errorf("migrations recorded = %v, want [0 1 2 3]: each once", got)
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

// Rate limits are counted in the database: two stores on it (two
// instances) take from one bucket, which refills one token an interval up
// to its burst, and Reap forgets the buckets that are full again.
func TestTake(t *testing.T) {
	ctx := context.Background()
	url := schemaURL(t)
	a, b := open(t, url), open(t, url)
	defer a.Close()
	defer b.Close()
	now := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	const interval, burst = 10 * time.Second, 3
	take := func(s *postgres.Store, bucket string, at time.Time) time.Duration {
		t.Helper()
		wait, err := s.Take(ctx, bucket, at, interval, burst)
		if err != nil {
			t.Fatalf("Take(%s) = %v", bucket, err)
		}
		return wait
	}
	for i, s := range []*postgres.Store{a, b, a} {
		if wait := take(s, "create 192.0.2.1", now); wait != 0 {
			t.Fatalf("take %d of a burst of %d: wait %v", i+1, burst, wait)
		}
	}
	for _, s := range []*postgres.Store{a, b} {
		if wait := take(s, "create 192.0.2.1", now); wait != interval {
			t.Errorf("a take past the burst = wait %v, want %v", wait, interval)
		}
	}
	if wait := take(b, "create 192.0.2.2", now); wait != 0 {
		t.Errorf("another bucket waits %v", wait)
	}
	// One interval later one token is back, and only one.
	later := now.Add(interval)
	if wait := take(b, "create 192.0.2.1", later); wait != 0 {
		t.Errorf("after an interval: wait %v, want a token", wait)
	}
	if wait := take(a, "create 192.0.2.1", later.Add(time.Second)); wait != interval-time.Second {
		t.Errorf("the second take after an interval: wait %v, want %v", wait, interval-time.Second)
	}
	// Many takes at once on a new bucket: exactly the burst gets through.
	var wg sync.WaitGroup
	var mu sync.Mutex
	taken := 0
	for i := range 16 {
		wg.Go(func() {
			s := []*postgres.Store{a, b}[i%2]
			wait, err := s.Take(ctx, "answer 198.51.100.7", now, time.Hour, 5)
			if err != nil {
				t.Error(err)
			}
			if wait == 0 {
				mu.Lock()
				taken++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if taken != 5 {
		t.Errorf("%d of 16 concurrent takes got a token, want the burst of 5", taken)
	}
	// Reap forgets the buckets full again: 192.0.2.2 after its interval,
	// not 192.0.2.1, which is a token short for longer.
	conn, _ := database(t)
	count := func() int {
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+schemaOf(t, url)+".rate_limits").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if _, err := a.Reap(ctx, now.Add(interval), 10); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 2 {
		t.Errorf("%d buckets after Reap, want 2 (192.0.2.2 forgotten)", n)
	}
}

// schemaOf is the schema a schemaURL keeps its tables in.
func schemaOf(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("search_path")
}
