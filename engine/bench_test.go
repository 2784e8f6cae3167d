package engine

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"runtime"
	"testing"
	"time"
)

// The canonical "connect" workload of shared/bench/peers/MACHINE.md, run as
// the Tether flow testdata/machine.yaml. scripts/bench-peers.sh runs these
// next to the peer implementations and prints the ratios.

type benchEvent struct {
	choice string
	input  map[string]any
}

var canonical = []benchEvent{
	{"no_saved", nil},
	{"submit", nil}, {"bad", nil},
	{"submit", nil}, {"bad", nil},
	{"submit", nil}, {"bad", nil}, // -> captcha
	{"solved", nil},
	{"submit", nil}, {"ok", nil},
	{"sms_on", map[string]any{"now": 1000}},
	{"code_bad", nil},
	{"resend", map[string]any{"now": 1045}},
	{"help", nil}, {"back", nil},
	{"code_ok", nil},
	{"needs_consent", nil}, {"accept", nil},
	{"licenses", map[string]any{"count": 2}},
	{"select", nil}, {"done", nil},
}

func benchFlow(tb testing.TB) *Flow {
	tb.Helper()
	fl, err := CompileFile("testdata/machine.yaml", nil)
	if err != nil {
		tb.Fatal(err)
	}
	return fl
}

var benchClock = func() time.Time { return time.Unix(1_700_000_000, 0).UTC() }

func benchPorts() Ports { return Ports{Now: benchClock, Rand: zeroReader{}} }

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func runCanonical(tb testing.TB, ctx context.Context, fl *Flow) *Session {
	s, err := fl.Start(ctx, benchPorts())
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range canonical {
		if err := s.Send(ctx, e.choice, e.input); err != nil {
			tb.Fatalf("%s: %v", e.choice, err)
		}
	}
	return s
}

// TestCanonicalWorkload holds the benchmark flow to MACHINE.md's expected
// end: activated, failures=3, attempts=1, last_sent=1045.
func TestCanonicalWorkload(t *testing.T) {
	s := runCanonical(t, context.Background(), benchFlow(t))
	out := s.Current().Outcome
	if out == nil || out.Name != "activated" {
		t.Fatalf("outcome = %+v, want activated", out)
	}
	vars := s.Snapshot().Frames[0].Vars
	for name, want := range map[string]any{"failures": 3, "attempts": 1, "last_sent": 1045} {
		if got := vars[name]; got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	// A rejected event leaves state and variables unchanged.
	s2, _ := benchFlow(t).Start(context.Background(), benchPorts())
	for _, e := range canonical[:11] { // up to sms_on{now=1000}
		if err := s2.Send(context.Background(), e.choice, e.input); err != nil {
			t.Fatal(err)
		}
	}
	if err := s2.Send(context.Background(), "resend", map[string]any{"now": 1010}); !errors.Is(err, ErrRejected) {
		t.Fatalf("resend within the cooldown: Send = %v, want it rejected", err)
	}
	if got := s2.Snapshot().Frames[0].Vars["last_sent"]; got != 1000 {
		t.Errorf("last_sent after a rejected resend = %v, want 1000", got)
	}
}

// BenchmarkSession is one whole canonical session: start at "start", 21
// events, check "activated".
func BenchmarkSession(b *testing.B) {
	fl := benchFlow(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		s := runCanonical(b, ctx, fl)
		if out := s.Current().Outcome; out == nil || out.Name != "activated" {
			b.Fatal("not activated")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(canonical)), "ns/transition")
}

// BenchmarkSessionParallel runs whole canonical sessions of one compiled
// flow from GOMAXPROCS goroutines at once: run it with -cpu 1,2 and compare
// the two ns/op to see how far a second core helps (sessions/s with two
// goroutines over sessions/s with one).
func BenchmarkSessionParallel(b *testing.B) {
	fl := benchFlow(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s := runCanonical(b, ctx, fl)
			if out := s.Current().Outcome; out == nil || out.Name != "activated" {
				b.Error("not activated")
				return
			}
		}
	})
}

// idleN is how many sessions TestIdleSessions holds; 0 skips it.
var idleN = flag.Int("idle", 0, "TestIdleSessions: sessions to hold (0 = skip)")

// TestIdleSessions holds -idle sessions of the canonical flow, each waiting
// at its first prompt, and prints the heap each one retains: "IDLE tether
// <bytes>", as the peers' TestIdleMemory does for theirs. It measures; it
// asserts nothing but that the sessions wait.
func TestIdleSessions(t *testing.T) {
	if *idleN == 0 {
		t.Skip("pass -idle N")
	}
	fl := benchFlow(t)
	ctx := context.Background()
	keep := make([]*Session, *idleN)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range keep {
		s, err := fl.Start(ctx, benchPorts())
		if err != nil || s.Current().Prompt == nil {
			t.Fatalf("Start: %v", err)
		}
		keep[i] = s
	}
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	fmt.Printf("IDLE tether %.0f\n", float64(after.HeapAlloc-before.HeapAlloc)/float64(len(keep)))
	runtime.KeepAlive(keep)
}

// BenchmarkRestoreStep restores a session waiting at await_code from its
// snapshot and takes one step (a wrong code), as a server does per request.
func BenchmarkRestoreStep(b *testing.B) {
	fl := benchFlow(b)
	ctx := context.Background()
	s, _ := fl.Start(ctx, benchPorts())
	for _, e := range canonical[:11] {
		if err := s.Send(ctx, e.choice, e.input); err != nil {
			b.Fatal(err)
		}
	}
	snap := s.Snapshot()
	b.Run("snapshot", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r, err := fl.Restore(ctx, snap, benchPorts())
			if err != nil {
				b.Fatal(err)
			}
			if err := r.Send(ctx, "code_bad", nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	data, err := json.Marshal(snap)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var sn Snapshot
			if err := json.Unmarshal(data, &sn); err != nil {
				b.Fatal(err)
			}
			r, err := fl.Restore(ctx, &sn, benchPorts())
			if err != nil {
				b.Fatal(err)
			}
			if err := r.Send(ctx, "code_bad", nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}
