package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// StepKind says what a path decided at one of its decision points.
type StepKind string

// The kinds of decision a path makes.
const (
	StepOutcome StepKind = "outcome" // an action returned one of its declared outcomes
	StepChoice  StepKind = "choice"  // a prompt was answered with one of its choices
	StepTimer   StepKind = "timer"   // the waiting session's earliest timer fired
	// StepPause lets time pass at a prompt without its timer firing: half
	// the time left to the timer (Name says how long). Offered only at
	// prompts whose guards read the clock, once per state and path, so
	// that branches like "a new code only after the cooldown" are explored.
	StepPause StepKind = "pause"
)

// PathStep is one decision of a path: at State of Flow (a subflow's name
// for its states), the action returned the outcome Name, the prompt was
// answered with the choice Name, or the timer with key Name fired.
type PathStep struct {
	Flow  string
	State string
	Kind  StepKind
	Name  string
}

// Format writes the step compactly, as `tether paths` lists it:
// state:outcome, state:choice or state:(timer), with the flow's name in
// front (signup/details:create) when it is not root.
func (s PathStep) Format(root string) string {
	at := s.State
	if s.Flow != "" && s.Flow != root {
		at = s.Flow + "/" + s.State
	}
	switch s.Kind {
	case StepTimer:
		return at + ":(timer)"
	case StepPause:
		return at + ":(pause " + s.Name + ")"
	}
	return at + ":" + s.Name
}

// BranchKey names one branch of one handler: the unit of branch coverage.
// Event is a choice, an action outcome, "after KEY" for a timer or a
// subflow's outcome, as log entries record it; Branch is 1-based, as
// Entry.Branch.
type BranchKey struct {
	Flow   string
	State  string
	Event  string
	Branch int
}

// PathEnd says how a path ends.
type PathEnd string

// The ways a path ends.
const (
	EndOutcome PathEnd = "outcome" // the flow reached a final state
	EndError   PathEnd = "error"   // the session failed, or refused a synthesized answer
	EndLoop    PathEnd = "loop"    // back at a prompt in exactly the state an earlier point of the path was in
	EndCut     PathEnd = "cut"     // PathOptions.MaxVisits stopped it
)

// Path is one way through a flow: the decisions it made and how it ended.
//
// A loop path stops where it came back to a prompt with the same states,
// variables and timers as at an earlier point of the same path: every way
// on from there is already a way on from that earlier point, so going
// round again would only repeat paths. A cut path stops at the state it
// would have decided at once more than MaxVisits allows.
type Path struct {
	Steps   []PathStep
	End     PathEnd
	Outcome *Outcome // EndOutcome: the final outcome
	Err     error    // EndError: the run error, or the refused answer's *InputError
	// Flow and State are where a loop or cut path stopped. Waiting says the
	// session waits at a prompt there, so that a replay of Steps can stop
	// at it (always for a loop; for a cut at an ask state).
	Flow, State string
	Waiting     bool
	// Branches are the branches the path's log shows taken, each once, in
	// the order first taken.
	Branches []BranchKey
}

// PathOptions bounds Flow.Paths. The zero value works.
type PathOptions struct {
	// MaxVisits is how many times a path may decide at one state (entering
	// it, or staying in it after a branch without go:); a path that would
	// decide there once more is cut. Zero means DefaultMaxVisits.
	MaxVisits int
	// MaxPaths stops the search after this many paths. Zero means
	// DefaultMaxPaths.
	MaxPaths int
	// Start is the session clock's time at the start of every path. Zero
	// means DefaultPathStart.
	Start time.Time
	// Dedup ends a path at a prompt where any earlier path already was in
	// the same configuration (states, variables, timers), not only an
	// earlier point of the same path: every way on from there has been
	// explored from that earlier visit. The search then takes every option
	// of every reachable configuration exactly once, so loops that count
	// up to a policy value (a CAPTCHA after 3 failures) are explored in
	// full without a path per way of getting there; MaxVisits can be high.
	Dedup bool
}

// Defaults of PathOptions.
const (
	// DefaultMaxVisits lets a path pass through a loop twice: enough for a
	// second sign-in after a failed one, a second code after a wrong one.
	// Loops that count up to a policy value (CAPTCHA after 3 failures, a
	// lock after 5) need more; raise it for those.
	DefaultMaxVisits = 2
	DefaultMaxPaths  = 10000
)

// DefaultPathStart is the session clock's start on every path unless
// PathOptions.Start says otherwise: the time generated replays pass as
// --clock.
const DefaultPathStart = "2026-01-05T09:00:00Z"

// PathSet is what Flow.Paths found.
type PathSet struct {
	Flow  string
	Paths []Path
	// Loops is how many of Paths ended as loops.
	Loops int
	// CutByVisits is how many of Paths were cut by MaxVisits.
	CutByVisits int
	// CutByPaths is how many alternatives were left unexplored when
	// MaxPaths stopped the search: a lower bound on the paths not listed.
	CutByPaths int
	// The bounds the search ran with.
	MaxVisits, MaxPaths int
}

// Paths enumerates the distinct paths through the flow, depth first: at
// every decision point (an action state, where each of the action's
// declared outcomes is a branch; an ask state, where each choice is a
// branch, and "the earliest timer fires" is one more when a timer is
// armed) it explores every option in declaration order, with the timer
// last. Each path is a real session run on scripted actions that return
// the outcome the path dictates (outputs at their zero values) and on
// synthesized answers (see docs/paths.md), so guards decide branches
// exactly as they would at run time. Loops are bounded by MaxVisits; a
// path that hits the bound is kept, marked Cut. The order is deterministic.
//
// Paths returns an error only when ctx ends.
//
// Without Dedup the search is split into the subtrees under its first two
// decisions, explored in parallel (one goroutine per CPU) and merged in
// order: the result is the same as a sequential search's. With Dedup it is
// sequential, since which path reaches a configuration first decides the
// result.
func (f *Flow) Paths(ctx context.Context, opts PathOptions) (*PathSet, error) {
	if opts.MaxVisits <= 0 {
		opts.MaxVisits = DefaultMaxVisits
	}
	if opts.MaxPaths <= 0 {
		opts.MaxPaths = DefaultMaxPaths
	}
	start, err := pathStart(opts.Start)
	if err != nil {
		return nil, err
	}
	workers := runtime.GOMAXPROCS(0)
	if opts.Dedup || workers < 2 {
		return f.explore(ctx, opts, start, nil)
	}
	jobs, err := f.splitPaths(ctx, opts, start)
	if err != nil {
		return nil, err
	}
	if len(jobs) < 2 {
		return f.explore(ctx, opts, start, nil)
	}
	sets := make([]*PathSet, len(jobs))
	errs := make([]error, len(jobs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				sets[i], errs[i] = f.explore(ctx, opts, start, jobs[i])
			}
		}()
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
	set := &PathSet{Flow: f.name, MaxVisits: opts.MaxVisits, MaxPaths: opts.MaxPaths}
	for i, sub := range sets {
		if errs[i] != nil {
			return nil, errs[i]
		}
		set.Paths = append(set.Paths, sub.Paths...)
		set.Loops += sub.Loops
		set.CutByVisits += sub.CutByVisits
		if sub.CutByPaths > 0 || len(set.Paths) > opts.MaxPaths {
			// MaxPaths bites: where a sequential search stops, and what it
			// leaves pending, is its own; search again that way.
			return f.explore(ctx, opts, start, nil)
		}
	}
	return set, nil
}

// splitPaths returns the prefixes of the subtrees under the search's first
// two decisions, in the order a sequential search visits them: one probe
// run per first option finds how many options the second decision has.
func (f *Flow) splitPaths(ctx context.Context, opts PathOptions, start time.Time) ([][]int, error) {
	widths, err := f.probePath(ctx, opts, start, nil)
	if err != nil || len(widths) == 0 {
		return nil, err
	}
	var jobs [][]int
	for k := range widths[0] {
		w, err := f.probePath(ctx, opts, start, []int{k})
		if err != nil {
			return nil, err
		}
		if len(w) < 2 {
			jobs = append(jobs, []int{k})
			continue
		}
		for j := range w[1] {
			jobs = append(jobs, []int{k, j})
		}
	}
	return jobs, nil
}

// probePath runs the first path under prefix and returns the number of
// options at each of its decisions.
func (f *Flow) probePath(ctx context.Context, opts PathOptions, start time.Time, prefix []int) ([]int, error) {
	x, r := f.explorer(opts, start, prefix)
	err := r.run(ctx, x.resume(r))
	if cerr := ctx.Err(); cerr != nil {
		return nil, cerr
	}
	x.path(r, err)
	return x.width, nil
}

// explorer returns an explorer whose search is held to the subtree under
// prefix (the options taken at the first decisions), and its scripted
// runner.
func (f *Flow) explorer(opts PathOptions, start time.Time, prefix []int) (*explorer, *scripted) {
	x := &explorer{max: opts.MaxVisits, root: f, vars: map[string][]string{}, dedup: opts.Dedup}
	for _, k := range prefix {
		// One option wide: backtracking never leaves the subtree.
		x.prefix, x.width = append(x.prefix, k), append(x.width, k+1)
	}
	r := newScripted(f, start, x.choose)
	r.known = x.known
	x.slack = opts.MaxVisits*countDecisionStates(f, map[*Flow]bool{}) + 1
	return x, r
}

// explore searches the subtree under prefix (all of it for nil) depth
// first.
func (f *Flow) explore(ctx context.Context, opts PathOptions, start time.Time, prefix []int) (*PathSet, error) {
	x, r := f.explorer(opts, start, prefix)
	set := &PathSet{Flow: f.name, MaxVisits: opts.MaxVisits, MaxPaths: opts.MaxPaths}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		err := r.run(ctx, x.resume(r))
		p := x.path(r, err)
		switch p.End {
		case EndLoop:
			set.Loops++
		case EndCut:
			set.CutByVisits++
		}
		set.Paths = append(set.Paths, p)
		if !x.backtrack() {
			return set, nil
		}
		if len(set.Paths) >= opts.MaxPaths {
			set.CutByPaths = x.pending() + 1 // the next path, and each option waiting above it
			return set, nil
		}
	}
}

func pathStart(t time.Time) (time.Time, error) {
	if !t.IsZero() {
		return t, nil
	}
	return time.Parse(time.RFC3339, DefaultPathStart)
}

// countDecisionStates counts the states of f and its subflows where a path
// decides: run states of actions and ask states.
func countDecisionStates(f *Flow, seen map[*Flow]bool) int {
	if seen[f] {
		return 0
	}
	seen[f] = true
	n := 0
	for _, s := range f.states {
		switch {
		case s.sub != nil:
			n += countDecisionStates(s.sub, seen)
		case s.kind == RunState, s.kind == AskState:
			n++
		}
	}
	return n
}

// errCut stops a run at a bound; errDiverged stops a replay that no longer
// fits the session.
var (
	errCut      = errors.New("path cut short")
	errDiverged = errors.New("replay diverged from its path")
	errStop     = errors.New("replay stopped at a prompt")
)

// explorer drives the depth-first search by re-running the flow from its
// start with a prefix of decisions: prefix[i] is the option taken at
// decision i, width[i] how many options decision i had. A decision point
// beyond the prefix takes its first option and extends both. Re-running
// costs a little more than restoring snapshots would, but decisions made
// inside actions happen in the middle of a step, where a session cannot be
// snapshotted.
type explorer struct {
	max    int // MaxVisits
	dedup  bool
	slack  int // more decisions than this in one path means some state was visited too often
	prefix []int
	width  []int

	visits            map[[2]string]int // decisions per (flow, state) in this run
	cutAt             int               // decision index where the run stops; -1 none
	cutFlow, cutState string
	cutEnd            PathEnd // EndCut or EndLoop
	cutWaiting        bool
	seen              map[string]bool // configurations at the prompts of this run
	key               strings.Builder
	cps               []checkpoint // at the prompts of the last run, in order
	root              *Flow
	vars              map[string][]string // variable names by flow
}

// resume prepares the next run: it returns the checkpoint at the last
// prompt before the decision the prefix changes (nil to start afresh) and
// recounts the visits and configurations of the path up to there.
func (x *explorer) resume(r *scripted) *checkpoint {
	x.cutAt, x.cutFlow, x.cutState, x.cutEnd, x.cutWaiting = -1, "", "", EndCut, false
	if x.visits == nil {
		x.visits, x.seen = map[[2]string]int{}, map[string]bool{}
	}
	clear(x.visits)
	if !x.dedup {
		clear(x.seen)
	}
	branch := len(x.prefix) - 1
	n := len(x.cps)
	for n > 0 && x.cps[n-1].at > branch {
		n--
	}
	x.cps = x.cps[:n]
	if n == 0 {
		return nil
	}
	cp := &x.cps[n-1]
	for i := range r.made[:cp.at] {
		x.visits[[2]string{r.made[i].flow, r.made[i].state}]++
	}
	for _, c := range x.cps[:n-1] {
		x.seen[c.key] = true
	}
	return cp
}

// config returns a key for the session's whole state: the flow and state,
// variables and timers of each frame.
func (x *explorer) config(snap *Snapshot, now time.Time) string {
	x.key.Reset()
	// The clock is part of the configuration: guards may read it.
	x.key.WriteString(now.UTC().Format(time.RFC3339Nano))
	x.key.WriteByte('\n')
	for _, fr := range snap.Frames {
		x.key.WriteString(fr.Flow)
		x.key.WriteByte('/')
		x.key.WriteString(fr.State)
		for _, name := range x.varNames(fr.Flow) {
			x.key.WriteByte(' ')
			writeKeyValue(&x.key, fr.Vars[name])
		}
		for _, t := range fr.Timers {
			x.key.WriteByte(' ')
			x.key.WriteString(t.Due.Format(time.RFC3339Nano))
		}
		x.key.WriteByte('\n')
	}
	return x.key.String()
}

// varNames returns the variables of the flow named flow (the root or a
// subflow), in declaration order.
func (x *explorer) varNames(flow string) []string {
	if names, ok := x.vars[flow]; ok {
		return names
	}
	var names []string
	if fl := x.flowNamed(flow); fl != nil {
		for _, v := range fl.vars {
			names = append(names, v.name)
		}
	}
	x.vars[flow] = names
	return names
}

func (x *explorer) flowNamed(name string) *Flow { return x.root.flowNamed(name) }

func writeKeyValue(b *strings.Builder, v any) {
	switch x := v.(type) {
	case string:
		b.WriteString(strconv.Quote(x))
	case int:
		b.WriteString(strconv.Itoa(x))
	case bool:
		b.WriteString(strconv.FormatBool(x))
	default:
		fmt.Fprintf(b, "%#v", v)
	}
}

func (x *explorer) choose(r *scripted, d *decision, options []string) (int, error) {
	i := len(r.made)
	if d.kind != StepOutcome {
		if n := len(x.cps); n == 0 || x.cps[n-1].at != i { // not resumed here
			snap := r.s.Snapshot()
			key := x.config(snap, r.now)
			if x.seen[key] {
				x.cutAt, x.cutFlow, x.cutState, x.cutEnd, x.cutWaiting = i, d.flow, d.state, EndLoop, true
				return 0, errCut
			}
			x.cps = append(x.cps, checkpoint{at: i, snap: snap, now: r.now, logLen: len(r.full), key: key})
		}
		x.seen[x.cps[len(x.cps)-1].key] = true
		if x.visits[[2]string{d.flow, d.state}] >= x.max {
			x.cutAt, x.cutFlow, x.cutState, x.cutWaiting = i, d.flow, d.state, true
			return 0, errCut
		}
	}
	if d.kind == StepOutcome && x.dedup && i >= len(x.prefix) {
		// A loop of run states has no prompt to stop at: with Dedup, an
		// action decision in a configuration a path has decided in before
		// ends the path too (it cannot be replayed, stopping mid-step).
		key := "run " + x.config(r.s.Snapshot(), r.now)
		if x.seen[key] {
			x.cutAt, x.cutFlow, x.cutState, x.cutEnd, x.cutWaiting = i, d.flow, d.state, EndLoop, false
			return 0, errCut
		}
		x.seen[key] = true
	}
	if i >= x.slack {
		return 0, errCut // the visits counted after the run tell where
	}
	if i < len(x.prefix) {
		return x.prefix[i], nil
	}
	x.prefix = append(x.prefix, 0)
	x.width = append(x.width, len(options))
	return 0, nil
}

// known counts the visit of decision k once its state is known (in order)
// and stops the run at the first one over the bound. Decisions made inside
// a step past that one are thrown away with the rest of the run.
func (x *explorer) known(r *scripted, k int) error {
	d := &r.made[k]
	key := [2]string{d.flow, d.state}
	x.visits[key]++
	if x.visits[key] > x.max {
		x.cutAt, x.cutFlow, x.cutState = k, d.flow, d.state
		return errCut
	}
	return nil
}

// path turns the run just made into a Path, cut where the bound says.
func (x *explorer) path(r *scripted, err error) Path {
	p := Path{}
	log := r.full
	n := len(r.made)
	if errors.Is(err, errCut) && x.cutAt < 0 {
		// The slack ran out before the visits showed where: cut at the end.
		x.cutAt = n
		if re, ok := errors.AsType[*RunError](err); ok {
			x.cutFlow, x.cutState = re.Flow, re.State
		}
		if k := len(log) - 1; k >= 0 && log[k].Kind == EntryError {
			log = log[:k]
		}
	}
	if x.cutAt >= 0 && x.cutAt <= n {
		n = x.cutAt
		p.End, p.Flow, p.State, p.Waiting = x.cutEnd, x.cutFlow, x.cutState, x.cutWaiting
		if n < len(r.made) && r.made[n].logAt >= 0 {
			log = log[:r.made[n].logAt]
		}
		// Nothing past the cut belongs to the path: do not branch there.
		if len(x.prefix) > n {
			x.prefix, x.width = x.prefix[:n], x.width[:n]
		}
	}
	p.Steps = make([]PathStep, n)
	for i, d := range r.made[:n] {
		p.Steps[i] = d.step()
	}
	if p.End == "" {
		switch {
		case err != nil:
			p.End, p.Err = EndError, err
		case r.s.Err() != nil:
			p.End, p.Err = EndError, r.s.Err()
		default:
			p.End, p.Outcome = EndOutcome, r.s.Current().Outcome
		}
	}
	p.Branches = branchesOf(log)
	return p
}

// backtrack moves the prefix to the next unexplored option, deepest first.
func (x *explorer) backtrack() bool {
	for i := len(x.prefix) - 1; i >= 0; i-- {
		if x.prefix[i]+1 < x.width[i] {
			x.prefix[i]++
			x.prefix, x.width = x.prefix[:i+1], x.width[:i+1]
			return true
		}
	}
	return false
}

// pending counts the options not yet explored.
func (x *explorer) pending() int {
	n := 0
	for i := range x.prefix {
		n += x.width[i] - 1 - x.prefix[i]
	}
	return n
}

// branchesOf returns the branches log shows taken, each once, in order.
// A path takes a few dozen: a linear search beats a map.
func branchesOf(log []Entry) []BranchKey {
	n := 0
	for i := range log {
		if log[i].Branch != 0 {
			n++
		}
	}
	out := make([]BranchKey, 0, n)
	for i := range log {
		e := &log[i]
		if e.Branch == 0 {
			continue
		}
		k := BranchKey{Flow: e.Flow, State: e.State, Event: e.Event, Branch: e.Branch}
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// Replay runs the flow along steps, as Paths found them or a path file
// lists them: actions return the outcome the next step names, prompts are
// answered with its choice (input synthesized as Paths does), a timer step
// moves the session clock, which starts at start (zero: DefaultPathStart),
// to the earliest deadline. The session's log is the path's transcript.
// When the steps run out at a prompt, Replay returns the session waiting
// there (a loop or cut path stops so); the caller decides whether that is
// where the path should stop.
//
// Replay returns a *DivergedError, with the session as far as it got, when
// the steps do not fit the session: a step for a state the session is not
// in, an outcome the action does not declare, a choice the prompt does not
// offer, steps left over when the session ends, none left for an action.
// A session that ends with a run error is not a divergence: its Err says
// so. An answer the session refuses is returned as its *InputError.
func (f *Flow) Replay(ctx context.Context, steps []PathStep, start time.Time) (*Session, error) {
	start, err := pathStart(start)
	if err != nil {
		return nil, err
	}
	rp := &replayer{steps: steps, root: f.name}
	r := newScripted(f, start, rp.choose)
	r.known = rp.check
	err = r.run(ctx, nil)
	if rp.div != nil {
		if rp.div.LogLen < 0 {
			// It diverged in an action run by Start: leave out the error
			// entry stopping it made.
			rp.div.LogLen = len(r.s.Log())
			if k := rp.div.LogLen - 1; k >= 0 && r.s.Log()[k].Kind == EntryError {
				rp.div.LogLen = k
			}
		}
		return r.s, rp.div
	}
	if errors.Is(err, errDiverged) && rp.div == nil {
		return r.s, &DivergedError{Step: len(r.made) + 1, Msg: err.Error(), LogLen: len(r.s.Log())}
	}
	if r.s.Done() {
		if len(r.made) < len(steps) {
			rp.diverge(r, len(r.made), fmt.Sprintf("the session ended (%s) but the path goes on", r.endName()))
			return r.s, rp.div
		}
		return r.s, nil
	}
	if errors.Is(err, errStop) {
		return r.s, nil
	}
	return r.s, err
}

// DivergedError says where a replayed path stopped fitting its session.
type DivergedError struct {
	Step   int    // 1-based index of the step that does not fit; len+1 for one missing
	Want   string // the step, formatted; empty when the path had no more
	Msg    string // what the session did instead
	LogLen int    // entries of the session's log that belong to the replay
}

func (e *DivergedError) Error() string {
	if e.Want == "" {
		return fmt.Sprintf("step %d: %s", e.Step, e.Msg)
	}
	return fmt.Sprintf("step %d (%s): %s", e.Step, e.Want, e.Msg)
}

type replayer struct {
	root  string
	steps []PathStep
	div   *DivergedError
}

func (rp *replayer) diverge(r *scripted, k int, msg string) error {
	if rp.div == nil {
		rp.div = &DivergedError{Step: k + 1, Msg: msg, LogLen: -1}
		if r.s != nil {
			rp.div.LogLen = len(r.s.Log())
		}
		if k < len(rp.steps) {
			rp.div.Want = rp.steps[k].Format(rp.root)
		}
		if k < len(r.made) && r.made[k].logAt >= 0 {
			rp.div.LogLen = r.made[k].logAt
		}
	}
	return errDiverged
}

func (rp *replayer) choose(r *scripted, d *decision, options []string) (int, error) {
	// The decisions made inside this step so far are held to their steps
	// first, so that a path that went wrong is reported where it did.
	if r.s != nil {
		if err := r.sync(); err != nil {
			return 0, err
		}
	}
	k := len(r.made)
	where := "the session waits at " + d.at(rp.root)
	if d.kind == StepOutcome {
		where = "the session runs " + d.spec
	}
	if k >= len(rp.steps) {
		if d.kind != StepOutcome {
			return 0, errStop // the path stops with the session waiting here
		}
		return 0, rp.diverge(r, k, "the path has no more steps but "+where)
	}
	want := rp.steps[k]
	switch {
	case d.kind == StepOutcome && want.Kind != StepOutcome:
		return 0, rp.diverge(r, k, where)
	case d.kind == StepOutcome:
		for i, o := range options {
			if o == want.Name {
				return i, nil
			}
		}
		return 0, rp.diverge(r, k, fmt.Sprintf("%s, which has no outcome %s (it has: %s)", where, want.Name, strings.Join(options, ", ")))
	case want.Kind == StepOutcome:
		return 0, rp.diverge(r, k, where)
	case want.Kind == StepTimer:
		if i := slices.Index(options, timerOption); i >= 0 {
			return i, nil
		}
		return 0, rp.diverge(r, k, where+", where no timer is armed")
	case want.Kind == StepPause:
		if i := slices.Index(options, pauseOption); i >= 0 {
			return i, nil
		}
		return 0, rp.diverge(r, k, where+", where time cannot pass")
	case want.State != d.state || (want.Flow != "" && want.Flow != d.flow):
		return 0, rp.diverge(r, k, where)
	}
	for i, o := range options {
		if o == want.Name && o != timerOption && o != pauseOption {
			return i, nil
		}
	}
	return 0, rp.diverge(r, k, fmt.Sprintf("%s, which offers no choice %s", where, want.Name))
}

// check holds every decision, once its state is known, to its step.
func (rp *replayer) check(r *scripted, k int) error {
	d, want := r.made[k], rp.steps[k]
	if d.state == want.State && (want.Flow == "" || want.Flow == d.flow) && d.kind == want.Kind && d.name == want.Name {
		return nil
	}
	switch d.kind {
	case StepOutcome:
		return rp.diverge(r, k, "the session ran "+d.spec+" at "+d.at(rp.root))
	case StepTimer:
		return rp.diverge(r, k, fmt.Sprintf("the timer that fired was %s:(timer %s)", d.at(rp.root), d.name))
	}
	return rp.diverge(r, k, "the session waits at "+d.at(rp.root))
}

// timerOption is the option "the earliest timer fires" at an ask state;
// pauseOption, "time passes, half way to it".
const (
	timerOption = "(timer)"
	pauseOption = "(pause)"
)

// readsClock reports whether a guard of one of s's handlers reads now():
// then how much time has passed can decide a branch.
func (s *state) readsClock() bool {
	for _, h := range s.on {
		for _, b := range h.branches {
			if strings.Contains(b.condSrc, "now()") {
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
	logAt       int    // index of the log entry that records it; -1 unknown
}

func (d *decision) step() PathStep {
	return PathStep{Flow: d.flow, State: d.state, Kind: d.kind, Name: d.name}
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
type scripted struct {
	f      *Flow
	start  time.Time
	now    time.Time
	reg    *Registry
	choose func(r *scripted, d *decision, options []string) (int, error)
	known  func(r *scripted, k int) error

	s        *Session
	made     []decision
	full     []Entry // the path's log: a restored session's Log starts at the restore
	sessSeen int     // entries of s.Log() copied to full
	logSeen  int     // entries of full matched to decisions
	nextAct  int     // first outcome decision whose state is not known yet
	filled   int     // decisions passed to known
}

// checkpoint is a session waiting at a prompt, saved so that a later run
// that shares the path up to there resumes from it instead of the start.
type checkpoint struct {
	at     int // index of the decision made at the prompt
	snap   *Snapshot
	now    time.Time
	logLen int
	key    string // the configuration, for loops
}

func newScripted(f *Flow, start time.Time, choose func(*scripted, *decision, []string) (int, error)) *scripted {
	r := &scripted{f: f, start: start, choose: choose, reg: &Registry{}}
	r.register(f, map[*Flow]bool{})
	return r
}

// register adds a scripted action for every action f and its subflows run:
// it returns the outcome choose picks and no outputs, which the session
// fills in with the zero values of the declared kinds.
func (r *scripted) register(f *Flow, seen map[*Flow]bool) {
	if seen[f] {
		return
	}
	seen[f] = true
	for _, st := range f.states {
		if st.sub != nil {
			r.register(st.sub, seen)
		}
		if st.spec == nil {
			continue
		}
		if _, ok := r.reg.Lookup(st.spec.Name); ok {
			continue
		}
		spec := *st.spec
		r.reg.Register(Func(spec, func(context.Context, Args) (Result, error) {
			d := decision{kind: StepOutcome, spec: spec.Name, logAt: -1}
			i, err := r.choose(r, &d, spec.Outcomes)
			if err != nil {
				return Result{}, err
			}
			d.name = spec.Outcomes[i]
			r.made = append(r.made, d)
			return Result{Outcome: d.name}, nil
		}))
	}
}

func (r *scripted) clock() time.Time { return r.now }

func (r *scripted) ports() Ports {
	return Ports{Actions: r.reg, Now: r.clock, Rand: pathRand{}, started: func(s *Session) { r.s = s }}
}

// run runs one session, from the start or resumed from cp, until it ends
// or choose or known stops it, and returns what stopped it: a run error,
// errCut, errDiverged, an *InputError for a refused answer, or nil when
// the session ended.
func (r *scripted) run(ctx context.Context, cp *checkpoint) error {
	var err error
	if cp == nil {
		r.made, r.full, r.now = r.made[:0], r.full[:0], r.start
		r.logSeen, r.nextAct, r.filled, r.sessSeen = 0, 0, 0, 0
		r.s, err = r.f.Start(ctx, r.ports())
	} else {
		r.made, r.full, r.now = r.made[:cp.at], r.full[:cp.logLen], cp.now
		r.logSeen, r.nextAct, r.filled, r.sessSeen = cp.logLen, cp.at, cp.at, 0
		r.s, err = r.f.Restore(ctx, cp.snap, r.ports())
		if err != nil {
			return err
		}
	}
	s := r.s
	if serr := r.sync(); serr != nil {
		return serr
	}
	var options []string
	for err == nil && !s.Done() {
		cur := s.Current()
		options = options[:0]
		due, timer := s.NextDeadline()
		if !timer || due.After(r.now) {
			// A prompt whose timer is already due cannot be answered: Send
			// would fire the timer first.
			for _, c := range cur.Prompt.Choices {
				options = append(options, c.Name)
			}
		}
		if timer {
			options = append(options, timerOption)
			if st := r.f.stateNamed(cur.Flow, cur.State); st != nil && st.readsClock() && due.After(r.now) &&
				!r.paused(cur.Flow, cur.State) {
				options = append(options, pauseOption)
			}
		}
		d := decision{kind: StepChoice, flow: cur.Flow, state: cur.State, logAt: len(r.full)}
		i, cerr := r.choose(r, &d, options)
		if cerr != nil {
			return cerr
		}
		k := len(r.made)
		if options[i] == pauseOption {
			d.kind = StepPause
			d.name = (due.Sub(r.now) / 2).Round(time.Second).String()
			r.made = append(r.made, d)
			step, _ := time.ParseDuration(d.name)
			r.now = r.now.Add(step)
			continue
		}
		if options[i] == timerOption {
			d.kind, d.state = StepTimer, ""
			r.made = append(r.made, d)
			r.now = due
			_, err = s.Tick(ctx)
			r.copyLog()
			// The timer is the parent's when a subflow waits: name the
			// state whose timer fired, as the log does.
			d := &r.made[k]
			d.flow, d.state = cur.Flow, cur.State
			if d.logAt < len(r.full) && r.full[d.logAt].Kind == EntryTimer {
				e := &r.full[d.logAt]
				d.flow, d.state, d.name = e.Flow, e.State, strings.TrimPrefix(e.Event, "after ")
			}
		} else {
			d.name = options[i]
			r.made = append(r.made, d)
			err = s.Send(ctx, d.name, synthInput(cur.Prompt, d.name))
		}
		if serr := r.sync(); serr != nil {
			return serr
		}
	}
	return err
}

// copyLog appends what the session logged since the last copy to full.
func (r *scripted) copyLog() {
	log := r.s.Log()
	r.full = append(r.full, log[r.sessSeen:]...)
	r.sessSeen = len(log)
}

// sync gives the actions decided since the last sync the states the log
// shows them run at, and passes every decision whose state is known to
// known, in order.
func (r *scripted) sync() error {
	r.copyLog()
	log := r.full
	for ; r.logSeen < len(log); r.logSeen++ {
		e := &log[r.logSeen]
		if e.Kind != EntryAction {
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
	if re, ok := errors.AsType[*RunError](r.s.Err()); ok {
		// An action decided but not logged: its branch failed.
		for ; r.nextAct < len(r.made); r.nextAct++ {
			if d := &r.made[r.nextAct]; d.kind == StepOutcome && d.state == "" {
				d.flow, d.state, d.logAt = re.Flow, re.State, len(log)-1
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
func synthInput(p *Prompt, choice string) map[string]any {
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

func synthValue(f Field) any {
	switch f.Type {
	case EmailField:
		return "user@example.com"
	case SecretField:
		return "secret-1"
	case CodeField:
		n := f.Length
		if n <= 0 {
			n = 6
		}
		return strings.Repeat("1234567890", n/10+1)[:n]
	case ChoiceField:
		if len(f.Options) > 0 {
			return f.Options[0]
		}
	case ConsentField:
		return true
	case NumberField:
		return 1
	case CaptchaField:
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

// flowNamed returns the flow named name: f or one of its subflows, at any
// depth.
func (f *Flow) flowNamed(name string) *Flow {
	if f.name == name {
		return f
	}
	for _, st := range f.states {
		if st.sub != nil {
			if fl := st.sub.flowNamed(name); fl != nil {
				return fl
			}
		}
	}
	return nil
}

// stateNamed returns the state named state of the flow named flow ("" for
// f itself), or nil.
func (f *Flow) stateNamed(flow, state string) *state {
	if flow == "" {
		return f.byName[state]
	}
	if fl := f.flowNamed(flow); fl != nil {
		return fl.byName[state]
	}
	return nil
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
