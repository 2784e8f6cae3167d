package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/eventlog"
	"github.com/tetherflow/tether/engine/value"
)

// Regression tests for problems a review of the engine found.

type tclock struct{ now time.Time }

func (c *tclock) Now() time.Time { return c.now }

// A parent's timer that lapses (no branch holds) leaves the subflow running.
func TestLapsedParentTimerKeepsTheSubflow(t *testing.T) {
	sub := `flow: sub
start: q
states:
  q:
    ask: {text: in the subflow}
    on: {continue: ok}
  ok: {final: ok}
`
	fl := mustCompile(t, `flow: t
start: s
vars: {n: 0}
states:
  s:
    run: flow:sub
    on: {ok: end}
    after: {1m: {if: n > 5, go: end}}
  end: {final: done, success: true}
`, nil, flows{"sub": sub})
	c := &tclock{now: time.Unix(0, 0)}
	s, err := fl.Start(context.Background(), engine.Ports{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	c.now = c.now.Add(2 * time.Minute)
	if fired, err := s.Tick(context.Background()); !fired || err != nil {
		t.Fatalf("Tick = %v, %v; want the timer to fire (and lapse) without error", fired, err)
	}
	if st := s.Current(); st.Flow != "sub" || st.State != "q" {
		t.Fatalf("after a lapsed timer the session is at %s/%s, want sub/q", st.Flow, st.State)
	}
	if err := s.Send(context.Background(), "continue", nil); err != nil {
		t.Fatalf("Send in the subflow after a lapsed timer: %v", err)
	}
	if out := s.Current().Outcome; out == nil || out.Name != "done" {
		t.Errorf("outcome = %+v, want done", out)
	}
}

// A timer that re-arms itself with no delay is an error, not a hang.
func TestSelfRearmingTimerIsBounded(t *testing.T) {
	fl := mustCompile(t, `flow: t
start: a
policy: {d: 0s}
states:
  a:
    ask: {text: hi}
    on: {continue: end}
    after: {policy.d: a}
  end: {final: done}
`, nil, nil)
	s, err := fl.Start(context.Background(), engine.Ports{Now: (&tclock{now: time.Unix(0, 0)}).Now})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := s.Tick(context.Background()); done <- err }()
	select {
	case err := <-done:
		var re *engine.RunError
		if !errors.As(err, &re) || !strings.Contains(err.Error(), "timers fired at once") {
			t.Errorf("Tick error = %v, want a RunError about timers firing at once", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Tick did not return")
	}
}

// Sessions of one flow share its policy values; running them at once must
// not write into them (go test -race catches it).
func TestSessionsShareListPolicyValuesSafely(t *testing.T) {
	fl := mustCompile(t, `flow: t
start: a
vars: {l: [x], m: {k: 1}}
policy: {items: [1, 2, 3], mp: {a: 1, b: [2]}}
states:
  a:
    ask: {text: hi}
    on:
      continue:
        set: {l: policy.items, m: policy.mp}
        go: end
  end: {final: done, success: true}
`, nil, nil)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				s, err := fl.Start(context.Background(), engine.Ports{})
				if err == nil {
					err = s.Send(context.Background(), "continue", nil)
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if got := value.Format(fl.Info().Policy["mp"]); got != "{a: 1, b: [2]}" {
		t.Errorf("policy mp = %s after the sessions, want it unchanged", got)
	}
}

// Durations, times and whole floats inside list and map variables survive
// a snapshot's JSON.
func TestNestedKindsSurviveSnapshots(t *testing.T) {
	fl := mustCompile(t, `flow: t
start: a
vars: {l: [2s, 2024-01-01T00:00:00Z, 1.0], d: 2s, m: {at: 5m}}
states:
  a:
    ask: {text: "{{ l[0] == d }} {{ l[0] + d }} {{ m.at }} {{ l[1].Year() }} {{ l[2] / 2 }}"}
    on: {continue: end}
  end: {final: done}
`, nil, nil)
	s, err := fl.Start(context.Background(), engine.Ports{})
	if err != nil {
		t.Fatal(err)
	}
	before := s.Current().Prompt.Title.Text
	data, err := json.Marshal(s.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	var snap engine.Snapshot
	if err := json.Unmarshal(data, &snap); err != nil {
		t.Fatal(err)
	}
	r, err := fl.Restore(context.Background(), &snap, engine.Ports{})
	if err != nil {
		t.Fatalf("Restore: %v (snapshot %s)", err, data)
	}
	if after := r.Current().Prompt.Title.Text; after != before || before != "true 4 seconds 5 minutes 2024 0.5" {
		t.Errorf("prompt before %q, after restore %q; want both %q", before, after, "true 4s 5m0s 2024 0.5")
	}
}

// A snapshot whose parent frame is not in the state that runs the subflow
// is refused, not restored into a session that panics later.
func TestRestoreRefusesAFrameInTheWrongState(t *testing.T) {
	sub := `flow: sub
start: q
states:
  q:
    ask: {text: in}
    on: {continue: ok}
  ok: {final: ok}
`
	fl := mustCompile(t, `flow: t
start: p
states:
  p:
    ask: {text: first}
    on: {continue: s}
  s:
    run: flow:sub
    on: {ok: end}
  end: {final: done}
`, nil, flows{"sub": sub})
	s, err := fl.Start(context.Background(), engine.Ports{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), "continue", nil); err != nil {
		t.Fatal(err)
	}
	snap := s.Snapshot()
	snap.Frames[0].State = "p"
	if _, err := fl.Restore(context.Background(), snap, engine.Ports{}); err == nil || !strings.Contains(err.Error(), "flow sub does not run in state p") {
		t.Errorf("Restore error = %v, want the frame refused", err)
	}
}

// input.* is empty where a subflow state's timer leads, and result.* of a
// subflow outcome holds only outputs every final state gives with one kind.
func TestCheckerTypesAfterSubflows(t *testing.T) {
	sub := `flow: sub
start: q
states:
  q:
    ask: {text: in, choices: [a, b]}
    on: {a: d1, b: d2}
  d1:
    final: ok
    output: {v: 1}
  d2:
    final: ok
    output: {v: '"text"'}
`
	_, err := compile(t, `flow: t
start: ask
vars: {n: 0}
states:
  ask:
    ask:
      fields: {email: {type: email}}
      choices: [continue, {other: {fields: []}}]
    on: {continue: chk, other: s}
  s:
    run: flow:sub
    on:
      ok:
        set: {n: result.v + 1}
        go: end
    after: {1m: chk}
  chk:
    run: svc.log
    with: {msg: input.email}
    on: {done: end}
  end: {final: done}
`, nil, flows{"sub": sub})
	got := joinLines(errorLines(err))
	for _, want := range []string{"unknown field v", "unknown field email"} {
		if !strings.Contains(got, want) {
			t.Errorf("Compile errors lack %q:\n%s", want, got)
		}
	}
}

// Number and consent fields take only what they say.
func TestStrictNumberAndConsentFields(t *testing.T) {
	fl := mustCompile(t, `flow: t
start: a
states:
  a:
    ask:
      fields:
        n: {type: number}
        ok: {type: consent}
    on: {continue: end}
  end: {final: done}
`, nil, nil)
	for _, in := range []map[string]any{
		{"n": "12abc", "ok": "yes"},
		{"n": "0x10", "ok": "yes"},
		{"n": "1 2", "ok": "yes"},
		{"n": "3", "ok": ""},
	} {
		s, _ := fl.Start(context.Background(), engine.Ports{})
		if err := s.Send(context.Background(), "continue", in); !errors.Is(err, engine.ErrRejected) {
			t.Errorf("Send(%v) = %v, want it rejected", in, err)
		}
	}
}

// A timer is logged at its due time, but never before the entries the log
// already holds: a timer armed already overdue keeps the log in order.
func TestTimerEntriesKeepTheLogInOrder(t *testing.T) {
	fl := mustCompile(t, `flow: t
start: a
policy: {late: -1m}
states:
  a:
    ask: {text: hi}
    on: {continue: b}
  b:
    ask: {text: overdue}
    on: {continue: end}
    after: {policy.late: end}
  end: {final: done}
`, nil, nil)
	c := &tclock{now: time.Unix(0, 0)}
	s, err := fl.Start(context.Background(), engine.Ports{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	// At 30s the answer enters b, whose timer is due at -30s.
	c.now = c.now.Add(30 * time.Second)
	if err := s.Send(context.Background(), "continue", nil); err != nil {
		t.Fatal(err)
	}
	if fired, err := s.Tick(context.Background()); !fired || err != nil {
		t.Fatalf("Tick = %v, %v; want the overdue timer fired", fired, err)
	}
	log := s.Log()
	for i := 1; i < len(log); i++ {
		if log[i].Time.Before(log[i-1].Time) {
			t.Errorf("entry %d (%s) at %v is before entry %d at %v", i+1, log[i].Kind, log[i].Time, i, log[i-1].Time)
		}
	}
	timer := log[len(log)-2]
	if timer.Kind != eventlog.EntryTimer || !timer.Time.Equal(time.Unix(30, 0)) {
		t.Errorf("timer entry = %s at %v, want the timer at 30s, the time of the entry before it", timer.Kind, timer.Time)
	}
}
