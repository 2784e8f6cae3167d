package engine_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/eventlog"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/value"
)

const ticketValue = "tkt-SENSITIVE-4711"

func ticketRegistry(t *testing.T, used *string) *engine.Registry {
	t.Helper()
	reg, err := engine.NewRegistry(
		engine.Func(engine.Spec{
			Name:     "portal.ticket",
			Outputs:  []engine.Param{{Name: "ticket", Kind: value.String, Sensitive: true}, {Name: "account", Kind: value.String}},
			Outcomes: []string{"ok"},
		}, func(ctx context.Context, args engine.Args) (engine.Result, error) {
			return engine.Result{Outcome: "ok", Outputs: map[string]any{"ticket": ticketValue, "account": "ann"}}, nil
		}),
		engine.Func(engine.Spec{
			Name:     "portal.use",
			Params:   []engine.Param{{Name: "ref", Kind: value.String, Required: true}},
			Outcomes: []string{"done"},
		}, func(ctx context.Context, args engine.Args) (engine.Result, error) {
			*used = args["ref"].(string)
			return engine.Result{Outcome: "done"}, nil
		}),
	)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// A sensitive output may be kept in a variable and passed on, but the
// event log masks it wherever it goes; the snapshot keeps it, since the
// session needs it to go on.
func TestSensitiveValuesAreMaskedInTheLog(t *testing.T) {
	src := `flow: t
start: get
vars: {ticket: "", copy: "", account: ""}
states:
  get:
    run: portal.ticket
    on:
      ok:
        set: {ticket: result.ticket, account: result.account}
        go: wait
  wait:
    ask: {text: "Signed in as {{ account }}", choices: [go]}
    on:
      go:
        set: {copy: ticket + ""}
        go: use
  use:
    run: portal.use
    with: {ref: copy}
    on: {done: end}
  end: {final: done, success: true}
`
	f, err := syntax.Load("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var used string
	reg := ticketRegistry(t, &used)
	fl, err := engine.Compile(f, reg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := fl.Start(context.Background(), engine.Ports{Actions: reg})
	if err != nil {
		t.Fatal(err)
	}
	snap, _ := json.Marshal(s.Snapshot())
	if !strings.Contains(string(snap), ticketValue) {
		t.Errorf("snapshot lacks the ticket the session needs: %s", snap)
	}
	if err := s.Send(context.Background(), "go", nil); err != nil {
		t.Fatal(err)
	}
	if used != ticketValue {
		t.Errorf("portal.use got %q, want the ticket through two variables", used)
	}
	var text strings.Builder
	eventlog.WriteTranscript(&text, s.Log())
	logJSON, _ := json.Marshal(s.Log())
	for name, out := range map[string]string{"transcript": text.String(), "JSON log": string(logJSON)} {
		if strings.Contains(out, ticketValue) {
			t.Errorf("the %s shows the sensitive ticket:\n%s", name, out)
		}
		if !strings.Contains(out, "ann") {
			t.Errorf("the %s lost the non-sensitive account:\n%s", name, out)
		}
	}
	if got := strings.Count(text.String(), eventlog.Masked); got != 4 { // output, two sets, the argument
		t.Errorf("transcript masks %d values, want 4:\n%s", got, text.String())
	}
}

func TestSensitiveVariableShownIsAnError(t *testing.T) {
	src := `flow: t
start: get
vars: {ticket: ""}
states:
  get:
    run: portal.ticket
    on:
      ok:
        set: {ticket: result.ticket}
        go: show
  show:
    ask: {text: "Your ticket is {{ ticket }}", choices: [ok]}
    on: {ok: end}
  end:
    final: done
    output: {t: ticket}
`
	f, err := syntax.Load("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var used string
	_, err = engine.Compile(f, ticketRegistry(t, &used))
	want := "t.yaml:11:3: state show shows sensitive variable ticket; it may be kept, not shown\n" +
		"t.yaml:16:14: output t reads sensitive variable ticket; it may be kept, not shown"
	if err == nil || err.Error() != want {
		t.Errorf("Compile error =\n%v\nwant\n%s", err, want)
	}
}
