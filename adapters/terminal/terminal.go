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

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/prompt"
	"github.com/tetherflow/tether/host"
)

// Terminal asks prompts on out and reads answers from in.
type Terminal struct {
	in     *bufio.Reader
	out    io.Writer
	secret func() (string, error)
	piped  bool
	lines  chan lineRead // filled by the reader goroutine, once started
}

type lineRead struct {
	s   string
	err error
}

// Option configures a Terminal.
type Option func(*Terminal)

// WithSecretReader reads secret fields with read (which should not echo)
// instead of a plain line from in.
func WithSecretReader(read func() (string, error)) Option {
	return func(t *Terminal) { t.secret = read }
}

// Piped says that in is not a terminal: nothing echoes what is read, so
// the driver ends each prompt's line itself, and whatever is printed next
// (a refusal, the result) starts a line of its own.
func Piped() Option {
	return func(t *Terminal) { t.piped = true }
}

// New returns a terminal driver reading in and writing out.
func New(in io.Reader, out io.Writer, opts ...Option) *Terminal {
	t := &Terminal{in: bufio.NewReader(in), out: out}
	for _, o := range opts {
		o(t)
	}
	return t
}

// ErrEndOfInput is returned when input ends before a prompt is answered.
var ErrEndOfInput = errors.New("input ended")

// ErrInterrupted is returned when the person interrupts the prompt
// (Ctrl-C in a form).
var ErrInterrupted = errors.New("interrupted")

// Next shows the prompt at step (and the problem with the previous answer,
// if any) and reads an answer. It returns ctx's error as soon as ctx ends.
func (t *Terminal) Next(ctx context.Context, step engine.Step, problem error) (host.Reply, error) {
	p := step.Prompt
	if p == nil {
		return host.Reply{}, fmt.Errorf("state %s has no prompt", step.State)
	}
	if problem != nil {
		fmt.Fprintf(t.out, "! %v\n", problem)
	} else {
		fmt.Fprintf(t.out, "\n%s\n", p.Text)
		if p.Help != "" {
			for _, line := range strings.Split(p.Help, "\n") {
				fmt.Fprintf(t.out, "  %s\n", line)
			}
		}
	}
	choice, err := t.choose(ctx, p)
	if err != nil {
		return host.Reply{}, err
	}
	r := host.Reply{Choice: choice.Name}
	for _, name := range choice.Fields {
		f, _ := p.Field(name)
		v, err := t.field(ctx, f)
		if err != nil {
			return host.Reply{}, err
		}
		if v == "" && f.Optional {
			continue
		}
		if r.Input == nil {
			r.Input = map[string]any{}
		}
		r.Input[name] = v
	}
	return r, nil
}

func (t *Terminal) choose(ctx context.Context, p *prompt.Prompt) (prompt.Choice, error) {
	if len(p.Choices) == 1 {
		return p.Choices[0], nil
	}
	for i, c := range p.Choices {
		fmt.Fprintf(t.out, "  %d) %s\n", i+1, c.Label)
	}
	for {
		fmt.Fprintf(t.out, "Choose 1-%d: ", len(p.Choices))
		line, err := t.line(ctx)
		if err != nil {
			return prompt.Choice{}, err
		}
		if n, err := strconv.Atoi(line); err == nil && n >= 1 && n <= len(p.Choices) {
			return p.Choices[n-1], nil
		}
		for _, c := range p.Choices {
			if strings.EqualFold(line, c.Name) || strings.EqualFold(line, c.Label) {
				return c, nil
			}
		}
		fmt.Fprintf(t.out, "! %q is not one of the choices\n", line)
	}
}

func (t *Terminal) field(ctx context.Context, f prompt.Field) (string, error) {
	label := f.Label
	switch f.Type {
	case prompt.ConsentField:
		label += " [yes/no]"
	case prompt.ChoiceField:
		label += " [" + strings.Join(f.Options, "/") + "]"
	}
	for i, s := range f.Suggest {
		fmt.Fprintf(t.out, "  %d) %s\n", i+1, s.Label)
	}
	if len(f.Suggest) > 0 {
		label += fmt.Sprintf(" (1-%d)", len(f.Suggest))
	}
	fmt.Fprintf(t.out, "%s: ", label)
	if f.Type.Secret() && t.secret != nil {
		s, err := t.readSecret(ctx)
		fmt.Fprintln(t.out)
		if err != nil {
			return "", fmt.Errorf("read %s: %w", f.Name, err)
		}
		return s, nil
	}
	line, err := t.line(ctx)
	if n, nerr := strconv.Atoi(line); err == nil && nerr == nil && n >= 1 && n <= len(f.Suggest) {
		return f.Suggest[n-1].Value, nil
	}
	return line, err
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
