package prompt

import (
	"time"

	"github.com/tetherflow/tether/engine/value"
)

// Prompt is what an ask state shows and the answers it takes.
type Prompt struct {
	Text    string   `json:"text"`
	Help    string   `json:"help,omitempty"`
	Fields  []Field  `json:"fields,omitempty"` // the fields whose `if` holds
	Choices []Choice `json:"choices"`
}

// Field is one input a prompt asks for.
type Field struct {
	Name     string    `json:"name"`
	Label    string    `json:"label,omitempty"`
	Type     FieldType `json:"type"`
	Optional bool      `json:"optional,omitempty"`
	Options  []string  `json:"options,omitempty"`
	Length   int       `json:"length,omitempty"`
	// Suggest are values a text field offers, to pick from a menu; the
	// answer may still be any text.
	Suggest []Suggestion `json:"suggest,omitempty"`
}

// Suggestion is a value offered with the label to show for it.
type Suggestion struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// Choice is one answer a prompt offers. Fields lists the fields the choice
// takes; a choice with no fields (like "Didn't receive the code") needs none.
type Choice struct {
	Name   string   `json:"name"`
	Label  string   `json:"label,omitempty"`
	Fields []string `json:"fields,omitempty"`
	// AvailableAt, when set, is when the choice becomes available ("Get a
	// new code" after its cooldown): the choice's available_at, when it
	// was later than the session clock as the prompt was shown. A front
	// end shows the wait; the flow still decides what an earlier answer
	// does.
	AvailableAt time.Time `json:"available_at,omitzero"`
}

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
