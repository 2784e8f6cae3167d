package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/eventlog"
)

const snapFlow = `flow: t
start: ask1
vars: {n: 0, when: 2024-01-01T00:00:00Z, wait: 30s, ratio: 0.5, tags: [a], meta: {k: 1}}
policy: {limit: 2m}
states:
  ask1:
    ask:
      fields: {x: {type: number}}
    on:
      continue: {set: {n: input.x, when: now(), wait: policy.limit, tags: '["b", 2]'}, go: ask2}
  ask2:
    ask:
      text: "n={{ n }} since {{ when }} wait {{ wait }}"
      choices: [more, stop]
    on:
      more: {set: {n: n + 1}}
      stop: done
    after:
      policy.limit: late
  late: {final: late, output: {n: n, when: when, wait: wait, tags: tags, meta: meta}}
  done: {final: ok, success: true, output: {n: n, when: when, wait: wait, tags: tags, meta: meta}}
`

// timedSub is a subflow that asks once, with a timer, and counts in k.
const timedSub = `flow: sub
start: ask
vars: {k: 0}
states:
  ask:
    ask: {text: "k={{ k }}"}
    on: {continue: {set: {k: k + 1}, go: end}}
    after: {10m: end}
  end: {final: ok, output: {k: k}}
`

// roundTrip marshals a snapshot to JSON and back, as a store would.
func roundTrip(t *testing.T, snap *engine.Snapshot) *engine.Snapshot {
	t.Helper()
	b, err := json.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	var out engine.Snapshot
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

func TestSnapshotRoundTrip(t *testing.T) {
	fl := mustCompile(t, snapFlow, nil, nil)
	type step struct {
		advance time.Duration
		choice  string // "" to Tick
		input   map[string]any
	}
	tests := []struct {
		name      string
		before    []step // before the snapshot
		after     []step // after it
		wantFinal string
	}{
		{"answer after restore", []step{{0, "continue", map[string]any{"x": 3}}, {30 * time.Second, "more", nil}},
			[]step{{10 * time.Second, "more", nil}, {0, "stop", nil}}, "ok"},
		{"timer armed before the snapshot fires after it", []step{{time.Second, "continue", map[string]any{"x": 3}}, {time.Minute, "more", nil}},
			[]step{{59 * time.Second, "", nil}, {time.Second, "", nil}}, "late"},
		{"snapshot at the first prompt", nil,
			[]step{{0, "continue", map[string]any{"x": 1}}, {0, "stop", nil}}, "ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := func(restore bool) (string, string) {
				c := newClock()
				s := start(t, fl, c.ports(nil))
				do := func(steps []step) {
					for _, st := range steps {
						c.add(st.advance)
						if st.choice == "" {
							if _, err := s.Tick(context.Background()); err != nil {
								t.Fatal(err)
							}
							continue
						}
						send(t, s, st.choice, st.input)
					}
				}
				do(tt.before)
				prompt := s.Current().Prompt
				if restore {
					snap := roundTrip(t, s.Snapshot())
					var err error
					s, err = fl.Restore(context.Background(), snap, c.ports(nil))
					if err != nil {
						t.Fatalf("Restore: %v", err)
					}
					if got := s.Current().Prompt; got == nil || got.Title.Text != prompt.Title.Text {
						t.Errorf("restored prompt = %+v, want text %q", got, prompt.Title.Text)
					}
					if got, want := s.Snapshot(), roundTrip(t, s.Snapshot()); !sameJSON(t, got, want) {
						t.Errorf("restored snapshot changes on a second round trip")
					}
				}
				do(tt.after)
				out := s.Current().Outcome
				if out == nil {
					t.Fatalf("session did not finish: %+v", s.Current())
				}
				b, err := json.Marshal(out)
				if err != nil {
					t.Fatal(err)
				}
				return out.Name, string(b)
			}
			name, direct := run(false)
			rname, restored := run(true)
			if name != tt.wantFinal {
				t.Errorf("outcome = %s, want %s", name, tt.wantFinal)
			}
			if rname != name || restored != direct {
				t.Errorf("with restore: %s\nwithout:      %s", restored, direct)
			}
		})
	}
}

func sameJSON(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(ja, jb)
}

func TestSnapshotKeepsTypes(t *testing.T) {
	fl := mustCompile(t, snapFlow, nil, nil)
	c := newClock()
	s := start(t, fl, c.ports(nil))
	send(t, s, "continue", map[string]any{"x": 3})
	r, err := fl.Restore(context.Background(), roundTrip(t, s.Snapshot()), c.ports(nil))
	if err != nil {
		t.Fatal(err)
	}
	got := r.Snapshot()
	if due, want := got.Frames[0].Timers[0].Due, c.Now().Add(2*time.Minute); !due.Equal(want) {
		t.Errorf("timer due = %v, want %v", due, want)
	}
	// The variables read back with their kinds: a time, a duration, a
	// float, and a list and a map holding what they held.
	want := map[string]any{"n": 3, "when": c.Now().UTC(), "wait": 2 * time.Minute, "ratio": 0.5,
		"tags": []any{"b", 2}, "meta": map[string]any{"k": 1}}
	if !reflect.DeepEqual(got.Frames[0].Vars, want) {
		t.Errorf("restored vars = %v, want %v", got.Frames[0].Vars, want)
	}
	if got, want := r.Current().Prompt.Title.Text, "n=3 since 2 January 2026, 03:04 UTC wait 2 minutes"; got != want {
		t.Errorf("prompt = %q, want %q", got, want)
	}
}

func TestRestoreRefusesChangedFlow(t *testing.T) {
	fl := mustCompile(t, snapFlow, nil, nil)
	s := start(t, fl, newClock().ports(nil))
	snap := roundTrip(t, s.Snapshot())
	tests := []struct {
		name    string
		src     string
		changed bool
	}{
		{"same source", snapFlow, false},
		{"a comment added", "# v2\n" + snapFlow, true},
		{"a policy value changed", strings.Replace(snapFlow, "limit: 2m", "limit: 3m", 1), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fl2 := mustCompile(t, tt.src, nil, nil)
			_, err := fl2.Restore(context.Background(), snap, engine.Ports{})
			if got := errors.Is(err, engine.ErrFlowChanged); got != tt.changed {
				t.Errorf("Restore error = %v; errors.Is ErrFlowChanged = %v, want %v", err, got, tt.changed)
			}
			if !tt.changed && err != nil {
				t.Errorf("Restore = %v, want nil", err)
			}
		})
	}
}

// TestSecretsNeverRecorded sends a secret in a secret field and has an
// action return one as a secret output, then looks for it in every log
// entry and every snapshot taken along the way.
func TestSecretsNeverRecorded(t *testing.T) {
	const secret = "hunter2-SECRET"
	var gotPassword string
	reg := testRegistry(t, map[string]func(context.Context, engine.Args) (engine.Result, error){
		"svc.check": func(_ context.Context, args engine.Args) (engine.Result, error) {
			gotPassword, _ = args["password"].(string)
			if args["email"] == "bad@example.com" {
				return engine.Result{Outcome: "wrong", Outputs: map[string]any{"token": secret}}, nil
			}
			return engine.Result{Outcome: "ok", Outputs: map[string]any{"token": secret, "count": 1, "name": "Ann"}}, nil
		},
	})
	fl := mustCompile(t, `flow: t
start: sign_in
vars: {failures: 0, who: ""}
states:
  sign_in:
    ask:
      text: "Sign in ({{ failures }} failures)"
      fields:
        email: {type: email}
        password: {type: secret}
    on:
      continue: check
  check:
    run: svc.check
    with: {email: input.email, password: input.password}
    on:
      ok:
        if: result.token != ""
        set: {who: result.name}
        go: done
      wrong: {set: {failures: failures + 1}, go: sign_in}
  done: {final: ok, output: {who: who}}
`, reg, nil)
	s := start(t, fl, newClock().ports(reg))
	var snaps [][]byte
	keep := func() {
		b, err := json.Marshal(s.Snapshot())
		if err != nil {
			t.Fatal(err)
		}
		snaps = append(snaps, b)
	}
	keep()
	if err := s.Send(context.Background(), "continue", map[string]any{"email": "not an email", "password": secret}); err == nil {
		t.Fatal("Send with a bad email = nil, want an InputError")
	}
	keep()
	send(t, s, "continue", map[string]any{"email": "bad@example.com", "password": secret})
	keep()
	send(t, s, "continue", map[string]any{"email": "ann@example.com", "password": secret})
	keep()
	if gotPassword != secret {
		t.Errorf("action got password %q, want %q", gotPassword, secret)
	}
	if out := s.Current().Outcome; out == nil || out.Output["who"] != "Ann" {
		t.Fatalf("outcome = %+v, want ok with who Ann", out)
	}
	masked := 0
	for _, e := range s.Log() {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte("hunter2")) {
			t.Errorf("log entry holds the secret: %s", b)
		}
		masked += bytes.Count(b, []byte(`"value":"`+eventlog.Masked+`"`))
	}
	// Two answers and two action runs, each with a password; two tokens.
	if want := 6; masked != want {
		t.Errorf("log masks %d values, want %d", masked, want)
	}
	// Not only the renderings: the entries in memory hold no secret, so no
	// future sink (fmt, a debugger, another encoder) can show one.
	if dump := fmt.Sprintf("%+v %#v", s.Log(), s.Log()); strings.Contains(dump, "hunter2") {
		t.Errorf("the log in memory holds the secret: %s", dump)
	}
	for i, b := range snaps {
		if bytes.Contains(b, []byte("hunter2")) {
			t.Errorf("snapshot %d holds the secret: %s", i, b)
		}
	}
}

func TestCancel(t *testing.T) {
	fl := mustCompile(t, snapFlow, nil, nil)
	c := newClock()
	s := start(t, fl, c.ports(nil))
	send(t, s, "continue", map[string]any{"x": 3}) // now at ask2, with a timer armed
	if err := s.Cancel("the person pressed Ctrl-C"); err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	out := s.Current().Outcome
	if !s.Done() || out == nil || out.Name != engine.OutcomeCancelled || out.Success || out.State != "ask2" {
		t.Fatalf("after Cancel: done %v, outcome %+v; want cancelled at ask2, not a success", s.Done(), out)
	}
	last := s.Log()[len(s.Log())-1]
	if last.Kind != eventlog.EntryCancel || last.Prompt == nil || last.Outcome.Message != "the person pressed Ctrl-C" {
		t.Errorf("last entry = %+v, want a cancel entry with the prompt and the reason", last)
	}
	if _, ok := s.NextDeadline(); ok {
		t.Errorf("a cancelled session still has a timer armed")
	}
	if err := s.Send(context.Background(), "stop", nil); !errors.Is(err, engine.ErrFinished) {
		t.Errorf("Send after Cancel = %v, want ErrFinished", err)
	}
	if err := s.Cancel("again"); !errors.Is(err, engine.ErrFinished) {
		t.Errorf("second Cancel = %v, want ErrFinished", err)
	}
	c.add(time.Hour)
	if fired, err := s.Tick(context.Background()); fired || err != nil {
		t.Errorf("Tick after Cancel = %v, %v; want nothing fired", fired, err)
	}
	r, err := fl.Restore(context.Background(), roundTrip(t, s.Snapshot()), c.ports(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Current().Outcome; got == nil || got.Name != engine.OutcomeCancelled {
		t.Errorf("restored outcome = %+v, want cancelled", got)
	}
}

// TestSnapshotInsideAction takes a snapshot from inside an action, as the
// path explorer does to see the configuration an action runs in: it shows
// the session as the action was called, at the action's state with the
// variables the branch into it set, and cannot be restored, since the
// session does not wait there. The session goes on unchanged.
func TestSnapshotInsideAction(t *testing.T) {
	var (
		sess  *engine.Session
		inner *engine.Snapshot
	)
	reg, err := engine.NewRegistry(engine.Func(engine.Spec{Name: "svc.look", Outcomes: []string{"ok"}},
		func(context.Context, engine.Args) (engine.Result, error) {
			inner = sess.Snapshot()
			return engine.Result{Outcome: "ok"}, nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	fl := mustCompile(t, `flow: t
start: a
vars: {n: 0}
states:
  a:
    ask: {fields: {x: {type: number}}}
    on: {continue: {set: {n: input.x}, go: r}}
  r:
    run: svc.look
    on: {ok: {set: {n: n + 1}, go: b}}
  b:
    ask: {choices: [stop]}
    on: {stop: done}
    after: {1m: done}
  done: {final: ok}
`, reg, nil)
	ctx := context.Background()
	clock := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	ports := engine.Ports{Actions: reg, Now: func() time.Time { return clock }}
	if sess, err = fl.Start(ctx, ports); err != nil {
		t.Fatal(err)
	}
	if err := sess.Send(ctx, "continue", map[string]any{"x": 41}); err != nil {
		t.Fatal(err)
	}
	if inner == nil {
		t.Fatal("the action did not run")
	}
	if top := inner.Frames[len(inner.Frames)-1]; top.State != "r" || top.Vars["n"] != 41 || len(top.Timers) != 0 {
		t.Errorf("snapshot inside the action: state %s, n=%v, timers %v; want r, 41, none", top.State, top.Vars["n"], top.Timers)
	}
	if inner.Done != nil || inner.Error != "" {
		t.Errorf("snapshot inside the action: done %v, error %q", inner.Done, inner.Error)
	}
	if _, err := fl.Restore(ctx, roundTrip(t, inner), ports); err == nil || !strings.Contains(err.Error(), "does not wait") {
		t.Errorf("Restore of a snapshot taken inside an action: %v, want an error that it does not wait", err)
	}
	after := sess.Snapshot()
	if top := after.Frames[len(after.Frames)-1]; top.State != "b" || top.Vars["n"] != 42 || len(top.Timers) != 1 {
		t.Errorf("after the step: state %s, n=%v, timers %v; want b, 42, one", top.State, top.Vars["n"], top.Timers)
	}
}

// TestSnapshotTo reuses one snapshot for sessions in different places, a
// subflow's frame and timers in one and not in the next: each time it is
// what Snapshot makes, nothing left over from the one before.
func TestSnapshotTo(t *testing.T) {
	parent := mustCompile(t, `flow: p
start: a
vars: {n: 0}
states:
  a:
    ask: {choices: [in, out]}
    on: {in: {set: {n: 1}, go: sub}, out: done}
    after: {5m: done}
  sub:
    run: flow:sub
    with: {k: n}
    on: {ok: done}
  done: {final: ok}
`, nil, flows{"sub": timedSub})
	ctx := context.Background()
	c := newClock()
	var reused engine.Snapshot
	check := func(s *engine.Session, what string) {
		t.Helper()
		s.SnapshotTo(&reused)
		if want := s.Snapshot(); !reflect.DeepEqual(&reused, want) {
			t.Errorf("%s: SnapshotTo gave\n%+v\nwant\n%+v", what, reused, *want)
		}
	}
	deep := start(t, parent, c.ports(nil))
	check(deep, "at the first prompt")
	send(t, deep, "in", nil)
	check(deep, "in the subflow")
	shallow := start(t, parent, c.ports(nil))
	check(shallow, "back at a first prompt")
	send(t, shallow, "out", nil)
	check(shallow, "done")
	if _, err := parent.Restore(ctx, roundTrip(t, deep.Snapshot()), c.ports(nil)); err != nil {
		t.Fatalf("Restore: %v", err)
	}
}
