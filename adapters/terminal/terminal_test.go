package terminal

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tetherflow/tether/engine"
)

var signIn = &engine.Prompt{
	Text: "Sign in to your account",
	Help: "The email address or password is not right.",
	Fields: []engine.Field{
		{Name: "email", Label: "Email address", Type: engine.EmailField},
		{Name: "password", Label: "Password", Type: engine.SecretField},
	},
	Choices: []engine.Choice{
		{Name: "continue", Label: "Sign in", Fields: []string{"email", "password"}},
		{Name: "cancel", Label: "Cancel"},
	},
}

func TestMenuAndFields(t *testing.T) {
	var out strings.Builder
	term := New(strings.NewReader("3\n1\na@example.com\nhunter2\n"), &out)
	r, err := term.Next(context.Background(), engine.Step{State: "sign_in", Prompt: signIn}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Choice != "continue" || r.Input["email"] != "a@example.com" || r.Input["password"] != "hunter2" {
		t.Errorf("reply = %+v, want continue with email and password", r)
	}
	for _, want := range []string{"Sign in to your account", "  The email address or password is not right.", "  1) Sign in", "  2) Cancel", `! "3" is not one of the choices`, "Email address: ", "Password: "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestSecretReaderAndChoiceByName(t *testing.T) {
	var out strings.Builder
	term := New(strings.NewReader("Sign in\na@example.com\n"), &out, WithSecretReader(func() (string, error) { return "from-tty", nil }))
	r, err := term.Next(context.Background(), engine.Step{Prompt: signIn}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Input["password"] != "from-tty" {
		t.Errorf("password = %v, want the secret reader's value", r.Input["password"])
	}
	if strings.Contains(out.String(), "from-tty") {
		t.Errorf("the secret was echoed:\n%s", out.String())
	}
}

func TestEndOfInputAndProblem(t *testing.T) {
	var out strings.Builder
	term := New(strings.NewReader("1\n"), &out)
	_, err := term.Next(context.Background(), engine.Step{Prompt: signIn}, &engine.InputError{Field: "email", Msg: `"x" is not an email address`})
	if !errors.Is(err, ErrEndOfInput) {
		t.Errorf("error = %v, want ErrEndOfInput", err)
	}
	if !strings.HasPrefix(out.String(), `! email: "x" is not an email address`) {
		t.Errorf("the problem is not shown first:\n%s", out.String())
	}
}
