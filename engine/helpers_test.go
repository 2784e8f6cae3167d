package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/value"
	"github.com/tetherflow/tether/engine/yamlfile"
)

// testRegistry builds the small action library the tests' flows run.
//
//	svc.check(email, password*, note?) -> ok|wrong; outputs token*, count, name
//	svc.log(msg?) -> done
//	svc.slow() -> done, with a 20ms timeout, blocking until its context ends
//	svc.ping() -> done
//
// (* secret, ? optional). Behaviour is set per test through run.
func testRegistry(t testing.TB, run map[string]func(context.Context, engine.Args) (engine.Result, error)) *engine.Registry {
	t.Helper()
	fn := func(name string, def func(context.Context, engine.Args) (engine.Result, error)) func(context.Context, engine.Args) (engine.Result, error) {
		if f, ok := run[name]; ok {
			return f
		}
		return def
	}
	done := func(context.Context, engine.Args) (engine.Result, error) { return engine.Result{Outcome: "done"}, nil }
	reg, err := engine.NewRegistry(
		engine.Func(engine.Spec{
			Name: "svc.check",
			Params: []engine.Param{
				{Name: "email", Kind: value.String, Required: true, OldName: "login"},
				{Name: "password", Kind: value.String, Required: true, Secret: true},
				{Name: "note", Kind: value.String},
			},
			Outputs: []engine.Param{
				{Name: "token", Kind: value.String, Secret: true},
				{Name: "count", Kind: value.Int},
				{Name: "name", Kind: value.String},
			},
			Outcomes: []string{"ok", "wrong"},
		}, fn("svc.check", func(context.Context, engine.Args) (engine.Result, error) {
			return engine.Result{Outcome: "ok"}, nil
		})),
		engine.Func(engine.Spec{
			Name:     "svc.log",
			Params:   []engine.Param{{Name: "msg", Kind: value.String}},
			Outcomes: []string{"done"},
		}, fn("svc.log", done)),
		engine.Func(engine.Spec{
			Name:     "svc.slow",
			Outcomes: []string{"done"},
			Timeout:  20 * time.Millisecond,
		}, fn("svc.slow", func(ctx context.Context, _ engine.Args) (engine.Result, error) {
			<-ctx.Done()
			return engine.Result{}, ctx.Err()
		})),
		engine.Func(engine.Spec{Name: "svc.ping", Outcomes: []string{"done"}}, fn("svc.ping", done)),
	)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// flows maps flow names to sources for subflow resolution in tests.
type flows map[string]string

func (fs flows) resolve(name string) (*syntax.File, error) {
	src, ok := fs[name]
	if !ok {
		return nil, errors.New("no such flow")
	}
	return syntax.Load(name+".yaml", []byte(src))
}

// compile loads and compiles src as t.yaml with the test registry and the
// given subflows.
func compile(t testing.TB, src string, reg *engine.Registry, subs flows) (*engine.Flow, error) {
	t.Helper()
	f, err := syntax.Load("t.yaml", []byte(src))
	if err != nil {
		return nil, err
	}
	if reg == nil {
		reg = testRegistry(t, nil)
	}
	var opts []engine.Option
	if subs != nil {
		opts = append(opts, engine.WithSubflows(subs.resolve))
	}
	return engine.Compile(f, reg, opts...)
}

// mustCompile compiles src and fails the test on any error.
func mustCompile(t testing.TB, src string, reg *engine.Registry, subs flows) *engine.Flow {
	t.Helper()
	fl, err := compile(t, src, reg, subs)
	if err != nil {
		t.Fatalf("compile:\n%v", err)
	}
	return fl
}

// errorLines returns every error of err, one string per error.
func errorLines(err error) []string {
	var out []string
	for _, e := range yamlfile.Errors(err) {
		out = append(out, e.Error())
	}
	return out
}

func joinLines(l []string) string { return strings.Join(l, "\n") }
