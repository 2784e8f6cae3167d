package eventlog

import (
	"time"

	"github.com/tetherflow/tether/engine/prompt"
)

// EntryKind says what an event log entry records.
type EntryKind string

// The kinds of log entry.
const (
	EntryStart      EntryKind = "start"      // a session or subflow began
	EntryAnswer     EntryKind = "answer"     // a prompt was answered
	EntryReject     EntryKind = "reject"     // an answer was refused; nothing changed
	EntryAction     EntryKind = "action"     // an action ran
	EntryTimer      EntryKind = "timer"      // a timer fired
	EntryTransition EntryKind = "transition" // a branch was taken
	EntryFinal      EntryKind = "final"      // a final state was reached
	EntryError      EntryKind = "error"      // the session failed
	EntryCancel     EntryKind = "cancel"     // the session was cancelled from outside
)

// Masked is what a secret value is replaced with wherever it is recorded.
const Masked = "***"

// Entry is one record of a session's event log. Secrets never reach an
// entry: secret inputs, arguments and outputs are recorded as Masked.
//
// A prompt is recorded with what ended it (an answer, a rejected answer, a
// timer) rather than when it is shown; the prompt a session waits at is
// Session.Current's. Entries that chose a branch (answer, action, timer,
// transition back from a subflow) carry the branch taken, its guard, the
// target state (empty when staying) and the variables it set.
type Entry struct {
	Seq     int            `json:"seq"`
	Time    time.Time      `json:"time"`
	Kind    EntryKind      `json:"kind"`
	Flow    string         `json:"flow"`
	State   string         `json:"state"`
	Event   string         `json:"event,omitempty"`
	Branch  int            `json:"branch,omitempty"` // 1-based index of the branch taken
	Guard   string         `json:"guard,omitempty"`  // the taken branch's if
	To      string         `json:"to,omitempty"`     // target state; empty when staying
	Action  string         `json:"action,omitempty"`
	Args    []Value        `json:"args,omitempty"`    // action arguments, answer input
	Outputs []Value        `json:"outputs,omitempty"` // action outputs
	Changes []Change       `json:"set,omitempty"`
	Prompt  *prompt.Prompt `json:"prompt,omitempty"`
	// PromptAt is when Prompt was shown (Time is when it was answered).
	PromptAt time.Time `json:"prompt_at,omitzero"`
	Outcome  *Outcome  `json:"outcome,omitempty"`
	Error    string    `json:"error,omitempty"`
}

// Value is a named value in an entry. Secret values are not kept.
type Value struct {
	Name   string
	Value  any
	Secret bool
}

// Change is one variable assignment. The values of a sensitive variable
// are not kept: Masked is set instead.
type Change struct {
	Var    string
	From   any
	To     any
	Masked bool
}

// Mark is what an entry of the log says happened, and where, without the
// values it holds: its kind, flow, state, event and branch, as Log's
// Entry has them.
type Mark struct {
	Kind   EntryKind
	Flow   string
	State  string
	Event  string
	Branch int
}
