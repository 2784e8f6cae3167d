package explore_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/tetherflow/tether/explore"
)

// TestPathFileRoundTrip: what Format writes, ParsePathFile reads back as
// it was, subflow steps, odd names and a wait included.
func TestPathFileRoundTrip(t *testing.T) {
	pf := &explore.PathFile{
		Steps: []explore.PathStep{
			{Flow: "t", State: "saved", Kind: explore.StepOutcome, Name: "none"},
			{Flow: "signup", State: "details", Kind: explore.StepChoice, Name: "cancel"},
			{Flow: "t", State: "code", Kind: explore.StepPause, Name: "2m30s"},
			{Flow: "t", State: "code", Kind: explore.StepTimer, Name: "code_sent_at + policy.code_lifetime - now()"},
			{Flow: "t", State: "odd", Kind: explore.StepChoice, Name: "a, {b}: c"},
			{Flow: "t", State: "check", Kind: explore.StepOutcome, Name: "ok", Result: "a,b"},
		},
		Wait: &explore.PathStep{Flow: "signup", State: "details"},
	}
	text := string(pf.Format("t"))
	want := `- {state: saved, outcome: none}
- {flow: signup, state: details, choice: cancel}
- {state: code, pause: 2m30s}
- {state: code, timer: code_sent_at + policy.code_lifetime - now()}
- {state: odd, choice: 'a, {b}: c'}
- {state: check, outcome: ok, result: {a: true, b: true}}
- {flow: signup, state: details, wait: true}
`
	if text != want {
		t.Errorf("Format =\n%s\nwant\n%s", text, want)
	}
	got, err := explore.ParsePathFile("p.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	// The root's name is not written: it reads back empty.
	for i := range pf.Steps {
		if pf.Steps[i].Flow == "t" {
			pf.Steps[i].Flow = ""
		}
	}
	if !reflect.DeepEqual(got, pf) {
		t.Errorf("ParsePathFile(Format) = %+v, want %+v", got, pf)
	}
}

// A path file's problems are all reported, each at its line and column;
// the file is held to the YAML budgets of every file tether reads.
func TestParsePathFileErrors(t *testing.T) {
	for _, tt := range []struct{ text, want string }{
		{"- {state: a, outcome: ok, choice: b}\n", "p.yaml:1:3: step 1: want {state: NAME} with one of outcome:, choice:, timer: or pause: (or wait: true, last)"},
		{"- {outcome: ok}\n", "p.yaml:1:3: step 1: want {state: NAME} with one of"},
		{"- {state: a, wait: true}\n- {state: a, outcome: ok}\n", "p.yaml:1:3: step 1: want {state: NAME} with one of"},
		{"- {state: a, outcome: ok, wait: true}\n", "p.yaml:1:3: step 1: want {state: NAME, wait: true} alone"},
		{"- {state: a, outcome: ok, colour: red}\n", `p.yaml:1:27: unknown key "colour" in a decision (want flow, state, outcome, result, choice, timer, pause or wait)`},
		{"- {state: a, choice: ok, result: {x: true}}\n", "p.yaml:1:3: step 1: result: goes with outcome:, the action's answer"},
		{"- {state: a, outcome: ok, result: [x]}\n", "p.yaml:1:35: result must be a mapping of outputs to true or false, such as {consent_required: true}, not a list"},
		{"- {state: a, outcome: ok, result: {x: 1}}\n", "p.yaml:1:39: result: x must be true or false, not \"1\""},
		{"- {state: a, outcome: ok, result: {x: true}, wait: true}\n", "p.yaml:1:3: step 1: want {state: NAME, wait: true} alone"},
		{"- {state: a, outcom: ok}\n", `p.yaml:1:14: unknown key "outcom" in a decision (did you mean outcome?)`},
		{"- {state: [1], outcome: ok}\n", "p.yaml:1:11: state must be a single value, not a list"},
		{"- {state: a, wait: maybe}\n", `p.yaml:1:20: wait must be true or false, not "maybe"`},
		{"{state: a, outcome: ok}\n", "p.yaml:1:1: a path file is a list of decisions, not a mapping"},
		{"- {state: a, outcome: ok}\n- x\n- {state: a, state: b, outcome: ok}\n",
			"p.yaml:2:3: a decision is a mapping such as {state: NAME, choice: NAME}, not a single value\n" +
				`p.yaml:3:14: duplicate key "state" (first at p.yaml:3:4)`},
		{"- {state: a, outcome: ok}\n- {state: b}\n- {choice: c}\n",
			"p.yaml:2:3: step 2: want {state: NAME} with one of outcome:, choice:, timer: or pause: (or wait: true, last)\n" +
				"p.yaml:3:3: step 3: want {state: NAME} with one of outcome:, choice:, timer: or pause: (or wait: true, last)"},
		{"- {state: a, outcome: ok}\n---\n- {state: b, outcome: ok}\n", "p.yaml:2:1: a second YAML document starts here"},
		{"- {state: a, outcome: ok}\n" + strings.Repeat("# a path file is never this long\n", 20000),
			"p.yaml:15888:25: the file is larger than 512 KiB, the budget for a YAML file"},
	} {
		_, err := explore.ParsePathFile("p.yaml", []byte(tt.text))
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("ParsePathFile(%.80q) = %v, want %s...", tt.text, err, tt.want)
		}
	}
	for _, text := range []string{"", "# only a comment\n", "~\n", "[]\n"} {
		if pf, err := explore.ParsePathFile("p.yaml", []byte(text)); err != nil || len(pf.Steps) != 0 || pf.Wait != nil {
			t.Errorf("%q: %+v, %v, want no steps", text, pf, err)
		}
	}
	// A null is no value, as yaml.v3 reads a []PathItem: outcome: ~ is
	// outcome: left out, and a null item no decision, numbered as none.
	pf, err := explore.ParsePathFile("p.yaml", []byte("- {state: a, outcome: ~, choice: b}\n- ~\n- {state: c, outcome: ok}\n"))
	want := []explore.PathStep{{State: "a", Kind: explore.StepChoice, Name: "b"}, {State: "c", Kind: explore.StepOutcome, Name: "ok"}}
	if err != nil || !reflect.DeepEqual(pf.Steps, want) {
		t.Errorf("nulls = %+v, %v, want %+v", pf, err, want)
	}
	if _, err := explore.ParsePathFile("p.yaml", []byte("- ~\n- {state: c}\n")); err == nil || !strings.HasPrefix(err.Error(), "p.yaml:2:3: step 1: ") {
		t.Errorf("a step after a null item: %v, want it numbered 1, at line 2", err)
	}
}
