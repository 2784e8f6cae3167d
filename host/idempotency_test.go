package host_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/tetherflow/tether/host"
)

// The same key with another version, choice or input is another request:
// refused with ErrKeyReused, taking no step, whether the first is a step
// taken or a refusal.
func TestHostKeyReused(t *testing.T) {
	fx := newFixture(t, "")
	v := start(t, fx)
	first := host.Answer{Version: v.Version, Choice: "go", Input: map[string]any{"email": "a@example.com", "password": "wrong-pw"}, Key: "k1"}
	after, err := fx.host.Answer(ctx, v.ID, first)
	if err != nil {
		t.Fatal(err)
	}
	calls := fx.calls.Load()
	corrected := first
	corrected.Input = map[string]any{"email": "a@example.com", "password": "right"}
	otherChoice := first
	otherChoice.Choice, otherChoice.Input = "help", nil
	otherVersion := first
	otherVersion.Version = after.Version
	for name, a := range map[string]host.Answer{"corrected password": corrected, "other choice": otherChoice, "other version": otherVersion} {
		if got, err := fx.host.Answer(ctx, v.ID, a); !errors.Is(err, host.ErrKeyReused) || got != nil {
			t.Errorf("%s under a used key = %+v, %v; want ErrKeyReused", name, got, err)
		}
	}
	if fx.calls.Load() != calls {
		t.Errorf("a reused key ran the action")
	}
	if cur, _ := fx.host.Get(ctx, v.ID); cur.Version != after.Version {
		t.Errorf("version %d after reused keys, want %d", cur.Version, after.Version)
	}
	// The same input, its keys in another order, is the same request.
	same := first
	same.Input = map[string]any{"password": "wrong-pw", "email": "a@example.com"}
	if got, err := fx.host.Answer(ctx, v.ID, same); err != nil || !got.Replayed {
		t.Errorf("the same answer again = %+v, %v; want the first response replayed", got, err)
	}
}

// The same request sent again while the first is still in flight waits for
// the first and gets its response: the step runs once.
func TestHostKeyInFlight(t *testing.T) {
	fx := newFixture(t, "")
	v := start(t, fx)
	inside, release, block := blockFirstCall(fx)
	a := host.Answer{Version: v.Version, Choice: "go", Input: map[string]any{"email": "a@example.com", "password": "wrong-pw"}, Key: "k1"}
	views := make([]*host.View, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	wg.Go(func() { views[0], errs[0] = fx.host.Answer(ctx, v.ID, a) })
	<-inside
	wg.Go(func() { views[1], errs[1] = fx.host.Answer(ctx, v.ID, a) })
	time.Sleep(50 * time.Millisecond) // the second is waiting, or (wrongly) running the step
	close(release)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if n := fx.calls.Load(); n != 1 {
		t.Errorf("the action ran %d times, want once", n)
	}
	if views[0].Replayed || !views[1].Replayed || views[1].Version != views[0].Version {
		t.Errorf("first %+v, second %+v; want the second the first's response, replayed", views[0], views[1])
	}
	// A waiting request whose context ends gives up.
	inside, release = block()
	b := host.Answer{Version: views[0].Version, Choice: "help", Key: "k2"}
	done := make(chan struct{})
	go func() {
		fx.host.Answer(ctx, v.ID, host.Answer{Version: views[0].Version, Choice: "go", Input: a.Input, Key: "k2"})
		close(done)
	}()
	<-inside
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := fx.host.Answer(short, v.ID, b); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a waiting request whose context ended = %v, want DeadlineExceeded", err)
	}
	close(release)
	<-done
}

// Two instances (two hosts on one store) given the same request at once
// both run it; one saves the step, and the other, refused by the store,
// answers with the response saved: the client gets one response.
func TestHostKeyAcrossInstances(t *testing.T) {
	fx := newFixture(t, "")
	v := start(t, fx)
	inside, release, block := blockFirstCall(fx)
	a := host.Answer{Version: v.Version, Choice: "go", Input: map[string]any{"email": "a@example.com", "password": "wrong-pw"}, Key: "k1"}
	var slow *host.View
	var slowErr error
	var wg sync.WaitGroup
	wg.Go(func() { slow, slowErr = fx.host.Answer(ctx, v.ID, a) })
	<-inside
	fast, err := fx.second.Answer(ctx, v.ID, a)
	if err != nil || fast.Replayed {
		t.Fatalf("the other instance's answer = %+v, %v", fast, err)
	}
	close(release)
	wg.Wait()
	if slowErr != nil || !slow.Replayed || slow.Version != fast.Version || slow.Step.Prompt.Title.Text != fast.Step.Prompt.Title.Text {
		t.Errorf("the instance that lost = %+v, %v; want the saved response, replayed", slow, slowErr)
	}
	if cur, _ := fx.host.Get(ctx, v.ID); cur.Version != fast.Version || cur.Step.Prompt.Title.Text != "Sign in (1 tries)" {
		t.Errorf("session at %d %q, want one step", cur.Version, cur.Step.Prompt.Title.Text)
	}
	// Another request under the key, lost the same way, is refused.
	inside, release = block()
	b := host.Answer{Version: fast.Version, Choice: "go", Input: map[string]any{"email": "a@example.com", "password": "right"}, Key: "k2"}
	wg.Go(func() { _, slowErr = fx.host.Answer(ctx, v.ID, b) })
	<-inside
	b2 := b
	b2.Input = map[string]any{"email": "a@example.com", "password": "wrong-again"}
	if _, err := fx.second.Answer(ctx, v.ID, b2); err != nil {
		t.Fatal(err)
	}
	close(release)
	wg.Wait()
	if !errors.Is(slowErr, host.ErrKeyReused) {
		t.Errorf("another request under a key saved meanwhile = %v, want ErrKeyReused", slowErr)
	}
}

// blockFirstCall makes the next call of test.check signal inside and wait
// for release, and the calls after it run on; block arms it again.
func blockFirstCall(fx *fixture) (inside, release chan struct{}, block func() (chan struct{}, chan struct{})) {
	var mu sync.Mutex
	var in, out chan struct{}
	block = func() (chan struct{}, chan struct{}) {
		mu.Lock()
		defer mu.Unlock()
		in, out = make(chan struct{}), make(chan struct{})
		return in, out
	}
	fx.onCall = func(context.Context) {
		mu.Lock()
		i, o := in, out
		in, out = nil, nil
		mu.Unlock()
		if i != nil {
			close(i)
			<-o
		}
	}
	inside, release = block()
	return inside, release, block
}
