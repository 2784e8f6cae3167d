package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/eventlog"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/value"
)

// An optional parameter passed the empty string is left out of the log, as
// not given; a required one passed the empty string, and an optional one
// with a value, are kept. The action itself gets every argument.
func TestEmptyOptionalArgumentsAreLeftOutOfTheLog(t *testing.T) {
	var got engine.Args
	reg, err := engine.NewRegistry(engine.Func(engine.Spec{
		Name: "portal.sign_in",
		Params: []engine.Param{
			{Name: "email", Kind: value.String, Required: true},
			{Name: "captcha", Kind: value.String},
			{Name: "hint", Kind: value.String},
			{Name: "tries", Kind: value.Int},
		},
		Outcomes: []string{"ok"},
	}, func(ctx context.Context, args engine.Args) (engine.Result, error) {
		got = args
		return engine.Result{Outcome: "ok"}, nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	f, err := syntax.Load("t.yaml", []byte(`flow: t
start: s
vars: {none: ""}
states:
  s:
    run: portal.sign_in
    with: {email: none, captcha: none, hint: '"ask"', tries: 0}
    on: {ok: end}
  end: {final: done, success: true}
`))
	if err != nil {
		t.Fatal(err)
	}
	fl, err := engine.Compile(f, reg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := fl.Start(context.Background(), engine.Ports{Actions: reg})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got["captcha"]; !ok || len(got) != 4 {
		t.Errorf("the action got %v, want all four arguments", got)
	}
	var b strings.Builder
	eventlog.WriteTranscript(&b, s.Log())
	const want = `portal.sign_in(email="" hint="ask" tries=0) -> ok`
	if !strings.Contains(b.String(), want) {
		t.Errorf("transcript:\n%s\nwant a line with %s", b.String(), want)
	}
}
