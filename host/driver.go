package host

import (
	"context"
	"time"

	"github.com/tetherflow/tether/engine"
)

// Reply is a prompt driver's answer to the prompt a session waits at: a
// choice with the values of its fields, or a wait that lets the session's
// clock move on (timers may fire) before the next prompt is asked.
type Reply struct {
	// Wait, when positive, asks for time to pass; Choice and Input are
	// then empty.
	Wait   time.Duration
	Choice string
	Input  map[string]any
	// Line is where the reply comes from in a scripted driver's file (0
	// when it does not come from a file).
	Line int
}

// Driver answers prompts: a person at a terminal (forms or plain line
// prompts), an answers file, a test.
type Driver interface {
	// Next shows the prompt at step and returns the answer. problem is
	// what the previous reply got (an *engine.InputError, or
	// engine.ErrPromptGone when a timer moved the session first); a driver
	// that cannot correct itself returns it as its error. Next returns an
	// error when no answer can be had: the input ended, the script ran
	// out, ctx was cancelled.
	Next(ctx context.Context, step engine.Step, problem error) (Reply, error)
}
