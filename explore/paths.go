package explore

import (
	"context"
	"runtime"
	"sync"
	"time"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/eventlog"
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
	// Result names the bool outputs the action gave as true, comma
	// separated in the order its spec declares them ("" for none: every
	// output at its zero value). Only Prove decides outputs; Paths leaves
	// them all at their zero values.
	Result string
}

// Format writes the step compactly, as `tether paths` lists it:
// state:outcome, state:choice or state:(timer), with the flow's name in
// front (signup/details:create) when it is not root, and the outputs an
// outcome gave as true after it (check_password:ok{consent_required}).
func (s PathStep) Format(root string) string {
	return string(s.AppendFormat(nil, root))
}

// AppendFormat appends the step as Format writes it to b.
func (s PathStep) AppendFormat(b []byte, root string) []byte {
	if s.Flow != "" && s.Flow != root {
		b = append(append(b, s.Flow...), '/')
	}
	b = append(append(b, s.State...), ':')
	switch s.Kind {
	case StepTimer:
		return append(b, "(timer)"...)
	case StepPause:
		return append(append(append(b, "(pause "...), s.Name...), ')')
	}
	b = append(b, s.Name...)
	if s.Result != "" {
		b = append(append(append(b, '{'), s.Result...), '}')
	}
	return b
}

// BranchKey names one branch of one handler: the unit of branch coverage.
// Event is a choice, an action outcome, "after KEY" for a timer or a
// subflow's outcome, as log entries record it; Branch is 1-based, as
// eventlog.Entry.Branch.
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
	Outcome *eventlog.Outcome // EndOutcome: the final outcome
	Err     error             // EndError: the run error, or the refused answer's *engine.InputError
	// Flow and State are where a loop or cut path stopped. Waiting says the
	// session waits at a prompt there, so that a replay of Steps can stop
	// at it (always for a loop; for a cut at an ask state).
	Flow, State string
	Waiting     bool
	// Branches are the branches the path's log shows taken, each once, in
	// the order first taken.
	Branches []BranchKey
}

// PathOptions bounds Paths. The zero value works.
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
	// the same configuration (states, live variables, timers), not only an
	// earlier point of the same path: every way on from there has been
	// explored from that earlier visit. At an action in a configuration
	// decided in before, the path takes first options without branching,
	// on to its end or to a prompt where it ends so (a path cut on the way
	// ends at that action, as a loop that cannot be replayed). The search
	// then takes every option of every reachable configuration exactly
	// once, so loops that count up to a policy value (a CAPTCHA after 3
	// failures) are explored in full without a path per way of getting
	// there; MaxVisits can be high. A variable no expression may read
	// again before a branch sets it is not part of a configuration.
	Dedup bool

	fullKeys bool // see FullKeys
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

// PathSet is what Paths found.
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

// Paths enumerates the distinct paths through the flow fl, depth first: at
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
func Paths(ctx context.Context, fl *engine.Flow, opts PathOptions) (*PathSet, error) {
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
	m := newModel(fl)
	if opts.fullKeys {
		m.allVars, m.relative = true, false
	}
	workers := runtime.GOMAXPROCS(0)
	if opts.Dedup || workers < 2 {
		return m.explore(ctx, opts, start, nil)
	}
	jobs, err := m.splitPaths(ctx, opts, start)
	if err != nil {
		return nil, err
	}
	if len(jobs) < 2 {
		return m.explore(ctx, opts, start, nil)
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
				sets[i], errs[i] = m.explore(ctx, opts, start, jobs[i])
			}
		}()
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
	set := &PathSet{Flow: fl.Name(), MaxVisits: opts.MaxVisits, MaxPaths: opts.MaxPaths}
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
			return m.explore(ctx, opts, start, nil)
		}
	}
	return set, nil
}

// splitPaths returns the prefixes of the subtrees under the search's first
// two decisions, in the order a sequential search visits them: one probe
// run per first option finds how many options the second decision has.
func (m *model) splitPaths(ctx context.Context, opts PathOptions, start time.Time) ([][]int, error) {
	widths, err := m.probePath(ctx, opts, start, nil)
	if err != nil || len(widths) == 0 {
		return nil, err
	}
	var jobs [][]int
	for k := range widths[0] {
		w, err := m.probePath(ctx, opts, start, []int{k})
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
func (m *model) probePath(ctx context.Context, opts PathOptions, start time.Time, prefix []int) ([]int, error) {
	x, r := m.explorer(opts, start, prefix)
	x.next(ctx, r)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return x.width, nil
}

// explore searches the subtree under prefix (all of it for nil) depth
// first.
func (m *model) explore(ctx context.Context, opts PathOptions, start time.Time, prefix []int) (*PathSet, error) {
	x, r := m.explorer(opts, start, prefix)
	set := &PathSet{Flow: m.root.Name(), MaxVisits: opts.MaxVisits, MaxPaths: opts.MaxPaths}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p := x.next(ctx, r)
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
