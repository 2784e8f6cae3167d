package engine_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/callkey"
	"github.com/tetherflow/tether/engine/eventlog"
)

// remoteRegistry holds net.call, a Remote action whose tries run try, and
// svc.ping, a local one.
func remoteRegistry(t *testing.T, try func(ctx context.Context, n int) (engine.Result, error)) *engine.Registry {
	t.Helper()
	n := 0
	reg, err := engine.NewRegistry(
		engine.Func(engine.Spec{Name: "net.call", Outcomes: []string{"ok"}, Remote: true},
			func(ctx context.Context, _ engine.Args) (engine.Result, error) {
				n++
				return try(ctx, n)
			}),
		engine.Func(engine.Spec{Name: "svc.ping", Outcomes: []string{"done"}},
			func(context.Context, engine.Args) (engine.Result, error) { return engine.Result{Outcome: "done"}, nil }),
	)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

const retryFlow = `
flow: t
start: call
states:
  call:
    run: net.call
    timeout: 50ms
    retry: {attempts: 4, backoff: 1s, max_delay: 3s}
    on:
      ok: done
      unavailable: down
  done: {final: done, success: true}
  down: {final: down}
`

func TestRegistryAddsUnavailableToRemoteActions(t *testing.T) {
	specs := map[string]engine.Spec{}
	for _, s := range remoteRegistry(t, nil).Specs() {
		specs[s.Name] = s
	}
	spec := specs["net.call"]
	if want := []string{"ok", engine.OutcomeUnavailable}; !slices.Equal(spec.Outcomes, want) {
		t.Errorf("net.call outcomes = %v, want %v", spec.Outcomes, want)
	}
	if local := specs["svc.ping"]; slices.Contains(local.Outcomes, engine.OutcomeUnavailable) {
		t.Errorf("svc.ping, a local action, got outcome %s", engine.OutcomeUnavailable)
	}
	// Registering the registered spec again (as compat's replay does)
	// does not add it twice.
	again, err := engine.NewRegistry(engine.Func(spec, nil))
	if err != nil {
		t.Fatal(err)
	}
	if s := again.Specs(); len(s) != 1 || len(s[0].Outcomes) != 2 {
		t.Errorf("re-registered specs = %+v, want net.call with 2 outcomes", s)
	}
}

func TestRetryRecovers(t *testing.T) {
	var slept []time.Duration
	var keys []string
	reg := remoteRegistry(t, func(ctx context.Context, n int) (engine.Result, error) {
		k, _ := callkey.Next(ctx)
		keys = append(keys, k)
		switch n {
		case 1:
			return engine.Result{}, fmt.Errorf("dial: %w", engine.ErrUnavailable)
		case 2:
			<-ctx.Done() // outlasts the state's timeout
			return engine.Result{}, ctx.Err()
		}
		return engine.Result{Outcome: "ok"}, nil
	})
	fl := mustCompile(t, retryFlow, reg, nil)
	s, err := fl.Start(context.Background(), engine.Ports{Actions: reg, Sleep: func(_ context.Context, d time.Duration) error {
		slept = append(slept, d)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Current().Outcome; got == nil || got.Name != "done" {
		t.Fatalf("outcome = %+v, want done", got)
	}
	if want := []time.Duration{time.Second, 2 * time.Second}; !slices.Equal(slept, want) {
		t.Errorf("slept %v, want %v", slept, want)
	}
	// Every try of the step carries the same key: a retried call is the
	// same call.
	// The key names the step (log entry 2, first call) and a digest of
	// the session's id, not the id.
	if len(keys) != 3 || keys[0] != keys[1] || keys[1] != keys[2] || !strings.HasSuffix(keys[0], ".2.1") ||
		strings.Contains(keys[0], s.ID()) || len(keys[0]) != 32+len(".2.1") {
		t.Errorf("call keys = %q, want three equal keys: a digest of the session id %s, then .2.1", keys, s.ID())
	}
}

func TestRetryExhaustedIsUnavailable(t *testing.T) {
	var slept []time.Duration
	tries := 0
	reg := remoteRegistry(t, func(ctx context.Context, n int) (engine.Result, error) {
		tries = n
		return engine.Result{}, fmt.Errorf("503: %w", engine.ErrUnavailable)
	})
	fl := mustCompile(t, retryFlow, reg, nil)
	s, err := fl.Start(context.Background(), engine.Ports{Actions: reg, Sleep: func(_ context.Context, d time.Duration) error {
		slept = append(slept, d)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Current().Outcome; got == nil || got.Name != "down" {
		t.Fatalf("outcome = %+v, want down", got)
	}
	if tries != 4 {
		t.Errorf("tries = %d, want 4 (retry.attempts)", tries)
	}
	// 1s, 2s, then 4s capped at max_delay.
	if want := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}; !slices.Equal(slept, want) {
		t.Errorf("slept %v, want %v", slept, want)
	}
	log := s.Log()
	var action *eventlog.Entry
	for i := range log {
		if log[i].Kind == eventlog.EntryAction {
			action = &log[i]
		}
	}
	if action == nil || action.Event != engine.OutcomeUnavailable {
		t.Errorf("action entry = %+v, want outcome %s", action, engine.OutcomeUnavailable)
	}
}

func TestRetryStopsAtOtherErrors(t *testing.T) {
	tries := 0
	boom := errors.New("bad answer from the portal")
	reg := remoteRegistry(t, func(ctx context.Context, n int) (engine.Result, error) {
		tries = n
		return engine.Result{}, boom
	})
	fl := mustCompile(t, retryFlow, reg, nil)
	_, err := fl.Start(context.Background(), engine.Ports{Actions: reg, Sleep: func(context.Context, time.Duration) error {
		t.Error("slept after an error that is not transient")
		return nil
	}})
	if !errors.Is(err, boom) || tries != 1 {
		t.Errorf("err = %v after %d tries, want %v after 1", err, tries, boom)
	}
}

func TestRetryWithoutRetryTriesOnce(t *testing.T) {
	tries := 0
	reg := remoteRegistry(t, func(ctx context.Context, n int) (engine.Result, error) {
		tries = n
		return engine.Result{}, engine.ErrUnavailable
	})
	fl := mustCompile(t, strings.Replace(retryFlow, "    retry: {attempts: 4, backoff: 1s, max_delay: 3s}\n", "", 1), reg, nil)
	s, err := fl.Start(context.Background(), engine.Ports{Actions: reg})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Current().Outcome; got == nil || got.Name != "down" || tries != 1 {
		t.Errorf("outcome %+v after %d tries, want down after 1", got, tries)
	}
}

func TestRetryCancelledWhileSleeping(t *testing.T) {
	reg := remoteRegistry(t, func(ctx context.Context, n int) (engine.Result, error) {
		return engine.Result{}, engine.ErrUnavailable
	})
	fl := mustCompile(t, retryFlow, reg, nil)
	ctx, cancel := context.WithCancel(context.Background())
	_, err := fl.Start(ctx, engine.Ports{Actions: reg, Sleep: func(ctx context.Context, d time.Duration) error {
		cancel()
		return ctx.Err()
	}})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestCallKeysStableAcrossRestore(t *testing.T) {
	var keys []string
	reg := remoteRegistry(t, func(ctx context.Context, n int) (engine.Result, error) {
		a, _ := callkey.Next(ctx)
		b, _ := callkey.Next(ctx)
		keys = append(keys, a, b)
		return engine.Result{Outcome: "ok"}, nil
	})
	src := `
flow: t
start: wait
states:
  wait:
    ask: {text: Go on, choices: [go]}
    on: {go: call}
  call:
    run: net.call
    on: {ok: done, unavailable: done}
  done: {final: done, success: true}
`
	fl := mustCompile(t, src, reg, nil)
	ctx := context.Background()
	s, err := fl.Start(ctx, engine.Ports{Actions: reg})
	if err != nil {
		t.Fatal(err)
	}
	snap := s.Snapshot()
	if err := s.Send(ctx, "go", nil); err != nil {
		t.Fatal(err)
	}
	// The same step taken again from the snapshot, as after a crash.
	r, err := fl.Restore(ctx, snap, engine.Ports{Actions: reg})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Send(ctx, "go", nil); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 4 || keys[0] != keys[2] || keys[1] != keys[3] || keys[0] == keys[1] {
		t.Errorf("keys = %q, want two distinct keys, the same on both runs", keys)
	}
	// The key does not give away the session's id, which keys the digest
	// of the answer.
	for _, k := range keys {
		if strings.Contains(k, s.ID()) {
			t.Errorf("key %q shows the session's id %s", k, s.ID())
		}
	}
	if _, ok := callkey.Next(ctx); ok {
		t.Error("callkey.Next outside an action reported a key")
	}
}

func TestRetryChecks(t *testing.T) {
	reg := remoteRegistry(t, nil)
	tests := []struct {
		name, src, want string
	}{
		{"unhandled unavailable", `
flow: t
start: call
states:
  call:
    run: net.call
    on: {ok: done}
  done: {final: done}
`, "t.yaml:5:3: state call does not handle outcome unavailable of action net.call"},
		{"retry on a local action", `
flow: t
start: ping
states:
  ping:
    run: svc.ping
    retry: {attempts: 2}
    on: {done: done}
  done: {final: done}
`, "t.yaml:7:12: retry: action svc.ping does not reach a remote system, so none of its failures is retried"},
		{"retry on an ask state", `
flow: t
start: a
states:
  a:
    ask: {text: Hi, choices: [go]}
    retry: {attempts: 2}
    timeout: 1s
    on: {go: done}
  done: {final: done}
`, "t.yaml:7:5: retry: belongs to a run state\nt.yaml:8:5: timeout: belongs to a run state"},
		{"bad values", `
flow: t
start: call
states:
  call:
    run: net.call
    timeout: soon
    retry: {attempts: 0, backoff: 5s, max_delay: 1s, jitter: full}
    on: {ok: done, unavailable: done}
  done: {final: done}
`, "t.yaml:7:14: timeout must be a duration such as 5s, not \"soon\"\n" +
			"t.yaml:8:23: retry.attempts must be a whole number from 1 to 10, not \"0\"\n" +
			"t.yaml:8:50: retry.max_delay (1s) is shorter than retry.backoff (5s)\n" +
			"t.yaml:8:54: unknown key \"jitter\" in retry (want one of: attempts, backoff, max_delay)"},
		{"no attempts", `
flow: t
start: call
states:
  call:
    run: net.call
    retry: {backoff: 1s}
    timeout: -1s
    on: {ok: done, unavailable: done}
  done: {final: done}
`, "t.yaml:7:12: retry needs attempts (how many tries in all, the first included)\nt.yaml:8:14: timeout must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := compile(t, tt.src, reg, nil)
			if got := joinLines(errorLines(err)); got != tt.want {
				t.Errorf("errors:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}
