package engine_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/eventlog"
	"github.com/tetherflow/tether/engine/syntax"
)

// A hostile case is a flow that tries to crash, hang, exhaust the memory of
// or leak a secret from the engine, and what must happen instead. The
// corpus is testdata/hostile-run/*.yaml (see its README) and hostileGenerated,
// for inputs too big to commit.
type hostileCase struct {
	name   string
	src    []byte
	edit   func(*syntax.File) // changes the loaded file before it is compiled
	stage  string             // "check" or "run": where it must fail
	errSub string             // the error must contain it
	budget bool               // the error must match ErrExprBudget
	send   string             // "choice k=v ...": the answer to the first prompt
}

// hostileMaxAlloc is what a case may allocate, in all.
const hostileMaxAlloc = 256 << 20

func hostileCases(t testing.TB) []hostileCase {
	t.Helper()
	paths, err := filepath.Glob("testdata/hostile-run/*.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no hostile cases: %v", err)
	}
	var cases []hostileCase
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		c := hostileCase{name: strings.TrimSuffix(filepath.Base(p), ".yaml"), src: src}
		sc := bufio.NewScanner(bytes.NewReader(src))
		for sc.Scan() {
			line, ok := strings.CutPrefix(sc.Text(), "# ")
			if !ok {
				break
			}
			key, val, _ := strings.Cut(line, ": ")
			switch key {
			case "stage":
				c.stage = val
			case "error":
				c.errSub = val
			case "budget":
				c.budget = val == "true"
			case "send":
				c.send = val
			}
		}
		if c.stage == "" || c.errSub == "" {
			t.Fatalf("%s: no stage or error in its header", p)
		}
		cases = append(cases, c)
	}
	return append(cases, hostileGenerated()...)
}

// hostileGenerated are the cases whose inputs are too big to commit.
func hostileGenerated() []hostileCase {
	setExpr := func(src string) func(*syntax.File) {
		return func(f *syntax.File) { f.States[0].On[0].Branches[0].Set[0].Expr.Src = src }
	}
	const small = "flow: t\nstart: a\nvars: {n: 0}\nstates:\n  a:\n    ask: {}\n    on:\n      continue: {set: {n: '1'}, go: done}\n  done: {final: ok}\n"
	parens := func(n int) string { return strings.Repeat("(", n) + "1" + strings.Repeat(")", n) }
	return []hostileCase{{
		// Overflowed the Go stack in expr's parser: the process died.
		name: "parens-450k", src: []byte(small), edit: setExpr(parens(450_000)),
		stage: "check", errSub: "t.yaml:8:28: the expression is longer than 4096 bytes, the budget for an expression",
	}, {
		name: "parens-2000", src: []byte(small), edit: setExpr(parens(2000)),
		stage: "check", errSub: "t.yaml:8:92: brackets nest deeper than 64 levels",
	}, {
		// Took 47 s to load: the scan for {{ }} was quadratic.
		name:  "interpolations-100k",
		src:   []byte("flow: t\nstart: a\nstates:\n  a:\n    ask:\n      text: '" + strings.Repeat("{{a}}", 100_000) + "'\n    on: {continue: done}\n  done: {final: ok}\n"),
		stage: "check", errSub: "t.yaml:6:13: prompt text has 100000 {{ }} interpolations, more than 100, the budget for a text",
	}, {
		name: "expressions-at-their-budget",
		src: []byte("flow: t\nstart: a\nvars: {n: 0}\nstates:\n  a:\n    run: svc.ping\n    on:\n      done:\n" +
			"        - {if: 'let r = 1..500; all(r, all(r, true)) && n < 0', go: done}\n        - {go: b}\n" +
			"  b:\n    run: svc.ping\n    on:\n      done: [{if: 'let r = 1..500; all(r, all(r, true)) && n < 0', go: done}, a]\n" +
			"  done: {final: ok}\n"),
		stage: "run", budget: true, errSub: "the step's expressions took more than 4000000 steps in all",
	}}
}

// runHostile runs a case: load, compile and, for the run stage, start the
// session and send its answer. It returns the error the case ended with
// and every text a secret could leak into: the error, the event log as
// JSON lines and the transcript.
func runHostile(t testing.TB, c hostileCase) (error, []string) {
	t.Helper()
	f, err := syntax.Load("t.yaml", c.src)
	if err == nil && c.edit != nil {
		c.edit(f)
	}
	var fl *engine.Flow
	if err == nil {
		fl, err = engine.Compile(f, testRegistry(t, nil))
	}
	if err != nil || c.stage == "check" {
		if err == nil {
			return nil, nil
		}
		return err, []string{err.Error()}
	}
	ctx := context.Background()
	s, err := fl.Start(ctx, newClock().ports(testRegistry(t, nil)))
	if err == nil && c.send != "" {
		fields := strings.Fields(c.send)
		input := map[string]any{}
		for _, kv := range fields[1:] {
			k, v, _ := strings.Cut(kv, "=")
			input[k] = v
		}
		err = s.Send(ctx, fields[0], input)
	}
	if err == nil {
		return nil, nil
	}
	var js, tr bytes.Buffer
	if werr := eventlog.WriteJSONLines(&js, s.Log()); werr != nil {
		t.Errorf("the log does not write as JSON: %v", werr)
	}
	if werr := eventlog.WriteTranscript(&tr, s.Log()); werr != nil {
		t.Errorf("the log does not render: %v", werr)
	}
	if !s.Done() || s.Err() == nil {
		t.Errorf("after %v the session is not ended by its error (Done %v, Err %v)", err, s.Done(), s.Err())
	}
	if log := s.Log(); len(log) == 0 || log[len(log)-1].Kind != eventlog.EntryError {
		t.Errorf("the log does not end with the error")
	}
	return err, []string{err.Error(), js.String(), tr.String()}
}

// TestHostile holds every hostile case to what must happen: the error it
// names, within the allocation budget, and no secret anywhere.
func TestHostile(t *testing.T) {
	for _, c := range hostileCases(t) {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			err, texts := runHostile(t, c)
			runtime.ReadMemStats(&after)
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > hostileMaxAlloc {
				t.Errorf("allocated %d MB, more than %d MB", alloc>>20, hostileMaxAlloc>>20)
			}
			if err == nil {
				t.Fatalf("no error; want one at the %s stage containing %q", c.stage, c.errSub)
			}
			var re *engine.RunError
			if isRun := errors.As(err, &re); isRun != (c.stage == "run") {
				t.Errorf("error %v is a run error: %v, want the %s stage", err, isRun, c.stage)
			}
			if !strings.Contains(err.Error(), c.errSub) {
				t.Errorf("error = %v\nwant it to contain %q", err, c.errSub)
			}
			if c.budget != errors.Is(err, engine.ErrExprBudget) {
				t.Errorf("errors.Is(%v, ErrExprBudget) = %v, want %v", err, !c.budget, c.budget)
			}
			var pe *engine.PanicError
			if errors.As(err, &pe) {
				t.Errorf("a panic was recovered: %v\n%s", pe.Value, pe.Stack)
			}
			for _, field := range strings.Fields(c.send) {
				if secret, ok := strings.CutPrefix(field, "password="); ok {
					for _, text := range texts {
						if strings.Contains(text, secret) {
							t.Errorf("the secret %q leaked into:\n%s", secret, text)
						}
					}
				}
			}
		})
	}
}

// BenchmarkHostile times every hostile case: each must finish in well under
// 2 s (issue 9); timings are reported, never asserted.
func BenchmarkHostile(b *testing.B) {
	for _, c := range hostileCases(b) {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err, _ := runHostile(b, c); err == nil {
					b.Fatal("no error")
				}
			}
		})
	}
}
