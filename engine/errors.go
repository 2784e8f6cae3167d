package engine

import (
	"errors"
	"fmt"

	"github.com/tetherflow/tether/engine/yamlfile"
)

// Sentinel errors callers branch on.
var (
	// ErrFlowChanged is returned when a snapshot is restored against a flow
	// whose content (or effective policy) differs from the one it was taken of.
	ErrFlowChanged = errors.New("flow changed since the snapshot was taken")
	// ErrFinished is returned when input is sent to a session that has ended.
	ErrFinished = errors.New("session has finished")
	// ErrRejected is returned when input is not accepted in the current state:
	// an unknown choice, or no branch of its handler holds. The session is
	// unchanged.
	ErrRejected = errors.New("input rejected")
)

// InputError says what is wrong with the input sent to a prompt. The session
// is unchanged and the same prompt is still waiting.
type InputError struct {
	Field string // empty when the problem is the choice itself
	Msg   string
	// ID names the problem for a front end that says it in the person's
	// language (input.required, input.code_length), with Params.
	ID     string
	Params map[string]any
}

func (e *InputError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// Is makes every InputError match ErrRejected.
func (e *InputError) Is(target error) bool { return target == ErrRejected }

// RunError is a failure while running a session: an action that failed or
// broke its contract, an expression that failed at run time. It names the
// state and its position in the flow file.
type RunError struct {
	Pos   yamlfile.Pos
	Flow  string
	State string
	Msg   string
	Err   error
}

func (e *RunError) Error() string {
	msg := fmt.Sprintf("%s: state %s: %s", e.Pos, e.State, e.Msg)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *RunError) Unwrap() error { return e.Err }
