package engine_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tetherflow/tether/engine"
)

// clock is a fake session clock that moves only when a test says so.
type clock struct{ t time.Time }

func newClock() *clock               { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }
func (c *clock) Now() time.Time      { return c.t }
func (c *clock) add(d time.Duration) { c.t = c.t.Add(d) }
func (c *clock) ports(reg *engine.Registry) engine.Ports {
	return engine.Ports{Actions: reg, Now: c.Now, Rand: strings.NewReader("0123456789abcdef")}
}

func start(t *testing.T, fl *engine.Flow, p engine.Ports) *engine.Session {
	t.Helper()
	s, err := fl.Start(context.Background(), p)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	return s
}

func send(t *testing.T, s *engine.Session, choice string, input map[string]any) {
	t.Helper()
	if err := s.Send(context.Background(), choice, input); err != nil {
		t.Fatalf("Send(%s, %v): %v", choice, input, err)
	}
}

// vars returns the root flow's variables as the snapshot holds them.
func vars(s *engine.Session) map[string]any { return s.Snapshot().Frames[0].Vars }

func TestBranchOrderFirstTrueWins(t *testing.T) {
	fl := mustCompile(t, `flow: t
start: a
states:
  a:
    ask:
      fields: {x: {type: number}}
    on:
      continue:
        - if: input.x > 10
          go: big
        - if: input.x > 5
          go: mid
        - go: small
  big: {final: big}
  mid: {final: mid}
  small: {final: small}
`, nil, nil)
	tests := []struct {
		x    int
		want string
	}{
		{20, "big"}, // also > 5: the first branch that holds wins
		{11, "big"},
		{10, "mid"},
		{6, "mid"},
		{5, "small"},
		{-1, "small"},
	}
	for _, tt := range tests {
		s := start(t, fl, newClock().ports(nil))
		send(t, s, "continue", map[string]any{"x": tt.x})
		if got := s.Current().Outcome; got == nil || got.Name != tt.want {
			t.Errorf("x=%d: outcome = %+v, want %s", tt.x, got, tt.want)
		}
	}
}

func TestSetEvaluatesAgainstValuesBeforeTheBranch(t *testing.T) {
	fl := mustCompile(t, `flow: t
start: a
vars: {a: 1, b: 2, f: 0.5, s: ""}
states:
  a:
    ask:
      choices: [swap, stop]
    on:
      swap:
        set: {a: b, b: a, f: a, s: 'string(a) + "," + string(b)'}
      stop: done
  done: {final: ok}
`, nil, nil)
	s := start(t, fl, newClock().ports(nil))
	tests := []struct {
		want map[string]any
	}{
		{map[string]any{"a": 2, "b": 1, "f": 1.0, "s": "1,2"}},
		{map[string]any{"a": 1, "b": 2, "f": 2.0, "s": "2,1"}},
	}
	for i, tt := range tests {
		send(t, s, "swap", nil)
		got := vars(s)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("after swap %d: vars = %#v, want %#v", i+1, got, tt.want)
		}
		if _, ok := got["f"].(float64); !ok {
			t.Errorf("after swap %d: f is a %T, want float64 (ints widen to floats)", i+1, got["f"])
		}
	}
	if got := s.Current().State; got != "a" {
		t.Errorf("state = %s, want a (a branch without go stays)", got)
	}
}

const timerFlow = `flow: t
start: wait
vars: {pokes: 0, nudges: 0}
policy: {lifetime: 5m}
states:
  wait:
    ask:
      choices: [poke, reset, finish]
    on:
      poke:
        set: {pokes: pokes + 1}
      reset:
        set: {pokes: pokes + 1}
        go: wait
      finish: done
    after:
      policy.lifetime: expired
      1m:
        set: {nudges: nudges + 1}
  expired: {final: expired}
  done: {final: done}
`

func TestTimers(t *testing.T) {
	fl := mustCompile(t, timerFlow, nil, nil)
	type step struct {
		advance time.Duration
		choice  string // "" to Tick
		wantErr error
	}
	tests := []struct {
		name       string
		steps      []step
		wantState  string
		wantNudges int
	}{
		{
			name:      "nothing fires before its time",
			steps:     []step{{advance: 59 * time.Second}},
			wantState: "wait",
		},
		{
			name:       "a staying timer fires once",
			steps:      []step{{advance: time.Minute}, {advance: 3 * time.Minute}},
			wantState:  "wait",
			wantNudges: 1,
		},
		{
			name:       "policy key timer",
			steps:      []step{{advance: 5 * time.Minute}},
			wantState:  "expired",
			wantNudges: 1,
		},
		{
			name:       "staying keeps timers running",
			steps:      []step{{advance: time.Minute}, {advance: 3 * time.Minute, choice: "poke"}, {advance: time.Minute}},
			wantState:  "expired",
			wantNudges: 1,
		},
		{
			name:       "go to the same state re-arms timers",
			steps:      []step{{advance: time.Minute}, {advance: 3 * time.Minute, choice: "reset"}, {advance: time.Minute}, {advance: 3*time.Minute + 59*time.Second}},
			wantState:  "wait",
			wantNudges: 2,
		},
		{
			name:       "re-armed timer fires at its new time",
			steps:      []step{{advance: time.Minute}, {advance: 3 * time.Minute, choice: "reset"}, {advance: 5 * time.Minute}},
			wantState:  "expired",
			wantNudges: 2,
		},
		{
			name:       "an answer after the timer is refused",
			steps:      []step{{advance: 5 * time.Minute, choice: "finish", wantErr: engine.ErrPromptGone}},
			wantState:  "expired",
			wantNudges: 1,
		},
		{
			// A timer that fires inside Send but stays where it is leaves
			// the prompt, and so the answer, valid.
			name:       "a staying timer does not void an answer",
			steps:      []step{{advance: time.Minute, choice: "finish"}},
			wantState:  "done",
			wantNudges: 1,
		},
		{
			name:       "an answer in time is taken",
			steps:      []step{{advance: time.Minute}, {advance: 4*time.Minute - time.Nanosecond, choice: "finish"}},
			wantState:  "done",
			wantNudges: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			s := start(t, fl, c.ports(nil))
			for i, st := range tt.steps {
				c.add(st.advance)
				var err error
				if st.choice == "" {
					_, err = s.Tick(context.Background())
				} else {
					err = s.Send(context.Background(), st.choice, nil)
				}
				if !errors.Is(err, st.wantErr) {
					t.Fatalf("step %d: error = %v, want %v", i+1, err, st.wantErr)
				}
			}
			if got := s.Current().State; got != tt.wantState {
				t.Errorf("state = %s, want %s", got, tt.wantState)
			}
			if got := vars(s)["nudges"]; got != tt.wantNudges {
				t.Errorf("nudges = %v, want %d", got, tt.wantNudges)
			}
		})
	}
}

func TestTickReportsFiring(t *testing.T) {
	fl := mustCompile(t, timerFlow, nil, nil)
	c := newClock()
	s := start(t, fl, c.ports(nil))
	if due, ok := s.NextDeadline(); !ok || !due.Equal(c.Now().Add(time.Minute)) {
		t.Errorf("NextDeadline = %v, %v, want %v, true", due, ok, c.Now().Add(time.Minute))
	}
	for _, tt := range []struct {
		advance time.Duration
		want    bool
	}{{30 * time.Second, false}, {30 * time.Second, true}, {0, false}} {
		c.add(tt.advance)
		fired, err := s.Tick(context.Background())
		if err != nil || fired != tt.want {
			t.Errorf("Tick at +%v = %v, %v, want %v, nil", tt.advance, fired, err, tt.want)
		}
	}
}

var subflows = flows{"sub": `flow: sub
start: ask
vars: {seed: 0}
states:
  ask:
    ask:
      text: "seed {{ seed }}"
      fields: {n: {type: number}}
      choices:
        - give
        - quit: {fields: []}
    on:
      give: {set: {seed: seed + input.n}, go: gave}
      quit: quitted
  gave: {final: given, success: true, output: {total: seed, label: '"sum"'}}
  quitted: {final: quit}
`}

const parentFlow = `flow: t
start: s
vars: {total: 0, label: ""}
states:
  s:
    run: flow:sub
    with: {seed: 10}
    on:
      given: {set: {total: result.total, label: result.label}, go: done}
      quit: gone
  done: {final: ok, output: {total: total, label: label}}
  gone: {final: gone}
`

func TestSubflow(t *testing.T) {
	fl := mustCompile(t, parentFlow, nil, subflows)
	tests := []struct {
		choice  string
		input   map[string]any
		want    string
		wantOut map[string]any
	}{
		{"give", map[string]any{"n": 5}, "ok", map[string]any{"total": 15, "label": "sum"}},
		{"quit", nil, "gone", nil},
	}
	for _, tt := range tests {
		s := start(t, fl, newClock().ports(nil))
		cur := s.Current()
		if cur.Flow != "sub" || cur.State != "ask" || cur.Prompt == nil || cur.Prompt.Title.Text != "seed 10" {
			t.Fatalf("Current = %+v, want prompt \"seed 10\" at sub.ask", cur)
		}
		send(t, s, tt.choice, tt.input)
		out := s.Current().Outcome
		if out == nil || out.Name != tt.want || !reflect.DeepEqual(out.Output, tt.wantOut) {
			t.Errorf("%s: outcome = %+v, want %s with output %v", tt.choice, out, tt.want, tt.wantOut)
		}
	}
}

const formFlow = `flow: t
start: form
vars: {tries: 0}
states:
  form:
    ask:
      text: Sign in
      fields:
        email: {type: email}
        code: {type: code, length: 6}
        plan: {type: choice, options: [free, family]}
        note: {type: text, optional: true}
      choices:
        - send
        - help: {fields: []}
    on:
      send: {set: {tries: tries + 1}, go: done}
      help: helped
  helped: {final: helped}
  done: {final: ok}
`

func TestInputValidation(t *testing.T) {
	fl := mustCompile(t, formFlow, nil, nil)
	good := func(k string, v any) map[string]any {
		m := map[string]any{"email": "ann@example.com", "code": "123456", "plan": "free"}
		if k != "" {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return m
	}
	tests := []struct {
		name   string
		choice string
		input  map[string]any
		want   string // InputError text; "" when accepted
		state  string // where the session stands after
	}{
		{"accepted", "send", good("", nil), "", "done"},
		{"optional field absent", "send", good("note", nil), "", "done"},
		{"unknown choice", "sned", good("", nil), `unknown choice "sned" (choose one of: send, help)`, "form"},
		{"bad email", "send", good("email", "ann@example"), `email: not an email address`, "form"},
		{"email with a name", "send", good("email", "Ann <ann@example.com>"), `email: not an email address`, "form"},
		{"non-digit code", "send", good("code", "12a456"), "code: the code is digits only", "form"},
		{"short code", "send", good("code", "12345"), "code: the code has 6 digits", "form"},
		{"missing required field", "send", good("email", nil), "email: is required", "form"},
		{"option not offered", "send", good("plan", "pro"), `plan: "pro" is not one of: family, free`, "form"},
		{"unknown field", "send", map[string]any{"emial": "x"}, "emial: no such field in this prompt", "form"},
		{"choice without fields needs none", "help", nil, "", "helped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, fl, newClock().ports(nil))
			before := s.Current()
			beforeVars := vars(s)
			err := s.Send(context.Background(), tt.choice, tt.input)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Send = %v, want nil", err)
				}
			} else {
				var ie *engine.InputError
				if !errors.As(err, &ie) || ie.Error() != tt.want {
					t.Fatalf("Send = %v, want InputError %q", err, tt.want)
				}
				if !errors.Is(err, engine.ErrRejected) {
					t.Errorf("errors.Is(%v, ErrRejected) = false, want true", err)
				}
				if got := s.Current(); !reflect.DeepEqual(got, before) {
					t.Errorf("Current after rejected input = %+v, want unchanged %+v", got, before)
				}
				if got := vars(s); !reflect.DeepEqual(got, beforeVars) {
					t.Errorf("vars after rejected input = %v, want unchanged %v", got, beforeVars)
				}
				// The same prompt still takes a good answer.
				send(t, s, "send", good("", nil))
			}
			if tt.want == "" && s.Current().State != tt.state {
				t.Errorf("state = %s, want %s", s.Current().State, tt.state)
			}
		})
	}
}

func TestChoiceFieldsInPrompt(t *testing.T) {
	fl := mustCompile(t, formFlow, nil, nil)
	s := start(t, fl, newClock().ports(nil))
	p := s.Current().Prompt
	if p == nil {
		t.Fatal("no prompt")
	}
	got := map[string][]string{}
	for _, c := range p.Choices {
		got[c.Name] = c.Fields
	}
	want := map[string][]string{"send": {"email", "code", "plan", "note"}, "help": nil}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("choice fields = %v, want %v", got, want)
	}
}

const actionFlow = `flow: t
start: a
states:
  a:
    run: svc.check
    with: {email: '"e@x.io"', password: '"p"'}
    on:
      ok: b
      wrong: done
  b:
    run: svc.slow
    on:
      done: done
  done: {final: ok}
`

func TestActionFailures(t *testing.T) {
	boom := errors.New("portal unreachable")
	tests := []struct {
		name    string
		check   func(context.Context, engine.Args) (engine.Result, error)
		want    string
		wantErr error
	}{
		{
			name: "undeclared outcome",
			check: func(context.Context, engine.Args) (engine.Result, error) {
				return engine.Result{Outcome: "maybe"}, nil
			},
			want: `t.yaml:5:10: state a: action svc.check: returned outcome "maybe", which it does not declare (it declares: ok, wrong)`,
		},
		{
			name: "undeclared output",
			check: func(context.Context, engine.Args) (engine.Result, error) {
				return engine.Result{Outcome: "ok", Outputs: map[string]any{"tokn": "x"}}, nil
			},
			want: `t.yaml:5:10: state a: action svc.check: returned output tokn, which it does not declare`,
		},
		{
			name: "output of the wrong kind",
			check: func(context.Context, engine.Args) (engine.Result, error) {
				return engine.Result{Outcome: "ok", Outputs: map[string]any{"count": "three"}}, nil
			},
			want: `t.yaml:5:10: state a: action svc.check: output count: a string is not an int`,
		},
		{
			name: "action error",
			check: func(context.Context, engine.Args) (engine.Result, error) {
				return engine.Result{}, boom
			},
			want:    `t.yaml:5:10: state a: action svc.check: portal unreachable`,
			wantErr: boom,
		},
		{
			name:    "action timeout",
			want:    `t.yaml:11:10: state b: action svc.slow timed out after 20ms: context deadline exceeded`,
			wantErr: context.DeadlineExceeded,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := map[string]func(context.Context, engine.Args) (engine.Result, error){}
			if tt.check != nil {
				run["svc.check"] = tt.check
			}
			reg := testRegistry(t, run)
			fl := mustCompile(t, actionFlow, reg, nil)
			s, err := fl.Start(context.Background(), newClock().ports(reg))
			var re *engine.RunError
			if !errors.As(err, &re) {
				t.Fatalf("Start = %v, want a *RunError", err)
			}
			if err.Error() != tt.want {
				t.Errorf("error = %q\nwant    %q", err, tt.want)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("errors.Is(%v, %v) = false, want true", err, tt.wantErr)
			}
			if !s.Done() || s.Err() != err {
				t.Errorf("Done, Err = %v, %v, want true, the run error", s.Done(), s.Err())
			}
			if err := s.Send(context.Background(), "continue", nil); err != s.Err() {
				t.Errorf("Send after failure = %v, want the run error", err)
			}
		})
	}
}

// TestMachineWorkload runs the benchmark flow through its canonical event
// sequence and checks where it ends.
func TestMachineWorkload(t *testing.T) {
	fl, err := engine.CompileFile("testdata/machine.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	s := start(t, fl, newClock().ports(nil))
	steps := []struct {
		choice string
		input  map[string]any
	}{{"no_saved", nil}, {"submit", nil}, {"bad", nil}, {"submit", nil}, {"bad", nil}, {"submit", nil}, {"bad", nil},
		{"solved", nil}, {"submit", nil}, {"ok", nil}, {"sms_on", map[string]any{"now": 1000}}, {"code_bad", nil},
		{"resend", map[string]any{"now": 1045}}, {"help", nil}, {"back", nil}, {"code_ok", nil},
		{"needs_consent", nil}, {"accept", nil}, {"licenses", map[string]any{"count": 2}}, {"select", nil}, {"done", nil}}
	for _, st := range steps {
		send(t, s, st.choice, st.input)
	}
	out := s.Current().Outcome
	if out == nil || out.Name != "activated" || !out.Success {
		t.Errorf("outcome = %+v, want activated, success", out)
	}
	want := map[string]any{"failures": 3, "attempts": 1, "last_sent": 1045, "cooldown": 30, "region": "DE"}
	if got := vars(s); !reflect.DeepEqual(got, want) {
		t.Errorf("vars = %v, want %v", got, want)
	}
}
