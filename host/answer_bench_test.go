package host_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/tetherflow/tether/adapters/sessions/memory"
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
	h := loopHost(b, host.Config{Store: memory.New(), RecentSessions: 16})
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
