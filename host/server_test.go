package host_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetherflow/tether/engine/callkey"
	"github.com/tetherflow/tether/host"
)

// withSecrets returns a host like fx.host that issues session secrets.
func withSecrets(t *testing.T, fx *fixture, observe func(context.Context, host.Event)) *host.Host {
	t.Helper()
	h, err := host.New(host.Config{Catalog: fx.cat, Store: fx.store, Actions: fx.actions, Now: fx.clock.Now,
		IdleTimeout: time.Hour, Secrets: true, Observe: observe})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHostSecret(t *testing.T) {
	fx := newFixture(t, "")
	h := withSecrets(t, fx, nil)
	v, err := h.Start(ctx, host.StartRequest{Flow: "sign", Device: "d"})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Secret) < 43 {
		t.Fatalf("Start's secret %q: want at least 256 bits in base64", v.Secret)
	}
	got, err := h.Authorize(ctx, v.ID, v.Secret)
	if err != nil || got.Version != v.Version || got.Secret != "" {
		t.Errorf("Authorize(right secret) = %+v, %v", got, err)
	}
	for _, bad := range []string{"", "x", v.Secret[:len(v.Secret)-1], strings.ToUpper(v.Secret)} {
		if _, err := h.Authorize(ctx, v.ID, bad); !errors.Is(err, host.ErrSecret) {
			t.Errorf("Authorize(%q) = %v, want ErrSecret", bad, err)
		}
		if _, err := h.Admit(ctx, v.ID, bad); !errors.Is(err, host.ErrSecret) {
			t.Errorf("Admit(%q) = %v, want ErrSecret", bad, err)
		}
		if _, err := h.Answer(ctx, v.ID, host.Answer{Version: v.Version, Choice: "help", Secret: bad}); !errors.Is(err, host.ErrSecret) {
			t.Errorf("Answer with secret %q = %v, want ErrSecret", bad, err)
		}
		if _, err := h.Answer(ctx, v.ID, host.Answer{Version: v.Version, Choice: "help", Secret: bad, Key: "k0"}); !errors.Is(err, host.ErrSecret) {
			t.Errorf("Answer with a key and secret %q = %v, want ErrSecret", bad, err)
		}
	}
	if version, err := h.Admit(ctx, v.ID, v.Secret); err != nil || version != v.Version {
		t.Errorf("Admit(right secret) = %d, %v; want %d", version, err, v.Version)
	}
	if _, err := h.Admit(ctx, "nosuch", v.Secret); !errors.Is(err, host.ErrNotFound) {
		t.Errorf("Admit(unknown session) = %v, want ErrNotFound", err)
	}
	if _, err := h.Authorize(ctx, "nosuch", v.Secret); !errors.Is(err, host.ErrNotFound) {
		t.Errorf("Authorize(unknown id) = %v, want ErrNotFound", err)
	}
	// The store keeps the hash, not the secret.
	rec, _ := fx.store.Load(ctx, v.ID)
	if strings.Contains(string(rec.Data), v.Secret) {
		t.Errorf("the stored session holds its secret")
	}
	// A remembered response does not carry the secret either.
	a := host.Answer{Version: v.Version, Choice: "help", Key: "k", Secret: v.Secret}
	if _, err := h.Answer(ctx, v.ID, a); err != nil {
		t.Fatal(err)
	}
	_, req, _ := fx.store.Recall(ctx, v.ID, "k")
	if req == nil || strings.Contains(string(req.Response), v.Secret) || strings.Contains(string(req.Digest), v.Secret) {
		t.Errorf("remembered request %+v: want one, without the secret", req)
	}
	// Two sessions get different secrets.
	w, _ := h.Start(ctx, host.StartRequest{Flow: "sign"})
	if w.Secret == v.Secret {
		t.Errorf("two sessions share a secret")
	}
	if _, err := h.Authorize(ctx, w.ID, v.Secret); !errors.Is(err, host.ErrSecret) {
		t.Errorf("one session's secret opened another: %v", err)
	}
}

func TestHostExpiry(t *testing.T) {
	fx := newFixture(t, "")
	h := withSecrets(t, fx, nil)
	v, _ := h.Start(ctx, host.StartRequest{Flow: "sign"})
	// A step 59 minutes later extends the expiry by an hour from then.
	fx.clock.add(59 * time.Minute)
	v2, err := h.Answer(ctx, v.ID, host.Answer{Version: v.Version, Choice: "help", Secret: v.Secret})
	if err != nil {
		t.Fatal(err)
	}
	if want := fx.clock.Now().Add(time.Hour); !v2.Expires.Equal(want) {
		t.Errorf("Expires after a step = %v, want %v", v2.Expires, want)
	}
	fx.clock.add(59 * time.Minute)
	if _, err := h.Authorize(ctx, v.ID, v.Secret); err != nil {
		t.Errorf("59 minutes after the last step: %v", err)
	}
	fx.clock.add(time.Minute)
	if _, err := h.Authorize(ctx, v.ID, v.Secret); !errors.Is(err, host.ErrExpired) {
		t.Errorf("an hour after the last step, Authorize = %v, want ErrExpired", err)
	}
	if _, err := h.Admit(ctx, v.ID, v.Secret); !errors.Is(err, host.ErrExpired) {
		t.Errorf("an hour after the last step, Admit = %v, want ErrExpired", err)
	}
	if _, err := h.Authorize(ctx, v.ID, "wrong"); !errors.Is(err, host.ErrSecret) {
		t.Errorf("an expired session told a wrong secret %v, want ErrSecret", err)
	}
	if _, err := h.Answer(ctx, v.ID, host.Answer{Version: v2.Version, Choice: "back", Secret: v.Secret}); !errors.Is(err, host.ErrExpired) {
		t.Errorf("Answer on an expired session = %v, want ErrExpired", err)
	}
	n, err := h.Reap(ctx, 10)
	if err != nil || n != 1 {
		t.Errorf("Reap = %d, %v; want 1", n, err)
	}
	if _, err := h.Get(ctx, v.ID); !errors.Is(err, host.ErrNotFound) {
		t.Errorf("after Reap, Get = %v, want ErrNotFound", err)
	}
}

// A timer fires with no client: FireDue claims the due session and ticks
// it; a second FireDue finds nothing.
func TestHostFireDue(t *testing.T) {
	fx := newFixture(t, "")
	var mu sync.Mutex
	var events []host.Event
	h := withSecrets(t, fx, func(_ context.Context, e host.Event) { mu.Lock(); events = append(events, e); mu.Unlock() })
	v, _ := h.Start(ctx, host.StartRequest{Flow: "sign"})
	v, err := h.Answer(ctx, v.ID, host.Answer{Version: v.Version, Choice: "go", Input: map[string]any{"email": "a@example.com", "password": "right"}, Secret: v.Secret})
	if err != nil || v.Step.State != "code" {
		t.Fatalf("%+v %v", v, err)
	}
	if n, err := h.FireDue(ctx, time.Minute, 10); n != 0 || err != nil {
		t.Errorf("FireDue before the deadline = %d, %v", n, err)
	}
	fx.clock.add(5*time.Minute + 3*time.Second)
	if n, err := h.FireDue(ctx, time.Minute, 10); n != 1 || err != nil {
		t.Fatalf("FireDue after the deadline = %d, %v; want 1", n, err)
	}
	got, _ := h.Get(ctx, v.ID)
	if !got.Done || got.Step.Outcome.Name != "expired" {
		t.Errorf("after FireDue: %+v", got.Step)
	}
	if n, _ := h.FireDue(ctx, time.Minute, 10); n != 0 {
		t.Errorf("a second FireDue fired %d", n)
	}
	mu.Lock()
	defer mu.Unlock()
	var lag time.Duration
	steps, outcomes := 0, []string{}
	for _, e := range events {
		switch e.Kind {
		case host.EventTimer:
			lag = e.Lag
		case host.EventStep:
			steps++
			if e.Outcome != "" {
				outcomes = append(outcomes, e.Outcome)
			}
		}
	}
	if lag != 3*time.Second {
		t.Errorf("timer lag observed = %v, want 3s", lag)
	}
	if steps != 3 || len(outcomes) != 1 || outcomes[0] != "expired" {
		t.Errorf("observed %d steps, outcomes %v; want 3 and [expired]", steps, outcomes)
	}
}

// The effects a step's actions record are committed with the step.
func TestHostEffects(t *testing.T) {
	fx := newFixture(t, "")
	fx.onCall = func(ctx context.Context) {
		key, _ := callkey.Next(ctx)
		host.RecordEffect(ctx, host.Effect{Key: key, Kind: "test.check"})
		host.RecordEffect(ctx, host.Effect{Key: key, Kind: "test.check", Data: []byte(`"again"`)})
	}
	v := start(t, fx)
	v = answer(t, fx, v, "go", map[string]any{"email": "a@example.com", "password": "wrong"})
	effects, err := fx.store.Effects(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(effects) != 1 || effects[0].Kind != "test.check" || !strings.HasPrefix(effects[0].Key, callkey.Prefix(v.ID)) || string(effects[0].Data) != `"again"` {
		t.Errorf("effects = %+v; want one, under the call's key, the last record kept", effects)
	}
	if host.RecordEffect(ctx, host.Effect{Key: "k"}) {
		t.Errorf("RecordEffect outside a step reported a record")
	}
}

// Conflicts are observed.
func TestHostObserveConflict(t *testing.T) {
	fx := newFixture(t, "")
	var conflicts int
	h := withSecrets(t, fx, func(_ context.Context, e host.Event) {
		if e.Kind == host.EventConflict {
			conflicts++
		}
	})
	v, _ := h.Start(ctx, host.StartRequest{Flow: "sign"})
	h.Answer(ctx, v.ID, host.Answer{Version: v.Version, Choice: "help", Secret: v.Secret})
	if _, err := h.Answer(ctx, v.ID, host.Answer{Version: v.Version, Choice: "help", Secret: v.Secret}); !errors.Is(err, host.ErrStale) {
		t.Fatal(err)
	}
	if conflicts != 1 {
		t.Errorf("observed %d conflicts, want 1", conflicts)
	}
}
