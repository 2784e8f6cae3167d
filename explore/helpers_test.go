package explore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/value"
	"github.com/tetherflow/tether/policy"
)

// testRegistry declares the actions the tests' flows run:
//
//	svc.check(email, password*) -> ok|wrong; outputs token*, count
//	svc.ping() -> done
//
// (* secret). Each returns its first outcome: explore runs flows on
// scripted actions of the same specs instead.
func testRegistry(t testing.TB) *engine.Registry {
	t.Helper()
	first := func(outcome string) func(context.Context, engine.Args) (engine.Result, error) {
		return func(context.Context, engine.Args) (engine.Result, error) { return engine.Result{Outcome: outcome}, nil }
	}
	reg, err := engine.NewRegistry(
		engine.Func(engine.Spec{
			Name: "svc.check",
			Params: []engine.Param{
				{Name: "email", Kind: value.String, Required: true},
				{Name: "password", Kind: value.String, Required: true, Secret: true},
			},
			Outputs: []engine.Param{
				{Name: "token", Kind: value.String, Secret: true},
				{Name: "count", Kind: value.Int},
			},
			Outcomes: []string{"ok", "wrong"},
		}, first("ok")),
		engine.Func(engine.Spec{Name: "svc.ping", Outcomes: []string{"done"}}, first("done")),
	)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// flows maps flow names to sources, for subflows.
type flows map[string]string

func (fs flows) resolve(name string) (*syntax.File, error) {
	src, ok := fs[name]
	if !ok {
		return nil, errors.New("no such flow")
	}
	return syntax.Load(name+".yaml", []byte(src))
}

// mustCompile compiles src as t.yaml with the test registry and the given
// subflows, and fails the test on any error.
func mustCompile(t testing.TB, src string, subs flows) *engine.Flow {
	t.Helper()
	f, err := syntax.Load("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	fl, err := engine.Compile(f, testRegistry(t), engine.WithSubflows(subs.resolve))
	if err != nil {
		t.Fatalf("compile:\n%v", err)
	}
	return fl
}

// shippedConnect compiles flows/connect.yaml under country's regional
// policy ("" for the flow's defaults).
func shippedConnect(tb testing.TB, country string) *engine.Flow {
	tb.Helper()
	reg, err := actions.Registry(actions.Ports{})
	if err != nil {
		tb.Fatal(err)
	}
	fl, err := engine.CompileFile("../flows/connect.yaml", reg)
	if err != nil {
		tb.Fatal(err)
	}
	if country == "" {
		return fl
	}
	set, err := policy.Load("../flows/regions")
	if err != nil {
		tb.Fatal(err)
	}
	eff, _, err := set.Effective(fl, country)
	if err != nil {
		tb.Fatal(err)
	}
	return eff
}
