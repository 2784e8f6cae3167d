package host_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tetherflow/tether/adapters/sessions/memory"
	"github.com/tetherflow/tether/catalog"
	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/eventlog"
	"github.com/tetherflow/tether/engine/value"
	"github.com/tetherflow/tether/host"
)

// The flows of these tests: sign in (an action checks the password), a
// code prompt with a timer, a subflow, and an end.
const signFlow = `flow: sign
start: ask
vars: {tries: 0}
policy: {code_life: 5m}
states:
  ask:
    ask:
      text: "Sign in ({{ tries }} tries)"
      fields:
        email: {type: email}
        password: {type: secret}
      choices:
        - go: {fields: [email, password]}
        - help: {fields: []}
    on:
      go: check
      help: more
  check:
    run: test.check
    with: {password: input.password}
    on:
      ok: code
      wrong:
        set: {tries: tries + 1}
        go: ask
  more:
    run: flow:extra
    on:
      back: ask
  code:
    ask:
      text: Enter the code
      fields:
        code: {type: code}
      choices: [confirm]
    after:
      policy.code_life: expired
    on:
      confirm: done
  expired: {final: expired}
  done: {final: done, success: true, message: "signed in after {{ tries }} wrong tries"}
`

const extraFlow = `flow: extra
start: show
policy: {text: help}
states:
  show:
    ask:
      text: "{{ policy.text }}"
      choices: [back]
    on:
      back: back
  back: {final: back}
`

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fixture is a host over the test flows, a memory store and a clock. The
// action test.check takes "right" as the password; devices counts the
// devices the host asked actions for.
type fixture struct {
	host    *host.Host
	second  *host.Host // another host over the same catalog and store
	store   *memory.Store
	clock   *clock
	devices sync.Map
	calls   atomic.Int64
	cat     *catalog.Catalog
	actions func(ctx context.Context, device string) (*engine.Registry, error)
	onCall  func(ctx context.Context) // told of every test.check call
}

func newFixture(t testing.TB, overlay string) *fixture {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{"sign.yaml": signFlow, "extra.yaml": extraFlow}
	if overlay != "" {
		files["regions/r.yaml"] = overlay
	}
	for name, src := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fx := &fixture{store: memory.New(), clock: &clock{t: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)}}
	spec := engine.Spec{
		Name:     "test.check",
		Params:   []engine.Param{{Name: "password", Kind: value.String, Required: true, Secret: true}},
		Outcomes: []string{"ok", "wrong"},
	}
	actionsFor := func(ctx context.Context, device string) (*engine.Registry, error) {
		if device == "broken" {
			return nil, errors.New("no such device")
		}
		fx.devices.Store(device, true)
		return engine.NewRegistry(engine.Func(spec, func(ctx context.Context, args engine.Args) (engine.Result, error) {
			fx.calls.Add(1)
			if fx.onCall != nil {
				fx.onCall(ctx)
			}
			if args["password"] == "right" {
				return engine.Result{Outcome: "ok"}, nil
			}
			return engine.Result{Outcome: "wrong"}, nil
		}))
	}
	reg, _ := actionsFor(context.Background(), "")
	cat, err := catalog.Load(dir, catalog.Options{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	if err := cat.Err(); err != nil {
		t.Fatal(err)
	}
	h, err := host.New(host.Config{Catalog: cat, Store: fx.store, Actions: actionsFor, Now: fx.clock.Now, IdleTimeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	fx.host, fx.cat, fx.actions = h, cat, actionsFor
	if fx.second, err = host.New(host.Config{Catalog: cat, Store: fx.store, Actions: actionsFor, Now: fx.clock.Now}); err != nil {
		t.Fatal(err)
	}
	return fx
}

var ctx = context.Background()

func TestHostSession(t *testing.T) {
	fx := newFixture(t, "")
	v, err := fx.host.Start(ctx, host.StartRequest{Flow: "sign", Device: "dev-1"})
	if err != nil {
		t.Fatal(err)
	}
	if v.Step.State != "ask" || v.Step.Prompt == nil || v.Done || len(v.ID) != 32 || v.Version != v.Entries[len(v.Entries)-1].Seq {
		t.Fatalf("Start = %+v", v)
	}
	if _, ok := fx.devices.Load("dev-1"); !ok {
		t.Errorf("the actions were not bound to the session's device")
	}
	if want := fx.clock.Now().Add(time.Hour); !v.Expires.Equal(want) {
		t.Errorf("Expires = %v, want %v", v.Expires, want)
	}

	// A wrong password: one step, a variable changes.
	v, err = fx.host.Answer(ctx, v.ID, host.Answer{Version: v.Version, Choice: "go", Input: map[string]any{"email": "a@example.com", "password": "wrong-pw"}})
	if err != nil {
		t.Fatal(err)
	}
	if v.Step.Prompt.Title.Text != "Sign in (1 tries)" {
		t.Errorf("prompt after a wrong password = %q", v.Step.Prompt.Title.Text)
	}
	// Bad input: refused, logged, the session waits where it was.
	prev := v.Version
	v, err = fx.host.Answer(ctx, v.ID, host.Answer{Version: v.Version, Choice: "go", Input: map[string]any{"email": "nope", "password": "x"}})
	var ierr *engine.InputError
	if !errors.As(err, &ierr) || ierr.Field != "email" || v == nil || v.Problem == nil || v.Problem.Field != "email" {
		t.Fatalf("bad email: view %+v, err %v; want an InputError on email", v, err)
	}
	if v.Version != prev+1 || v.Step.State != "ask" || v.Entries[0].Kind != eventlog.EntryReject {
		t.Errorf("after a refused answer: version %d (was %d), state %s, entries %+v", v.Version, prev, v.Step.State, v.Entries)
	}
	// A subflow, under the flow's policy.
	v, err = fx.host.Answer(ctx, v.ID, host.Answer{Version: v.Version, Choice: "help"})
	if err != nil || v.Step.Flow != "extra" || v.Step.Prompt.Title.Text != "help" {
		t.Fatalf("help: %+v, %v", v, err)
	}
	v, err = fx.host.Answer(ctx, v.ID, host.Answer{Version: v.Version, Choice: "back"})
	if err != nil || v.Step.State != "ask" {
		t.Fatalf("back: %+v, %v", v, err)
	}
	// The right password, then the code prompt's timer fires on Tick.
	v, err = fx.host.Answer(ctx, v.ID, host.Answer{Version: v.Version, Choice: "go", Input: map[string]any{"email": "a@example.com", "password": "right"}})
	if err != nil || v.Step.State != "code" {
		t.Fatalf("right password: %+v, %v", v, err)
	}
	tv, err := fx.host.Tick(ctx, v.ID)
	if err != nil || tv.Version != v.Version || len(tv.Entries) != 0 {
		t.Errorf("Tick before the deadline: %+v, %v; want nothing done", tv, err)
	}
	fx.clock.add(5 * time.Minute)
	v, err = fx.host.Tick(ctx, v.ID)
	if err != nil || !v.Done || v.Step.Outcome == nil || v.Step.Outcome.Name != "expired" {
		t.Fatalf("Tick after the deadline: %+v, %v", v, err)
	}
	rec, err := fx.store.Load(ctx, v.ID)
	if err != nil || !rec.Done || !rec.Due.IsZero() || rec.Version != v.Version || rec.Flow != "sign" {
		t.Errorf("stored record = %+v, %v", rec, err)
	}
	// The stored session holds no secret.
	log, _ := fx.store.Log(ctx, v.ID, 0)
	all := string(rec.Data)
	for _, e := range log {
		all += string(e.Data)
	}
	for _, secret := range []string{"wrong-pw", "right"} {
		if strings.Contains(all, `"`+secret+`"`) {
			t.Errorf("the store holds the secret %q", secret)
		}
	}
	if _, err := fx.host.Answer(ctx, v.ID, host.Answer{Choice: "confirm"}); !errors.Is(err, engine.ErrFinished) {
		t.Errorf("answering an ended session = %v, want ErrFinished", err)
	}
}

func TestHostTimerAtStoredDue(t *testing.T) {
	fx := newFixture(t, "")
	v := start(t, fx)
	v = answer(t, fx, v, "go", map[string]any{"email": "a@example.com", "password": "right"})
	rec, _ := fx.store.Load(ctx, v.ID)
	if want := fx.clock.Now().Add(5 * time.Minute); !rec.Due.Equal(want) {
		t.Errorf("record Due = %v, want %v", rec.Due, want)
	}
}

func TestHostStaleVersion(t *testing.T) {
	fx := newFixture(t, "")
	v := start(t, fx)
	next := answer(t, fx, v, "help", nil)
	_, err := fx.host.Answer(ctx, v.ID, host.Answer{Version: v.Version, Choice: "back"})
	if !errors.Is(err, host.ErrConflict) || !errors.Is(err, host.ErrStale) {
		t.Fatalf("an answer for an old version = %v, want ErrStale and ErrConflict", err)
	}
	got, err := fx.host.Get(ctx, v.ID)
	if err != nil || got.Version != next.Version || got.Step.Flow != "extra" {
		t.Errorf("after the stale answer: %+v, %v; want the session unchanged at version %d", got, err, next.Version)
	}
}

// Two hosts answer the same session from the same version at once: one
// step wins, the other gets ErrConflict and changes nothing.
func TestHostConcurrentAnswersConflict(t *testing.T) {
	fx := newFixture(t, "")
	for round := range 50 {
		v := start(t, fx)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		inputs := []string{"wrong-1", "wrong-2"}
		for i, h := range []*host.Host{fx.host, fx.second} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = h.Answer(ctx, v.ID, host.Answer{Version: v.Version, Choice: "go",
					Input: map[string]any{"email": "a@example.com", "password": inputs[i]}})
			}()
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, host.ErrConflict):
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if wins != 1 {
			t.Fatalf("round %d: %d answers won, want 1 (errors %v)", round, wins, errs)
		}
		got, _ := fx.host.Get(ctx, v.ID)
		if got.Step.Prompt.Title.Text != "Sign in (1 tries)" {
			t.Fatalf("round %d: prompt %q: both steps were applied", round, got.Step.Prompt.Title.Text)
		}
	}
}

func TestHostIdempotentAnswer(t *testing.T) {
	fx := newFixture(t, "")
	v := start(t, fx)
	a := host.Answer{Version: v.Version, Choice: "go", Input: map[string]any{"email": "a@example.com", "password": "wrong-pw"}, Key: "k1"}
	first, err := fx.host.Answer(ctx, v.ID, a)
	if err != nil {
		t.Fatal(err)
	}
	calls := fx.calls.Load()
	again, err := fx.host.Answer(ctx, v.ID, a)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Replayed || again.Version != first.Version || again.Step.Prompt.Title.Text != first.Step.Prompt.Title.Text {
		t.Errorf("repeated request = %+v, want the first response replayed", again)
	}
	if fx.calls.Load() != calls {
		t.Errorf("the repeated request ran the action again")
	}
	cur, _ := fx.host.Get(ctx, v.ID)
	if cur.Version != first.Version {
		t.Errorf("version %d after the repeat, want %d", cur.Version, first.Version)
	}
	// A refused answer is remembered with its refusal.
	bad := host.Answer{Version: cur.Version, Choice: "go", Input: map[string]any{"email": "nope"}, Key: "k2"}
	_, err1 := fx.host.Answer(ctx, v.ID, bad)
	_, err2 := fx.host.Answer(ctx, v.ID, bad)
	var i1, i2 *engine.InputError
	if !errors.As(err1, &i1) || !errors.As(err2, &i2) || i1.Error() != i2.Error() {
		t.Errorf("refusals: first %v, repeat %v; want the same InputError", err1, err2)
	}
}

func TestHostCancel(t *testing.T) {
	fx := newFixture(t, "")
	v := start(t, fx)
	v, err := fx.host.Cancel(ctx, v.ID, "gave up")
	if err != nil || !v.Done || v.Step.Outcome.Name != engine.OutcomeCancelled {
		t.Fatalf("Cancel = %+v, %v", v, err)
	}
	if _, err := fx.host.Cancel(ctx, v.ID, "again"); !errors.Is(err, engine.ErrFinished) {
		t.Errorf("second Cancel = %v, want ErrFinished", err)
	}
}

func TestHostErrors(t *testing.T) {
	fx := newFixture(t, "")
	if _, err := fx.host.Get(ctx, "nosuch"); !errors.Is(err, host.ErrNotFound) {
		t.Errorf("Get(unknown) = %v, want ErrNotFound", err)
	}
	if _, err := fx.host.Start(ctx, host.StartRequest{Flow: "sing"}); !errors.Is(err, catalog.ErrNoFlow) || !strings.Contains(err.Error(), "did you mean sign?") {
		t.Errorf("Start(unknown flow) = %v", err)
	}
	if _, err := fx.host.Start(ctx, host.StartRequest{Flow: "sign", Country: "uk"}); !errors.Is(err, catalog.ErrCountry) {
		t.Errorf("Start(country uk) = %v, want ErrCountry", err)
	}
	if _, err := fx.host.Start(ctx, host.StartRequest{Flow: "sign", Device: "broken"}); err == nil {
		t.Errorf("Start on a device without actions succeeded")
	}
}

// A region's overlay for the subflow applies in sessions the host runs.
func TestHostRegionalSubflow(t *testing.T) {
	fx := newFixture(t, "region: r\ncountries: [FR]\nflows:\n  extra: {text: aide}\n")
	for cc, want := range map[string]string{"FR": "aide", "US": "help"} {
		v, err := fx.host.Start(ctx, host.StartRequest{Flow: "sign", Country: cc})
		if err != nil {
			t.Fatal(err)
		}
		v = answer(t, fx, v, "help", nil)
		if v.Step.Prompt.Title.Text != want {
			t.Errorf("%s: the subflow shows %q, want %q", cc, v.Step.Prompt.Title.Text, want)
		}
		if cc == "FR" && v.Region != "r" {
			t.Errorf("region = %s, want r", v.Region)
		}
	}
}

// Many goroutines run many sessions on one compiled flow (go test -race).
func TestHostManySessions(t *testing.T) {
	fx := newFixture(t, "")
	var wg sync.WaitGroup
	var failed atomic.Int64
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				v, err := fx.host.Start(ctx, host.StartRequest{Flow: "sign", Device: fmt.Sprintf("d%d-%d", g, i)})
				if err == nil {
					v, err = fx.host.Answer(ctx, v.ID, host.Answer{Version: v.Version, Choice: "go", Input: map[string]any{"email": "a@example.com", "password": "wrong"}})
				}
				if err == nil {
					v, err = fx.host.Answer(ctx, v.ID, host.Answer{Version: v.Version, Choice: "go", Input: map[string]any{"email": "a@example.com", "password": "right"}})
				}
				if err == nil {
					v, err = fx.host.Answer(ctx, v.ID, host.Answer{Version: v.Version, Choice: "confirm", Input: map[string]any{"code": "123456"}})
				}
				if err != nil || !v.Done || v.Step.Outcome.Message != "signed in after 1 wrong tries" {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		t.Errorf("%d of 200 sessions did not end as they should", n)
	}
}

func start(t *testing.T, fx *fixture) *host.View {
	t.Helper()
	v, err := fx.host.Start(ctx, host.StartRequest{Flow: "sign", Device: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func answer(t *testing.T, fx *fixture, v *host.View, choice string, input map[string]any) *host.View {
	t.Helper()
	next, err := fx.host.Answer(ctx, v.ID, host.Answer{Version: v.Version, Choice: choice, Input: input})
	if err != nil {
		t.Fatalf("Answer(%s): %v", choice, err)
	}
	return next
}
