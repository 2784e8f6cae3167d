package engine

import (
	"reflect"
	"testing"
	"time"

	"github.com/tetherflow/tether/engine/eventlog"
	"github.com/tetherflow/tether/engine/prompt"
	"github.com/tetherflow/tether/engine/syntax"
)

const logFlowSrc = `flow: logflow
start: ask
vars:
  n: 0
states:
  ask:
    ask:
      text: "Sign in"
      fields:
        user: {type: text}
        pin: {type: secret}
        note: {type: text, optional: true}
      choices:
        - go: {fields: [user, pin]}
        - skip: {fields: []}
    on:
      go:
        - if: n > 5
          set: {n: n + 1}
          go: done
        - set: {n: n + 2}
      skip: done
  done:
    final: done
`

func compileSrc(t *testing.T, name, src string) *Flow {
	t.Helper()
	f, err := syntax.Load(name, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	fl, err := Compile(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	return fl
}

// The log keeps entries as bytes and values apart, and renders each as
// the Entry it was given: whatever it can index (a compiled flow's states
// and branches, times in one location) and whatever it cannot (states and
// branches of no flow, other locations, times outside a stamp's years,
// zero times) alike, in order, secrets kept out.
func TestRecLogRoundTrip(t *testing.T) {
	fl := compileSrc(t, "log.yaml", logFlowSrc)
	other := benchFlow(t)
	ask, done := fl.byName["ask"], fl.byName["done"]
	stay := ask.on["go"].branches[1]
	toDone := ask.on["go"].branches[0]
	ghost := &state{id: 0, name: "ghost", flow: fl, fields: ask.fields}
	stray := &branch{idx: 0, event: "zap", condSrc: "x > 1", target: done, next: done}
	dyn := &prompt.Prompt{Title: prompt.Message{Text: "made at run time"}}
	out := &eventlog.Outcome{Name: "done", State: "done"}
	paris := time.FixedZone("CET", 3600)
	t0 := time.Date(2025, 3, 4, 5, 6, 7, 8, time.UTC)
	old := time.Date(1500, 1, 2, 3, 4, 5, 6, time.UTC)
	in := map[string]any{"user": "ann", "pin": "1234", "note": ""}

	recs := []rec{
		{kind: eventlog.EntryStart, time: t0, st: ask},
		{kind: eventlog.EntryAnswer, time: t0.Add(time.Second), shown: t0, st: ask, b: stay, event: "go",
			prompt: ask.static, changes: []any{0, 2}, input: in, fields: []string{"user", "pin"}},
		{kind: eventlog.EntryAnswer, time: t0.Add(-time.Hour), shown: t0.In(paris), st: ask, b: toDone, event: "go",
			prompt: dyn, changes: []any{masked{}, nil}},
		{kind: eventlog.EntryReject, time: t0.In(paris), shown: old, st: ghost, event: "nope",
			x: &recExtra{err: "no such choice"}, input: in, fields: []string{"user", "pin"}},
		{kind: eventlog.EntryTimer, time: old, st: ask, b: stray, event: "zap"},
		{kind: eventlog.EntryFinal, time: t0, st: done, outcome: out},
		{kind: eventlog.EntryCancel, st: other.start, outcome: out},
		{kind: eventlog.EntryStart, time: t0, st: other.start},
		{kind: eventlog.EntryError, time: t0, x: &recExtra{err: "boom"}},
	}
	prompt := ask.static
	want := []eventlog.Entry{
		{Seq: 1, Time: t0, Kind: eventlog.EntryStart, Flow: "logflow", State: "ask", To: "ask"},
		{Seq: 2, Time: t0.Add(time.Second), PromptAt: t0, Kind: eventlog.EntryAnswer, Flow: "logflow", State: "ask",
			Event: "go", Branch: 2, Prompt: prompt,
			Changes: []eventlog.Change{{Var: "n", From: 0, To: 2}},
			Args:    []eventlog.Value{{Name: "user", Value: "ann"}, {Name: "pin", Secret: true}}},
		{Seq: 3, Time: t0.Add(-time.Hour), PromptAt: t0.In(paris), Kind: eventlog.EntryAnswer, Flow: "logflow", State: "ask",
			Event: "go", Branch: 1, Guard: "n > 5", To: "done", Prompt: dyn,
			Changes: []eventlog.Change{{Var: "n", Masked: true}}},
		{Seq: 4, Time: t0.In(paris), PromptAt: old, Kind: eventlog.EntryReject, Flow: "logflow", State: "ghost",
			Event: "nope", Error: "no such choice",
			Args: []eventlog.Value{{Name: "user", Value: "ann"}, {Name: "pin", Secret: true}}},
		{Seq: 5, Time: old, Kind: eventlog.EntryTimer, Flow: "logflow", State: "ask", Event: "zap", Branch: 1, Guard: "x > 1", To: "done"},
		{Seq: 6, Time: t0, Kind: eventlog.EntryFinal, Flow: "logflow", State: "done", Outcome: out},
		{Seq: 7, Kind: eventlog.EntryCancel, Flow: "machine", State: "start", Outcome: out},
		{Seq: 8, Time: t0, Kind: eventlog.EntryStart, Flow: "machine", State: "start", To: "start"},
		{Seq: 9, Time: t0, Kind: eventlog.EntryError, Error: "boom"},
	}
	var l recLog
	for i := range recs {
		l.add(&recs[i])
		if i == 4 {
			// Rendering stops where the log ends and goes on from there.
			if got := l.entries(1); len(got) != 5 {
				t.Fatalf("entries after 5 adds: %d, want 5", len(got))
			}
			if got := l.appendMarks(nil, 3); len(got) != 2 {
				t.Fatalf("marks from 3 after 5 adds: %d, want 2", len(got))
			}
		}
	}
	got := l.entries(1)
	if len(got) != len(want) || l.n != len(want) {
		t.Fatalf("got %d entries (n = %d), want %d", len(got), l.n, len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if !g.Time.Equal(w.Time) || g.Time.Location().String() != w.Time.Location().String() ||
			!g.PromptAt.Equal(w.PromptAt) || g.PromptAt.Location().String() != w.PromptAt.Location().String() {
			t.Errorf("entry %d: times %v, %v; want %v, %v", i+1, g.Time, g.PromptAt, w.Time, w.PromptAt)
		}
		g.Time, g.PromptAt, w.Time, w.PromptAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if g.Prompt != w.Prompt || g.Outcome != w.Outcome {
			t.Errorf("entry %d: prompt %p, outcome %p; want %p, %p", i+1, g.Prompt, g.Outcome, w.Prompt, w.Outcome)
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("entry %d:\n got %+v\nwant %+v", i+1, g, w)
		}
	}
	// Marks are the entries without their values, from any index on, as
	// the log goes on and back over what was read before.
	marks := func(es []eventlog.Entry) []eventlog.Mark {
		out := []eventlog.Mark{}
		for _, e := range es {
			out = append(out, eventlog.Mark{Kind: e.Kind, Flow: e.Flow, State: e.State, Event: e.Event, Branch: e.Branch})
		}
		return out
	}
	for _, from := range []int{5, 8, 9, 2, 0, 7} {
		if got := l.appendMarks([]eventlog.Mark{}, from); !reflect.DeepEqual(got, marks(want[from:])) {
			t.Errorf("marks from %d:\n got %+v\nwant %+v", from, got, marks(want[from:]))
		}
	}
	if !l.last.Equal(t0) {
		t.Errorf("last = %v, want the last entry's time %v", l.last, t0)
	}
	// The secret never reached the log's values.
	for _, v := range l.spill {
		if v == "1234" {
			t.Fatal("the log keeps a secret field's value")
		}
		if x, ok := v.(*recExtra); ok {
			for _, a := range x.args {
				if a.Value == "1234" {
					t.Fatal("the log keeps a secret field's value")
				}
			}
		}
	}
}

// grow makes room for n more, copying what s holds, and leaves a slice
// that has room as it is.
func TestGrow(t *testing.T) {
	s := grow([]int(nil), 100, 16)
	if len(s) != 0 || cap(s) < 100 {
		t.Fatalf("grow(nil, 100, 16): len %d cap %d, want 0 and at least 100", len(s), cap(s))
	}
	s = append(s, 1, 2, 3)
	if g := grow(s, 5, 16); &g[0] != &s[0] {
		t.Fatal("grow reallocated a slice that had room")
	}
	g := grow(s, cap(s), 16)
	if len(g) != 3 || g[2] != 3 || cap(g) < 3+cap(s) || &g[0] == &s[0] {
		t.Fatalf("grow(s, cap(s)) = %v (cap %d), want a copy of %v with room", g, cap(g), s)
	}
}
