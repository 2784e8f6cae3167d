package engine

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"time"
)

// Ports are what a session needs from the outside world: the actions it
// runs, its clock and its source of randomness. The zero value of Now and
// Rand means the system clock and crypto/rand; transcripts pass fixed ones.
type Ports struct {
	Actions *Registry
	Now     func() time.Time
	Rand    io.Reader
}

// noActions is the registry of a session started without one. It is never
// registered into.
var noActions = &Registry{}

func (p Ports) withDefaults() Ports {
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Rand == nil {
		p.Rand = rand.Reader
	}
	if p.Actions == nil {
		p.Actions = noActions
	}
	return p
}

// Step is where a session stands: waiting at a prompt, or finished.
type Step struct {
	Flow    string // the flow of the active state (a subflow's name inside one)
	State   string
	Prompt  *Prompt  // nil when finished
	Outcome *Outcome // nil until finished
}

// Prompt is what an ask state shows and the answers it takes.
type Prompt struct {
	Text    string
	Help    string
	Fields  []Field // the fields whose `if` holds
	Choices []Choice
}

// Field is one input a prompt asks for.
type Field struct {
	Name     string
	Label    string
	Type     FieldType
	Optional bool
	Options  []string
	Length   int
}

// Choice is one answer a prompt offers. Fields lists the fields the choice
// takes; a choice with no fields (like "Didn't receive the code") needs none.
type Choice struct {
	Name   string
	Label  string
	Fields []string
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

// Outcome is how a session ended: the final state's outcome name, whether it
// counts as success, its message and its output values.
type Outcome struct {
	Name    string         `json:"outcome"`
	Success bool           `json:"success"`
	State   string         `json:"state"`
	Message string         `json:"message,omitempty"`
	Output  map[string]any `json:"output,omitempty"`
}

func newID(r io.Reader) string {
	var b [8]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "session"
	}
	return hex.EncodeToString(b[:])
}
