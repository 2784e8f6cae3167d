package engine

import (
	"encoding/binary"
	"math/bits"
	"time"

	"github.com/tetherflow/tether/engine/eventlog"
	"github.com/tetherflow/tether/engine/prompt"
)

// rec is what a step records in the event log: an Entry, with what the
// compiled flow already knows (the flow and state names, the action, the
// branch's number, guard, target and event) as pointers into it rather
// than copies. The log keeps it smaller still (recLog); Session.Log
// renders it as the Entry, whose JSON and transcript are unchanged.
type rec struct {
	time  time.Time
	shown time.Time // PromptAt
	st    *state    // the state the entry is about: its flow and name
	b     *branch   // the branch taken, or nil
	// changes holds the From and To of each of b's assignments in turn;
	// a masked assignment's are masked{} and nil.
	changes []any
	prompt  *prompt.Prompt
	// input and fields are an answer's: the log keeps the values input
	// holds for the fields of st that fields (its choice's) names.
	input   map[string]any
	fields  []string
	outcome *eventlog.Outcome
	event   string
	x       *recExtra // what few entries have
	kind    eventlog.EntryKind
}

// masked stands for the value of a masked assignment in a rec.
type masked struct{}

// recExtra holds the fields of the entries that have them: actions'
// arguments and outputs, errors, the event of an entry without a branch,
// and what the log cannot pack (times in another location, or outside the
// years 1678 to 2262; an answer's values when its state has more than 64
// fields; a state or branch the compiled flow does not index).
type recExtra struct {
	args, outputs []eventlog.Value
	outcome       *eventlog.Outcome
	err           string
	event         string
	time, shown   time.Time
	st            *state
	b             *branch
}

// stamp is a time of the session clock in eight bytes: nanoseconds since
// the Unix epoch, read in the location of the log's first entry.
type stamp int64

// entryCode is an EntryKind as a number.
type entryCode uint8

var entryKinds = [...]eventlog.EntryKind{eventlog.EntryStart, eventlog.EntryAnswer, eventlog.EntryReject, eventlog.EntryAction, eventlog.EntryTimer,
	eventlog.EntryTransition, eventlog.EntryFinal, eventlog.EntryError, eventlog.EntryCancel}

func codeOf(k eventlog.EntryKind) entryCode {
	for i, x := range entryKinds {
		if x == k {
			return entryCode(i)
		}
	}
	panic("engine: unknown entry kind " + string(k))
}

// recLog is a session's log, kept where the garbage collector need not
// look: each entry is a few bytes of varints in buf (its kind and flags,
// its state and branch as indices into the compiled flow, its times as
// differences), and the values it records (a branch's assignments, an
// answer's fields, the rare rest in a recExtra) are appended to spill. A
// waiting session holds a few dozen bytes of log.
//
// An entry in buf is: head (kind | flags<<4); the state's id, if fState;
// its flow's slot, if fSlot; the handler's index among the state's and the
// branch's among the handler's, if fBranch; the time less the previous
// packed time, unless fTimeX; the prompt's time less the entry's, if
// fShown; the mask of the state's fields answered, if fFields. Its spill
// is: From and To of each of the branch's assignments, if fChanges; the
// *recExtra or *Outcome, if fExtra; the prompt, if fPrompt; the value of
// each field answered, if fFields.
type recLog struct {
	buf   []byte
	spill []any
	// flow0 and flows are the flows whose states entries name: slot 0,
	// and slots 1, 2, ... (only a session that runs subflows has those)
	flow0 *Flow
	flows *[]*Flow
	n     int
	loc   *time.Location // of the stamps
	prev  stamp          // the last packed time
	last  time.Time      // of the last entry
	// view is what Session.Log has rendered, made when it is first asked
	// (for Log or AppendMarks).
	view *logView
}

// logView is the entries of a recLog rendered so far, and where they
// stopped.
type logView struct {
	entries []eventlog.Entry
	read    logReader
	// marks is where Session.AppendMarks last stopped reading: the
	// position of entry nmarks.
	marks  logReader
	nmarks int
}

// The flags of an entry's head.
const (
	fState = 1 << (iota + 4)
	fSlot
	fBranch
	fStatic // the prompt is the state's static one
	fPrompt // the prompt is in spill
	fShown
	fChanges
	fFields
	fExtra
	fTimeX  // the time is the recExtra's
	fShownX // the prompt's time is the recExtra's
)

// maxEntryBytes bounds an entry's bytes in buf: eight varints.
const maxEntryBytes = 8 * binary.MaxVarintLen64

// grow returns s with room for n more elements: a new array, at least
// first long and three times as long as the last, when s lacks it.
func grow[T any](s []T, n, first int) []T {
	if cap(s)-len(s) >= n {
		return s
	}
	c := max(first, 3*cap(s))
	for c-len(s) < n {
		c *= 3
	}
	out := make([]T, len(s), c)
	copy(out, s)
	return out
}

// pack packs t, or reports that it does not fit a stamp.
func (l *recLog) pack(t time.Time) (stamp, bool) {
	if t.IsZero() {
		return 0, false
	}
	if l.loc == nil {
		l.loc = t.Location()
	}
	if sec := t.Unix(); t.Location() != l.loc || sec < -9_200_000_000 || sec > 9_200_000_000 {
		return 0, false
	}
	return stamp(t.UnixNano()), true
}

// slot returns f's slot.
func (l *recLog) slot(f *Flow) uint64 {
	if l.flow0 == nil {
		l.flow0 = f
	}
	if f == l.flow0 {
		return 0
	}
	if l.flows == nil {
		l.flows = new([]*Flow)
	}
	for i, g := range *l.flows {
		if g == f {
			return uint64(i + 1)
		}
	}
	*l.flows = append(*l.flows, f)
	return uint64(len(*l.flows))
}

// flowAt returns the flow of slot i.
func (l *recLog) flowAt(i uint64) *Flow {
	if i == 0 {
		return l.flow0
	}
	return (*l.flows)[i-1]
}

// branchRef returns the index among st's handlers of the one b belongs
// to, or false.
func branchRef(st *state, b *branch) (int, bool) {
	for i, h := range st.hs {
		if b.idx < len(h.branches) && h.branches[b.idx] == b {
			return i, true
		}
	}
	return 0, false
}

func (l *recLog) add(r *rec) {
	x := r.x
	extra := func() *recExtra {
		if x == nil {
			x = new(recExtra) // given the outcome below
		}
		return x
	}
	var tmp [maxEntryBytes]byte
	p := tmp[:0]
	var head uint64
	if st := r.st; st != nil {
		if st.id < len(st.flow.states) && st.flow.states[st.id] == st {
			head |= fState
			p = binary.AppendUvarint(p, uint64(st.id))
			if s := l.slot(st.flow); s != 0 {
				head |= fSlot
				p = binary.AppendUvarint(p, s)
			}
		} else {
			extra().st = st
		}
	}
	if b := r.b; b != nil {
		h, ok := 0, false
		if head&fState != 0 {
			h, ok = branchRef(r.st, b)
		}
		if ok {
			head |= fBranch
			p = binary.AppendUvarint(p, uint64(h))
			p = binary.AppendUvarint(p, uint64(b.idx))
		} else {
			extra().b = b
		}
	}
	t, ok := l.pack(r.time)
	if ok {
		p = binary.AppendVarint(p, int64(t-l.prev))
		l.prev = t
	} else {
		head |= fTimeX
		extra().time = r.time
	}
	if !r.shown.IsZero() {
		if sh, ok := l.pack(r.shown); ok {
			head |= fShown
			p = binary.AppendVarint(p, int64(sh-l.prev))
		} else {
			head |= fShownX
			extra().shown = r.shown
		}
	}
	var mask uint64
	if len(r.input) > 0 && len(r.fields) > 0 && r.st != nil {
		if head&fState != 0 && len(r.st.fields) <= 64 {
			head |= fFields
			for i, f := range r.st.fields {
				if _, ok := r.input[f.decl.Name]; ok && contains(r.fields, f.decl.Name) {
					mask |= 1 << i
				}
			}
			p = binary.AppendUvarint(p, mask)
		} else {
			extra().args = inputValues(r.st, r.fields, r.input)
		}
	}
	if r.event != "" && (r.b == nil || r.b.event != r.event) {
		extra().event = r.event
	}
	if r.prompt != nil {
		if r.st != nil && r.prompt == r.st.static {
			head |= fStatic
		} else {
			head |= fPrompt
		}
	}
	if len(r.changes) > 0 {
		head |= fChanges
	}
	if x != nil && r.outcome != nil {
		x.outcome = r.outcome
	}
	if x != nil || r.outcome != nil {
		head |= fExtra
	}
	l.buf = grow(l.buf, binary.MaxVarintLen64+len(p), 64)
	l.buf = binary.AppendUvarint(l.buf, head|uint64(codeOf(r.kind)))
	l.buf = append(l.buf, p...)

	// r.changes may be where they go already (changeSlots).
	l.spill = append(grow(l.spill, len(r.changes), 16), r.changes...)
	n := bits.OnesCount64(mask)
	if head&fExtra != 0 {
		n++
	}
	if head&fPrompt != 0 {
		n++
	}
	if n > 0 {
		l.spill = grow(l.spill, n, 16)
	}
	switch {
	case x != nil:
		l.spill = append(l.spill, x)
	case r.outcome != nil:
		l.spill = append(l.spill, r.outcome)
	}
	if head&fPrompt != 0 {
		l.spill = append(l.spill, r.prompt)
	}
	if head&fFields != 0 {
		for i, f := range r.st.fields {
			if mask&(1<<i) != 0 {
				var v any
				if !f.decl.Type.Secret() {
					v = r.input[f.decl.Name]
				}
				l.spill = append(l.spill, v)
			}
		}
	}
	l.n++
	l.last = r.time
}

// changeSlots returns an empty slice with room for n values where the
// next entry's values go: a branch's assignments made into it are logged
// without a copy. Whoever fills it and logs nothing clears it.
func (l *recLog) changeSlots(n int) []any {
	l.spill = grow(l.spill, n, 16)
	return l.spill[len(l.spill):len(l.spill)]
}

// inputValues returns the values of input for the fields of st that
// fields names, secrets masked, as an answer's entry shows them.
func inputValues(st *state, fields []string, input map[string]any) []eventlog.Value {
	out := make([]eventlog.Value, 0, len(fields))
	for _, f := range st.fields {
		v, ok := input[f.decl.Name]
		if !ok || !contains(fields, f.decl.Name) {
			continue
		}
		secret := f.decl.Type.Secret()
		if secret {
			v = nil
		}
		out = append(out, eventlog.Value{Name: f.decl.Name, Value: v, Secret: secret})
	}
	return out
}

// logReader is a position in a recLog: of the next entry in buf and its
// first value in spill, and the packed time before it.
type logReader struct {
	pos, spill int
	prev       stamp
}

func (rd *logReader) uvarint(buf []byte) uint64 {
	v, n := binary.Uvarint(buf[rd.pos:])
	rd.pos += n
	return v
}

func (rd *logReader) varint(buf []byte) int64 {
	v, n := binary.Varint(buf[rd.pos:])
	rd.pos += n
	return v
}

func (rd *logReader) value(spill []any) any {
	v := spill[rd.spill]
	rd.spill++
	return v
}

func (l *recLog) unpack(s stamp) time.Time {
	return time.Unix(0, int64(s)).In(l.loc)
}

// next renders the entry at rd as the Entry of sequence number seq, and
// moves rd past it.
func (l *recLog) next(rd *logReader, seq int) eventlog.Entry { return l.read(rd, seq, true) }

// read is next; without full, the entry has no Changes and no answer's
// Args (what a Mark leaves out), which are then not built.
func (l *recLog) read(rd *logReader, seq int, full bool) eventlog.Entry {
	head := rd.uvarint(l.buf)
	e := eventlog.Entry{Seq: seq, Kind: entryKinds[head&0xf]}
	var st *state
	if head&fState != 0 {
		id := rd.uvarint(l.buf)
		var slot uint64
		if head&fSlot != 0 {
			slot = rd.uvarint(l.buf)
		}
		st = l.flowAt(slot).states[id]
	}
	var b *branch
	if head&fBranch != 0 {
		h := rd.uvarint(l.buf)
		b = st.hs[h].branches[rd.uvarint(l.buf)]
	}
	if head&fTimeX == 0 {
		rd.prev += stamp(rd.varint(l.buf))
		e.Time = l.unpack(rd.prev)
	}
	if head&fShown != 0 {
		e.PromptAt = l.unpack(rd.prev + stamp(rd.varint(l.buf)))
	}
	var mask uint64
	if head&fFields != 0 {
		mask = rd.uvarint(l.buf)
	}
	var changes []any
	if head&fChanges != 0 {
		changes = l.spill[rd.spill:]
		for range b.set {
			rd.value(l.spill)
			rd.value(l.spill)
		}
	}
	if head&fExtra != 0 {
		switch x := rd.value(l.spill).(type) {
		case *eventlog.Outcome:
			e.Outcome = x
		case *recExtra:
			e.Outputs, e.Outcome, e.Error, e.Event = x.outputs, x.outcome, x.err, x.event
			if x.args != nil {
				e.Args = x.args
			}
			if head&fTimeX != 0 {
				e.Time = x.time
			}
			if head&fShownX != 0 {
				e.PromptAt = x.shown
			}
			if x.st != nil {
				st = x.st
			}
			if x.b != nil {
				b = x.b
			}
		}
	}
	switch {
	case head&fPrompt != 0:
		e.Prompt = rd.value(l.spill).(*prompt.Prompt)
	case head&fStatic != 0:
		e.Prompt = st.static
	}
	if head&fChanges != 0 && full {
		e.Changes = make([]eventlog.Change, len(b.set))
		for i, a := range b.set {
			if _, m := changes[2*i].(masked); m {
				e.Changes[i] = eventlog.Change{Var: a.name, Masked: true}
			} else {
				e.Changes[i] = eventlog.Change{Var: a.name, From: changes[2*i], To: changes[2*i+1]}
			}
		}
	}
	if head&fFields != 0 {
		if full {
			e.Args = make([]eventlog.Value, 0, bits.OnesCount64(mask))
		}
		for i, f := range st.fields {
			if mask&(1<<i) == 0 {
				continue
			}
			v := rd.value(l.spill) // read past even when not kept
			if full {
				e.Args = append(e.Args, eventlog.Value{Name: f.decl.Name, Value: v, Secret: f.decl.Type.Secret()})
			}
		}
	}
	if st != nil {
		e.Flow, e.State = st.flow.name, st.name
		switch e.Kind {
		case eventlog.EntryStart:
			e.To = st.name
		case eventlog.EntryAction:
			if st.spec != nil {
				e.Action = st.spec.Name
			}
		}
	}
	if b != nil {
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

// entries returns the log's entries rendered, the first of sequence number
// seq; it renders only those it has not rendered before.
func (l *recLog) entries(seq int) []eventlog.Entry {
	v := l.viewOf()
	for v.read.pos < len(l.buf) {
		v.entries = append(v.entries, l.next(&v.read, seq+len(v.entries)))
	}
	return v.entries
}

// appendMarks appends the marks of the entries from index from on.
func (l *recLog) appendMarks(dst []eventlog.Mark, from int) []eventlog.Mark {
	v := l.viewOf()
	if from < v.nmarks {
		v.marks, v.nmarks = logReader{}, 0
	}
	for v.marks.pos < len(l.buf) {
		e := l.read(&v.marks, 0, false)
		if v.nmarks >= from {
			dst = append(dst, eventlog.Mark{Kind: e.Kind, Flow: e.Flow, State: e.State, Event: e.Event, Branch: e.Branch})
		}
		v.nmarks++
	}
	return dst
}

// viewOf returns the log's view, made the first time.
func (l *recLog) viewOf() *logView {
	if l.view == nil {
		l.view = new(logView)
	}
	return l.view
}
