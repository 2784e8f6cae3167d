package terminal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/huh"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/prompt"
	"github.com/tetherflow/tether/host"
	"github.com/tetherflow/tether/ui"
)

// Form asks prompts with github.com/charmbracelet/huh forms, for a person
// at a real terminal: the prompt's text and messages as a note, a menu
// for the choice when there are several, then the fields of that choice,
// under the same note, each with its hint (the CAPTCHA's question), its
// constraint (a code's digits, checked as it is typed) and its prefill.
// A choice that waits ("Get a new code" during its cooldown) says how
// long, and is refused until then. Passwords and codes are masked. Line
// prompts (Terminal) serve pipes and dumb terminals.
type Form struct {
	in         io.Reader
	out        io.Writer
	accessible bool
	loc        *ui.Localizer
	now        func() time.Time
}

// FormOption configures a Form.
type FormOption = Option

// Accessible makes the form ask one plain line at a time, as screen readers
// need (huh's accessible mode).
func Accessible(on bool) Option { return func(s *settings) { s.accessible = on } }

// NewForm returns a form driver reading keys from in and drawing on out.
func NewForm(in io.Reader, out io.Writer, opts ...Option) *Form {
	s := configure(opts)
	return &Form{in: in, out: out, accessible: s.accessible, loc: s.loc, now: s.now}
}

// Next shows the prompt at step (with the problem of the previous answer)
// and returns the person's answer. Ctrl-C returns an error wrapping
// ErrInterrupted, the end of input one wrapping ErrEndOfInput, and the end
// of ctx ctx's error.
func (f *Form) Next(ctx context.Context, step engine.Step, problem error) (host.Reply, error) {
	if step.Prompt == nil {
		return host.Reply{}, fmt.Errorf("state %s has no prompt", step.State)
	}
	return f.Ask(ctx, ui.Build(step.Flow, step.State, step.Prompt, Problem(problem), f.loc, f.now()))
}

// Ask shows screen sc as a form and returns the person's answer.
func (f *Form) Ask(ctx context.Context, sc *ui.Screen) (host.Reply, error) {
	b := f.Build(sc)
	if err := f.run(ctx, b.Form); err != nil {
		return host.Reply{}, err
	}
	return b.Reply(), nil
}

// Built is a screen's form, and the values it fills in.
type Built struct {
	Form     *huh.Form
	screen   *ui.Screen
	choice   *string
	values   map[string]map[string]*string
	consents map[string]map[string]*bool
}

// Build makes the form that asks screen sc: one form, not two, because a
// form reads its input ahead. A menu of the answers when there are
// several, then a group of fields per answer, shown only for the one
// taken, each under the screen's note.
func (f *Form) Build(sc *ui.Screen) *Built {
	choices := answers(sc)
	b := &Built{screen: sc, choice: new(string), values: map[string]map[string]*string{}, consents: map[string]map[string]*bool{}}
	if len(choices) > 0 {
		*b.choice = choices[0].Name
	}
	note := func() *huh.Note { return huh.NewNote().Title(sc.Title.Text).Description(f.description(sc)) }
	var groups []*huh.Group
	if len(choices) > 1 {
		opts := make([]huh.Option[string], len(choices))
		for i, c := range choices {
			label := c.Label.Text
			if w := waiting(f.loc, c, f.now()); w != "" {
				label += " (" + f.loc.Say("ui.term.unavailable", "wait", w) + ")"
			}
			opts[i] = huh.NewOption(label, c.Name)
		}
		sel := huh.NewSelect[string]().Options(opts...).Value(b.choice).Validate(func(name string) error {
			for _, c := range choices {
				if w := waiting(f.loc, c, f.now()); c.Name == name && w != "" {
					return errors.New(f.loc.Say("ui.term.waiting", "choice", c.Label.Text, "wait", w))
				}
			}
			return nil
		})
		groups = append(groups, huh.NewGroup(note(), sel))
	}
	for _, c := range choices {
		if len(c.Fields) == 0 {
			continue
		}
		b.values[c.Name], b.consents[c.Name] = map[string]*string{}, map[string]*bool{}
		fields := []huh.Field{note()}
		for _, name := range c.Fields {
			fd, _ := field(sc, name)
			fields = append(fields, f.field(fd, b.values[c.Name], b.consents[c.Name]))
		}
		choice := c.Name
		groups = append(groups, huh.NewGroup(fields...).WithHideFunc(func() bool { return *b.choice != choice }))
	}
	if len(groups) == 0 { // one choice, no fields: just show the text
		groups = append(groups, huh.NewGroup(note()))
	}
	b.Form = huh.NewForm(groups...).WithInput(f.in).WithOutput(f.out).WithAccessible(f.accessible).WithShowHelp(!f.accessible).
		WithKeyMap(keyMap(f.loc))
	return b
}

// keyMap returns huh's key map with the help of every key the form's
// fields show (inputs, menus, notes, confirmations) in l's words: huh
// writes them in English ("enter submit"), and lets them be set. A key's
// help "go to start" is the word ui.term.key.go_to_start; the keys
// themselves stay as they are.
func keyMap(l *ui.Localizer) *huh.KeyMap {
	km := huh.NewDefaultKeyMap()
	for _, m := range []any{&km.Input, &km.Select, &km.Note, &km.Confirm} {
		v := reflect.ValueOf(m).Elem()
		for i := range v.NumField() {
			b, ok := v.Field(i).Addr().Interface().(*key.Binding)
			if !ok || b.Help().Desc == "" {
				continue
			}
			if id := keyHelpID(b.Help().Desc); l.Known(id) {
				b.SetHelp(b.Help().Key, l.Say(id))
			}
		}
	}
	return km
}

// keyHelpID is the id of the word that says huh's key help desc: "go to
// start" is ui.term.key.go_to_start, "½ page up" ui.term.key.half_page_up.
func keyHelpID(desc string) string {
	s := strings.ToLower(strings.ReplaceAll(desc, "½", "half"))
	return "ui.term.key." + strings.Join(strings.Fields(s), "_")
}

// Reply is the answer the filled-in form gives.
func (b *Built) Reply() host.Reply {
	r := host.Reply{Choice: *b.choice}
	for name, v := range b.values[r.Choice] {
		if fd, _ := field(b.screen, name); *v == "" && !fd.Required {
			continue
		}
		if r.Input == nil {
			r.Input = map[string]any{}
		}
		r.Input[name] = *v
	}
	for name, v := range b.consents[r.Choice] {
		if r.Input == nil {
			r.Input = map[string]any{}
		}
		r.Input[name] = *v
	}
	return r
}

// description is what the note shows under the heading: the paragraphs,
// the messages (a refusal marked "!"), and the links. huh reads a note's
// text as Markdown: it is escaped, so that "+49 *** *** 12 34" shows as
// it is.
func (f *Form) description(sc *ui.Screen) string {
	var lines []string
	for _, b := range sc.Body {
		lines = append(lines, b.Text)
	}
	for _, m := range sc.Messages {
		if m.Type == "error" {
			lines = append(lines, "! "+refusal(sc, m))
		} else {
			lines = append(lines, m.Text.Text)
		}
	}
	for _, c := range sc.Choices {
		if c.Role == string(prompt.Link) {
			lines = append(lines, f.loc.Say("ui.term.link", "label", c.Label.Text, "url", c.URL))
		}
	}
	return escapeMarkdown(strings.Join(lines, "\n\n"))
}

// escapeMarkdown escapes what huh's notes read as Markdown: * _ ` and \.
func escapeMarkdown(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '*', '_', '`', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// field returns the form field for fd, bound to a new value in values (or
// consents, for consent fields).
func (f *Form) field(fd ui.Field, values map[string]*string, consents map[string]*bool) huh.Field {
	desc := ""
	if fd.Hint != nil {
		desc = fd.Hint.Text
	}
	if fd.Constraint != nil {
		desc = strings.TrimSpace(desc + "\n" + fd.Constraint.Text)
	}
	switch fd.Type {
	case string(prompt.ConsentField):
		v := new(bool)
		consents[fd.Name] = v
		return huh.NewConfirm().Title(fd.Label.Text).Description(desc).Value(v).
			Affirmative(f.loc.Say("ui.term.key.yes")).Negative(f.loc.Say("ui.term.key.no"))
	case string(prompt.ChoiceField):
		v := new(string)
		values[fd.Name] = v
		opts := make([]huh.Option[string], len(fd.Options))
		for i, o := range fd.Options {
			opts[i] = huh.NewOption(o.Label.Text, o.Value)
		}
		return huh.NewSelect[string]().Title(fd.Label.Text).Description(desc).Options(opts...).Value(v)
	}
	v := new(string)
	*v = fd.Prefill
	values[fd.Name] = v
	in := huh.NewInput().Title(fd.Label.Text).Description(desc).Value(v)
	if fd.Masked {
		in = in.EchoMode(huh.EchoModePassword)
	}
	if fd.Type == string(prompt.CodeField) {
		if fd.Length > 0 {
			in = in.CharLimit(fd.Length)
		}
		in = in.Validate(func(s string) error { return f.checkCode(fd, s) })
	}
	return in
}

// checkCode refuses a code the flow would refuse, before it is sent: a
// code of the wrong length never reaches the portal, nor costs an attempt.
func (f *Form) checkCode(fd ui.Field, s string) error {
	s = strings.TrimSpace(s)
	for _, r := range s {
		if r < '0' || r > '9' {
			return errors.New(f.loc.Say("input.code_digits"))
		}
	}
	if fd.Length > 0 && len(s) != fd.Length {
		return errors.New(f.loc.Say("input.code_length", "length", fd.Length))
	}
	return nil
}

func (f *Form) run(ctx context.Context, form *huh.Form) error {
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
