package memory_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/tetherflow/tether/adapters/sessions/devices"
	"github.com/tetherflow/tether/adapters/sessions/memory"
	"github.com/tetherflow/tether/adapters/sessions/storetest"
	"github.com/tetherflow/tether/catalog"
	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/host"
	"github.com/tetherflow/tether/internal/seal"
)

// BenchmarkIdleSession reports the heap an idle session of a new device
// holds in the memory store, started through the host as tether serve
// starts it (a secret, a device key, records sealed): the live heap
// after a GC, over b.N sessions, none of the timing noise of RSS.
// "answered" sessions have also taken a step, answered with an
// idempotency key, which the store remembers.
//
//	go test -run '^$' -bench IdleSession -benchtime 10000x ./adapters/sessions/memory
func BenchmarkIdleSession(b *testing.B) {
	for _, answered := range []bool{false, true} {
		name := map[bool]string{false: "started", true: "answered"}[answered]
		b.Run(name, func(b *testing.B) { benchIdle(b, answered) })
	}
}

func benchIdle(b *testing.B, answered bool) {
	ctx := context.Background()
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "loop.yaml"), []byte(storetest.ServeFlow), 0o644); err != nil {
		b.Fatal(err)
	}
	reg, _ := engine.NewRegistry()
	cat, err := catalog.Load(dir, catalog.Options{Registry: reg})
	if err != nil || cat.Err() != nil {
		b.Fatal(err, cat.Err())
	}
	keys, err := seal.New("k1", bytes.Repeat([]byte{1}, seal.KeySize))
	if err != nil {
		b.Fatal(err)
	}
	store := memory.New()
	h, err := host.New(host.Config{Catalog: cat, Store: store, IdleTimeout: time.Hour, Secrets: true, Seal: keys,
		DeviceKeys: devices.NewAccess(store, keys, rand.Reader),
		Actions:    func(context.Context, string) (*engine.Registry, error) { return reg, nil }})
	if err != nil {
		b.Fatal(err)
	}
	start := func(i int) {
		v, err := h.Start(ctx, host.StartRequest{Flow: "loop", Device: "idle-" + strconv.Itoa(i)})
		if err != nil {
			b.Fatal(err)
		}
		if answered {
			a := host.Answer{Version: v.Version, Choice: "next", Key: "k-" + strconv.Itoa(i), Secret: v.Secret}
			if _, err := h.Answer(ctx, v.ID, a); err != nil {
				b.Fatal(err)
			}
		}
	}
	start(-1) // the flow's version held, its caches warm
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for i := range b.N {
		start(i)
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(b.N), "heap-B/session")
	b.ReportMetric(float64(after.HeapObjects-before.HeapObjects)/float64(b.N), "objects/session")
	runtime.KeepAlive(h)
}
