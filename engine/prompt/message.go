package prompt

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tetherflow/tether/engine/value"
)

// Message is one text a session shows: its stable id, the values of its
// parameters, and the text in the flow's own words. A front end looks the
// id up in its catalogs and fills the parameters in, in the person's
// language; Text is what it falls back to. A message whose id is empty is
// not translatable (a value the portal gave, shown as it is).
type Message struct {
	ID     string         `json:"id,omitempty"`
	Text   string         `json:"text"`
	Params map[string]any `json:"params,omitempty"`
}

// MarshalJSON writes the message, its parameters in the value codec's
// form (value.Encode), so that a duration or a time reads back as one.
func (m Message) MarshalJSON() ([]byte, error) {
	type plain Message
	out := plain(m)
	if len(m.Params) > 0 {
		enc, err := value.Encode(m.Params)
		if err != nil {
			return nil, fmt.Errorf("message %s: %w", m.ID, err)
		}
		out.Params = enc.(map[string]any)
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads a message, or a plain string as event logs written
// before messages had ids hold one.
func (m *Message) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*m = Message{Text: s}
		return nil
	}
	var raw struct {
		ID     string          `json:"id"`
		Text   string          `json:"text"`
		Params json.RawMessage `json:"params"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*m = Message{ID: raw.ID, Text: raw.Text}
	if len(raw.Params) > 0 && string(raw.Params) != "null" {
		v, err := value.Unmarshal(raw.Params)
		if err != nil {
			return fmt.Errorf("message %s: params: %w", raw.ID, err)
		}
		p, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("message %s: params must be an object", raw.ID)
		}
		m.Params = p
	}
	return nil
}

// Empty reports whether the message says nothing.
func (m *Message) Empty() bool { return m == nil || (m.ID == "" && m.Text == "") }

// A flow holds a message in a variable (the notice shown with the next
// prompt) as a map: its id under MessageKey and its parameters under
// ParamsKey. message("name", {...}) in an expression makes one. A message
// from outside the flows (the portal's CAPTCHA question, its reason for a
// refusal) also has its words under TextKey: what is shown where no
// catalog has its id.
const (
	MessageKey = "$message"
	ParamsKey  = "params"
	TextKey    = "text"
)

// MessageValue returns the flow value of the message id with params.
func MessageValue(id string, params map[string]any) map[string]any {
	m := map[string]any{MessageKey: id}
	if len(params) > 0 {
		m[ParamsKey] = params
	}
	return m
}

// OuterMessageValue returns the flow value of a message that no flow
// declares, with its own words: text is said where no catalog has id (or
// id is empty).
func OuterMessageValue(id string, params map[string]any, text string) map[string]any {
	m := MessageValue(id, params)
	if text != "" {
		m[TextKey] = text
	}
	return m
}

// AsMessage reads a flow value made by MessageValue or
// OuterMessageValue.
func AsMessage(v any) (id string, params map[string]any, ok bool) {
	m, ok := ValueMessage(v)
	return m.ID, m.Params, ok
}

// ValueMessage reads a flow value made by MessageValue or
// OuterMessageValue: its id, its parameters and, for an outer message,
// its words.
func ValueMessage(v any) (Message, bool) {
	m, isMap := v.(map[string]any)
	if !isMap {
		return Message{}, false
	}
	id, ok := m[MessageKey].(string)
	if !ok {
		return Message{}, false
	}
	out := Message{ID: id}
	for k, x := range m {
		switch k {
		case MessageKey:
		case ParamsKey:
			if out.Params, ok = x.(map[string]any); !ok {
				return Message{}, false
			}
		case TextKey:
			if out.Text, ok = x.(string); !ok {
				return Message{}, false
			}
		default:
			return Message{}, false
		}
	}
	return out, true
}

// Source is a message as a flow or a catalog writes it: one template, or
// templates chosen by a parameter (Arg) — by the plural category of its
// count (Plural), or by its value (Select, with "other" for the rest).
type Source struct {
	Arg    string
	Select bool
	Forms  []Form // a plain message has one, keyed "other"
}

// Form is one of a source's templates and what chooses it: a plural
// category, a value of the select parameter, or "other".
type Form struct {
	Key      string
	Template Template
}

// PluralCategories are the CLDR plural categories, in CLDR's order.
func PluralCategories() []string { return []string{"zero", "one", "two", "few", "many", "other"} }

// Plain returns the source of a message that is one template.
func Plain(t Template) *Source { return &Source{Forms: []Form{{Key: "other", Template: t}}} }

// Plural reports whether the source is chosen by a count.
func (s *Source) Plural() bool { return s.Arg != "" && !s.Select }

// Form returns the template keyed key.
func (s *Source) Form(key string) (Template, bool) {
	for _, f := range s.Forms {
		if f.Key == key {
			return f.Template, true
		}
	}
	return nil, false
}

// Keys returns the keys of the source's forms, in order.
func (s *Source) Keys() []string {
	out := make([]string, len(s.Forms))
	for i, f := range s.Forms {
		out[i] = f.Key
	}
	return out
}

// Params returns the parameters the source names, sorted: its argument
// and the placeholders of every form.
func (s *Source) Params() []string {
	var out []string
	if s.Arg != "" {
		out = append(out, s.Arg)
	}
	for _, f := range s.Forms {
		out = append(out, f.Template.Params()...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Choose returns the template for params: the form of the select
// parameter's value, or of the plural category the function category
// gives its count; "other" when there is none.
func (s *Source) Choose(params map[string]any, category func(n int) string) Template {
	key := "other"
	switch {
	case s.Select:
		key = fmt.Sprint(params[s.Arg])
	case s.Arg != "":
		if n, ok := Count(params[s.Arg]); ok && category != nil {
			key = category(n)
		}
	}
	if t, ok := s.Form(key); ok {
		return t
	}
	t, _ := s.Form("other")
	return t
}

// Count reads a parameter as a count: a whole number.
func Count(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int64:
		return int(x), true
	case float64:
		if x == float64(int(x)) {
			return int(x), true
		}
	case json.Number:
		n, err := strconv.Atoi(string(x))
		return n, err == nil
	}
	return 0, false
}

// Template is a message's text with its placeholders: `Enter the code we
// sent to {{ phone }}`.
type Template []Part

// Part is a run of literal text, or a placeholder naming a parameter.
type Part struct {
	Lit   string
	Param string
}

// ParseTemplate reads a template. A placeholder is `{{`, a parameter's
// name (letters, digits and _, not starting with a digit) and `}}`, with
// spaces around the name if wanted. On error it returns the byte offset
// of the problem in s.
func ParseTemplate(s string) (Template, int, error) {
	var t Template
	last := 0
	for {
		open := strings.Index(s[last:], "{{")
		if open < 0 {
			break
		}
		open += last
		end := strings.Index(s[open+2:], "}}")
		if end < 0 {
			return nil, open, fmt.Errorf("unclosed {{: a placeholder is {{ name }}")
		}
		end += open + 2
		name := strings.TrimSpace(s[open+2 : end])
		if !IsName(name) {
			return nil, open, fmt.Errorf("placeholder {{%s}} is not a parameter's name (letters, digits and _)", s[open+2:end])
		}
		if open > last {
			t = append(t, Part{Lit: s[last:open]})
		}
		t = append(t, Part{Param: name})
		last = end + 2
	}
	if i := strings.Index(s[last:], "}}"); i >= 0 {
		return nil, last + i, fmt.Errorf("}} with no {{ before it")
	}
	if last < len(s) {
		t = append(t, Part{Lit: s[last:]})
	}
	return t, 0, nil
}

// IsName reports whether s is a name: a letter or '_', then letters,
// digits or '_' (ASCII). A message's parameters are names, as a flow's
// keys are.
func IsName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || i > 0 && '0' <= c && c <= '9' {
			continue
		}
		return false
	}
	return true
}

// Params returns the parameters the template names, in order, each once.
func (t Template) Params() []string {
	var out []string
	for _, p := range t {
		if p.Param != "" && !slices.Contains(out, p.Param) {
			out = append(out, p.Param)
		}
	}
	return out
}

// Render fills the template in, each placeholder with what value returns
// for its parameter.
func (t Template) Render(value func(param string) string) string {
	var b strings.Builder
	for _, p := range t {
		if p.Param == "" {
			b.WriteString(p.Lit)
		} else {
			b.WriteString(value(p.Param))
		}
	}
	return b.String()
}

// String returns the template as written, placeholders as {{ name }}.
func (t Template) String() string {
	return t.Render(func(p string) string { return "{{ " + p + " }}" })
}
