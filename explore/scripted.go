package explore

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/eventlog"
	"github.com/tetherflow/tether/engine/flowinfo"
	"github.com/tetherflow/tether/engine/prompt"
)

// timerOption is the option "the earliest timer fires" at an ask state;
// pauseOption, "time passes, half way to it".
const (
	timerOption = "(timer)"
	pauseOption = "(pause)"
)

// readsClock reports whether a guard of one of s's handlers reads now():
// then how much time has passed can decide a branch.
func readsClock(s *flowinfo.State) bool {
	for _, h := range s.Handlers {
		for _, b := range h.Branches {
			if strings.Contains(b.Guard, "now()") {
				return true
			}
		}
	}
	return false
}

// decision is one decision a scripted run made. The state of an action's
// decision is known only once the session logs the action; until then
// state is empty.
type decision struct {
	kind        StepKind
	name        string
	flow, state string
	spec        string // the action, for outcomes
	set         string // the outputs the action gave as true (PathStep.Result)
	logAt       int    // index of the log entry that records it; -1 unknown
	sid         int    // 1 + the number of the state (explorer.stateID); 0 unknown yet
}

func (d *decision) step() PathStep {
	return PathStep{Flow: d.flow, State: d.state, Kind: d.kind, Name: d.name, Result: d.set}
}

func (d *decision) at(root string) string {
	if d.flow != "" && d.flow != root {
		return d.flow + "/" + d.state
	}
	return d.state
}

// scripted runs sessions of a flow on a scripted action registry and a
// fake clock, asking choose at every decision point which option to take
// and telling known about each decision once its state is known.
//
// It drives sessions through the engine's public API only. Decisions at
// prompts are made between steps; decisions inside actions are made in the
// middle of a step, where the session can only be snapshotted (live; s is
// nil until the step returns): sync reconciles them with the session's
// log once it has.
type scripted struct {
	m      *model
	start  time.Time
	now    time.Time
	reg    *engine.Registry
	choose func(r *scripted, d *decision, options []string) (int, error)
	known  func(r *scripted, k int) error

	s *engine.Session // between steps
	// live is the session during its steps, for the actions to take
	// snapshots of (nil in Start's step, which returns it).
	live *engine.Session
	made []decision
	// The path's log is the session's, after the logBase entries of the
	// path before the checkpoint it was restored from (a restored
	// session's Log starts at the restore); logLen is its length so far.
	// marks are what the session's log says, read as it goes (the
	// entries' values are not needed).
	logBase, logLen int
	marks           []eventlog.Mark
	// branches are the branches the path's log shows taken, each once, in
	// the order first taken; nbranch[i] is how many of them its first i
	// entries show.
	branches []BranchKey
	nbranch  []int
	logSeen  int // entries of the path's log matched to decisions
	nextAct  int // first outcome decision whose state is not known yet
	filled   int // decisions passed to known
	// d and options are the decision being made and its options, passed
	// to choose: fields, so that a decision costs no allocation.
	d       decision
	options []string
	// noPause withholds the option of letting time pass (Prove, at a
	// prompt it reached by a pause).
	noPause bool
}

// checkpoint is a session waiting at a prompt, saved so that a later run
// that shares the path up to there resumes from it instead of the start.
type checkpoint struct {
	at     int // index of the decision made at the prompt
	snap   *engine.Snapshot
	now    time.Time
	logLen int
	key    string // the configuration, for loops
}

// newScripted returns a runner with a scripted action for every action the
// flow and its subflows run: it returns the outcome choose picks and no
// outputs, which the session fills in with the zero values of the declared
// kinds.
//
// vary names, by action and outcome, the bool outputs whose values are
// decided too: each outcome is then an option per combination of them,
// named outcome{a,b} for the outputs given as true (nil: none vary).
func newScripted(m *model, start time.Time, choose func(*scripted, *decision, []string) (int, error), vary map[[2]string][]string) *scripted {
	r := &scripted{m: m, start: start, choose: choose}
	acts := make([]engine.Action, 0, len(m.specs))
	for _, spec := range m.specs {
		options := spec.Outcomes
		if vary != nil {
			options = outcomeOptions(spec, vary)
		}
		acts = append(acts, engine.Func(spec, func(context.Context, engine.Args) (engine.Result, error) {
			r.d = decision{kind: StepOutcome, spec: spec.Name, logAt: -1}
			i, err := r.choose(r, &r.d, options)
			if err != nil {
				return engine.Result{}, err
			}
			res := engine.Result{}
			res.Outcome, r.d.set = splitOption(options[i])
			r.d.name = res.Outcome
			if r.d.set != "" {
				res.Outputs = map[string]any{}
				for _, o := range strings.Split(r.d.set, ",") {
					res.Outputs[o] = true
				}
			}
			r.made = append(r.made, r.d)
			return res, nil
		}))
	}
	// The flows' own actions, by unique name, each with the outcomes its
	// states receive: NewRegistry has nothing to refuse.
	r.reg, _ = engine.NewRegistry(acts...)
	return r
}

func (r *scripted) clock() time.Time { return r.now }

func (r *scripted) ports() engine.Ports {
	return engine.Ports{Actions: r.reg, Now: r.clock, Rand: pathRand{}}
}

// run runs one session, from the start or resumed from cp, until it ends
// or choose or known stops it, and returns what stopped it: what choose or
// known returned (from inside an action, wrapped in the session's
// *engine.RunError), a run error, an *engine.InputError for a refused
// answer, or nil when the session ended.
func (r *scripted) run(ctx context.Context, cp *checkpoint) error {
	var (
		s   *engine.Session
		err error
	)
	r.s, r.live = nil, nil // Start is a step: actions run inside it
	if cp == nil {
		r.made, r.now, r.logBase, r.logLen, r.marks = r.made[:0], r.start, 0, 0, r.marks[:0]
		r.branches, r.nbranch = r.branches[:0], append(r.nbranch[:0], 0)
		r.logSeen, r.nextAct, r.filled = 0, 0, 0
		s, err = r.m.root.Start(ctx, r.ports()) // the session, even with an error
	} else {
		r.made, r.now, r.logBase, r.logLen, r.marks = r.made[:cp.at], cp.now, cp.logLen, cp.logLen, r.marks[:0]
		r.branches, r.nbranch = r.branches[:r.nbranch[cp.logLen]], r.nbranch[:cp.logLen+1]
		r.logSeen, r.nextAct, r.filled = cp.logLen, cp.at, cp.at
		if s, err = r.m.root.Restore(ctx, cp.snap, r.ports()); err != nil {
			return err
		}
	}
	r.s, r.live = s, s
	if serr := r.sync(); serr != nil {
		return serr
	}
	for err == nil && !s.Done() {
		cur := s.Current()
		options := r.options[:0]
		due, timer := s.NextDeadline()
		if !timer || due.After(r.now) {
			// A prompt whose timer is already due cannot be answered: Send
			// would fire the timer first.
			for _, c := range cur.Prompt.Choices {
				if c.Role != prompt.Link { // followed, never answered
					options = append(options, c.Name)
				}
			}
		}
		if timer {
			options = append(options, timerOption)
			if st := r.m.state(cur.Flow, cur.State); st != nil && readsClock(st) && due.After(r.now) &&
				!r.noPause && !r.paused(cur.Flow, cur.State) {
				options = append(options, pauseOption)
			}
		}
		r.options = options
		r.d = decision{kind: StepChoice, flow: cur.Flow, state: cur.State, logAt: r.logLen}
		d := &r.d
		i, cerr := r.choose(r, d, options)
		if cerr != nil {
			return cerr
		}
		k := len(r.made)
		if options[i] == pauseOption {
			d.kind = StepPause
			d.name = (due.Sub(r.now) / 2).Round(time.Second).String()
			r.made = append(r.made, *d)
			step, _ := time.ParseDuration(d.name)
			r.now = r.now.Add(step)
			continue
		}
		if options[i] == timerOption {
			d.kind, d.state = StepTimer, ""
			r.made = append(r.made, *d)
			r.now = due
			r.s = nil
			_, err = s.Tick(ctx)
			r.s = s
			r.readLog()
			// The timer is the parent's when a subflow waits: name the
			// state whose timer fired, as the log does.
			d := &r.made[k]
			d.flow, d.state = cur.Flow, cur.State
			if e := r.entry(d.logAt); e != nil && e.Kind == eventlog.EntryTimer {
				d.flow, d.state, d.name = e.Flow, e.State, strings.TrimPrefix(e.Event, "after ")
			}
		} else {
			d.name = options[i]
			r.made = append(r.made, *d)
			r.s = nil
			err = s.Send(ctx, d.name, synthInput(cur.Prompt, d.name))
			r.s = s
		}
		if serr := r.sync(); serr != nil {
			return serr
		}
	}
	return err
}

// entry returns the entry at index i of the path's log, or nil when the
// log is not that long or the entry was logged before the checkpoint the
// session was restored from.
func (r *scripted) entry(i int) *eventlog.Mark {
	if i < r.logBase || i >= r.logLen {
		return nil
	}
	return &r.marks[i-r.logBase]
}

// readLog reads the marks of what the session logged since the last call
// into the path's log, and appends the branches they show taken to
// branches.
func (r *scripted) readLog() {
	n := len(r.marks)
	r.marks = r.s.AppendMarks(r.marks, n)
	for i := range r.marks[n:] {
		e := &r.marks[n+i]
		if e.Branch != 0 {
			// A path takes a few dozen: a linear search beats a map.
			if k := (BranchKey{Flow: e.Flow, State: e.State, Event: e.Event, Branch: e.Branch}); !slices.Contains(r.branches, k) {
				r.branches = append(r.branches, k)
			}
		}
		r.nbranch = append(r.nbranch, len(r.branches))
	}
	r.logLen = r.logBase + len(r.marks)
}

// sync gives the actions decided since the last sync the states the log
// shows them run at, and passes every decision whose state is known to
// known, in order.
func (r *scripted) sync() error {
	r.readLog()
	for ; r.logSeen < r.logLen; r.logSeen++ {
		e := &r.marks[r.logSeen-r.logBase]
		if e.Kind != eventlog.EntryAction {
			continue
		}
		for r.nextAct < len(r.made) && r.made[r.nextAct].kind != StepOutcome {
			r.nextAct++
		}
		if r.nextAct < len(r.made) {
			d := &r.made[r.nextAct]
			d.flow, d.state, d.logAt = e.Flow, e.State, r.logSeen
			r.nextAct++
		}
	}
	if re, ok := errors.AsType[*engine.RunError](r.s.Err()); ok {
		// An action decided but not logged: its branch failed.
		for ; r.nextAct < len(r.made); r.nextAct++ {
			if d := &r.made[r.nextAct]; d.kind == StepOutcome && d.state == "" {
				d.flow, d.state, d.logAt = re.Flow, re.State, r.logLen-1
			}
		}
	}
	for ; r.filled < len(r.made) && r.made[r.filled].state != ""; r.filled++ {
		if r.known != nil {
			if err := r.known(r, r.filled); err != nil {
				return err
			}
		}
	}
	return nil
}

// endName says how the session ended, for messages.
func (r *scripted) endName() string {
	if o := r.s.Current().Outcome; o != nil {
		return o.Name
	}
	return "with an error"
}

// synthInput fills in every field the choice takes with a valid value of
// its type.
func synthInput(p *prompt.Prompt, choice string) map[string]any {
	ch, _ := p.Choice(choice)
	if len(ch.Fields) == 0 {
		return nil
	}
	in := make(map[string]any, len(ch.Fields))
	for _, name := range ch.Fields {
		f, _ := p.Field(name)
		in[name] = synthValue(f)
	}
	return in
}

func synthValue(f prompt.Field) any {
	switch f.Type {
	case prompt.EmailField:
		return "user@example.com"
	case prompt.SecretField:
		return "secret-1"
	case prompt.CodeField:
		n := f.Length
		if n <= 0 {
			n = 6
		}
		return strings.Repeat("1234567890", n/10+1)[:n]
	case prompt.ChoiceField:
		if len(f.Options) > 0 {
			return f.Options[0].Value
		}
	case prompt.ConsentField:
		return true
	case prompt.NumberField:
		return 1
	case prompt.CaptchaField:
		return "captcha"
	}
	return "text"
}

// pathRand is the session's source of randomness on a path: zeros, so
// that session IDs are the same on every run.
type pathRand struct{}

func (pathRand) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// paused reports whether the path has paused at the state before: one
// pause per state and path is enough to pass a cooldown, and keeps pauses
// from multiplying the paths through a loop.
func (r *scripted) paused(flow, state string) bool {
	for i := range r.made {
		if d := &r.made[i]; d.kind == StepPause && d.state == state && d.flow == flow {
			return true
		}
	}
	return false
}

// outcomeOptions lists the options of an action whose outputs vary: each
// outcome with each combination of its varying outputs given as true, the
// zero values first.
func outcomeOptions(spec engine.Spec, vary map[[2]string][]string) []string {
	var out []string
	for _, o := range spec.Outcomes {
		outs := vary[[2]string{spec.Name, o}]
		for mask := range 1 << len(outs) {
			var set []string
			for i, name := range outs {
				if mask&(1<<i) != 0 {
					set = append(set, name)
				}
			}
			if len(set) == 0 {
				out = append(out, o)
				continue
			}
			out = append(out, o+"{"+strings.Join(set, ",")+"}")
		}
	}
	return out
}

// splitOption splits an option of outcomeOptions into its outcome and
// the outputs given as true.
func splitOption(opt string) (outcome, set string) {
	if i := strings.IndexByte(opt, '{'); i >= 0 && strings.HasSuffix(opt, "}") {
		return opt[:i], opt[i+1 : len(opt)-1]
	}
	return opt, ""
}
