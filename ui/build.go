package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/tetherflow/tether/engine/eventlog"
	"github.com/tetherflow/tether/engine/prompt"
)

// Problem is why the last answer was refused, as a host's view says it:
// an input error about a field (ID names it: input.required), or an
// answer that came after a timer moved the session (prompt_gone).
type Problem struct {
	Kind   string // "input" or "prompt_gone"
	Field  string
	ID     string
	Text   string
	Params map[string]any
}

// Build describes prompt p of state (in flow) for a front end, in l's
// locale: problem, when set, is why the last answer was refused; now is
// the session clock, against which a choice's wait is counted.
func Build(flow, state string, p *prompt.Prompt, problem *Problem, l *Localizer, now time.Time) *Screen {
	sc := &Screen{Flow: flow, State: state, Locale: l.Locale(), Body: []Text{}, Messages: []Message{}, Fields: []Field{}, Choices: []Choice{}}
	sc.Title = l.Text(p.Title)
	if p.Body != nil {
		sc.Body = append(sc.Body, l.Text(*p.Body))
	} else if title, rest, ok := strings.Cut(sc.Title.Text, "\n"); ok {
		// A flow that writes its heading and paragraphs as one text.
		sc.Title.Text = title
		sc.Body = append(sc.Body, Text{ID: sc.Title.ID, Text: strings.TrimSpace(rest), Params: sc.Title.Params})
	}
	if !p.Help.Empty() {
		sc.Messages = append(sc.Messages, Message{Type: "info", Text: l.Text(*p.Help)})
	}
	if problem != nil {
		sc.Messages = append(sc.Messages, Message{Type: "error", Field: problem.Field, Text: l.Problem(problem)})
	}
	for _, f := range p.Fields {
		sc.Fields = append(sc.Fields, field(f, l))
	}
	for _, c := range p.Choices {
		ch := Choice{Name: c.Name, Label: l.Text(c.Label), Role: string(c.Role), Fields: c.Fields, URL: c.URL, AvailableAt: c.AvailableAt}
		if ch.Label.Text == "" {
			ch.Label.Text = c.Name
		}
		if ch.Role == "" {
			ch.Role = string(prompt.Secondary)
		}
		if ch.Fields == nil {
			ch.Fields = []string{}
		}
		if c.AvailableAt.After(now) {
			w := l.Word("ui.wait", "wait", c.AvailableAt.Sub(now))
			ch.Wait = &w
		}
		sc.Choices = append(sc.Choices, ch)
	}
	return sc
}

func field(f prompt.Field, l *Localizer) Field {
	out := Field{
		Name: f.Name, Type: string(f.Type), Label: l.Text(f.Label), Required: !f.Optional,
		Masked: f.Type.Secret(), Length: f.Length, Prefill: f.Prefill,
	}
	if out.Label.Text == "" {
		out.Label.Text = strings.ReplaceAll(f.Name, "_", " ")
	}
	if f.Hint != nil && !f.Hint.Empty() {
		h := l.Text(*f.Hint)
		out.Hint = &h
	}
	if f.Type.Secret() {
		out.Prefill = "" // never, whatever a flow says
	}
	out.Autocomplete, out.InputMode = hints(f.Type)
	if f.Type == prompt.CodeField {
		out.Pattern = "[0-9]+"
		c := l.Word("ui.constraint.digits")
		if f.Length > 0 {
			out.Pattern = fmt.Sprintf("[0-9]{%d}", f.Length)
			c = l.Word("ui.constraint.length", "length", f.Length)
		}
		out.Constraint = &c
	}
	for _, o := range f.Options {
		opt := Option{Value: o.Value, Label: l.Text(o.Label), Data: l.data(o.Data)}
		if opt.Label.Text == "" {
			opt.Label.Text = o.Value
		}
		out.Options = append(out.Options, opt)
	}
	return out
}

// data is an option's data as the model shows it: as params are.
func (l *Localizer) data(d map[string]any) map[string]any {
	if len(d) == 0 {
		return nil
	}
	return l.params(d)
}

// hints returns the HTML autocomplete and inputmode hints for a type.
func hints(t prompt.FieldType) (autocomplete, inputmode string) {
	switch t {
	case prompt.EmailField:
		return "username", "email"
	case prompt.SecretField:
		return "current-password", ""
	case prompt.CodeField:
		return "one-time-code", "numeric"
	case prompt.NumberField:
		return "", "numeric"
	case prompt.CaptchaField:
		return "off", ""
	}
	return "", ""
}

// Problem says why an answer was refused, in the locale: the input
// error's message when the catalogs know its id, else its own words.
func (l *Localizer) Problem(p *Problem) Text {
	switch {
	case p.Kind == "prompt_gone":
		return l.Word("ui.prompt_gone")
	case p.ID != "":
		if src, _ := l.lookup(p.ID); src != nil {
			return l.Text(prompt.Message{ID: p.ID, Params: p.Params})
		}
	}
	return Text{Text: p.Text}
}

// BuildResult describes how a session ended: its outcome (nil when it
// failed; errText, when set, is what to say of the failure).
func BuildResult(o *eventlog.Outcome, errText string, l *Localizer) *Result {
	r := &Result{Outcome: "error", Locale: l.Locale(), Error: errText}
	if o == nil {
		return r
	}
	r.Outcome, r.Success, r.Output = o.Name, o.Success, o.Output
	switch {
	case o.Text != nil && !o.Text.Empty():
		t := l.Text(*o.Text)
		r.Message = &t
	case o.Message != "":
		r.Message = &Text{Text: o.Message}
	}
	return r
}

// Localize returns a copy of prompt p with every text in l's locale:
// what a transcript or a driver that shows prompt.Prompt prints.
func Localize(p *prompt.Prompt, l *Localizer) *prompt.Prompt {
	if p == nil {
		return nil
	}
	out := *p
	out.Title = l.message(p.Title)
	out.Body = l.messagePtr(p.Body)
	out.Help = l.messagePtr(p.Help)
	out.Fields = make([]prompt.Field, len(p.Fields))
	for i, f := range p.Fields {
		f.Label = l.message(f.Label)
		f.Hint = l.messagePtr(f.Hint)
		opts := make([]prompt.Option, len(f.Options))
		for j, o := range f.Options {
			o.Label = l.message(o.Label)
			opts[j] = o
		}
		f.Options = opts
		out.Fields[i] = f
	}
	out.Choices = make([]prompt.Choice, len(p.Choices))
	for i, c := range p.Choices {
		c.Label = l.message(c.Label)
		out.Choices[i] = c
	}
	return &out
}

// LocalizeOutcome returns a copy of o with its message in l's locale.
func LocalizeOutcome(o *eventlog.Outcome, l *Localizer) *eventlog.Outcome {
	if o == nil || o.Text == nil {
		return o
	}
	out := *o
	t := l.message(*o.Text)
	out.Text, out.Message = &t, t.Text
	return &out
}

func (l *Localizer) message(m prompt.Message) prompt.Message {
	m.Text = l.Text(m).Text
	return m
}

func (l *Localizer) messagePtr(m *prompt.Message) *prompt.Message {
	if m == nil {
		return nil
	}
	out := l.message(*m)
	return &out
}
