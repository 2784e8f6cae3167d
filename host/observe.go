package host

import "time"

// Op names what a host call did, in Events.
type Op string

// The calls a host observes.
const (
	OpStart  Op = "start"
	OpAnswer Op = "answer"
	OpTick   Op = "tick"
	OpCancel Op = "cancel"
)

// Event is what a host tells Config.Observe, for metrics: a step taken, a
// step refused, a timer fired late, an action tried again.
type Event struct {
	// Op is the call; empty for an EventRetry.
	Op Op
	// Kind says what happened.
	Kind EventKind
	// Duration is how long the step took, loading and saving included
	// (EventStep, EventConflict).
	Duration time.Duration
	// Outcome is the outcome the step ended the session with ("" while it
	// runs on; "error" for a run error), with Flow its flow (EventStep).
	Outcome, Flow string
	// Session is the session the event is about (EventStep, EventTimer).
	Session string
	// Failure is the run error that ended the session (EventStep with
	// Outcome "error"): for the server's log, since it may name files and
	// actions a client is not told of.
	Failure string
	// Lag is how late a timer fired: from when it was due to when the
	// step that fired it began (EventTimer).
	Lag time.Duration
}

// EventKind says what an Event reports.
type EventKind string

// The kinds of Event.
const (
	// EventStep: a step was taken and saved.
	EventStep EventKind = "step"
	// EventConflict: a step was refused or lost its race (ErrConflict):
	// a stale version, another step saved first.
	EventConflict EventKind = "conflict"
	// EventTimer: a due timer was fired by Tick.
	EventTimer EventKind = "timer"
	// EventRetry: an action's try failed on the transport and is tried
	// again (retry:).
	EventRetry EventKind = "retry"
)
