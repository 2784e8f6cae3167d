package engine

import (
	"math"
	"time"
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

// rec is what a step records in the event log: an Entry, with what the
// compiled flow already knows (the flow and state names, the action, the
// branch's number, guard, target and event) as pointers into it rather
// than copies. The log stores it smaller still (stored); Session.Log
// renders it as the Entry, whose JSON and transcript are unchanged.
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
// outputs, outcomes, errors, the event of an entry without a branch, and
// the times the log cannot pack.
type recExtra struct {
	outputs     []Value
	outcome     *Outcome
	err         string
	event       string
	time, shown time.Time
}

// stored is a rec as the log keeps it: its times packed (stamps), its
// kind a byte, its event left to its branch.
type stored struct {
	time, shown stamp
	st          *state
	b           *branch
	prompt      *Prompt
	args        []Value
	changes     []Change
	x           *recExtra
	kind        entryCode
}

// stamp is a time of the session clock in eight bytes: nanoseconds since
// the Unix epoch, read in the location of the log's first entry.
// zeroStamp is the zero time; unpacked marks a time kept in recExtra (in
// another location, or outside the years 1678 to 2262).
type stamp int64

const (
	zeroStamp stamp = math.MinInt64
	unpacked  stamp = math.MinInt64 + 1
)

// entryCode is an EntryKind as a byte.
type entryCode uint8

var entryKinds = [...]EntryKind{EntryStart, EntryAnswer, EntryReject, EntryAction, EntryTimer,
	EntryTransition, EntryFinal, EntryError, EntryCancel}

func codeOf(k EntryKind) entryCode {
	for i, x := range entryKinds {
		if x == k {
			return entryCode(i)
		}
	}
	panic("engine: unknown entry kind " + string(k))
}

// recLog is a session's log: stored recs in chunks that grow threefold (2,
// 6, 18, ...), so that a waiting session holds little and a long one never
// copies what it has logged.
type recLog struct {
	chunks [][]stored
	n      int
	loc    *time.Location // of the stamps
	last   time.Time      // of the last entry
}

// pack packs t, or reports that it does not fit a stamp.
func (l *recLog) pack(t time.Time) (stamp, bool) {
	if t.IsZero() {
		return zeroStamp, true
	}
	if l.loc == nil {
		l.loc = t.Location()
	}
	if sec := t.Unix(); t.Location() != l.loc || sec < -9_200_000_000 || sec > 9_200_000_000 {
		return unpacked, false
	}
	return stamp(t.UnixNano()), true
}

func (l *recLog) unpack(s stamp, full time.Time) time.Time {
	switch s {
	case zeroStamp:
		return time.Time{}
	case unpacked:
		return full
	}
	return time.Unix(0, int64(s)).In(l.loc)
}

func (l *recLog) add(r *rec) {
	st := stored{st: r.st, b: r.b, prompt: r.prompt, args: r.args, changes: r.changes, x: r.x, kind: codeOf(r.kind)}
	extra := func() *recExtra {
		if st.x == nil {
			st.x = new(recExtra)
		}
		return st.x
	}
	var ok bool
	if st.time, ok = l.pack(r.time); !ok {
		extra().time = r.time
	}
	if st.shown, ok = l.pack(r.shown); !ok {
		extra().shown = r.shown
	}
	if r.event != "" && (r.b == nil || r.b.event != r.event) {
		extra().event = r.event
	}
	k := len(l.chunks) - 1
	if k < 0 || len(l.chunks[k]) == cap(l.chunks[k]) {
		size := 2
		if k >= 0 {
			size = 3 * cap(l.chunks[k])
		}
		l.chunks = append(l.chunks, make([]stored, 0, size))
		k++
	}
	l.chunks[k] = append(l.chunks[k], st)
	l.n++
	l.last = r.time
}

// entry renders the stored rec r as the Entry of sequence number seq.
func (l *recLog) entry(r *stored, seq int) Entry {
	e := Entry{Seq: seq, Kind: entryKinds[r.kind], Prompt: r.prompt, Args: r.args, Changes: r.changes}
	var full, shown time.Time
	if x := r.x; x != nil {
		e.Outputs, e.Outcome, e.Error, e.Event = x.outputs, x.outcome, x.err, x.event
		full, shown = x.time, x.shown
	}
	e.Time, e.PromptAt = l.unpack(r.time, full), l.unpack(r.shown, shown)
	if r.st != nil {
		e.Flow, e.State = r.st.flow.name, r.st.name
		switch e.Kind {
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
		if e.Event == "" {
			e.Event = b.event
		}
		if b.target != nil {
			e.To = b.next.name
		}
	}
	return e
}

// each calls fn with every stored rec from the i-th on, in order.
func (l *recLog) each(i int, fn func(*stored)) {
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
