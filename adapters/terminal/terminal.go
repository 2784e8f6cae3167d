// Package terminal drives a flow's prompts for a person at a terminal with
// plain line prompts: the prompt's text and help, a numbered menu when it
// offers several choices, then one line per field. Secret fields are read
// without echo when a secret reader is given (golang.org/x/term on a TTY).
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
	"github.com/tetherflow/tether/host"
)

// Terminal asks prompts on out and reads answers from in.
type Terminal struct {
	in     *bufio.Reader
	out    io.Writer
	secret func() (string, error)
}

// Option configures a Terminal.
type Option func(*Terminal)

// WithSecretReader reads secret fields with read (which should not echo)
// instead of a plain line from in.
func WithSecretReader(read func() (string, error)) Option {
	return func(t *Terminal) { t.secret = read }
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

// Next shows the prompt at step (and the problem with the previous answer,
// if any) and reads an answer.
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
	choice, err := t.choose(p)
	if err != nil {
		return host.Reply{}, err
	}
	r := host.Reply{Choice: choice.Name}
	for _, name := range choice.Fields {
		f, _ := p.Field(name)
		v, err := t.field(f)
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

func (t *Terminal) choose(p *engine.Prompt) (engine.Choice, error) {
	if len(p.Choices) == 1 {
		return p.Choices[0], nil
	}
	for i, c := range p.Choices {
		fmt.Fprintf(t.out, "  %d) %s\n", i+1, c.Label)
	}
	for {
		fmt.Fprintf(t.out, "Choose 1-%d: ", len(p.Choices))
		line, err := t.line()
		if err != nil {
			return engine.Choice{}, err
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

func (t *Terminal) field(f engine.Field) (string, error) {
	label := f.Label
	switch f.Type {
	case engine.ConsentField:
		label += " [yes/no]"
	case engine.ChoiceField:
		label += " [" + strings.Join(f.Options, "/") + "]"
	}
	fmt.Fprintf(t.out, "%s: ", label)
	if f.Type == engine.SecretField && t.secret != nil {
		s, err := t.secret()
		fmt.Fprintln(t.out)
		if err != nil {
			return "", fmt.Errorf("read %s: %w", f.Name, err)
		}
		return s, nil
	}
	return t.line()
}

// line reads one line, without its line ending.
func (t *Terminal) line() (string, error) {
	s, err := t.in.ReadString('\n')
	if err != nil && (s == "" || !errors.Is(err, io.EOF)) {
		if errors.Is(err, io.EOF) {
			fmt.Fprintln(t.out) // end the prompt's line
			return "", ErrEndOfInput
		}
		return "", err
	}
	return strings.TrimRight(s, "\r\n"), nil
}
