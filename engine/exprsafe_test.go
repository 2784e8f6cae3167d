package engine_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/eventlog"
	"github.com/tetherflow/tether/engine/syntax"
)

// An action that panics ends its session with a RunError at the state's
// position, never the process, and the value it panicked with (here, the
// secret it was given) is not in the error.
func TestPanicEndsTheSessionOnly(t *testing.T) {
	const secret = "s3cret-in-a-panic"
	reg := testRegistry(t, map[string]func(context.Context, engine.Args) (engine.Result, error){
		"svc.check": func(_ context.Context, args engine.Args) (engine.Result, error) {
			panic("cannot check " + args["password"].(string))
		},
	})
	fl := mustCompile(t, `flow: t
start: ask
states:
  ask:
    ask:
      fields: {email: {type: email}, password: {type: secret}}
    on: {continue: check}
  check:
    run: svc.check
    with: {email: input.email, password: input.password}
    on: {ok: done, wrong: ask}
  done: {final: ok}
`, reg, nil)
	s := start(t, fl, newClock().ports(reg))
	err := s.Send(context.Background(), "continue", map[string]any{"email": "a@example.com", "password": secret})
	var re *engine.RunError
	var pe *engine.PanicError
	if !errors.As(err, &re) || !errors.As(err, &pe) {
		t.Fatalf("Send = %v, want a RunError wrapping a PanicError", err)
	}
	if re.State != "check" || re.Pos.Line != 8 {
		t.Errorf("RunError at state %s, %v; want state check, line 8", re.State, re.Pos)
	}
	if pe.Value != "cannot check "+secret || len(pe.Stack) == 0 {
		t.Errorf("PanicError = %q with %d bytes of stack, want the value and a stack", pe.Value, len(pe.Stack))
	}
	var logged strings.Builder
	if err := eventlog.WriteTranscript(&logged, s.Log()); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{err.Error(), logged.String()} {
		if strings.Contains(text, secret) {
			t.Errorf("the panic's value leaked: %s", text)
		}
	}
	if !s.Done() || !errors.Is(s.Send(context.Background(), "continue", nil), err) {
		t.Errorf("the session goes on after the panic")
	}
	// Another session of the same flow is not affected.
	other := start(t, fl, newClock().ports(reg))
	if other.Current().State != "ask" || other.Done() {
		t.Errorf("another session: %+v", other.Current())
	}
}

// A cancelled context stops an expression's loops.
func TestExpressionHonoursTheContext(t *testing.T) {
	fl := mustCompile(t, `flow: t
start: a
states:
  a:
    ask: {}
    on:
      continue: [{if: 'all(1..1000, # > 0)', go: done}, a]
  done: {final: ok}
`, nil, nil)
	s := start(t, fl, newClock().ports(nil))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.Send(ctx, "continue", nil)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "failed: cancelled") {
		t.Fatalf("Send with a cancelled context = %v, want an error matching context.Canceled", err)
	}
}

// WithLimits sets the budgets; a zero field keeps its default.
func TestWithLimits(t *testing.T) {
	const src = `flow: t
start: a
vars: {n: 0}
states:
  a:
    ask: {}
    on:
      continue: {set: {n: 'sum(map(1..100, #))'}, go: done}
  done: {final: ok}
`
	f, err := syntax.Load("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		lim  engine.Limits
		want string // "" for no error
	}{
		{engine.Limits{}, ""},
		{engine.Limits{MaxExprSteps: 150}, "it took more than 150 steps"},
		{engine.Limits{MaxExprMemory: 50}, "it used more than 50 units of memory"},
		{engine.Limits{MaxExprBytes: 10}, "the expression is longer than 10 bytes"},
		{engine.Limits{MaxExprDepth: 1}, "brackets nest deeper than 1 levels"},
	} {
		fl, err := engine.Compile(f, nil, engine.WithLimits(tt.lim))
		if err == nil {
			s := start(t, fl, newClock().ports(nil))
			err = s.Send(context.Background(), "continue", nil)
		}
		if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%+v: error = %v, want %q", tt.lim, err, tt.want)
		}
	}
}

// A value an expression gives is made a flow value of its place's kind:
// expr's typed lists (1..3 is a []int) become lists, and a value of the
// wrong kind is a run error naming the kinds, not a panic.
func TestExpressionValuesAreFlowValues(t *testing.T) {
	fl := mustCompile(t, `flow: t
start: a
vars: {l: [], m: {a: x, b: {c: 1}}, s: ""}
states:
  a:
    ask: {}
    on:
      continue: {set: {l: '1..3', s: 'upper(m.a)'}, go: b}
  b:
    ask: {text: '{{ l }} {{ s }}'}
    on:
      continue: {set: {s: 'm.b'}, go: done}
  done: {final: ok}
`, nil, nil)
	s := start(t, fl, newClock().ports(nil))
	send(t, s, "continue", nil)
	if got := vars(s); !reflect.DeepEqual(got["l"], []any{1, 2, 3}) || got["s"] != "X" {
		t.Errorf("vars = %#v, want l [1 2 3] and s X", got)
	}
	if got := s.Current().Prompt.Title.Text; got != "[1, 2, 3] X" {
		t.Errorf("text = %q", got)
	}
	err := s.Send(context.Background(), "continue", nil)
	if err == nil || !strings.HasSuffix(err.Error(), `set s: expression "m.b" failed: it gave a map, not a string (m.b is a map)`) {
		t.Errorf("assigning a map to a string = %v", err)
	}
}

// An expression of 4096 bytes, the budget, nests operators as deep as its
// length allows: expr's recursion over it stays far from the stack's end.
func TestLongestExpressionCompiles(t *testing.T) {
	src := strings.Replace(okFlow, "next: done", "next: {if: '"+strings.Repeat("!", 4086)+"true', go: done}", 1)
	if _, err := compile(t, src, nil, nil); err != nil {
		t.Fatal(err)
	}
}

// {{ }} parts are found in one pass, positioned after any text before them
// (in runes), and an unclosed {{ is an error at its position.
func TestInterpolationPositions(t *testing.T) {
	const src = `flow: t
start: a
states:
  a:
    ask:
      text: "Grüße {{ nope }} and {{ alsonot }} {{ 1 +"
    on: {continue: done}
  done: {final: ok}
`
	_, err := compile(t, src, nil, nil)
	want := "t.yaml:6:49: unclosed {{ in text: an interpolation is {{ expression }}"
	if got := joinLines(errorLines(err)); got != want {
		t.Errorf("errors:\n%s\nwant:\n%s", got, want)
	}
	_, err = compile(t, strings.Replace(src, " {{ 1 +", "", 1), nil, nil)
	got := errorLines(err)
	wantAll := []string{
		"t.yaml:6:23: unknown name nope\n |  nope \n | .^",
		"t.yaml:6:38: unknown name alsonot\n |  alsonot \n | .^",
	}
	if !reflect.DeepEqual(got, wantAll) {
		t.Errorf("errors:\n%s\nwant:\n%s", joinLines(got), joinLines(wantAll))
	}
}

// The log packs the times of its entries; they read back as the clock gave
// them, in its location, whatever the location or the year.
func TestLogKeepsTimesAsGiven(t *testing.T) {
	fl := mustCompile(t, `flow: t
start: a
states:
  a:
    ask: {}
    on: {continue: b}
  b:
    ask: {}
    on: {continue: c}
  c:
    ask: {}
    on: {continue: done}
  done: {final: ok}
`, nil, nil)
	c := newClock()
	times := []time.Time{
		c.t,
		c.t.Add(time.Minute).In(time.FixedZone("CET", 3600)),
		time.Date(2500, 1, 2, 3, 4, 5, 6, time.UTC),
		time.Date(1500, 1, 2, 3, 4, 5, 6, time.FixedZone("X", -1800)),
	}
	s := start(t, fl, c.ports(nil))
	for _, at := range times[1:] {
		c.t = at
		send(t, s, "continue", nil)
	}
	log := s.Log()
	if len(log) != 5 {
		t.Fatalf("%d entries, want 5", len(log))
	}
	for i, e := range log[:4] {
		want := times[i]
		if !e.Time.Equal(want) || e.Time.Location().String() != want.Location().String() || e.Time.Format(time.RFC3339Nano) != want.Format(time.RFC3339Nano) {
			t.Errorf("entry %d: time %v, want %v", i+1, e.Time, want)
		}
		if i > 0 && !e.PromptAt.Equal(times[i-1]) {
			t.Errorf("entry %d: prompt shown at %v, want %v", i+1, e.PromptAt, times[i-1])
		}
	}
	if !log[0].PromptAt.IsZero() {
		t.Errorf("start entry: prompt_at %v, want none", log[0].PromptAt)
	}
}
