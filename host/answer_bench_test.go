package host_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/tetherflow/tether/adapters/sessions/memory"
	"github.com/tetherflow/tether/catalog"
	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/host"
)

// BenchmarkAnswer is the host's CPU and allocations per step, the store
// taken out of the way: one client answers P3's loop flow as tether serve
// does (a secret, the version, an idempotency key) through the memory
// store, the host keeping recent records as a server does. Its
// allocs/op, and its CPU time (cpu-ns/op, garbage collection included),
// are the steady figures on a busy machine, where ns/op is not.
//
//	go test -run '^$' -bench Answer -benchmem ./host
func BenchmarkAnswer(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "loop.yaml"), []byte(loopFlow), 0o644); err != nil {
		b.Fatal(err)
	}
	reg, _ := engine.NewRegistry()
	cat, err := catalog.Load(dir, catalog.Options{Registry: reg})
	if err != nil || cat.Err() != nil {
		b.Fatal(err, cat.Err())
	}
	h, err := host.New(host.Config{Catalog: cat, Store: memory.New(), IdleTimeout: time.Hour, Secrets: true, RecentSessions: 16,
		Actions: func(context.Context, string) (*engine.Registry, error) { return reg, nil }})
	if err != nil {
		b.Fatal(err)
	}
	v, err := h.Start(ctx, host.StartRequest{Flow: "loop", Device: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	id, secret, version := v.ID, v.Secret, v.Version
	b.ReportAllocs()
	n := 0
	cpu := processCPU()
	for b.Loop() {
		n++
		v, err := h.Answer(ctx, id, host.Answer{Version: version, Choice: "next", Secret: secret, Key: "k" + strconv.Itoa(n)})
		if err != nil {
			b.Fatal(err)
		}
		version = v.Version
	}
	b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
}
