package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/eventlog"
	"github.com/tetherflow/tether/engine/prompt"
	"github.com/tetherflow/tether/engine/syntax"
)

// The session fuzzer: bytes choose a flow that validates (states, prompts,
// actions, guards, assignments, timers, drawn from typed pools, some of
// which fail at run time on purpose), then the outcomes its actions give,
// the answers sent (valid and not), the clock's moves, ticks and
// snapshot-restore round trips. Whatever happens, no panic is recovered
// from the engine, every error is one the API documents, the log renders
// and writes the JSON lines encoding/json would, and the secret answered never appears in an error, the log, the
// transcript or a snapshot.

// fz draws numbers from fuzz bytes; past their end it draws zeros, so a
// draw's rare cases are its highest numbers.
type fz struct {
	data []byte
	i    int
}

func (f *fz) n(k int) int {
	if k <= 1 || f.i >= len(f.data) {
		return 0
	}
	b := f.data[f.i]
	f.i++
	return int(b) % k
}

func (f *fz) pick(list []string) string { return list[f.n(len(list))] }

const fuzzSecret = "pw-SECRET-"

// Expression pools by the kind of value they give. Some fail at run time
// on purpose (m.t is a string where an int or a bool is wanted, int(s)).
var fuzzPools = map[string][]string{
	"bool":   {"n > 2", `s == "x"`, "len(l) > 1", "b", "!b", "n % 2 == 0", "m.k > 0", `"a" in l`, "m.t", `all(l, # != "")`, "d > duration(\"1m\")", "n < policy.lim"},
	"n":      {"n + 1", "n * 2", "len(s)", "m.k", "int(s)", "len(l)", "n - 1", "sum(map(1..3, #))", "policy.lim"},
	"s":      {`s + "a"`, "upper(s)", "string(n)", "m.t", `repeat(s, 2)`, `join(l, "-")`, `s + s`},
	"b":      {"!b", "n > 1", "b && n > 0"},
	"l":      {"l", `map(l, upper(#))`, `filter(l, # != "a")`, "1..3", `[s, "z"]`},
	"d":      {`d + duration("1m")`, "d", "policy.wait"},
	"text":   {"n", "s", "l", "m", "d", "m.k * 2", "b"},
	"delay":  {"1m", "policy.wait", "d", "30s", "m.k"},
	"inBool": {"input.x > 3", "input.y", `input.t == "z"`, `input.c == "a"`, "len(input.p) > 3", "int(input.p) > 0", `input.e != ""`},
}

// fuzzFields are the prompt fields, by name, with the input pool entries
// that read them.
var fuzzFields = []struct{ name, decl string }{
	{"x", "{type: number, optional: true}"},
	{"t", "{type: choice, optional: true, options: l}"},
	{"e", "{type: email, optional: true}"},
	{"p", "{type: secret, optional: true}"},
	{"c", "{type: choice, options: [a, b], optional: true}"},
	{"y", "{type: consent, optional: true}"},
	{"k", "{type: code, length: 4, optional: true, if: n < 5}"},
}

// genFlow writes a flow of 2 to 7 states s0..sN and two finals, each
// state reachable along s0 -> s1 -> ... -> done, so that it validates.
func genFlow(f *fz) string {
	var b strings.Builder
	b.WriteString("flow: fz\nstart: s0\nvars: {n: 0, s: \"\", b: false, l: [a, b], m: {k: 1, t: x}, d: 5m}\npolicy: {lim: 3, wait: 1m}\nstates:\n")
	n := 2 + f.n(6)
	name := func(i int) string { return fmt.Sprintf("s%d", i) }
	usesNo := false
	target := func(i int) string {
		switch f.n(6) {
		case 0:
			return "done"
		case 1:
			usesNo = true
			return "no"
		case 2:
			return name(f.n(n))
		}
		if i+1 < n {
			return name(i + 1)
		}
		return "done"
	}
	for i := range n {
		next := "done"
		if i+1 < n {
			next = name(i + 1)
		}
		if f.n(3) == 0 {
			// A run state: every branch goes somewhere.
			action, event := "svc.ping", "done"
			with := ""
			if f.n(2) == 0 {
				action, with = "svc.log", fmt.Sprintf("\n    with: {msg: '%s'}", f.pick(fuzzPools["s"]))
			}
			fmt.Fprintf(&b, "  %s:\n    run: %s%s\n    on:\n      %s:\n", name(i), action, with, event)
			for k := f.n(3); k > 0; k-- {
				fmt.Fprintf(&b, "        - {if: '%s', go: %s}\n", f.pick(fuzzPools["bool"]), target(i))
			}
			fmt.Fprintf(&b, "        - {set: {%s}, go: %s}\n", genSet(f, nil), next)
			continue
		}
		var fields []string
		b.WriteString("  " + name(i) + ":\n    ask:\n")
		fmt.Fprintf(&b, "      text: 'S%d {{ %s }}'\n", i, f.pick(fuzzPools["text"]))
		b.WriteString("      fields: {")
		for _, fd := range fuzzFields {
			if f.n(2) == 0 {
				if len(fields) > 0 {
					b.WriteString(", ")
				}
				fields = append(fields, fd.name)
				b.WriteString(fd.name + ": " + fd.decl)
			}
		}
		b.WriteString("}\n      choices: [go, back, stay]\n    on:\n")
		for _, choice := range []string{"go", "back", "stay"} {
			fmt.Fprintf(&b, "      %s:\n", choice)
			for k := f.n(3); k > 0; k-- {
				guard := f.pick(fuzzPools["bool"])
				if in := genInputGuard(f, fields); in != "" {
					guard = in
				}
				fmt.Fprintf(&b, "        - {if: '%s', set: {%s}, go: %s}\n", guard, genSet(f, fields), target(i))
			}
			switch choice {
			case "go":
				fmt.Fprintf(&b, "        - {set: {%s}, go: %s}\n", genSet(f, fields), next)
			case "back":
				fmt.Fprintf(&b, "        - {go: %s}\n", name(max(i-1, 0)))
			default:
				fmt.Fprintf(&b, "        - {set: {%s}}\n", genSet(f, fields))
			}
		}
		if f.n(2) == 0 {
			fmt.Fprintf(&b, "    after:\n      %s: %s\n", f.pick(fuzzPools["delay"]), target(i))
		}
	}
	b.WriteString("  done: {final: ok, success: true, message: 'n={{ n }}', output: {n: n, l: l}}\n")
	if usesNo {
		b.WriteString("  no: {final: no}\n")
	}
	return b.String()
}

// genSet draws one to three assignments, reading input fields the prompt
// has where it can (never the secret ones, which the checker refuses).
func genSet(f *fz, fields []string) string {
	vars := []string{"n", "s", "b", "l", "d"}
	var parts []string
	used := map[string]bool{}
	for k := 1 + f.n(3); k > 0; k-- {
		v := f.pick(vars)
		if used[v] {
			continue
		}
		used[v] = true
		expr := f.pick(fuzzPools[v])
		switch {
		case v == "n" && contains(fields, "x") && f.n(2) == 0:
			expr = "n + input.x"
		case v == "s" && contains(fields, "t") && f.n(2) == 0:
			expr = "s + input.t"
		case v == "b" && contains(fields, "y") && f.n(2) == 0:
			expr = "input.y"
		}
		parts = append(parts, fmt.Sprintf("%s: '%s'", v, expr))
	}
	return strings.Join(parts, ", ")
}

// genInputGuard draws a guard reading a field the prompt has, or "".
func genInputGuard(f *fz, fields []string) string {
	if len(fields) == 0 || f.n(2) == 0 {
		return ""
	}
	field := fields[f.n(len(fields))]
	for _, g := range fuzzPools["inBool"] {
		if strings.Contains(g, "input."+field+" ") || strings.Contains(g, "input."+field+")") || strings.HasSuffix(g, "input."+field) {
			if f.n(2) == 0 {
				return g
			}
		}
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// fuzzAnswer draws an answer to p: a choice (now and then one it does not
// have) and values for its fields, valid or not.
func fuzzAnswer(f *fz, p *prompt.Prompt, step int) (string, map[string]any) {
	choices := []string{"go", "back", "stay", "nope"}
	if p != nil && len(p.Choices) > 0 && f.n(8) != 0 {
		choices = choices[:len(p.Choices)]
	}
	choice := f.pick(choices)
	in := map[string]any{}
	if p == nil {
		return choice, in
	}
	for _, fd := range p.Fields {
		var pool []any
		switch fd.Type {
		case prompt.NumberField:
			pool = []any{1, 5, -3, "12", "abc", 2.5, nil}
		case prompt.EmailField:
			pool = []any{"a@example.com", "not-an-email", "", nil}
		case prompt.SecretField:
			pool = []any{fuzzSecret + fmt.Sprint(step), "1234", nil}
		case prompt.ChoiceField:
			pool = []any{"a", "b", "zz", nil}
		case prompt.ConsentField:
			pool = []any{true, "yes", "maybe", nil}
		case prompt.CodeField:
			pool = []any{"1234", "12", "abcd", nil}
		default:
			pool = []any{"z", "", strings.Repeat("w", 50), nil}
		}
		if v := pool[f.n(len(pool))]; v != nil {
			in[fd.Name] = v
		}
	}
	if f.n(10) == 9 {
		in["ghost"] = "field that is not there"
	}
	return choice, in
}

// fuzzRegistry's actions give the outcomes, outputs and errors f draws.
func fuzzRegistry(t testing.TB, f *fz) *engine.Registry {
	act := func(context.Context, engine.Args) (engine.Result, error) {
		switch f.n(12) {
		case 9:
			return engine.Result{}, errors.New("the portal is down")
		case 10:
			return engine.Result{Outcome: "undeclared"}, nil
		case 11:
			return engine.Result{Outcome: "done", Outputs: map[string]any{"extra": 1}}, nil
		}
		return engine.Result{Outcome: "done"}, nil
	}
	return testRegistry(t, map[string]func(context.Context, engine.Args) (engine.Result, error){"svc.ping": act, "svc.log": act})
}

// runFuzzSession runs the session data describes and checks everything
// the fuzzer promises. It reports whether the generated flow validated.
func runFuzzSession(t *testing.T, data []byte) bool {
	f := &fz{data: data}
	src := genFlow(f)
	reg := fuzzRegistry(t, f)
	file, err := syntax.Load("fz.yaml", []byte(src))
	if err != nil {
		t.Fatalf("generated flow does not load: %v\n%s", err, src)
	}
	fl, err := engine.Compile(file, reg)
	if err != nil {
		return false
	}
	clock := newClock()
	ports := engine.Ports{Actions: reg, Now: clock.Now, Rand: strings.NewReader(strings.Repeat("x", 64)),
		Sleep: func(context.Context, time.Duration) error { return nil }}
	ctx := context.Background()
	var texts []string
	check := func(what string, err error) {
		if err == nil {
			return
		}
		var pe *engine.PanicError
		if errors.As(err, &pe) {
			t.Fatalf("%s: a panic was recovered: %v\n%s\nflow:\n%s", what, pe.Value, pe.Stack, src)
		}
		var re *engine.RunError
		if !errors.As(err, &re) && !errors.Is(err, engine.ErrRejected) && !errors.Is(err, engine.ErrPromptGone) &&
			!errors.Is(err, engine.ErrFinished) && !strings.Contains(err.Error(), "not waiting at a prompt") {
			t.Fatalf("%s: an error the API does not document: %v\nflow:\n%s", what, err, src)
		}
		texts = append(texts, err.Error())
	}
	s, err := fl.Start(ctx, ports)
	check("Start", err)
	var logs []eventlog.Entry
	var marks []eventlog.Mark
	var reused engine.Snapshot
	for step := 0; step < 25 && s != nil && !s.Done(); step++ {
		marks = checkMarks(t, s, marks, f.n(8), src)
		switch f.n(6) {
		case 0:
			clock.add(time.Duration(f.n(4)) * 30 * time.Second)
			_, err := s.Tick(ctx)
			check("Tick", err)
		case 1:
			// Snapshot, through JSON, and restore; SnapshotTo into a
			// snapshot reused since the session's start is the same.
			s.SnapshotTo(&reused)
			if want := s.Snapshot(); !reflect.DeepEqual(&reused, want) {
				t.Fatalf("SnapshotTo gave\n%+v\nSnapshot\n%+v\nflow:\n%s", reused, *want, src)
			}
			data, err := json.Marshal(s.Snapshot())
			if err != nil {
				t.Fatalf("snapshot does not marshal: %v", err)
			}
			texts = append(texts, string(data))
			var snap engine.Snapshot
			if err := json.Unmarshal(data, &snap); err != nil {
				t.Fatalf("snapshot does not read back: %v\n%s", err, data)
			}
			logs = append(logs, s.Log()...)
			r, err := fl.Restore(ctx, &snap, ports)
			check("Restore", err)
			if err != nil {
				t.Fatalf("a snapshot of a waiting session does not restore: %v\n%s\nflow:\n%s", err, data, src)
			}
			s, marks = r, nil // the restored session's log starts afresh
		default:
			choice, in := fuzzAnswer(f, s.Current().Prompt, step)
			check("Send", s.Send(ctx, choice, in))
		}
	}
	if s != nil && f.n(4) == 0 {
		check("Cancel", s.Cancel("fuzz"))
	}
	if s != nil {
		checkMarks(t, s, marks, 0, src)
		logs = append(logs, s.Log()...)
	}
	var js, tr, enc bytes.Buffer
	if err := eventlog.WriteJSONLines(&js, logs); err != nil {
		t.Fatalf("the log does not write as JSON: %v", err)
	}
	// Its lines are encoding/json's, byte for byte (Entry.AppendJSON).
	for i := range logs {
		if err := json.NewEncoder(&enc).Encode(&logs[i]); err != nil {
			t.Fatalf("encoding/json does not write entry %d: %v", i, err)
		}
	}
	if !bytes.Equal(js.Bytes(), enc.Bytes()) {
		t.Fatalf("the log's JSON lines\n%s\nare not encoding/json's\n%s\nflow:\n%s", js.Bytes(), enc.Bytes(), src)
	}
	if err := eventlog.WriteTranscript(&tr, logs); err != nil {
		t.Fatalf("the log does not render: %v", err)
	}
	texts = append(texts, js.String(), tr.String())
	for _, text := range texts {
		if strings.Contains(text, fuzzSecret) {
			t.Fatalf("a secret answer leaked:\n%s\nflow:\n%s", text, src)
		}
	}
	return true
}

// checkMarks holds a session's marks to its log: marks, followed from
// step to step, extended by AppendMarks from where they end, and the
// marks from an index back (the cursor starting again, when back > 0)
// tell each entry's kind, flow, state, event and branch as Log does. It
// returns the extended marks.
func checkMarks(t *testing.T, s *engine.Session, marks []eventlog.Mark, back int, src string) []eventlog.Mark {
	t.Helper()
	log := s.Log()
	marks = s.AppendMarks(marks, len(marks))
	from := max(len(marks)-back, 0)
	again := s.AppendMarks(nil, from)
	if len(marks) != len(log) || len(again) != len(log)-from {
		t.Fatalf("%d marks followed and %d from %d, for a log of %d entries\nflow:\n%s", len(marks), len(again), from, len(log), src)
	}
	for i, e := range log {
		want := eventlog.Mark{Kind: e.Kind, Flow: e.Flow, State: e.State, Event: e.Event, Branch: e.Branch}
		if marks[i] != want {
			t.Fatalf("entry %d: followed, its mark is %+v; the log says %+v\nflow:\n%s", i, marks[i], want, src)
		}
		if i >= from && again[i-from] != want {
			t.Fatalf("entry %d: read from %d, its mark is %+v; the log says %+v\nflow:\n%s", i, from, again[i-from], want, src)
		}
	}
	return marks
}

// FuzzSessions runs sessions of generated flows (see runFuzzSession).
func FuzzSessions(f *testing.F) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 40 {
		seed := make([]byte, 64+rng.IntN(128))
		for i := range seed {
			seed[i] = byte(rng.Uint32())
		}
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) { runFuzzSession(t, data) })
}

// TestGeneratedSessions runs 500 generated sessions as a property test,
// and holds the generator to flows that validate: a fuzzer whose flows
// the checker refuses tests nothing.
func TestGeneratedSessions(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	valid := 0
	const runs = 500
	for range runs {
		data := make([]byte, 256)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		if runFuzzSession(t, data) {
			valid++
		}
	}
	if valid < runs*8/10 {
		t.Errorf("%d of %d generated flows validate, want at least 80%%", valid, runs)
	}
}

// FuzzRestore feeds snapshots, as JSON, to Restore: a snapshot comes back
// from a store, which a bug or an attacker may have changed. Restore
// never panics, refuses what does not fit the flow with an error, and a
// session it restores takes steps and snapshots again.
func FuzzRestore(f *testing.F) {
	subs := flows{"sub": timedSub}
	fl := mustCompile(f, snapFlow, nil, nil)
	parent := mustCompile(f, `flow: p
start: a
vars: {n: 0}
states:
  a:
    run: flow:sub
    with: {k: n}
    on: {ok: b}
    after: {1h: b}
  b:
    ask: {}
    on: {continue: done}
  done: {final: ok}
`, nil, subs)
	ctx := context.Background()
	add := func(fl *engine.Flow, answers ...string) {
		c := newClock()
		s, err := fl.Start(ctx, c.ports(nil))
		if err != nil {
			f.Fatal(err)
		}
		for _, a := range answers {
			data, _ := json.Marshal(s.Snapshot())
			f.Add(data)
			var in map[string]any
			if p := s.Current().Prompt; p != nil && len(p.Fields) > 0 {
				in = map[string]any{"x": 3}
			}
			if err := s.Send(ctx, a, in); err != nil {
				f.Fatal(err)
			}
		}
		data, _ := json.Marshal(s.Snapshot())
		f.Add(data)
	}
	add(fl, "continue", "more", "stop")
	add(parent, "continue", "continue")
	f.Add([]byte(`{"id":"x","flow":"t","frames":[{"flow":"t","state":"ask2","vars":{"n":{"$duration":"1s"}}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var snap engine.Snapshot
		if json.Unmarshal(data, &snap) != nil {
			return
		}
		for _, fl := range []*engine.Flow{fl, parent} {
			snap.Hash = fl.Hash() // reach past the hash check
			for i := range snap.Frames {
				if i == 0 {
					snap.Frames[i].Hash = fl.Hash()
				} else if sub, ok := fl.Subflows()[snap.Frames[i].Flow]; ok {
					snap.Frames[i].Hash = sub.Hash()
				}
			}
			s, err := fl.Restore(ctx, &snap, newClock().ports(nil))
			var pe *engine.PanicError
			if errors.As(err, &pe) {
				t.Fatalf("Restore panicked: %v\n%s", pe.Value, pe.Stack)
			}
			if err != nil {
				continue
			}
			if _, err := s.Tick(ctx); errors.As(err, &pe) {
				t.Fatalf("Tick panicked: %v\n%s", pe.Value, pe.Stack)
			}
			if err := s.Send(ctx, "continue", map[string]any{"x": 1}); errors.As(err, &pe) {
				t.Fatalf("Send panicked: %v\n%s", pe.Value, pe.Stack)
			}
			if _, err := json.Marshal(s.Snapshot()); err != nil {
				t.Fatalf("the restored session's snapshot does not marshal: %v", err)
			}
		}
	})
}
