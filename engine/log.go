package engine

import "time"

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
	Seq     int       `json:"seq"`
	Time    time.Time `json:"time"`
	Kind    EntryKind `json:"kind"`
	Flow    string    `json:"flow"`
	State   string    `json:"state"`
	Event   string    `json:"event,omitempty"`
	Branch  int       `json:"branch,omitempty"` // 1-based index of the branch taken
	Guard   string    `json:"guard,omitempty"`  // the taken branch's if
	To      string    `json:"to,omitempty"`     // target state; empty when staying
	Action  string    `json:"action,omitempty"`
	Args    []Value   `json:"args,omitempty"`    // action arguments, answer input
	Outputs []Value   `json:"outputs,omitempty"` // action outputs
	Changes []Change  `json:"set,omitempty"`
	Prompt  *Prompt   `json:"prompt,omitempty"`
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

// rec is one entry of the event log as a session keeps it: what Entry
// holds, with what the compiled flow already knows (the flow and state
// names, the action, the branch's number, guard and target) kept as
// pointers into it rather than copied. Session.Log renders recs as
// Entries when they are read; the JSON and transcript of the log are the
// Entries', unchanged.
type rec struct {
	time    time.Time
	shown   time.Time // PromptAt
	st      *state    // the state the entry is about: its flow and name
	b       *branch   // the branch taken, or nil
	prompt  *Prompt
	event   string
	args    []Value
	changes []Change
	x       *recExtra // what few entries have
	kind    EntryKind
}

// recExtra holds the fields of the entries that have them: actions'
// outputs, outcomes, errors.
type recExtra struct {
	outputs []Value
	outcome *Outcome
	err     string
}

// extra returns r's extra fields, allocating them.
func (r *rec) extra() *recExtra {
	if r.x == nil {
		r.x = new(recExtra)
	}
	return r.x
}

// entry renders r as the Entry of sequence number seq.
func (r *rec) entry(seq int) Entry {
	e := Entry{Seq: seq, Time: r.time, Kind: r.kind, Event: r.event, Prompt: r.prompt, PromptAt: r.shown,
		Args: r.args, Changes: r.changes}
	if r.st != nil {
		e.Flow, e.State = r.st.flow.name, r.st.name
		switch r.kind {
		case EntryStart:
			e.To = r.st.name
		case EntryAction:
			if r.st.spec != nil {
				e.Action = r.st.spec.Name
			}
		}
	}
	if b := r.b; b != nil {
		e.Branch, e.Guard = b.idx+1, b.condSrc
		if b.target != nil {
			e.To = b.next.name
		}
	}
	if x := r.x; x != nil {
		e.Outputs, e.Outcome, e.Error = x.outputs, x.outcome, x.err
	}
	return e
}

// recLog is a session's log: recs in chunks that grow threefold (2, 6,
// 18, ...), so that a waiting session holds little and a long one never
// copies what it has logged.
type recLog struct {
	chunks [][]rec
	n      int
	last   time.Time // of the last rec
}

func (l *recLog) add(r rec) {
	k := len(l.chunks) - 1
	if k < 0 || len(l.chunks[k]) == cap(l.chunks[k]) {
		size := 2
		if k >= 0 {
			size = 3 * cap(l.chunks[k])
		}
		l.chunks = append(l.chunks, make([]rec, 0, size))
		k++
	}
	l.chunks[k] = append(l.chunks[k], r)
	l.n++
	l.last = r.time
}

// each calls fn with every rec from the i-th on, in order.
func (l *recLog) each(i int, fn func(*rec)) {
	for _, c := range l.chunks {
		if i >= len(c) {
			i -= len(c)
			continue
		}
		for j := i; j < len(c); j++ {
			fn(&c[j])
		}
		i = 0
	}
}
