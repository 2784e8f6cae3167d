package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tetherflow/tether/host"
)

// ServeFlow is the flow of tether serve's benchmarks (internal/cli
// BenchmarkServeSteps, BenchmarkServeIdle) and of the memory store's
// idle session: two prompts answered in turn, a variable set and a timer
// armed each time.
const ServeFlow = `flow: loop
start: a
vars: {n: 0}
states:
  a:
    ask: {text: "A {{ n }}", choices: [next, stop]}
    after: {5m: a}
    on: {next: {set: {n: n + 1}, go: b}, stop: done}
  b:
    ask: {text: "B {{ n }}", choices: [next]}
    after: {5m: a}
    on: {next: {set: {n: n + 1}, go: a}}
  done: {final: done}
`

// RawCommit is one durable commit of the smallest kind a database has:
// one row upserted in a transaction of its own. n numbers the commit.
type RawCommit func(ctx context.Context, n int) error

// P3 settings: the benchmark alternates between the raw commits and the
// store's in phases of p3Phase commits, so that both meet the same load
// from the rest of the machine; the sessions stepped are p3Sessions.
const (
	p3Phase    = 32
	p3Sessions = 64
)

// BenchP3 is benchmark P3: durable commits per second through s, each the
// Workload of a step, against raw, the rate at which the same database on
// the same disk commits one-row upserts, with clients goroutines
// committing at once. It reports both rates and their ratio (the goal is
// 0.5 or more). b.N counts commits of each kind.
func BenchP3(b *testing.B, s host.Store, raw RawCommit, clients int) {
	ctx := context.Background()
	if clients < 1 || clients > p3Sessions {
		b.Fatalf("BenchP3 with %d clients: want 1 to %d", clients, p3Sessions)
	}
	// Each client steps sessions of its own in turn (client, client +
	// clients, ...), so that its saves never conflict.
	versions := make([]int, p3Sessions)
	steps := make([]int, clients)
	step := func(client int) error {
		sess := client + steps[client]%(p3Sessions/clients)*clients
		steps[client]++
		id := fmt.Sprintf("p3-%d", sess)
		c := Workload(id, versions[sess])
		if err := s.Save(ctx, c); err != nil {
			return err
		}
		versions[sess] = c.Record.Version
		return nil
	}
	var rawN atomic.Int64
	var rawTime, storeTime time.Duration
	b.ResetTimer()
	for done := 0; done < b.N; done += p3Phase {
		n := min(p3Phase, b.N-done)
		d, err := Parallel(n, clients, func(int) error { return raw(ctx, int(rawN.Add(1))) })
		if err != nil {
			b.Fatalf("raw commit: %v", err)
		}
		rawTime += d
		if d, err = Parallel(n, clients, step); err != nil {
			b.Fatalf("store commit: %v", err)
		}
		storeTime += d
	}
	b.StopTimer()
	rawRate := float64(b.N) / rawTime.Seconds()
	storeRate := float64(b.N) / storeTime.Seconds()
	b.ReportMetric(rawRate, "raw-commits/s")
	b.ReportMetric(storeRate, "store-commits/s")
	b.ReportMetric(storeRate/rawRate, "ratio")
}

// Parallel runs n operations on clients goroutines, op(client) each,
// client being 0 to clients-1, until all n are done or one fails. It
// returns the time they took and the first error, if any, for which the
// failing goroutine stopped (the others finish their current operation
// and stop when none is left).
func Parallel(n, clients int, op func(client int) error) (time.Duration, error) {
	var left atomic.Int64
	left.Store(int64(n))
	var wg sync.WaitGroup
	errs := make([]error, clients)
	start := time.Now()
	for c := range clients {
		wg.Go(func() {
			for left.Add(-1) >= 0 {
				if err := op(c); err != nil {
					errs[c] = err
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start), errors.Join(errs...)
}
