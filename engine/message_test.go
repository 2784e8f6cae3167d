package engine_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tetherflow/tether/engine/prompt"
)

// Options computed at run time: strings, or maps with a value, a label
// (text or message) and data; a choice field refuses anything else.
func TestComputedOptions(t *testing.T) {
	src := `flow: t
start: pick
vars: {items: [], other: 0}
messages:
  item: "Item {{ name }}"
states:
  pick:
    ask:
      fields:
        what:
          type: choice
          options: "map(items, ({'value': #, 'label': message('item', {name: upper(#)}), 'n': 1}))"
      choices:
        - go: {fields: [what]}
    on:
      go: done
  done: {final: done}
`
	fl := mustCompile(t, strings.Replace(src, "vars: {items: [], other: 0}", `vars: {items: ["a", "b"], other: 0}`, 1), nil, nil)
	s := start(t, fl, newClock().ports(nil))
	f, _ := s.Current().Prompt.Field("what")
	want := []prompt.Option{
		{Value: "a", Label: prompt.Message{ID: "t.item", Text: "Item A", Params: map[string]any{"name": "A"}}, Data: map[string]any{"n": 1}},
		{Value: "b", Label: prompt.Message{ID: "t.item", Text: "Item B", Params: map[string]any{"name": "B"}}, Data: map[string]any{"n": 1}},
	}
	if !reflect.DeepEqual(f.Options, want) {
		t.Errorf("Options = %+v, want %+v", f.Options, want)
	}
	if err := s.Send(context.Background(), "go", map[string]any{"what": "c"}); err == nil || !strings.Contains(err.Error(), `"c" is not one of: a, b`) {
		t.Errorf("an option not offered: %v", err)
	}
	// Only choice fields have options; the expression must be a list.
	bad := strings.Replace(src, "type: choice", "type: email", 1)
	if _, err := compile(t, bad, nil, nil); err == nil || !strings.Contains(err.Error(), "options: only choice fields have options") {
		t.Errorf("options on an email field: %v", err)
	}
	bad = strings.Replace(src, `"map(items, ({'value': #, 'label': message('item', {name: upper(#)}), 'n': 1}))"`, "other", 1)
	if _, err := compile(t, bad, nil, nil); err == nil || !strings.Contains(err.Error(), "want a list") {
		t.Errorf("options of an int: %v", err)
	}
	// A list of the wrong things is a run error at the field.
	fl = mustCompile(t, strings.Replace(strings.Replace(src, "vars: {items: [], other: 0}", `vars: {items: [1, 2], other: 0}`, 1),
		`"map(items, ({'value': #, 'label': message('item', {name: upper(#)}), 'n': 1}))"`, "items", 1), nil, nil)
	if _, err := fl.Start(context.Background(), newClock().ports(nil)); err == nil || !strings.Contains(err.Error(), "options of field what") {
		t.Errorf("options of ints: %v", err)
	}
}

const messagesFlow = `flow: m
start: ask
vars: {notice: {}, n: 0, wait: 0s}
messages:
  plain: Just text.
  counted:
    plural: n
    one: "{{ n }} try left."
    other: "{{ n }} tries left."
  waiting: "Wait {{ wait }}."
states:
  ask:
    ask:
      text: "Hello {{ policy.who }}"
      help: "{{ notice }}"
      fields:
        name: {type: text, label: Your name, prefill: '"Ann"', hint: "{{ notice }}"}
      choices:
        - one: {label: "One", role: primary}
        - two: {label: Two, fields: []}
        - docs: {label: Docs, role: link, url: '"https://example.com/" + policy.who'}
        - end: {label: End, role: cancel, fields: []}
    on:
      one:
        set: {notice: 'message("counted", {n: 1})'}
      two:
        set: {notice: 'message("waiting", {wait: duration("25s")})'}
      end: done
  done: {final: done}
policy: {who: you}
`

// message() makes a message value; a {{ }}-only text shows it as itself,
// with its id and parameters; the flow's own words fill in its text.
func TestMessages(t *testing.T) {
	fl := mustCompile(t, messagesFlow, nil, nil)
	s := start(t, fl, newClock().ports(nil))
	p := s.Current().Prompt
	if p.Title.ID != "m.ask.text" || p.Title.Text != "Hello you" || p.Title.Params["who"] != "you" {
		t.Errorf("title = %+v, want m.ask.text with who", p.Title)
	}
	if p.Help != nil {
		t.Errorf("help = %+v, want none while the notice is empty", p.Help)
	}
	if f, _ := p.Field("name"); f.Prefill != "Ann" || f.Label.ID != "m.ask.field.name" {
		t.Errorf("field = %+v, want prefilled Ann labelled by m.ask.field.name", f)
	}
	roles := []prompt.Role{}
	for _, c := range p.Choices {
		roles = append(roles, c.Role)
	}
	if want := []prompt.Role{prompt.Primary, prompt.Secondary, prompt.Link, prompt.Cancel}; !reflect.DeepEqual(roles, want) {
		t.Errorf("roles = %v, want %v", roles, want)
	}
	if c, _ := p.Choice("docs"); c.URL != "https://example.com/you" || c.Fields != nil {
		t.Errorf("link = %+v, want its url and no fields", c)
	}
	if err := s.Send(context.Background(), "docs", nil); err == nil || !strings.Contains(err.Error(), "is a link") {
		t.Errorf("answering a link: %v", err)
	}
	if err := s.Send(context.Background(), "one", map[string]any{"name": "x"}); err != nil {
		t.Fatal(err)
	}
	h := s.Current().Prompt.Help
	if h == nil || h.ID != "m.counted" || h.Text != "1 try left." || h.Params["n"] != 1 {
		t.Errorf("help = %+v, want m.counted, 1 try left.", h)
	}
	if err := s.Send(context.Background(), "two", nil); err != nil {
		t.Fatal(err)
	}
	if h := s.Current().Prompt.Help; h == nil || h.ID != "m.waiting" || h.Params["wait"] != 25*time.Second {
		t.Errorf("help = %+v, want m.waiting with a duration", h)
	}
}

// message() is checked: the message exists, and its parameters are the
// ones its text names, no more, no fewer.
func TestMessageChecks(t *testing.T) {
	for _, tt := range []struct{ from, to, want string }{
		{`message("counted", {n: 1})`, `message("count", {n: 1})`, `the flow has no message "count" in messages: (did you mean "counted"?)`},
		{`message("counted", {n: 1})`, `message("counted")`, `message counted needs the parameter n`},
		{`message("counted", {n: 1})`, `message("counted", {n: 1, m: 2})`, `message counted has no parameter m (it has: n)`},
		{`message("counted", {n: 1})`, `message(notice, {n: 1})`, `the name must be written out`},
		{`message("waiting", {wait: duration("25s")})`, `message("waiting", notice)`, `the parameters must be written out`},
	} {
		src := strings.Replace(messagesFlow, tt.from, tt.to, 1)
		_, err := compile(t, src, nil, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.to, err, tt.want)
		}
	}
}
