package host_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tetherflow/tether/host"
)

// readCounter counts the reads of a store.
type readCounter struct {
	host.ServerStore
	reads atomic.Int64
}

func (s *readCounter) Load(ctx context.Context, id string) (*host.Record, error) {
	s.reads.Add(1)
	return s.ServerStore.Load(ctx, id)
}

func (s *readCounter) Recall(ctx context.Context, id, key string) (*host.Record, *host.Request, error) {
	s.reads.Add(1)
	return s.ServerStore.Recall(ctx, id, key)
}

// A host that keeps its sessions' last records steps a session again
// without reading it; when another host stepped it meanwhile, the step is
// refused by the store and taken again from the stored record: a stale
// answer is stale, the same request is replayed, and no step is lost or
// taken twice.
func TestHostRecentSessions(t *testing.T) {
	fx := newFixture(t, "")
	store := &readCounter{ServerStore: fx.store}
	newHost := func(recent int) *host.Host {
		h, err := host.New(host.Config{Catalog: fx.cat, Store: store, Actions: fx.actions, Now: fx.clock.Now,
			IdleTimeout: time.Hour, Secrets: true, RecentSessions: recent})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	a, b := newHost(16), newHost(0)
	v, err := a.Start(ctx, host.StartRequest{Flow: "sign", Device: "d"})
	if err != nil {
		t.Fatal(err)
	}
	secret := v.Secret
	answer := func(h *host.Host, version int, choice, key string) (*host.View, error) {
		return h.Answer(ctx, v.ID, host.Answer{Version: version, Choice: choice, Key: key, Secret: secret,
			Input: map[string]any{"email": "a@example.com", "password": "wrong"}})
	}
	before := store.reads.Load()
	v1, err := answer(a, v.Version, "go", "k1")
	if err != nil {
		t.Fatal(err)
	}
	v2, err := answer(a, v1.Version, "go", "k2")
	if err != nil {
		t.Fatal(err)
	}
	if n := store.reads.Load() - before; n != 0 {
		t.Errorf("two steps after the start read the store %d times, want none", n)
	}
	// Another host steps it: a's record is stale. An answer to the version
	// a remembers is stale, as it would be from the store.
	v3, err := answer(b, v2.Version, "go", "k3")
	if err != nil {
		t.Fatal(err)
	}
	calls := fx.calls.Load()
	if _, err := answer(a, v2.Version, "go", "k4"); !errors.Is(err, host.ErrStale) {
		t.Errorf("an answer to the version a remembers, stepped on b since = %v, want ErrStale", err)
	}
	// The request b answered, sent again to a: its response, once.
	again, err := answer(a, v2.Version, "go", "k3")
	if err != nil || !again.Replayed || again.Version != v3.Version {
		t.Errorf("b's request sent to a = %+v, %v; want b's response replayed", again, err)
	}
	if n := fx.calls.Load() - calls; n != 1 {
		t.Errorf("the action ran %d times for the two stale answers, want once (the first, refused on save)", n)
	}
	// a steps from the stored record, and remembers it again.
	v5, err := answer(a, v3.Version, "go", "k5")
	if err != nil {
		t.Fatal(err)
	}
	before = store.reads.Load()
	if _, err := answer(a, v5.Version, "go", "k6"); err != nil {
		t.Fatal(err)
	}
	if n := store.reads.Load() - before; n != 0 {
		t.Errorf("a step after a's own read the store %d times, want none", n)
	}
	cur, _ := a.Get(ctx, v.ID)
	if cur.Step.Prompt.Title.Text != "Sign in (5 tries)" {
		t.Errorf("prompt %q after five wrong passwords on two hosts, want 5 tries counted", cur.Step.Prompt.Title.Text)
	}
	// A wrong secret is refused from a remembered record too.
	if _, err := a.Answer(ctx, v.ID, host.Answer{Version: cur.Version, Choice: "help", Secret: "wrong"}); !errors.Is(err, host.ErrSecret) {
		t.Errorf("a wrong secret on a remembered record = %v, want ErrSecret", err)
	}
}
