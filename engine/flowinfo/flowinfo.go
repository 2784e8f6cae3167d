package flowinfo

import (
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/value"
	"github.com/tetherflow/tether/engine/yamlfile"
)

// Flow describes a compiled flow: what it is (its name, version and
// files), its variables and policy, and its states with their handlers,
// branches and timers, each with its position in the flow file. A Flow
// and everything it refers to is shared: read it, never change it.
type Flow struct {
	Name  string
	Title string
	// Version is the flow's version: label, "" when it has none.
	// SourceHash identifies the file's content alone, the same under
	// every region's policy; Hash, the content and the effective policy,
	// as snapshots record it.
	Version    string
	SourceHash string
	Hash       string
	// File is the syntax tree the flow was compiled from.
	File *syntax.File
	// Labels are the version labels of the flow and of every subflow it
	// runs, at any depth, by flow name; flows without one are left out.
	Labels map[string]string

	Start string       // the start state
	Vars  []string     // the variables, in declaration order
	Kinds []value.Kind // the kind of each of Vars
	// Sensitive are the variables that hold sensitive values (the flow's
	// sensitive: list), sorted: kept sealed, masked in logs, never shown.
	Sensitive []string
	States    []State // in declaration order
	// Outcomes are the outcomes of the flow's final states, sorted.
	Outcomes []string

	// Policy holds the effective policy values by key, PolicyKinds their
	// declared kinds and PolicySources where each value was set (in the
	// flow, or in the overlay that overrode it). PolicyKeys lists the
	// keys, sorted.
	Policy        map[string]any
	PolicyKinds   map[string]value.Kind
	PolicySources map[string]yamlfile.Pos
	PolicyKeys    []string
	// Reachable lists the states that can be reached from the start when
	// every branch whose if reads nothing but policy values and constants
	// is decided by this policy; other guards are taken as possibly true.
	// In declaration order.
	Reachable []string

	// Subflows are the flows this flow runs with `run: flow:NAME`, by
	// name, each under the policy this flow gives it.
	Subflows map[string]*Flow

	// ClockRelative says that the flow uses the clock only through
	// distances (now() minus a Time variable, a Time variable plus a
	// duration, two of them compared): two sessions of it in the same
	// states, whose Time variables and timers are as far from their
	// clocks, decide alike whatever the clocks say. Its subflows say so of
	// themselves.
	ClockRelative bool

	// Properties are the flow's properties, in the order written.
	Properties []Property
}

// State describes one state of a compiled flow.
type State struct {
	Name string
	Kind syntax.StateKind
	Pos  yamlfile.Pos // of the state's name

	// Run is what a run state runs, as written: an action's name or
	// flow:NAME. RunPos is where. Subflow describes the flow a `run:
	// flow:NAME` state runs.
	Run     string
	RunPos  yamlfile.Pos
	Subflow *Flow
	// Outputs are what the action gives back (result.*), as its spec
	// declares them.
	Outputs []Output

	// Events are what the state can receive, in declaration order: its
	// prompt's choices, or the outcomes of its action or subflow.
	Events []string

	// Outcome and Success are a final state's outcome and whether it
	// counts as a success.
	Outcome string
	Success bool

	// Sensitive are the sensitive outputs, sorted: of a run state's
	// action or subflow (declared by the action, or marked in either
	// flow), or of a final state (marked).
	Sensitive []string

	// Handlers are the state's on: handlers, sorted by event.
	Handlers []Handler
	// Timers are the state's after: timers, in declaration order.
	Timers []Timer

	// Reads are the flow's variables that an expression of the state may
	// read, in declaration order: its prompt's text, help, fields and
	// choices, its action's or subflow's parameters, its final message and
	// outputs, its timers' delays, and the guards and assignments of its
	// handlers and timers. A variable not in it is not read while the
	// session is in the state.
	Reads []string
	// Decides are the variables, among Reads, that can change where a
	// session goes from the state: its guards, its timers' delays, its
	// fields' if: conditions and its choices' available_at read them, or
	// its subflow's parameters do. The others are only shown (texts,
	// messages) or passed to actions, and assigned on.
	Decides []string
}

// Output is one output of an action: its name and kind.
type Output struct {
	Name string
	Kind value.Kind
}

// Handler describes the handler of one event: its branches, in the order
// they are tried.
type Handler struct {
	// Event is a choice or an outcome, or "after KEY" for a timer, as
	// eventlog.Entry.Event records it.
	Event    string
	Pos      yamlfile.Pos
	Branches []Branch
	// Decides lists the bool outputs of the state's action (result.*)
	// that can decide where the handler goes: its guards read them, or
	// its assignments to bool variables do. A search gives them both
	// values; the outputs it does not list cannot change a guard here
	// but through a variable of another kind.
	Decides []string
}

// Branch describes one branch of a handler.
type Branch struct {
	Index  int // 1-based, as eventlog.Entry.Branch
	Pos    yamlfile.Pos
	Guard  string // the source of its if; empty when it has none
	Target string // the state it goes to; empty when it stays
	// Sets are the variables the branch assigns, in the order written;
	// SetReads, for each, the variables its expression reads.
	Sets     []string
	SetReads [][]string
	// Policy is what the flow's policy alone says of Guard.
	Policy Guard
}

// Timer describes one after: timer of a state.
type Timer struct {
	Key     string // as written: "5m" or "policy.code_lifetime"
	Pos     yamlfile.Pos
	Handler Handler // its Event is "after KEY"
}

// Guard is what a flow's policy alone says of a branch's guard, before any
// session runs: a guard that reads nothing but policy values and constants
// is decided by the policy (see Flow.Reachable).
type Guard uint8

// What a flow's policy says of a guard.
const (
	// GuardOpen is a guard that reads variables, input, results or the
	// clock: only a running session decides it.
	GuardOpen Guard = iota
	// GuardHolds is no guard, or one the policy makes true: the branches
	// after it are never tried.
	GuardHolds
	// GuardFails is a guard the policy makes false: the branch is never
	// taken.
	GuardFails
)

// Property describes one of a flow's properties (its properties: list),
// compiled: the rule, and how to step it along a path (docs/properties.md).
type Property struct {
	Name    string
	Pos     yamlfile.Pos // of its name
	Message string
	// Ends is a property that every session can end; it has no
	// expressions, and the search itself decides it.
	Ends bool
	// When and Require are the sources of the premise ("" for every
	// point) and of what must hold where it does, with their positions.
	When, Require       string
	WhenPos, RequirePos yamlfile.Pos
	// Atoms are what its expressions ask of a point: did, chose, at and
	// ended, each once. Monitors are its once() and times(), innermost
	// first: the values Eval steps from point to point, which a search
	// keeps in its configurations.
	Atoms    []Atom
	Monitors []Monitor
	// Bound is what a times() counter counts up to and stays at: one
	// more than the largest whole number or policy value it is compared
	// with under this flow's policy, so that every comparison it takes
	// part in comes out as it would with the true count.
	Bound int
	// Vars are the flow's variables it reads; Results the action outputs
	// (result.*) it reads. A search must tell configurations apart by
	// them, and give actions' results that decide it both ways.
	Vars, Results []string
	// Eval steps the property to the point pt: from the monitors' values
	// at the point before (prev; nil at a path's first point) it writes
	// their values at pt into next (len(Monitors) long), then says whether
	// the premise holds at pt and, where it does, whether the requirement
	// does. An error is an evaluation error (a budget, a nil): the
	// property cannot be decided on that path. Safe for concurrent use.
	Eval func(prev []int, pt *Point, next []int) (when, holds bool, err error)
}

// MonitorOp says what a monitor keeps.
type MonitorOp uint8

// The monitors a property may use.
const (
	// MonitorOnce is once(p[, reset]): 1 when p held at some point of the
	// path, since the last point where reset held; else 0.
	MonitorOnce MonitorOp = iota + 1
	// MonitorTimes is times(p[, reset]): at how many points p held, since
	// the last point where reset held, up to Property.Bound.
	MonitorTimes
)

// Monitor is one once() or times() of a property.
type Monitor struct {
	Op  MonitorOp
	Src string // the call, as written
}

// AtomKind says what an atom asks of a point.
type AtomKind uint8

// The atoms of a property.
const (
	AtomDid   AtomKind = iota + 1 // did(ACTION, OUTCOME...): the action just answered with one of the outcomes (any, when none are named)
	AtomChose                     // chose(STATE, CHOICE...): the prompt of the root flow's STATE was just answered with one of the choices
	AtomAt                        // at(STATE): the root flow is in STATE
	AtomEnded                     // ended(OUTCOME...): the session ended with one of the outcomes (any, when none are named)
)

// Atom is one did, chose, at or ended of a property.
type Atom struct {
	Kind   AtomKind
	Action string   // did
	State  string   // chose, at
	Names  []string // outcomes or choices; empty: any
}

// Holds reports whether the atom holds at pt.
func (a *Atom) Holds(pt *Point) bool {
	any := func(name string) bool {
		if len(a.Names) == 0 {
			return true
		}
		for _, n := range a.Names {
			if n == name {
				return true
			}
		}
		return false
	}
	switch a.Kind {
	case AtomDid:
		return pt.Kind == PointOutcome && pt.Action == a.Action && any(pt.Name)
	case AtomChose:
		return pt.Kind == PointChoice && pt.Root && pt.State == a.State && any(pt.Name)
	case AtomAt:
		return pt.At == a.State
	case AtomEnded:
		return pt.Ended != "" && any(pt.Ended)
	}
	return false
}

// PointKind says what decision led to a point of a path.
type PointKind uint8

// The decisions of a path, as properties see them.
const (
	PointStart   PointKind = iota // the session started: no decision yet
	PointOutcome                  // an action answered
	PointChoice                   // a prompt was answered
	PointTimer                    // a timer fired, or time passed at a prompt
)

// Point is one point of a session's path as a property sees it: the
// decision that led there and the configuration it led to.
type Point struct {
	Kind PointKind
	// State is where the decision was made, Root whether that state is
	// the root flow's (not a subflow's).
	State string
	Root  bool
	// Action and Name: the action that answered and its outcome, or the
	// choice made.
	Action, Name string
	// Result holds the action's outputs (all it declares; nil for other
	// decisions).
	Result map[string]any
	// At is the root flow's state after the decision; Ended the outcome
	// when the session ended there ("" while it goes on).
	At, Ended string
	// Vars are the root flow's variables after the decision.
	Vars map[string]any
}
