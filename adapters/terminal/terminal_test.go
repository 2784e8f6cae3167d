package terminal

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/prompt"
)

// msg is a text with no id, as a prompt made in a test has.
func msg(s string) prompt.Message { return prompt.Message{Text: s} }

var signIn = &prompt.Prompt{
	Title: msg("Sign in to your account"),
	Help:  &prompt.Message{Text: "The email address or password is not right."},
	Fields: []prompt.Field{
		{Name: "email", Label: msg("Email address"), Type: prompt.EmailField},
		{Name: "password", Label: msg("Password"), Type: prompt.SecretField},
	},
	Choices: []prompt.Choice{
		{Name: "continue", Label: msg("Sign in"), Role: prompt.Primary, Fields: []string{"email", "password"}},
		{Name: "cancel", Label: msg("Cancel"), Role: prompt.Cancel},
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
	for _, want := range []string{"Sign in to your account", "  The email address or password is not right.", "  1) Sign in", "  2) Cancel", "! “3” is not one of the choices", "Email address: ", "Password: "} {
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
	_, err := term.Next(context.Background(), engine.Step{Prompt: signIn}, &engine.InputError{Field: "email", Msg: "not an email address", ID: "input.email"})
	if !errors.Is(err, ErrEndOfInput) {
		t.Errorf("error = %v, want ErrEndOfInput", err)
	}
	if !strings.HasPrefix(out.String(), `! Email address: Enter an email address, like name@example.com.`) {
		t.Errorf("the problem is not shown first:\n%s", out.String())
	}
}

// Codes are secrets too: read with the secret reader, never echoed.
func TestCodeReadAsSecret(t *testing.T) {
	var out strings.Builder
	p := &prompt.Prompt{Title: msg("Enter the code"), Fields: []prompt.Field{{Name: "code", Label: msg("Code"), Type: prompt.CodeField}},
		Choices: []prompt.Choice{{Name: "continue", Fields: []string{"code"}}}}
	term := New(strings.NewReader(""), &out, WithSecretReader(func() (string, error) { return "523934", nil }))
	r, err := term.Next(context.Background(), engine.Step{Prompt: p}, nil)
	if err != nil || r.Input["code"] != "523934" {
		t.Fatalf("reply = %+v, %v; want the code from the secret reader", r, err)
	}
	if strings.Contains(out.String(), "523934") {
		t.Errorf("the code was echoed:\n%s", out.String())
	}
}

// Piped input does not echo: each prompt's line is ended by the driver, so
// that what comes next starts a line of its own.
func TestPipedEndsLines(t *testing.T) {
	var out strings.Builder
	term := New(strings.NewReader("1\na@example.com\nhunter2\n"), &out, Piped())
	if _, err := term.Next(context.Background(), engine.Step{Prompt: signIn}, nil); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\nChoose 1-2: \n", "\nEmail address: \n", "\nPassword: \n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// Options are numbered; a number picks one, other text is taken as is
// (the flow refuses what is not an option).
func TestOptionsByNumber(t *testing.T) {
	p := &prompt.Prompt{
		Title: msg("Choose subscription"),
		Fields: []prompt.Field{{Name: "licence", Label: msg("Licence"), Type: prompt.ChoiceField,
			Options: []prompt.Option{{Value: "LIC-P", Label: msg("Personal")}, {Value: "LIC-F", Label: msg("Family")}}}},
		Choices: []prompt.Choice{{Name: "select", Fields: []string{"licence"}}},
	}
	for in, want := range map[string]string{"2\n": "LIC-F", "LIC-X\n": "LIC-X", "3\n": "3"} {
		var out strings.Builder
		r, err := New(strings.NewReader(in), &out).Next(context.Background(), engine.Step{Prompt: p}, nil)
		if err != nil || r.Input["licence"] != want {
			t.Errorf("typing %q: reply %+v, %v; want licence %s", in, r, err, want)
		}
		if !strings.Contains(out.String(), "  2) Family\n") || !strings.Contains(out.String(), "Licence (1-2): ") {
			t.Errorf("the options are not listed:\n%s", out.String())
		}
	}
}

// A cancelled context ends the wait for input at once.
func TestCancelWhileWaiting(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	var out strings.Builder
	term := New(pr, &out)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := term.Next(ctx, engine.Step{Prompt: signIn}, nil)
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
}
