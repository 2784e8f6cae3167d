package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"time"

	"github.com/tetherflow/tether/engine/eventlog"
	"github.com/tetherflow/tether/engine/prompt"
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
	Flow    string            `json:"flow"` // the flow of the active state (a subflow's name inside one)
	State   string            `json:"state"`
	Prompt  *prompt.Prompt    `json:"prompt,omitempty"`  // nil when finished
	Outcome *eventlog.Outcome `json:"outcome,omitempty"` // nil until finished
}

// newID returns a session id of the 128 random bits it reads into b (the
// session's, since what a Reader reads into escapes to the heap).
func newID(r io.Reader, b *[16]byte) string {
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "session"
	}
	return hex.EncodeToString(b[:])
}
