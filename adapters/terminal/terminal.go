// Package terminal drives a flow's prompts for a person at a terminal with
// plain line prompts: the prompt's text and help, a numbered menu when it
// offers several choices, then one line per field. Secret fields
// (passwords and codes) are read without echo when a secret reader is
// given (golang.org/x/term on a TTY).
package terminal

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/prompt"
	"github.com/tetherflow/tether/host"
	"github.com/tetherflow/tether/ui"
)

// Terminal asks prompts on out and reads answers from in.
type Terminal struct {
	in     *bufio.Reader
	out    io.Writer
	secret func() (string, error)
	piped  bool
	lines  chan lineRead // filled by the reader goroutine, once started
	loc    *ui.Localizer
	now    func() time.Time
}

type lineRead struct {
	s   string
	err error
}

// Option configures a Terminal or a Form.
type Option func(*settings)

// settings are what the options set.
type settings struct {
	secret     func() (string, error)
	piped      bool
	loc        *ui.Localizer
	now        func() time.Time
	accessible bool
}

func configure(opts []Option) settings {
	s := settings{now: time.Now}
	for _, o := range opts {
		o(&s)
	}
	if s.loc == nil {
		s.loc = ui.Builtin().Localizer(ui.Source)
	}
	return s
}

// WithSecretReader reads secret fields with read (which should not echo)
// instead of a plain line from in.
func WithSecretReader(read func() (string, error)) Option {
	return func(s *settings) { s.secret = read }
}

// Piped says that in is not a terminal: nothing echoes what is read, so
// the driver ends each prompt's line itself, and whatever is printed next
// (a refusal, the result) starts a line of its own.
func Piped() Option {
	return func(s *settings) { s.piped = true }
}

// WithLocalizer shows prompts in l's locale; the default is the flows'
// own words.
func WithLocalizer(l *ui.Localizer) Option {
	return func(s *settings) { s.loc = l }
}

// WithClock counts a choice's wait on now, the session's clock; the
// default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(s *settings) { s.now = now }
}

// New returns a terminal driver reading in and writing out.
func New(in io.Reader, out io.Writer, opts ...Option) *Terminal {
	s := configure(opts)
	return &Terminal{in: bufio.NewReader(in), out: out, secret: s.secret, piped: s.piped, loc: s.loc, now: s.now}
}

// ErrEndOfInput is returned when input ends before a prompt is answered.
var ErrEndOfInput = errors.New("input ended")

// ErrInterrupted is returned when the person interrupts the prompt
// (Ctrl-C in a form).
var ErrInterrupted = errors.New("interrupted")

// Next shows the prompt at step (and the problem with the previous answer,
// if any) and reads an answer. It returns ctx's error as soon as ctx ends.
func (t *Terminal) Next(ctx context.Context, step engine.Step, problem error) (host.Reply, error) {
	if step.Prompt == nil {
		return host.Reply{}, fmt.Errorf("state %s has no prompt", step.State)
	}
	return t.Ask(ctx, ui.Build(step.Flow, step.State, step.Prompt, Problem(problem), t.loc, t.now()))
}

// Problem is the refusal a driver is given, as the prompt model takes it.
func Problem(err error) *ui.Problem {
	var ierr *engine.InputError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ierr):
		return &ui.Problem{Kind: "input", Field: ierr.Field, ID: ierr.ID, Text: ierr.Msg, Params: ierr.Params}
	case errors.Is(err, engine.ErrPromptGone):
		return &ui.Problem{Kind: "prompt_gone", Text: err.Error()}
	}
	return &ui.Problem{Kind: "input", Text: err.Error()}
}

// Ask shows screen sc and reads an answer: the screen the session's host
// (or a server) made. A screen with an error message is the one the last
// answer got: only the error is shown again.
func (t *Terminal) Ask(ctx context.Context, sc *ui.Screen) (host.Reply, error) {
	refused := false
	for _, m := range sc.Messages {
		if m.Type == "error" {
			refused = true
			fmt.Fprintf(t.out, "! %s\n", refusal(sc, m))
		}
	}
	if !refused {
		fmt.Fprintf(t.out, "\n%s\n", sc.Title.Text)
		for _, b := range sc.Body {
			for _, line := range strings.Split(b.Text, "\n") {
				fmt.Fprintf(t.out, "%s\n", line)
			}
		}
		for _, m := range sc.Messages {
			for _, line := range strings.Split(m.Text.Text, "\n") {
				fmt.Fprintf(t.out, "  %s\n", line)
			}
		}
		for _, c := range sc.Choices {
			if c.Role == string(prompt.Link) {
				fmt.Fprintf(t.out, "  %s\n", t.loc.Say("ui.term.link", "label", c.Label.Text, "url", c.URL))
			}
		}
	}
	choice, err := t.choose(ctx, sc)
	if err != nil {
		return host.Reply{}, err
	}
	r := host.Reply{Choice: choice.Name}
	for _, name := range choice.Fields {
		f, _ := field(sc, name)
		v, err := t.field(ctx, f)
		if err != nil {
			return host.Reply{}, err
		}
		if v == "" && !f.Required {
			continue
		}
		if r.Input == nil {
			r.Input = map[string]any{}
		}
		r.Input[name] = v
	}
	return r, nil
}

// refusal is an error message with the label of the field it is about.
func refusal(sc *ui.Screen, m ui.Message) string {
	if f, ok := field(sc, m.Field); ok {
		return f.Label.Text + ": " + m.Text.Text
	}
	return m.Text.Text
}

func field(sc *ui.Screen, name string) (ui.Field, bool) {
	for _, f := range sc.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return ui.Field{}, false
}

// answers returns the choices that answer the screen: not its links.
func answers(sc *ui.Screen) []ui.Choice {
	var out []ui.Choice
	for _, c := range sc.Choices {
		if c.Role != string(prompt.Link) {
			out = append(out, c)
		}
	}
	return out
}

// waiting says how long choice c still waits, at now; "" when it is
// available.
func waiting(l *ui.Localizer, c ui.Choice, now time.Time) string {
	if c.AvailableAt.IsZero() || !c.AvailableAt.After(now) {
		return ""
	}
	return l.Duration(c.AvailableAt.Sub(now))
}

func (t *Terminal) choose(ctx context.Context, sc *ui.Screen) (ui.Choice, error) {
	choices := answers(sc)
	if len(choices) == 1 {
		return choices[0], nil
	}
	for i, c := range choices {
		if w := waiting(t.loc, c, t.now()); w != "" {
			fmt.Fprintf(t.out, "  %d) %s (%s)\n", i+1, c.Label.Text, t.loc.Say("ui.term.unavailable", "wait", w))
			continue
		}
		fmt.Fprintf(t.out, "  %d) %s\n", i+1, c.Label.Text)
	}
	for {
		fmt.Fprint(t.out, t.loc.Say("ui.term.choose", "n", len(choices)))
		line, err := t.line(ctx)
		if err != nil {
			return ui.Choice{}, err
		}
		var picked *ui.Choice
		if n, err := strconv.Atoi(line); err == nil && n >= 1 && n <= len(choices) {
			picked = &choices[n-1]
		}
		for i, c := range choices {
			if picked == nil && (strings.EqualFold(line, c.Name) || strings.EqualFold(line, c.Label.Text)) {
				picked = &choices[i]
			}
		}
		switch {
		case picked == nil:
			fmt.Fprintf(t.out, "! %s\n", t.loc.Say("ui.term.not_a_choice", "answer", line))
		case waiting(t.loc, *picked, t.now()) != "":
			// Shown as not available yet, and refused as such: the
			// flow's answer to an early resend is the wait again.
			fmt.Fprintf(t.out, "! %s\n", t.loc.Say("ui.term.waiting", "choice", picked.Label.Text, "wait", waiting(t.loc, *picked, t.now())))
		default:
			return *picked, nil
		}
	}
}

func (t *Terminal) field(ctx context.Context, f ui.Field) (string, error) {
	if f.Hint != nil {
		fmt.Fprintf(t.out, "  %s\n", f.Hint.Text)
	}
	label := f.Label.Text
	switch f.Type {
	case string(prompt.ConsentField):
		label += " [" + t.loc.Say("ui.term.yes_no") + "]"
	case string(prompt.ChoiceField):
		for i, o := range f.Options {
			fmt.Fprintf(t.out, "  %d) %s\n", i+1, o.Label.Text)
		}
		label += " (" + t.loc.Say("ui.term.pick", "n", len(f.Options)) + ")"
	}
	if f.Constraint != nil {
		label += " (" + f.Constraint.Text + ")"
	}
	if f.Prefill != "" {
		label += " [" + f.Prefill + "]"
	}
	fmt.Fprintf(t.out, "%s: ", label)
	if f.Masked && t.secret != nil {
		s, err := t.readSecret(ctx)
		fmt.Fprintln(t.out)
		if err != nil {
			return "", fmt.Errorf("read %s: %w", f.Name, err)
		}
		return s, nil
	}
	line, err := t.line(ctx)
	if err != nil {
		return "", err
	}
	if line == "" && f.Prefill != "" {
		return f.Prefill, nil
	}
	if n, nerr := strconv.Atoi(line); nerr == nil && n >= 1 && n <= len(f.Options) {
		return f.Options[n-1].Value, nil
	}
	return line, nil
}

// readSecret reads with the secret reader, giving up when ctx ends (the
// reader is left to the process's end; the caller restores the terminal).
func (t *Terminal) readSecret(ctx context.Context) (string, error) {
	done := make(chan lineRead, 1)
	go func() {
		s, err := t.secret()
		done <- lineRead{s, err}
	}()
	select {
	case r := <-done:
		return r.s, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// line reads one line, without its line ending, giving up when ctx ends.
// Lines are read by one goroutine, started at the first read, so that a
// read that gives up loses nothing.
func (t *Terminal) line(ctx context.Context) (string, error) {
	if t.lines == nil {
		t.lines = make(chan lineRead)
		go t.readLines()
	}
	select {
	case r, ok := <-t.lines:
		if !ok {
			fmt.Fprintln(t.out) // end the prompt's line
			return "", ErrEndOfInput
		}
		if r.err != nil {
			return "", r.err
		}
		if t.piped {
			fmt.Fprintln(t.out)
		}
		return r.s, nil
	case <-ctx.Done():
		fmt.Fprintln(t.out)
		return "", ctx.Err()
	}
}

func (t *Terminal) readLines() {
	defer close(t.lines)
	for {
		s, err := t.in.ReadString('\n')
		if err != nil && (s == "" || !errors.Is(err, io.EOF)) {
			if !errors.Is(err, io.EOF) {
				t.lines <- lineRead{err: err}
			}
			return
		}
		t.lines <- lineRead{s: strings.TrimRight(s, "\r\n")}
	}
}
