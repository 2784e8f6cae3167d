package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
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
		engine.Func(engine.Spec{
			Name:     "portal.redeem",
			Params:   []engine.Param{{Name: "ticket", Kind: value.String, Required: true, Sensitive: true}},
			Outcomes: []string{"done"},
		}, func(ctx context.Context, args engine.Args) (engine.Result, error) {
			*used = args["ticket"].(string)
			return engine.Result{Outcome: "done"}, nil
		}),
	)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// A variable marked sensitive may keep a sensitive output and pass it on,
// to another sensitive variable, a sensitive parameter, a subflow's
// sensitive variable and back through its sensitive output; the event log
// masks it wherever it goes, and the snapshot names the variables a store
// must seal.
func TestSensitiveValuesAreMaskedInTheLog(t *testing.T) {
	sub := `flow: sub
start: hold
vars: {t: ""}
sensitive: [t]
states:
  hold:
    ask: {text: "Holding a ticket", choices: [done]}
    on: {done: back}
  back:
    final: ok
    output: {t: t, n: 1}
    sensitive: [t]
`
	src := `flow: t
start: get
vars: {ticket: "", copy: "", back: "", account: ""}
sensitive: [ticket, copy, back]
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
        go: nested
  nested:
    run: flow:sub
    with: {t: copy}
    on:
      ok:
        set: {back: result.t}
        go: use
  use:
    run: portal.redeem
    with: {ticket: back}
    on: {done: end}
  end:
    final: done
    success: true
    output: {t: back, account: account}
    sensitive: [t]
`
	f, err := syntax.Load("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var used string
	reg := ticketRegistry(t, &used)
	fl, err := engine.Compile(f, reg, engine.WithSubflows(flows{"sub": sub}.resolve))
	if err != nil {
		t.Fatal(err)
	}
	if got := fl.Info().Sensitive; !slices.Equal(got, []string{"back", "copy", "ticket"}) {
		t.Errorf("Info().Sensitive = %v, want [back copy ticket]", got)
	}
	ctx := context.Background()
	s, err := fl.Start(ctx, engine.Ports{Actions: reg})
	if err != nil {
		t.Fatal(err)
	}
	snap := s.Snapshot()
	if got := snap.Frames[0].Sensitive; !slices.Equal(got, []string{"back", "copy", "ticket"}) {
		t.Errorf("snapshot's Sensitive = %v, want [back copy ticket]", got)
	}
	if snap.Frames[0].Vars["ticket"] != ticketValue {
		t.Errorf("snapshot lacks the ticket the session needs: %v", snap.Frames[0].Vars)
	}
	if err := s.Send(ctx, "go", nil); err != nil {
		t.Fatal(err)
	}
	if got := s.Snapshot().Frames; len(got) != 2 || !slices.Equal(got[1].Sensitive, []string{"t"}) {
		t.Errorf("the subflow's frame = %+v, want it to name t sensitive", got)
	}
	if err := s.Send(ctx, "done", nil); err != nil {
		t.Fatal(err)
	}
	if used != ticketValue {
		t.Errorf("portal.redeem got %q, want the ticket through three variables and a subflow", used)
	}
	done := s.Current().Outcome
	if done == nil || done.Output["t"] != eventlog.Masked || done.Output["account"] != "ann" {
		t.Errorf("the outcome = %+v, want its sensitive output masked and account kept", done)
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
	// The output, the sets of ticket, copy and back, the subflow's start
	// argument, the parameter; the JSON log each set's from and to, and
	// the two final outputs too.
	if got := strings.Count(text.String(), eventlog.Masked); got != 6 {
		t.Errorf("transcript masks %d values, want 6:\n%s", got, text.String())
	}
	if got := strings.Count(string(logJSON), `"***"`); got != 11 {
		t.Errorf("JSON log masks %d values, want 11:\n%s", got, logJSON)
	}
}

// The checker proves a sensitive value reaches nothing that shows it or
// keeps it unmarked: each way in, directly, through an expression, through
// a subflow's variables and outputs, is an error at the value's position.
func TestSensitiveFlowsAreErrors(t *testing.T) {
	// head is a flow whose get state puts the ticket in result.ticket.
	head := `flow: t
start: get
vars: {ticket: "", plain: "", list: [], m: {}, at: 2024-01-01T00:00:00Z}
sensitive: [ticket]
states:
  get:
    run: portal.ticket
    %s
    on:
      ok:
        set: {%s}
        go: show
  show:
    ask:
      %s
    on: {ok: end}
  end:
    final: done
`
	subKeeps := `flow: sub
start: a
vars: {x: ""}
sensitive: [x]
states:
  a:
    ask: {text: hi, choices: [ok]}
    on: {ok: out}
  out:
    final: ok
    output: {x: x}
    sensitive: [x]
`
	subPlain := `flow: sub
start: a
vars: {x: ""}
states:
  a:
    ask: {text: hi, choices: [ok]}
    on: {ok: out}
  out:
    final: ok
`
	prompt := `text: hi
      choices: [ok]`
	for _, c := range []struct {
		name         string
		mark, set    string // the get state's sensitive: line, its assignments
		ask, tail    string // the show state's prompt; more YAML at the end
		subs         flows
		want         string // the first line of the only error
		wantNoErrors bool
	}{
		{name: "a sensitive output into an unmarked variable",
			set: "ticket: result.ticket, plain: result.ticket", ask: prompt,
			want: "t.yaml:11:45: sensitive result.ticket flows into variable plain, which is not sensitive: list it in the flow's sensitive:"},
		{name: "a sensitive variable into an unmarked one",
			set: "ticket: result.ticket, plain: ticket", ask: prompt,
			want: "t.yaml:11:45: sensitive variable ticket flows into variable plain, which is not sensitive: list it in the flow's sensitive:"},
		{name: "through an expression",
			set: `ticket: result.ticket, plain: 'upper(trim(ticket)) + "x"'`, ask: prompt,
			want: "t.yaml:11:57: sensitive variable ticket flows into variable plain, which is not sensitive: list it in the flow's sensitive:"},
		{name: "inside a list",
			set: "ticket: result.ticket, list: '[1, ticket]'", ask: prompt,
			want: "t.yaml:11:49: sensitive variable ticket flows into variable list, which is not sensitive: list it in the flow's sensitive:"},
		{name: "all of result",
			set: "ticket: result.ticket, m: result", ask: prompt,
			want: "t.yaml:11:41: sensitive result.ticket flows into variable m, which is not sensitive: list it in the flow's sensitive:"},
		{name: "an output the flow marks",
			mark: "sensitive: [account]", set: "ticket: result.ticket, plain: result.account", ask: prompt,
			want: "t.yaml:11:45: sensitive result.account flows into variable plain, which is not sensitive: list it in the flow's sensitive:"},
		{name: "a non-sensitive output into an unmarked variable is fine",
			set: "ticket: result.ticket, plain: result.account", ask: prompt, wantNoErrors: true},
		{name: "prompt text",
			set: "ticket: result.ticket", ask: `text: "Your ticket: {{ ticket }}"
      choices: [ok]`,
			want: "t.yaml:15:30: sensitive variable ticket flows into prompt text, which is shown; a sensitive value may be kept, never shown"},
		{name: "prompt help, through an expression",
			set: "ticket: result.ticket", ask: `text: hi
      help: "{{ len(ticket) > 3 ? ticket : 'none' }}"
      choices: [ok]`,
			want: "t.yaml:16:21: sensitive variable ticket flows into prompt help, which is shown; a sensitive value may be kept, never shown"},
		{name: "a field's options",
			set: "ticket: result.ticket", ask: `text: hi
      fields: {f: {type: choice, options: "[ticket]"}}
      choices: [ok]`,
			want: "t.yaml:16:45: sensitive variable ticket flows into options, which is shown; a sensitive value may be kept, never shown"},
		{name: "a field's prefill",
			set: "ticket: result.ticket", ask: `text: hi
      fields: {f: {type: text, prefill: "ticket"}}
      choices: [ok]`,
			want: "t.yaml:16:42: sensitive variable ticket flows into prefill, which is shown; a sensitive value may be kept, never shown"},
		{name: "a link's url",
			set: "ticket: result.ticket", ask: `text: hi
      choices: [ok, {docs: {role: link, url: '"https://x/" + ticket'}}]`,
			want: "t.yaml:16:62: sensitive variable ticket flows into url of choice docs, which is shown; a sensitive value may be kept, never shown"},
		{name: "a choice's available_at",
			set: "ticket: result.ticket", ask: `text: hi
      choices: [{ok: {available_at: "now() + duration(ticket)"}}]`,
			want: "t.yaml:16:55: sensitive variable ticket flows into available_at of choice ok, which is shown; a sensitive value may be kept, never shown"},
		{name: "a final message",
			set: "ticket: result.ticket", ask: prompt, tail: `    message: "done: {{ ticket }}"
`,
			want: "t.yaml:20:24: sensitive variable ticket flows into message, which is shown; a sensitive value may be kept, never shown"},
		{name: "an unmarked final output",
			set: "ticket: result.ticket", ask: prompt, tail: `    output: {t: ticket}
`,
			want: "t.yaml:20:17: sensitive variable ticket flows into output t, which is not sensitive: list it in the state's sensitive:"},
		{name: "a marked final output is fine",
			set: "ticket: result.ticket", ask: prompt, tail: `    output: {t: ticket}
    sensitive: [t]
`, wantNoErrors: true},
		{name: "an action parameter neither secret nor sensitive",
			set: "ticket: result.ticket", ask: prompt, tail: `  use:
    run: portal.use
    with: {ref: ticket}
    on: {done: end}
`,
			want: "t.yaml:22:17: sensitive variable ticket passed to parameter ref of action portal.use, which is neither secret nor sensitive"},
		{name: "a subflow's unmarked variable",
			set: "ticket: result.ticket", ask: prompt, subs: flows{"sub": subPlain}, tail: `  nested:
    run: flow:sub
    with: {x: ticket}
    on: {ok: end}
`,
			want: "t.yaml:22:15: sensitive variable ticket passed to variable x of flow sub, which is not sensitive: list it in that flow's sensitive:"},
		{name: "a subflow's sensitive output into an unmarked variable",
			set: "ticket: result.ticket", ask: prompt, subs: flows{"sub": subKeeps}, tail: `  nested:
    run: flow:sub
    with: {x: ticket}
    on:
      ok:
        set: {plain: result.x}
        go: end
`,
			want: "t.yaml:25:22: sensitive result.x flows into variable plain, which is not sensitive: list it in the flow's sensitive:"},
		{name: "a subflow's sensitive output kept sensitive is fine",
			set: "ticket: result.ticket", ask: prompt, subs: flows{"sub": subKeeps}, tail: `  nested:
    run: flow:sub
    with: {x: ticket}
    on:
      ok:
        set: {ticket: result.x}
        go: end
`, wantNoErrors: true},
		{name: "a subflow shows what it was given",
			set: "ticket: result.ticket", ask: prompt, subs: flows{"sub": strings.Replace(subKeeps, "text: hi", `text: "{{ x }}"`, 1)}, tail: `  nested:
    run: flow:sub
    with: {x: ticket}
    on: {ok: end}
`,
			want: "sub.yaml:7:21: sensitive variable x flows into prompt text, which is shown; a sensitive value may be kept, never shown"},
		{name: "a subflow's unmarked output of a sensitive variable",
			set: "ticket: result.ticket", ask: prompt, subs: flows{"sub": strings.Replace(subKeeps, "    sensitive: [x]\n", "", 1)}, tail: `  nested:
    run: flow:sub
    with: {x: ticket}
    on: {ok: end}
`,
			want: "sub.yaml:11:17: sensitive variable x flows into output x, which is not sensitive: list it in the state's sensitive:"},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := fmt.Sprintf(head, c.mark, c.set, c.ask) + c.tail
			if c.tail != "" && strings.HasPrefix(c.tail, "  ") && !strings.HasPrefix(c.tail, "    ") {
				// a state of its own, reached from show
				src = strings.Replace(src, "on: {ok: end}", "on: {ok: "+strings.TrimSuffix(strings.Fields(c.tail)[0], ":")+"}", 1)
			}
			var used string
			_, err := engine.Compile(mustLoad(t, src), ticketRegistry(t, &used), engine.WithSubflows(c.subs.resolve))
			lines := errorLines(err)
			if c.wantNoErrors {
				if err != nil {
					t.Fatalf("Compile errors:\n%v\nsource:\n%s", err, src)
				}
				return
			}
			if len(lines) != 1 {
				t.Fatalf("Compile errors:\n%v\nwant one: %s\nsource:\n%s", err, c.want, src)
			}
			if first, _, _ := strings.Cut(lines[0], "\n"); first != c.want {
				t.Errorf("Compile error:\n%s\nwant\n%s\nsource:\n%s", lines[0], c.want, src)
			}
		})
	}
}

// The marks themselves are checked: names that are no variable or
// output, and marks where they mean nothing.
func TestSensitiveMarksAreChecked(t *testing.T) {
	for _, c := range []struct {
		name, src string
		want      []string
	}{
		{"an unknown variable", `flow: t
start: get
vars: {ticket: ""}
sensitive: [tickt]
states:
  get:
    run: portal.ticket
    on: {ok: end}
  end: {final: done}
`, []string{"t.yaml:4:13: sensitive: unknown variable tickt (did you mean ticket?)"}},
		{"an unknown output", `flow: t
start: get
states:
  get:
    run: portal.ticket
    sensitive: [acount]
    on: {ok: end}
  end: {final: done, output: {a: 1}, sensitive: [b]}
`, []string{
			"t.yaml:6:17: sensitive: action portal.ticket has no output acount (did you mean account?)",
			"t.yaml:8:50: sensitive: state end has no output b (did you mean a?)",
		}},
		{"in an ask state, twice, not a list", `flow: t
start: a
vars: {x: ""}
sensitive: x
states:
  a:
    ask: {text: hi}
    sensitive: [x, x]
    on: {continue: end}
  end: {final: done, sensitive: [y, y]}
`, []string{
			"t.yaml:4:12: sensitive must be a list of variable names, not \"x\"",
			"t.yaml:8:5: sensitive: belongs to a run state (outputs of its action or subflow) or a final state (its outputs); a prompt's secrets are fields of type secret or code",
			"t.yaml:8:20: sensitive: output x is named twice",
			"t.yaml:10:37: sensitive: output y is named twice",
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var used string
			f, err := syntax.Load("t.yaml", []byte(c.src))
			if err == nil {
				_, err = engine.Compile(f, ticketRegistry(t, &used))
			}
			var got []string
			for _, l := range errorLines(err) {
				first, _, _ := strings.Cut(l, "\n")
				got = append(got, first)
			}
			if joinLines(got) != joinLines(c.want) {
				t.Errorf("errors:\n%s\nwant\n%s", joinLines(got), joinLines(c.want))
			}
		})
	}
}

func mustLoad(t *testing.T, src string) *syntax.File {
	t.Helper()
	f, err := syntax.Load("t.yaml", []byte(src))
	if err != nil {
		t.Fatalf("load:\n%v\nsource:\n%s", err, src)
	}
	return f
}
