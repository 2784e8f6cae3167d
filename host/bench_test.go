package host_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tetherflow/tether/adapters/sessions/postgres"
	"github.com/tetherflow/tether/adapters/sessions/sqlite"
	"github.com/tetherflow/tether/adapters/sessions/storetest"
	"github.com/tetherflow/tether/catalog"
	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/host"
)

// loopFlow is benchmark P3's session: two prompts answered in turn, each
// answer a step that logs the answer and its transition, sets a variable
// and arms a timer — what a prompt's step commits, without a portal call
// (whose latency is the portal's, not the store's).
const loopFlow = `flow: loop
start: a
vars: {n: 0}
states:
  a:
    ask:
      text: "A {{ n }}"
      fields: {note: {type: text, optional: true}}
      choices: [next, stop]
    after: {5m: a}
    on: {next: {set: {n: n + 1}, go: b}, stop: done}
  b:
    ask: {text: "B {{ n }}", choices: [next]}
    after: {5m: a}
    on: {next: {set: {n: n + 1}, go: a}}
  done: {final: done}
`

// p3Phase and p3Sessions: the benchmark alternates raw commits and steps in
// phases of p3Phase, so that both meet the same load from the rest of the
// machine, over p3Sessions sessions.
const (
	p3Phase    = 32
	p3Sessions = 64
)

// BenchmarkP3Steps is benchmark P3 for steps: durable steps per second
// through the session host and a store (load, restore, answer, save the
// snapshot, log entries and effects in one transaction) against the raw
// commit rate of the same database on the same disk (a one-row upsert per
// transaction), in one run. The goal is a ratio of 0.5 or more.
//
//	TETHER_TEST_POSTGRES=postgres://... go test -run '^$' -bench P3Steps -benchtime 2000x ./host
func BenchmarkP3Steps(b *testing.B) {
	type db struct {
		name string
		open func(b *testing.B) (host.ServerStore, func(ctx context.Context, n int) error)
	}
	dbs := []db{{"sqlite", openSQLiteP3}}
	if os.Getenv("TETHER_TEST_POSTGRES") != "" {
		dbs = append(dbs, db{"postgres", openPostgresP3})
	}
	for _, d := range dbs {
		for _, clients := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/clients=%d", d.name, clients), func(b *testing.B) {
				store, raw := d.open(b)
				defer store.Close()
				benchSteps(b, store, raw, clients)
			})
		}
	}
}

func openSQLiteP3(b *testing.B) (host.ServerStore, func(ctx context.Context, n int) error) {
	path := filepath.Join(b.TempDir(), "p3.db")
	s, err := sqlite.Open(context.Background(), "sqlite:"+path)
	if err != nil {
		b.Fatal(err)
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Set("_txlock", "immediate")
	raw, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { raw.Close() })
	raw.SetMaxOpenConns(1)
	if _, err := raw.Exec(`CREATE TABLE p3_raw (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	return s, func(ctx context.Context, n int) error {
		_, err := raw.ExecContext(ctx, `INSERT INTO p3_raw (id, v) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET v = excluded.v`, n%64, n)
		return err
	}
}

func openPostgresP3(b *testing.B) (host.ServerStore, func(ctx context.Context, n int) error) {
	ctx := context.Background()
	dsn := os.Getenv("TETHER_TEST_POSTGRES")
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	schema := fmt.Sprintf("tether_p3_%d", time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); conn.Close(ctx) })
	u, _ := url.Parse(dsn)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	s, err := postgres.Open(ctx, u.String())
	if err != nil {
		b.Fatal(err)
	}
	raw, err := pgxpool.New(ctx, u.String())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(raw.Close)
	if _, err := raw.Exec(ctx, `CREATE TABLE p3_raw (id bigint PRIMARY KEY, v bigint NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	return s, func(ctx context.Context, n int) error {
		_, err := raw.Exec(ctx, `INSERT INTO p3_raw (id, v) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET v = excluded.v`, n%64, n)
		return err
	}
}

// loopHost is a host of loopFlow on cfg's store, with secrets and an hour's
// idle timeout, as the benchmarks' server has.
func loopHost(b *testing.B, cfg host.Config) *host.Host {
	b.Helper()
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "loop.yaml"), []byte(loopFlow), 0o644); err != nil {
		b.Fatal(err)
	}
	reg, _ := engine.NewRegistry()
	cat, err := catalog.Load(dir, catalog.Options{Registry: reg})
	if err != nil || cat.Err() != nil {
		b.Fatal(err, cat.Err())
	}
	cfg.Catalog, cfg.IdleTimeout, cfg.Secrets = cat, time.Hour, true
	cfg.Actions = func(context.Context, string) (*engine.Registry, error) { return reg, nil }
	h, err := host.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return h
}

// benchSteps runs b.N steps and b.N raw commits with clients goroutines,
// alternating in phases, and reports both rates and their ratio.
func benchSteps(b *testing.B, store host.ServerStore, raw func(ctx context.Context, n int) error, clients int) {
	ctx := context.Background()
	h := loopHost(b, host.Config{Store: store})
	// Each client answers sessions of its own, so that no step conflicts.
	versions := make([]int, p3Sessions)
	ids, secrets := make([]string, p3Sessions), make([]string, p3Sessions)
	for i := range ids {
		v, err := h.Start(ctx, host.StartRequest{Flow: "loop", Device: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		ids[i], secrets[i], versions[i] = v.ID, v.Secret, v.Version
	}
	steps := make([]int, clients)
	step := func(client int) error {
		i := client + steps[client]%(p3Sessions/clients)*clients
		steps[client]++
		v, err := h.Answer(ctx, ids[i], host.Answer{Version: versions[i], Choice: "next", Secret: secrets[i]})
		if err != nil {
			return err
		}
		versions[i] = v.Version
		return nil
	}
	var rawN atomic.Int64
	phase := func(n int, commit func(client int) error) time.Duration {
		d, err := storetest.Parallel(n, clients, commit)
		if err != nil {
			b.Fatal(err)
		}
		return d
	}
	var rawTime, stepTime time.Duration
	b.ResetTimer()
	for done := 0; done < b.N; done += p3Phase {
		n := min(p3Phase, b.N-done)
		rawTime += phase(n, func(int) error { return raw(ctx, int(rawN.Add(1))) })
		stepTime += phase(n, step)
	}
	b.StopTimer()
	rawRate, stepRate := float64(b.N)/rawTime.Seconds(), float64(b.N)/stepTime.Seconds()
	b.ReportMetric(rawRate, "raw-commits/s")
	b.ReportMetric(stepRate, "steps/s")
	b.ReportMetric(stepRate/rawRate, "ratio")
	b.ReportMetric(0, "ns/op")
}
