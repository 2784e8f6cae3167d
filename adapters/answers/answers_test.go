package answers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/yamlfile"
)

func TestParseAndReplay(t *testing.T) {
	src := `
- state: sign_in
  choice: continue
  fields: {email: a@example.com, password: "{{secret}}"}
- wait: 31s
- choice: resend
`
	as, err := Parse("a.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	d := New("a.yaml", as, func(name string) (string, bool) { return "s3cret", name == "secret" })
	r, err := d.Next(context.Background(), engine.Step{State: "sign_in"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Choice != "continue" || r.Input["password"] != "s3cret" || r.Input["email"] != "a@example.com" {
		t.Errorf("first reply = %+v, want continue with the looked-up password", r)
	}
	r, _ = d.Next(context.Background(), engine.Step{State: "enter_code"}, nil)
	if r.Wait != 31*time.Second {
		t.Errorf("second reply wait = %v, want 31s", r.Wait)
	}
	r, _ = d.Next(context.Background(), engine.Step{State: "enter_code"}, nil)
	if r.Choice != "resend" {
		t.Errorf("third reply = %+v, want resend", r)
	}
	if _, err := d.Next(context.Background(), engine.Step{State: "enter_code"}, nil); !errors.Is(err, ErrExhausted) {
		t.Errorf("fourth Next error = %v, want ErrExhausted", err)
	}
}

func TestStateMismatchAndRejection(t *testing.T) {
	as, _ := Parse("a.yaml", []byte("- state: sign_in\n  choice: continue\n- choice: x\n"))
	d := New("a.yaml", as, nil)
	if _, err := d.Next(context.Background(), engine.Step{State: "enter_code"}, nil); err == nil || !strings.Contains(err.Error(), "a.yaml:1: this answer is for state sign_in, but the session waits at enter_code") {
		t.Errorf("mismatch error = %v", err)
	}
	_, err := d.Next(context.Background(), engine.Step{State: "s"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	problem := &engine.InputError{Field: "code", Msg: "the code is digits only"}
	if _, err := d.Next(context.Background(), engine.Step{State: "s"}, problem); !errors.Is(err, engine.ErrRejected) || !strings.Contains(err.Error(), "a.yaml:3: answer rejected") {
		t.Errorf("rejection error = %v, want it to wrap the InputError at a.yaml:3", err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"a: b", "a.yaml:1:1: an answers file is a list of answers, not a mapping"},
		{"", "a.yaml:1:1: the answers file is empty; it is a list of answers"},
		{"# nothing yet\n", "a.yaml:1:1: the answers file is empty; it is a list of answers"},
		{"- wait: soon", `a.yaml:1:9: wait must be a positive duration such as 30s, not "soon"`},
		{"- wait: -5s", `a.yaml:1:9: wait must be a positive duration such as 30s, not "-5s"`},
		{"- wait: [1s]", `a.yaml:1:9: wait must be a positive duration such as 30s, not a list`},
		{"- fields: {a: b}", "a.yaml:1:3: an answer needs a choice"},
		{"- choice: x\n  color: red", `a.yaml:2:3: unknown key "color" (want flow, state, choice, fields or wait)`},
		{"- {choice: x, feilds: {a: b}}", `a.yaml:1:15: unknown key "feilds" (did you mean fields?)`},
		{"- wait: 1s\n  choice: x", "a.yaml:1:3: an answer either waits or answers, not both"},
		{"- wait: 1s\n  flow: signup", "a.yaml:1:3: an answer either waits or answers, not both"},
		{"- {choice: x, flow: [a]}", "a.yaml:1:21: flow must be a name, not a list"},
		{"- {choice: x, state: ''}", "a.yaml:1:22: state must be a name, not empty"},
		{"- {choice: x, fields: [a]}", "a.yaml:1:23: fields must be a mapping of field names to values, not a list"},
		{"- {choice: x, fields: {a: {b: c}}}", "a.yaml:1:27: field a must be a single value, not a mapping"},
		{"- {choice: x, fields: {a: }}", `a.yaml:1:27: field a has no value (write "" for an empty one)`},
		{"- {choice: x, fields: {[a]: b}}", "a.yaml:1:24: a field's name must be a name, not a list"},
		{"- choice", "a.yaml:1:3: an answer is a mapping with choice and fields, or wait, not a single value"},
		// YAML itself: line and column, a second document, repeated keys.
		{"- choice: x\n  fields: {a: b\n", "a.yaml:2:15: this mapping is not closed: a \",\" or \"}\" was expected"},
		{"- choice: x\n - choice: y\n", "a.yaml:2:2: a list item (\"- \") was expected here: the items of a list line up under each other"},
		{"- choice: x\n---\n- choice: y\n", "a.yaml:2:1: a second YAML document starts here: the file must hold exactly one"},
		{"- choice: x\n  choice: y\n", `a.yaml:2:3: duplicate key "choice" (first at a.yaml:1:3)`},
		{"- choice: x\n  fields: {a: 1, a: 2}\n", `a.yaml:2:18: duplicate key "a" (first at a.yaml:2:12)`},
	}
	for _, tt := range tests {
		_, err := Parse("a.yaml", []byte(tt.src))
		if err == nil || err.Error() != tt.want {
			t.Errorf("Parse(%q) error = %v, want %s", tt.src, err, tt.want)
		}
	}
}

// TestParseReportsEveryError checks that one bad answer does not hide the
// others, and that the errors come sorted by position.
func TestParseReportsEveryError(t *testing.T) {
	src := `- choice: continue
  fields: {email: a@example.com, password: Secret-pass-1}
  choice: again
- wait: later
- state: sign_in
- {choice: x, colour: red}
- choice: ok
  fields: {password: [Secret-pass-2]}
`
	_, err := Parse("a.yaml", []byte(src))
	want := []string{
		`a.yaml:3:3: duplicate key "choice" (first at a.yaml:1:3)`,
		`a.yaml:4:9: wait must be a positive duration such as 30s, not "later"`,
		"a.yaml:5:3: an answer needs a choice",
		`a.yaml:6:15: unknown key "colour" (want flow, state, choice, fields or wait)`,
		"a.yaml:8:22: field password must be a single value, not a list",
	}
	if got := strings.Split(fmt.Sprint(err), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Parse() errors =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var list yamlfile.ErrorList
	if !errors.As(err, &list) || len(list) != len(want) {
		t.Errorf("Parse() error is %T, want an yamlfile.ErrorList of %d", err, len(want))
	}
}

// TestParseErrorsKeepSecrets puts a password wherever an answers file can
// go wrong around it: no message may quote it.
func TestParseErrorsKeepSecrets(t *testing.T) {
	const pw = "Hunter2-secret"
	for _, src := range []string{
		"- {choice: x, fields: {password: [" + pw + "]}}",
		"- {choice: x, fields: {password: {" + pw + ": 1}}}",
		"- {choice: x, fields: " + pw + "}",
		"- " + pw,
		pw,
		"- {choice: [" + pw + "]}",
		"- {state: {" + pw + ": x}, choice: x}",
		"- choice: x\n  fields: {password: " + pw + ", password: " + pw + "}",
		"- choice: x\n  fields: {password: '" + pw + "\n",
		"- choice: x\n  fields: {password: &p " + pw + "}\n- choice: y\n  fields: {password: *q}",
	} {
		_, err := Parse("a.yaml", []byte(src))
		if err == nil {
			t.Errorf("Parse(%q) error = nil, want one", src)
			continue
		}
		if strings.Contains(err.Error(), pw) || strings.Contains(err.Error(), "Hunter") {
			t.Errorf("Parse(%q) error = %q, quotes the password", src, err)
		}
	}
}

func TestAliasesShareAnswers(t *testing.T) {
	src := `- state: sign_in
  choice: continue
  fields: &creds {email: a@example.com, password: pw}
- state: sign_in
  choice: continue
  fields: *creds
`
	as, err := Parse("a.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 2 || as[1].Fields["email"] != "a@example.com" || as[1].Fields["password"] != "pw" {
		t.Errorf("Parse() = %+v, want the second answer to have the anchored fields", as)
	}
}

func TestUnknownPlaceholder(t *testing.T) {
	as, _ := Parse("a.yaml", []byte(`- choice: c
  fields: {code: "{{sms}}"}`))
	d := New("a.yaml", as, nil)
	if _, err := d.Next(context.Background(), engine.Step{}, nil); err == nil || !strings.Contains(err.Error(), "nothing is known as {{sms}}") {
		t.Errorf("error = %v, want the unknown placeholder named", err)
	}
}

// TestFlowAndState checks an answer's flow: and state: against the step
// the session waits at: a subflow's state of the same name as one of the
// root flow's is not the same prompt.
func TestFlowAndState(t *testing.T) {
	tests := []struct {
		name    string
		answer  string
		step    engine.Step
		wantErr string // "" for the answer to be given
	}{
		{"state only, any flow", "{state: details, choice: x}", engine.Step{Flow: "signup", State: "details"}, ""},
		{"flow and state", "{flow: signup, state: details, choice: x}", engine.Step{Flow: "signup", State: "details"}, ""},
		{"flow only", "{flow: signup, choice: x}", engine.Step{Flow: "signup", State: "details"}, ""},
		{"neither", "{choice: x}", engine.Step{Flow: "connect", State: "sign_in"}, ""},
		{"other flow, same state", "{flow: signup, state: details, choice: x}", engine.Step{Flow: "connect", State: "details"},
			"a.yaml:1: this answer is for state details of flow signup, but the session waits at state details of flow connect"},
		{"other state, same flow", "{flow: signup, state: details, choice: x}", engine.Step{Flow: "signup", State: "password"},
			"a.yaml:1: this answer is for state details of flow signup, but the session waits at state password of flow signup"},
		{"flow only, other flow", "{flow: signup, choice: x}", engine.Step{Flow: "connect", State: "sign_in"},
			"a.yaml:1: this answer is for flow signup, but the session waits at state sign_in of flow connect"},
		{"state only, other state", "{state: sign_in, choice: x}", engine.Step{Flow: "connect", State: "enter_code"},
			"a.yaml:1: this answer is for state sign_in, but the session waits at enter_code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			as, err := Parse("a.yaml", []byte("- "+tt.answer+"\n"))
			if err != nil {
				t.Fatal(err)
			}
			r, err := New("a.yaml", as, nil).Next(context.Background(), tt.step, nil)
			switch {
			case tt.wantErr == "" && (err != nil || r.Choice != "x"):
				t.Errorf("Next() = %+v, %v, want choice x", r, err)
			case tt.wantErr != "" && fmt.Sprint(err) != tt.wantErr:
				t.Errorf("Next() error = %v, want %s", err, tt.wantErr)
			}
		})
	}
}

// TestProblemBeforeAnyAnswer: a problem reported before the driver gave
// any answer (a prompt that timed out at once) is an error, not a panic.
func TestProblemBeforeAnyAnswer(t *testing.T) {
	as, _ := Parse("a.yaml", []byte("- choice: x\n"))
	_, err := New("a.yaml", as, nil).Next(context.Background(), engine.Step{State: "s"}, engine.ErrPromptGone)
	if !errors.Is(err, engine.ErrPromptGone) || !strings.HasPrefix(err.Error(), "a.yaml: ") {
		t.Errorf("Next() error = %v, want a.yaml: and ErrPromptGone", err)
	}
}
