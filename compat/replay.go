package compat

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/eventlog"
	"github.com/tetherflow/tether/engine/prompt"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/value"
	"github.com/tetherflow/tether/engine/yamlfile"
)

// TimerSlack is how far from its recorded time a replayed timer may fire
// and still be the same firing: a session on a real clock entered its
// state a moment after the entry before it was logged, and its timers are
// due that moment later than the replay's, which runs on the recorded
// times.
const TimerSlack = time.Second

// Divergence is where a recorded session first goes another way on the
// version it is replayed through.
type Divergence struct {
	// Index is the recorded entry's index in the log, Seq its sequence
	// number.
	Index, Seq int
	// Kind says what differs: "state" (the session is elsewhere), "branch"
	// (an event took another branch), "outcome" (the session ended
	// otherwise, or an action or subflow outcome is no longer one),
	// "choice" (an answer is refused), "timer" (a timer fired at another
	// time, or not at all), "action" (another action runs), "end" (one
	// of the two goes on where the other stopped).
	Kind string
	Msg  string
	// Pos is where, in the version replayed through, the session was when
	// it went another way: the branch it took, or its state.
	Pos yamlfile.Pos
	// Recorded is the recorded entry, Replayed what the replay logged in
	// its place; either is nil where there is none.
	Recorded, Replayed *eventlog.Entry
}

// Error formats the divergence as `pos: seq N: kind: message`.
func (d *Divergence) Error() string {
	return fmt.Sprintf("%s: seq %d: %s: %s", d.Pos, d.Seq, d.Kind, d.Msg)
}

// Replayed is the outcome of a replay.
type Replayed struct {
	// Entries are the log the replay wrote.
	Entries []eventlog.Entry
	// Divergence is the first divergence, or nil when the new version
	// reproduced the whole recorded log.
	Divergence *Divergence
	// Skipped are the indexes of recorded entries that could not be
	// replayed: answers refused for their input, which the log does not
	// keep. They changed nothing in the recorded session.
	Skipped []int
}

// Replay re-drives the recorded session log (one session's event log, as
// eventlog.ReadJSONLines reads it: `tether run --json`, a server's log)
// through fl, and returns the first place where fl goes another way. specs
// holds the actions fl runs (their specs; nothing of them is called): each
// is replaced by one that returns the outcome and outputs the log records
// for it, at its recorded time. The log's answers are sent again at their
// recorded times, with the values they recorded (a secret, which the log
// masks, is replaced by a valid value of its field's type); its timers
// fire at their recorded times; a cancellation cancels. An answer the log
// records as refused because no branch of its choice held is sent again
// (and must be refused again); one refused for its input, which the log
// does not keep, is skipped. An output the log masks is replaced by a
// placeholder of its kind that is not empty, so that it is masked again.
//
// Entries are compared on what decides where the session goes: kind,
// flow, state, event, action, the branch taken (its guard, its target and
// the variables it sets), a final outcome and its success, and a timer's
// time (within TimerSlack). Values — what a message says, what a variable
// is set to — are not: a changed value matters where it changes a later
// decision, and is reported there.
//
// Replay returns an error, not a divergence, for a log that is not a
// session of fl's flow from its start.
func Replay(ctx context.Context, fl *engine.Flow, log []eventlog.Entry, specs *engine.Registry) (*Replayed, error) {
	if len(log) == 0 {
		return nil, errors.New("replay: the log is empty")
	}
	if log[0].Kind != eventlog.EntryStart || log[0].Seq != 1 {
		return nil, fmt.Errorf("replay: the log does not begin with the session's start (seq 1), but with seq %d, %s", log[0].Seq, log[0].Kind)
	}
	if log[0].Flow != fl.Name() {
		return nil, fmt.Errorf("replay: the log is a session of flow %s, not %s", log[0].Flow, fl.Name())
	}
	d := &driver{fl: fl, rec: log, clock: log[0].Time, cursor: 1}
	reg, err := d.registry(specs)
	if err != nil {
		return nil, err
	}
	ports := engine.Ports{Actions: reg, Now: d.now, Rand: zeros{}, Sleep: func(context.Context, time.Duration) error { return nil }}
	s, err := fl.Start(ctx, ports)
	if s == nil {
		return nil, err
	}
	d.s = s
	div := d.compare()
	for div == nil && d.ri < len(d.rec) {
		div = d.step(ctx)
	}
	return &Replayed{Entries: s.Log(), Divergence: div, Skipped: d.skipped}, nil
}

// errDiverged is what a replayed action returns when the log has no result
// for it: the session fails, and the comparison says where it went
// another way.
var errDiverged = errors.New("the recorded session ran no such action here")

// errRecordedFailure is what a replayed action returns where the recorded
// session failed instead of logging the action.
var errRecordedFailure = errors.New("the recorded session failed here")

type driver struct {
	fl    *engine.Flow
	rec   []eventlog.Entry
	s     *engine.Session
	clock time.Time
	// ri and pi are the next recorded and replayed entries to compare.
	ri, pi int
	// cursor is the next recorded entry not yet given out: a replayed
	// action takes its result from the first action entry at or after it.
	cursor int
	// note says why a replayed action was refused, for the divergence.
	note    string
	skipped []int
}

func (d *driver) now() time.Time { return d.clock }

// registry returns the actions of specs, each answering from the log.
func (d *driver) registry(specs *engine.Registry) (*engine.Registry, error) {
	var acts []engine.Action
	for _, spec := range specs.Specs() {
		acts = append(acts, engine.Func(spec, func(ctx context.Context, _ engine.Args) (engine.Result, error) {
			return d.result(&spec)
		}))
	}
	return engine.NewRegistry(acts...)
}

// isInput reports whether an entry is one the driver replays (an answer,
// a refused answer, a timer, a cancellation) rather than one a step
// writes.
func isInput(e *eventlog.Entry) bool {
	switch e.Kind {
	case eventlog.EntryAnswer, eventlog.EntryReject, eventlog.EntryTimer, eventlog.EntryCancel:
		return true
	}
	return false
}

// result is the recorded result of the next action of the current step.
func (d *driver) result(spec *engine.Spec) (engine.Result, error) {
	for i := d.cursor; i < len(d.rec); i++ {
		e := &d.rec[i]
		switch {
		case isInput(e):
			i = len(d.rec) // the step ends before another action
		case e.Kind == eventlog.EntryError:
			d.cursor = i + 1
			return engine.Result{}, errRecordedFailure
		case e.Kind == eventlog.EntryAction:
			if e.Action != spec.Name {
				d.note = fmt.Sprintf("runs action %s where the recorded session ran %s", spec.Name, e.Action)
				return engine.Result{}, errDiverged
			}
			if !slices.Contains(spec.Outcomes, e.Event) {
				d.note = fmt.Sprintf("action %s has no outcome %s any more (it has %s)", spec.Name, e.Event, strings.Join(spec.Outcomes, ", "))
				return engine.Result{}, errDiverged
			}
			d.cursor, d.clock = i+1, e.Time
			return engine.Result{Outcome: e.Event, Outputs: outputs(spec, e.Outputs)}, nil
		}
	}
	d.note = fmt.Sprintf("runs action %s where the recorded session ran none", spec.Name)
	return engine.Result{}, errDiverged
}

// outputs returns the recorded outputs the spec still declares, masked
// ones replaced by a placeholder.
func outputs(spec *engine.Spec, vs []eventlog.Value) map[string]any {
	out := make(map[string]any, len(vs))
	for _, v := range vs {
		p, ok := spec.Output(v.Name)
		if !ok {
			continue // an output the action no longer has
		}
		if v.Secret {
			out[v.Name] = placeholder(p.Kind)
			continue
		}
		out[v.Name] = v.Value
	}
	return out
}

// placeholder is a value of kind k that is not empty, standing for a
// masked one.
func placeholder(k value.Kind) any {
	switch k {
	case value.Int:
		return 1
	case value.Float:
		return 1.0
	case value.Bool:
		return true
	case value.Duration:
		return time.Second
	case value.Time:
		return time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	case value.List:
		return []any{eventlog.Masked}
	case value.Map:
		return map[string]any{"masked": eventlog.Masked}
	}
	return eventlog.Masked
}

// step replays the next recorded input and compares what it logged.
func (d *driver) step(ctx context.Context) *Divergence {
	e := &d.rec[d.ri]
	if d.s.Done() {
		return d.diverge("end", d.ri, nil, fmt.Sprintf("the new version has ended (%s), where the session went on: %s", ended(d.s), describe(e)))
	}
	if !isInput(e) {
		return d.diverge("end", d.ri, nil, fmt.Sprintf("the new version waits at %s, where the session went on: %s", where(d.s.Current()), describe(e)))
	}
	d.clock, d.cursor, d.note = e.Time, d.ri+1, ""
	before := len(d.s.Log())
	var err error
	switch e.Kind {
	case eventlog.EntryAnswer:
		err = d.s.Send(ctx, e.Event, d.input(e))
	case eventlog.EntryReject:
		if e.Error != fmt.Sprintf("%s is not possible now", e.Event) {
			d.skipped = append(d.skipped, d.ri)
			d.ri++
			return nil
		}
		err = d.s.Send(ctx, e.Event, d.input(e))
	case eventlog.EntryTimer:
		// The recorded Tick ran at the time of the entries it wrote
		// after the timer's (logged at its due time), not before.
		for i := d.ri + 1; i < len(d.rec) && !isInput(&d.rec[i]); i++ {
			if t := d.rec[i].Time; t.After(d.clock) {
				d.clock = t
			}
		}
		_, err = d.s.Tick(ctx)
		if len(d.s.Log()) == before {
			msg := fmt.Sprintf("the session's timer %s fired at %s; the new version's did not", e.Event, e.Time.UTC().Format(time.RFC3339))
			if due, ok := d.s.NextDeadline(); ok {
				msg += fmt.Sprintf(" (its next timer is due at %s)", due.UTC().Format(time.RFC3339))
			}
			return d.diverge("timer", d.ri, nil, msg)
		}
	case eventlog.EntryCancel:
		reason := ""
		if e.Outcome != nil {
			reason = e.Outcome.Message
		}
		err = d.s.Cancel(reason)
	}
	_ = err // what the step did is in the log, which is compared
	return d.compare()
}

// input is what the recorded answer e sent, secrets replaced by valid
// values of their fields in the prompt now shown.
func (d *driver) input(e *eventlog.Entry) map[string]any {
	p := d.s.Current().Prompt
	var in map[string]any
	if e.Kind == eventlog.EntryReject && p != nil {
		// The refused answer's input is not logged; what was refused was
		// the choice, after its input had been accepted.
		if ch, ok := p.Choice(e.Event); ok {
			for _, name := range ch.Fields {
				if f, ok := p.Field(name); ok {
					if in == nil {
						in = map[string]any{}
					}
					in[name] = validValue(f)
				}
			}
		}
		return in
	}
	for _, v := range e.Args {
		if in == nil {
			in = map[string]any{}
		}
		if !v.Secret {
			in[v.Name] = v.Value
			continue
		}
		f := prompt.Field{Name: v.Name, Type: prompt.SecretField}
		if p != nil {
			if pf, ok := p.Field(v.Name); ok {
				f = pf
			}
		}
		in[v.Name] = validValue(f)
	}
	return in
}

// validValue is a value field f accepts.
func validValue(f prompt.Field) any {
	switch f.Type {
	case prompt.EmailField:
		return "user@example.com"
	case prompt.CodeField:
		n := f.Length
		if n <= 0 {
			n = 6
		}
		return strings.Repeat("1", n)
	case prompt.ChoiceField:
		if len(f.Options) > 0 {
			return f.Options[0]
		}
	case prompt.ConsentField:
		return true
	case prompt.NumberField:
		return 1
	}
	return "replayed"
}

// compare compares the entries the replay has logged since the last
// comparison with the recorded ones, and checks that the recorded
// session, too, stopped there.
func (d *driver) compare() *Divergence {
	log := d.s.Log()
	for ; d.pi < len(log); d.pi, d.ri = d.pi+1, d.ri+1 {
		got := &log[d.pi]
		if d.ri >= len(d.rec) {
			return d.divergeGot("end", got, fmt.Sprintf("the recorded session ends here; the new version goes on: %s", describe(got)))
		}
		if div := d.same(&d.rec[d.ri], got); div != nil {
			return div
		}
	}
	if d.ri < len(d.rec) && !isInput(&d.rec[d.ri]) && !d.s.Done() {
		return d.diverge("end", d.ri, nil, fmt.Sprintf("the new version waits at %s, where the session went on: %s", where(d.s.Current()), describe(&d.rec[d.ri])))
	}
	return nil
}

// same compares a recorded entry with the replayed one.
func (d *driver) same(rec, got *eventlog.Entry) *Divergence {
	switch {
	case rec.Kind != got.Kind:
		switch {
		case got.Kind == eventlog.EntryError && d.note != "":
			return d.divergeGot("action", got, fmt.Sprintf("at %s, the new version %s", where2(got), d.note))
		case got.Kind == eventlog.EntryReject && rec.Kind == eventlog.EntryAnswer:
			return d.divergeGot("choice", got, fmt.Sprintf("at %s, the new version refuses the answer %s: %s", where2(got), rec.Event, got.Error))
		case got.Kind == eventlog.EntryTimer:
			return d.divergeGot("timer", got, fmt.Sprintf("at %s, the new version's timer %s fires at %s, before the session's %s", where2(got), got.Event, got.Time.UTC().Format(time.RFC3339), describe(rec)))
		}
		return d.divergeGot("state", got, fmt.Sprintf("the new version's %s, where the session's was %s", describe(got), describe(rec)))
	case rec.Flow != got.Flow || rec.State != got.State:
		return d.divergeGot("state", got, fmt.Sprintf("the new version is at %s, where the session was at %s: %s", where2(got), where2(rec), describe(rec)))
	case rec.Action != got.Action:
		return d.divergeGot("action", got, fmt.Sprintf("at %s, the new version runs %s, where the session ran %s", where2(got), got.Action, rec.Action))
	case rec.Kind == eventlog.EntryTimer && (rec.Event != got.Event || absDuration(rec.Time.Sub(got.Time)) > TimerSlack):
		return d.divergeGot("timer", got, fmt.Sprintf("at %s, the timer %s fires at %s, where the session's %s fired at %s", where2(got), got.Event, got.Time.UTC().Format(time.RFC3339), rec.Event, rec.Time.UTC().Format(time.RFC3339)))
	case rec.Event != got.Event:
		return d.divergeGot("outcome", got, fmt.Sprintf("at %s, %s, where the session had %s", where2(got), got.Event, rec.Event))
	case rec.Kind == eventlog.EntryReject && rec.Error != got.Error:
		return d.divergeGot("choice", got, fmt.Sprintf("at %s, the new version refuses %s for another reason: %s, where the session was told: %s", where2(got), got.Event, got.Error, rec.Error))
	case branchOf(rec) != branchOf(got):
		return d.divergeGot("branch", got, fmt.Sprintf("at %s, %s takes %s, where the session took %s", where2(got), got.Event, branchOf(got), branchOf(rec)))
	case rec.Kind == eventlog.EntryFinal && (rec.Outcome == nil) != (got.Outcome == nil),
		rec.Kind == eventlog.EntryFinal && rec.Outcome != nil && (rec.Outcome.Name != got.Outcome.Name || rec.Outcome.Success != got.Outcome.Success):
		return d.divergeGot("outcome", got, fmt.Sprintf("at %s, the new version ends with %s, where the session ended with %s", where2(got), outcomeOf(got), outcomeOf(rec)))
	case rec.Kind == eventlog.EntryStart && rec.To != got.To:
		return d.divergeGot("state", got, fmt.Sprintf("flow %s starts at %s, where the session's started at %s", got.Flow, got.To, rec.To))
	}
	return nil
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// branchOf names the branch an entry took: its guard, its target and the
// variables it set.
func branchOf(e *eventlog.Entry) string {
	if e.Branch == 0 {
		return ""
	}
	var b strings.Builder
	if e.Guard != "" {
		b.WriteString("if " + e.Guard + " ")
	}
	if e.To != "" {
		b.WriteString("=> " + e.To)
	} else {
		b.WriteString("=> (stay)")
	}
	if len(e.Changes) > 0 {
		vars := make([]string, len(e.Changes))
		for i, c := range e.Changes {
			vars[i] = c.Var
		}
		b.WriteString(", setting " + strings.Join(vars, ", "))
	}
	return b.String()
}

func outcomeOf(e *eventlog.Entry) string {
	if e.Outcome == nil {
		return "no outcome"
	}
	if e.Outcome.Success {
		return e.Outcome.Name + " (success)"
	}
	return e.Outcome.Name
}

// describe says what an entry records, for messages.
func describe(e *eventlog.Entry) string {
	at := where2(e)
	switch e.Kind {
	case eventlog.EntryStart:
		return fmt.Sprintf("start of %s at %s", e.Flow, e.To)
	case eventlog.EntryAnswer:
		return fmt.Sprintf("answer %s at %s", e.Event, at)
	case eventlog.EntryReject:
		return fmt.Sprintf("refused answer %s at %s", e.Event, at)
	case eventlog.EntryAction:
		return fmt.Sprintf("action %s -> %s at %s", e.Action, e.Event, at)
	case eventlog.EntryTimer:
		return fmt.Sprintf("timer %s at %s", e.Event, at)
	case eventlog.EntryTransition:
		return fmt.Sprintf("return with %s to %s", e.Event, at)
	case eventlog.EntryFinal:
		return fmt.Sprintf("end at %s with %s", at, outcomeOf(e))
	case eventlog.EntryError:
		return "error at " + at
	case eventlog.EntryCancel:
		return "cancellation at " + at
	}
	return string(e.Kind) + " at " + at
}

// where2 names an entry's state, with its flow when it is a subflow's.
func where2(e *eventlog.Entry) string {
	return e.Flow + "/" + e.State
}

func where(st engine.Step) string { return st.Flow + "/" + st.State }

func ended(s *engine.Session) string {
	if o := s.Current().Outcome; o != nil {
		return "with " + o.Name
	}
	return "with an error"
}

func (d *driver) diverge(kind string, ri int, got *eventlog.Entry, msg string) *Divergence {
	rec := &d.rec[ri]
	div := &Divergence{Index: ri, Seq: rec.Seq, Kind: kind, Msg: msg, Recorded: rec, Replayed: got}
	st := d.s.Current()
	div.Pos = d.statePos(st.Flow, st.State)
	return div
}

// divergeGot is a divergence at the replayed entry got (the recorded one
// is d.rec[d.ri], when there is one), positioned at the branch got took or
// its state.
func (d *driver) divergeGot(kind string, got *eventlog.Entry, msg string) *Divergence {
	div := &Divergence{Kind: kind, Msg: msg, Replayed: got}
	if d.ri < len(d.rec) {
		div.Index, div.Seq, div.Recorded = d.ri, d.rec[d.ri].Seq, &d.rec[d.ri]
	} else {
		div.Index, div.Seq = len(d.rec), got.Seq
	}
	div.Pos = d.branchPos(got)
	return div
}

// flowFile returns the syntax tree of the flow named name: fl or a
// subflow of it, at any depth.
func (d *driver) flowFile(name string) *syntax.File {
	seen := map[*engine.Flow]bool{}
	var find func(*engine.Flow) *syntax.File
	find = func(f *engine.Flow) *syntax.File {
		if seen[f] {
			return nil
		}
		seen[f] = true
		if f.Name() == name {
			return f.Info().File
		}
		for _, sub := range f.Subflows() {
			if ff := find(sub); ff != nil {
				return ff
			}
		}
		return nil
	}
	return find(d.fl)
}

func (d *driver) statePos(flow, state string) yamlfile.Pos {
	f := d.flowFile(flow)
	if f == nil {
		return yamlfile.Pos{}
	}
	if st := stateOf(f, state); st != nil {
		return st.Pos
	}
	return f.Flow.Pos
}

// branchPos is where the branch an entry took is in the flow, or its
// state when it took none.
func (d *driver) branchPos(e *eventlog.Entry) yamlfile.Pos {
	f := d.flowFile(e.Flow)
	if f == nil {
		return yamlfile.Pos{}
	}
	st := stateOf(f, e.State)
	if st == nil {
		return f.Flow.Pos
	}
	if e.Branch == 0 {
		return st.Pos
	}
	var branches []*syntax.Branch
	if key, ok := strings.CutPrefix(e.Event, "after "); ok && e.Kind == eventlog.EntryTimer {
		if t := timerOf(st, key); t != nil {
			branches = t.Branches
		}
	} else if h := handlerOf(st, e.Event); h != nil {
		branches = h.Branches
	}
	if e.Branch-1 < len(branches) {
		return branches[e.Branch-1].Pos
	}
	return st.Pos
}

// zeros is a source of randomness that gives zeros, so that replayed
// sessions get the same id every time.
type zeros struct{}

// Read fills p with zeros.
func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
