package terminal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/charmbracelet/huh"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/prompt"
	"github.com/tetherflow/tether/host"
)

// Form asks prompts with github.com/charmbracelet/huh forms, for a person
// at a real terminal: the prompt's text and help as a note, a menu for the
// choice when there are several, then one input per field of that choice,
// with passwords and codes masked. Line prompts (Terminal) serve pipes and
// dumb terminals.
type Form struct {
	in         io.Reader
	out        io.Writer
	accessible bool
}

// FormOption configures a Form.
type FormOption func(*Form)

// Accessible makes the form ask one plain line at a time, as screen readers
// need (huh's accessible mode).
func Accessible(on bool) FormOption { return func(f *Form) { f.accessible = on } }

// NewForm returns a form driver reading keys from in and drawing on out.
func NewForm(in io.Reader, out io.Writer, opts ...FormOption) *Form {
	f := &Form{in: in, out: out}
	for _, o := range opts {
		o(f)
	}
	return f
}

// Next shows the prompt at step (with the problem of the previous answer)
// and returns the person's answer. Ctrl-C returns an error wrapping
// ErrInterrupted, the end of input one wrapping ErrEndOfInput, and the end
// of ctx ctx's error.
func (f *Form) Next(ctx context.Context, step engine.Step, problem error) (host.Reply, error) {
	p := step.Prompt
	if p == nil {
		return host.Reply{}, fmt.Errorf("state %s has no prompt", step.State)
	}
	desc := p.Help
	if problem != nil {
		desc = strings.TrimSpace(fmt.Sprintf("%s\n! %v", desc, problem))
	}
	// One form: a menu group when there are several choices, then a group
	// of fields per choice, shown only for the choice taken. (One form, not
	// two, because a form reads its input ahead.)
	name := p.Choices[0].Name
	var groups []*huh.Group
	if len(p.Choices) > 1 {
		opts := make([]huh.Option[string], len(p.Choices))
		for i, c := range p.Choices {
			opts[i] = huh.NewOption(c.Label, c.Name)
		}
		groups = append(groups, huh.NewGroup(
			huh.NewSelect[string]().Title(p.Text).Description(desc).Options(opts...).Value(&name),
		))
	}
	values := map[string]map[string]*string{}
	consents := map[string]map[string]*bool{}
	for _, c := range p.Choices {
		if len(c.Fields) == 0 {
			continue
		}
		values[c.Name], consents[c.Name] = map[string]*string{}, map[string]*bool{}
		var fields []huh.Field
		if len(p.Choices) == 1 {
			fields = append(fields, huh.NewNote().Title(p.Text).Description(desc))
		}
		for _, fname := range c.Fields {
			fd, _ := p.Field(fname)
			fields = append(fields, f.field(fd, values[c.Name], consents[c.Name]))
		}
		choice := c.Name
		groups = append(groups, huh.NewGroup(fields...).WithHideFunc(func() bool { return name != choice }))
	}
	if len(groups) == 0 { // one choice, no fields: just show the text
		groups = append(groups, huh.NewGroup(huh.NewNote().Title(p.Text).Description(desc)))
	}
	if err := f.run(ctx, groups...); err != nil {
		return host.Reply{}, err
	}
	r := host.Reply{Choice: name}
	for fname, v := range values[name] {
		if fd, _ := p.Field(fname); *v == "" && fd.Optional {
			continue
		}
		if r.Input == nil {
			r.Input = map[string]any{}
		}
		r.Input[fname] = *v
	}
	for fname, b := range consents[name] {
		if r.Input == nil {
			r.Input = map[string]any{}
		}
		r.Input[fname] = *b
	}
	return r, nil
}

// field returns the form field for fd, bound to a new value in values (or
// consents, for consent fields).
func (f *Form) field(fd prompt.Field, values map[string]*string, consents map[string]*bool) huh.Field {
	switch fd.Type {
	case prompt.ConsentField:
		b := new(bool)
		consents[fd.Name] = b
		return huh.NewConfirm().Title(fd.Label).Value(b)
	case prompt.ChoiceField:
		s := new(string)
		values[fd.Name] = s
		opts := make([]huh.Option[string], len(fd.Options))
		for i, o := range fd.Options {
			opts[i] = huh.NewOption(o, o)
		}
		return huh.NewSelect[string]().Title(fd.Label).Options(opts...).Value(s)
	}
	if len(fd.Suggest) > 0 {
		// A menu of what the flow suggests (the licences to choose
		// from), rather than a value to type.
		s := new(string)
		values[fd.Name] = s
		opts := make([]huh.Option[string], len(fd.Suggest))
		for i, o := range fd.Suggest {
			opts[i] = huh.NewOption(o.Label, o.Value)
		}
		return huh.NewSelect[string]().Title(fd.Label).Options(opts...).Value(s)
	}
	s := new(string)
	values[fd.Name] = s
	in := huh.NewInput().Title(fd.Label).Value(s)
	if fd.Type.Secret() {
		in = in.EchoMode(huh.EchoModePassword)
	}
	if fd.Length > 0 {
		in = in.CharLimit(fd.Length)
	}
	return in
}

func (f *Form) run(ctx context.Context, groups ...*huh.Group) error {
	form := huh.NewForm(groups...).WithInput(f.in).WithOutput(f.out).WithAccessible(f.accessible).WithShowHelp(!f.accessible)
	err := form.RunWithContext(ctx)
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, huh.ErrUserAborted):
		return fmt.Errorf("%w: %v", ErrInterrupted, err)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: %v", ErrEndOfInput, err)
	}
	return err
}
