package answers

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tetherflow/tether/engine"
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
		{"a: b", "a.yaml:1:1: an answers file is a list of answers"},
		{"- wait: soon", `a.yaml:1:9: wait must be a positive duration such as 30s, not "soon"`},
		{"- fields: {a: b}", "a.yaml:1:3: an answer needs a choice"},
		{"- choice: x\n  color: red", `a.yaml:2:3: unknown key "color" (want state, choice, fields or wait)`},
		{"- wait: 1s\n  choice: x", "a.yaml:1:3: an answer either waits or answers, not both"},
	}
	for _, tt := range tests {
		_, err := Parse("a.yaml", []byte(tt.src))
		if err == nil || err.Error() != tt.want {
			t.Errorf("Parse(%q) error = %v, want %s", tt.src, err, tt.want)
		}
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
