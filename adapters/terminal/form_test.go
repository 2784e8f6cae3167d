package terminal

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/prompt"
)

// keys drives a form the way a person types, one key press at a time with
// a pause between them, so that each lands in the field that has the focus
// by then (Enter is \r, the down arrow ESC [ B).
const down = "\x1b[B"

type keys struct {
	presses []string
	enter   bool // the last key was Enter: the focus moves, give it time
}

func typing(presses ...string) *keys { return &keys{presses: presses} }

func (k *keys) Read(p []byte) (int, error) {
	if len(k.presses) == 0 {
		time.Sleep(50 * time.Millisecond)
		return 0, errors.New("no more keys")
	}
	pause := 30 * time.Millisecond
	if k.enter {
		pause = 250 * time.Millisecond
	}
	time.Sleep(pause)
	n := copy(p, k.presses[0])
	k.enter = k.presses[0] == "\r"
	k.presses = k.presses[1:]
	return n, nil
}

// text returns the key presses that type s.
func text(s string) []string {
	out := make([]string, 0, len(s))
	for _, r := range s {
		out = append(out, string(r))
	}
	return out
}

func TestFormSignIn(t *testing.T) {
	var out strings.Builder
	presses := append([]string{"\r"}, text("a@example.com")...)
	presses = append(append(append(presses, "\r"), text("hunter2")...), "\r")
	f := NewForm(typing(presses...), &out)
	r, err := f.Next(context.Background(), engine.Step{State: "sign_in", Prompt: signIn}, nil)
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	if r.Choice != "continue" || r.Input["email"] != "a@example.com" || r.Input["password"] != "hunter2" {
		t.Errorf("reply = %+v, want continue with email and password", r)
	}
	if strings.Contains(out.String(), "hunter2") {
		t.Error("the password was drawn on the screen")
	}
}

func TestFormChoiceWithoutFields(t *testing.T) {
	var out strings.Builder
	f := NewForm(typing(down, "\r"), &out)
	r, err := f.Next(context.Background(), engine.Step{Prompt: signIn}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Choice != "cancel" || len(r.Input) != 0 {
		t.Errorf("reply = %+v, want cancel without input", r)
	}
}

func TestFormAbort(t *testing.T) {
	var out strings.Builder
	f := NewForm(typing("\x03"), &out) // Ctrl-C
	if _, err := f.Next(context.Background(), engine.Step{Prompt: signIn}, nil); !errors.Is(err, ErrInterrupted) {
		t.Errorf("error = %v, want ErrInterrupted", err)
	}
}

// A choice field is a menu: the licences to choose from.
func TestFormOptions(t *testing.T) {
	var out strings.Builder
	p := &prompt.Prompt{
		Title: msg("Choose subscription"),
		Fields: []prompt.Field{{Name: "licence", Label: msg("Licence"), Type: prompt.ChoiceField,
			Options: []prompt.Option{{Value: "LIC-P", Label: msg("Personal")}, {Value: "LIC-F", Label: msg("Family")}}}},
		Choices: []prompt.Choice{{Name: "select", Label: msg("Select"), Fields: []string{"licence"}}},
	}
	f := NewForm(typing("j", "\r"), &out) // down to the second, Enter
	r, err := f.Next(context.Background(), engine.Step{Prompt: p}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Choice != "select" || r.Input["licence"] != "LIC-F" {
		t.Errorf("reply = %+v, want select with licence LIC-F", r)
	}
}
