package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tetherflow/tether/host"
)

// RunInstances checks two stores open on one database, as two processes
// (two `tether serve` instances) would have: what one saves the other
// loads, a step saved through one makes the same step through the other a
// conflict, and a due timer is claimed through one of them only. newPair
// returns two stores on a new, empty database; RunInstances closes them.
func RunInstances(t *testing.T, newPair func(t *testing.T) (host.ServerStore, host.ServerStore)) {
	open := func(t *testing.T) [2]host.ServerStore {
		a, b := newPair(t)
		for _, s := range []host.ServerStore{a, b} {
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close() = %v", err)
				}
			})
		}
		return [2]host.ServerStore{a, b}
	}
	t.Run("Claim", func(t *testing.T) { testInstancesClaim(t, open(t)) })
	t.Run("Save", func(t *testing.T) { testInstancesSave(t, open(t)) })
}

func testInstancesClaim(t *testing.T, s [2]host.ServerStore) {
	const sessions, claimers = 60, 6
	for i := range sessions {
		save(t, s[i%2], Workload(fmt.Sprintf("s%02d", i), 0))
	}
	now := t0.Add(24 * time.Hour)
	got := make([][]string, claimers)
	var wg sync.WaitGroup
	for i := range claimers {
		wg.Go(func() {
			for {
				ids, err := s[i%2].ClaimDue(context.Background(), now, time.Hour, 4)
				if err != nil {
					t.Errorf("ClaimDue through store %d = %v", i%2, err)
				}
				if len(ids) == 0 {
					return
				}
				got[i] = append(got[i], ids...)
			}
		})
	}
	wg.Wait()
	by := map[string]int{}
	for i, ids := range got {
		for _, id := range ids {
			if j, dup := by[id]; dup {
				t.Errorf("%s claimed by claimers %d and %d within one lease", id, j, i)
			}
			by[id] = i
		}
	}
	if len(by) != sessions {
		t.Errorf("%d sessions claimed, want %d", len(by), sessions)
	}
}

// testInstancesSave steps one session from both stores at once, each
// step loaded through one store and saved through the other, retrying on
// conflict: no step is lost.
func testInstancesSave(t *testing.T, s [2]host.ServerStore) {
	const workers, steps = 4, 5
	ctx := context.Background()
	save(t, s[0], Workload("shared", 0))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for step := 0; step < steps; {
				r, err := s[w%2].Load(ctx, "shared")
				if err != nil {
					t.Errorf("Load = %v", err)
					return
				}
				switch err := s[1-w%2].Save(ctx, Workload("shared", r.Version)); {
				case errors.Is(err, host.ErrConflict):
				case err != nil:
					t.Errorf("Save from %d = %v", r.Version, err)
					return
				default:
					step++
				}
			}
		})
	}
	wg.Wait()
	want := StepEntries * (1 + workers*steps)
	for i, st := range s {
		if r := load(t, st, "shared"); r.Version != want {
			t.Errorf("store %d: shared at version %d, want %d: steps were lost", i, r.Version, want)
		}
		if l := logOf(t, st, "shared", 0); len(l) != want {
			t.Errorf("store %d: %d log entries, want %d", i, len(l), want)
		}
	}
}
