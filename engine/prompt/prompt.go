package prompt

import (
	"time"

	"github.com/tetherflow/tether/engine/value"
)

// Prompt is what an ask state shows and the answers it takes. Every text
// in it is a Message: a stable id, its parameters and the text in the
// flow's own words, so that a front end can show it in another language.
type Prompt struct {
	// Title is the prompt's heading; Body, when set, the paragraphs under
	// it; Help, when set, a note to show with them (why the last sign-in
	// failed, how long to wait).
	Title   Message  `json:"text"`
	Body    *Message `json:"body,omitempty"`
	Help    *Message `json:"help,omitempty"`
	Fields  []Field  `json:"fields,omitempty"` // the fields whose `if` holds
	Choices []Choice `json:"choices"`
}

// Field is one input a prompt asks for.
type Field struct {
	Name     string    `json:"name"`
	Label    Message   `json:"label"`
	Hint     *Message  `json:"hint,omitempty"`
	Type     FieldType `json:"type"`
	Optional bool      `json:"optional,omitempty"`
	// Length is a code field's exact number of digits; 0 for any.
	Length int `json:"length,omitempty"`
	// Prefill is the value the field starts with: what the person typed
	// before (the email after a wrong password). Never a secret.
	Prefill string `json:"prefill,omitempty"`
	// Options are the values a choice field takes, fixed in the flow or
	// computed when the prompt is shown (the licences to choose from).
	Options []Option `json:"options,omitempty"`
}

// Option is one value a choice field takes: the value an answer sends,
// the label to show, and what else the flow says of it (a licence's id,
// plan, name and expiry), for a front end that lays it out itself.
type Option struct {
	Value string         `json:"value"`
	Label Message        `json:"label"`
	Data  map[string]any `json:"data,omitempty"`
}

// Option returns the option whose value is v.
func (f *Field) Option(v string) (Option, bool) {
	for _, o := range f.Options {
		if o.Value == v {
			return o, true
		}
	}
	return Option{}, false
}

// Choice is one answer a prompt offers. Fields lists the fields the choice
// takes; a choice with no fields (like "Didn't receive the code") needs none.
type Choice struct {
	Name   string   `json:"name"`
	Label  Message  `json:"label"`
	Role   Role     `json:"role,omitempty"`
	Fields []string `json:"fields,omitempty"`
	// URL is where a link choice leads (the regulation's full text). A
	// link is followed, not answered.
	URL string `json:"url,omitempty"`
	// AvailableAt, when set, is when the choice becomes available ("Get a
	// new code" after its cooldown): the choice's available_at, when it
	// was later than the session clock as the prompt was shown. A front
	// end shows the wait; the flow still decides what an earlier answer
	// does.
	AvailableAt time.Time `json:"available_at,omitzero"`
}

// Role says what a choice is for, so that a front end can place and style
// it without reading its label.
type Role string

// The roles a choice may have. An ask's first choice is primary and the
// others secondary unless the flow says otherwise.
const (
	Primary   Role = "primary"   // the answer the prompt is for: Sign in, Confirm
	Secondary Role = "secondary" // another answer: Get a new code, Create an account
	Cancel    Role = "cancel"    // leave: Cancel, Decline, Not now
	Help      Role = "help"      // an answer that leads to help: Didn't receive the code
	Link      Role = "link"      // not an answer: a link to follow (URL)
)

// Roles returns the roles a choice may have, in the order the flow
// language lists them.
func Roles() []Role { return []Role{Primary, Secondary, Cancel, Help, Link} }

// Field returns the prompt field named name.
func (p *Prompt) Field(name string) (Field, bool) {
	for _, f := range p.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Choice returns the choice named name.
func (p *Prompt) Choice(name string) (Choice, bool) {
	for _, c := range p.Choices {
		if c.Name == name {
			return c, true
		}
	}
	return Choice{}, false
}

// FieldType is the type of a prompt field.
type FieldType string

// The field types a prompt may ask for.
const (
	TextField    FieldType = "text"
	EmailField   FieldType = "email"
	SecretField  FieldType = "secret"
	CodeField    FieldType = "code"
	ChoiceField  FieldType = "choice"
	CaptchaField FieldType = "captcha"
	ConsentField FieldType = "consent"
	NumberField  FieldType = "number"
)

// FieldTypes returns the field types a prompt may ask for, in the order
// the flow language lists them.
func FieldTypes() []FieldType {
	return []FieldType{TextField, EmailField, SecretField, CodeField, ChoiceField, CaptchaField, ConsentField, NumberField}
}

// Secret reports whether values of the field are secrets: passwords and
// one-time codes are masked in logs and may not be kept in variables.
func (t FieldType) Secret() bool { return t == SecretField || t == CodeField }

// Kind returns the kind of value the field gives in input.*.
func (t FieldType) Kind() value.Kind {
	switch t {
	case ConsentField:
		return value.Bool
	case NumberField:
		return value.Int
	}
	return value.String
}
