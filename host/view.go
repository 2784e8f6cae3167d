package host

import (
	"errors"
	"time"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/eventlog"
)

// View is where a session stands after a call: what a front end shows.
type View struct {
	ID   string `json:"id"`
	Flow string `json:"flow"`
	// Hash is the compiled version of the flow the session runs on.
	Hash    string `json:"hash"`
	Region  string `json:"region"`
	Country string `json:"country,omitempty"`
	// Locale is the locale the session was started with (BCP 47), if
	// one was asked for: front ends show its prompts in it unless a
	// request asks for another.
	Locale string `json:"locale,omitempty"`
	// Device is the device the session connects.
	Device string `json:"device,omitempty"`
	// Version is the session's version: answers carry it.
	Version int       `json:"version"`
	Expires time.Time `json:"expires,omitzero"`
	Done    bool      `json:"done"`
	// Step is the state, the prompt waited at or the outcome.
	Step engine.Step `json:"step"`
	// Error is the run error that ended the session, if one did.
	Error string `json:"error,omitempty"`
	// Problem is why the answer that made this view was refused, if it
	// was.
	Problem *Problem `json:"problem,omitempty"`
	// Entries are the log entries the call appended; Get appends none.
	Entries []eventlog.Entry `json:"-"`
	// Replayed is set when the view is the remembered response to a
	// repeated request.
	Replayed bool `json:"-"`
	// Secret is the session's secret (Config.Secrets), in Start's view
	// only: the session keeps its hash, never the secret.
	Secret string `json:"-"`
	// DeviceKey is the key of the session's device (Config.DeviceKeys),
	// in the view of the Start that claimed the device only.
	DeviceKey string `json:"-"`
	// DeviceAdopted is set in that view when the device had saved
	// records but no key: the session took it over.
	DeviceAdopted bool `json:"-"`
}

// Problem is a refused answer: an input error, or an answer that came
// after a timer moved the session.
type Problem struct {
	// Kind is "input" (Field and Message say what is wrong) or
	// "prompt_gone".
	Kind    string `json:"kind"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
	// ID and Params name the message for a front end that says it in
	// the person's language (engine.InputError's).
	ID     string         `json:"id,omitempty"`
	Params map[string]any `json:"params,omitempty"`
}

// problemOf describes err for a view; nil when err is not a refusal.
func problemOf(err error) *Problem {
	if err == nil {
		return nil // before ierr, which escapes: no allocation for a step
	}
	var ierr *engine.InputError
	switch {
	case errors.As(err, &ierr):
		return &Problem{Kind: "input", Field: ierr.Field, Message: ierr.Msg, ID: ierr.ID, Params: ierr.Params}
	case errors.Is(err, engine.ErrPromptGone):
		return &Problem{Kind: "prompt_gone", Message: err.Error()}
	}
	return nil
}

// refused reports whether err, from Session.Send, refuses the answer
// (bad input, a prompt gone, a session ended) rather than failing the
// step.
func refused(err error) bool {
	var ierr *engine.InputError
	return errors.As(err, &ierr) || errors.Is(err, engine.ErrPromptGone) || errors.Is(err, engine.ErrFinished)
}

// Err returns the refusal the view records as the error Answer returned.
func (p *Problem) Err() error {
	if p == nil {
		return nil
	}
	if p.Kind == "prompt_gone" {
		return engine.ErrPromptGone
	}
	return &engine.InputError{Field: p.Field, Msg: p.Message, ID: p.ID, Params: p.Params}
}
