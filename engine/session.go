package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"time"
)

// Ports are what a session needs from the outside world: the actions it
// runs, its clock, its source of randomness and how it waits between two
// tries of an action. The zero value of Now, Rand and Sleep means the
// system clock, crypto/rand and a timer; transcripts pass fixed ones (a
// Sleep that moves a fake clock).
type Ports struct {
	Actions *Registry
	Now     func() time.Time
	Rand    io.Reader
	// Sleep waits d, or until ctx is done (it then returns ctx's error).
	Sleep func(ctx context.Context, d time.Duration) error
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
	if p.Sleep == nil {
		p.Sleep = sleep
	}
	return p
}

// sleep waits d on the system clock, or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Step is where a session stands: waiting at a prompt, or finished.
type Step struct {
	Flow    string   `json:"flow"` // the flow of the active state (a subflow's name inside one)
	State   string   `json:"state"`
	Prompt  *Prompt  `json:"prompt,omitempty"`  // nil when finished
	Outcome *Outcome `json:"outcome,omitempty"` // nil until finished
}

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

// Outcome is how a session ended: the final state's outcome name, whether it
// counts as success, its message and its output values.
type Outcome struct {
	Name    string         `json:"outcome"`
	Success bool           `json:"success"`
	State   string         `json:"state"`
	Message string         `json:"message,omitempty"`
	Output  map[string]any `json:"output,omitempty"`
}

// newID returns a session id of the 128 random bits it reads into b (the
// session's, since what a Reader reads into escapes to the heap).
func newID(r io.Reader, b *[16]byte) string {
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "session"
	}
	return hex.EncodeToString(b[:])
}
