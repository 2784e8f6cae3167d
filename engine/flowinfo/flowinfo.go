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
}

// Handler describes the handler of one event: its branches, in the order
// they are tried.
type Handler struct {
	// Event is a choice or an outcome, or "after KEY" for a timer, as
	// eventlog.Entry.Event records it.
	Event    string
	Pos      yamlfile.Pos
	Branches []Branch
}

// Branch describes one branch of a handler.
type Branch struct {
	Index  int // 1-based, as eventlog.Entry.Branch
	Pos    yamlfile.Pos
	Guard  string // the source of its if; empty when it has none
	Target string // the state it goes to; empty when it stays
	// Sets are the variables the branch assigns, in the order written.
	Sets []string
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
