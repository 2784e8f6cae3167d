package engine

import (
	"slices"

	"github.com/expr-lang/expr/ast"
)

// The read-only model of a compiled flow: what tools that reason about a
// flow without running it (the explore package's path search, coverage and
// diagrams) need to know of its states, in the engine's own terms, so that
// they never compile or interpret a flow themselves.

// FlowInfo describes a compiled flow. Flow.Info builds it afresh on every
// call: changing it changes nothing in the flow.
type FlowInfo struct {
	Name   string
	Title  string
	Start  string      // the start state
	Vars   []string    // the variables, in declaration order
	States []StateInfo // in declaration order
}

// StateInfo describes one state of a compiled flow.
type StateInfo struct {
	Name string
	Kind StateKind
	Pos  Pos // of the state's name

	// Run is what a run state runs, as written: an action's name or
	// flow:NAME. RunPos is where. Action is the spec of the action (a
	// copy); Subflow the flow a `run: flow:NAME` state runs.
	Run     string
	RunPos  Pos
	Action  *Spec
	Subflow *Flow

	// Events are what the state can receive, in declaration order: its
	// prompt's choices, or the outcomes of its action or subflow.
	Events []string

	// Outcome and Success are a final state's outcome and whether it
	// counts as a success.
	Outcome string
	Success bool

	// Handlers are the state's on: handlers, sorted by event.
	Handlers []HandlerInfo
	// Timers are the state's after: timers, in declaration order.
	Timers []TimerInfo

	// Reads are the flow's variables that an expression of the state may
	// read, in declaration order: its prompt's text, help, fields and
	// choices, its action's or subflow's parameters, its final message and
	// outputs, its timers' delays, and the guards and assignments of its
	// handlers and timers. A variable not in it is not read while the
	// session is in the state.
	Reads []string
}

// HandlerInfo describes the handler of one event: its branches, in the
// order they are tried.
type HandlerInfo struct {
	// Event is a choice or an outcome, or "after KEY" for a timer, as
	// Entry.Event records it.
	Event    string
	Pos      Pos
	Branches []BranchInfo
}

// BranchInfo describes one branch of a handler.
type BranchInfo struct {
	Index  int // 1-based, as Entry.Branch
	Pos    Pos
	Guard  string // the source of its if; empty when it has none
	Target string // the state it goes to; empty when it stays
	// Sets are the variables the branch assigns, in the order written.
	Sets []string
	// Policy is what the flow's policy alone says of Guard.
	Policy PolicyGuard
}

// TimerInfo describes one after: timer of a state.
type TimerInfo struct {
	Key     string // as written: "5m" or "policy.code_lifetime"
	Pos     Pos
	Handler HandlerInfo // its Event is "after KEY"
}

// PolicyGuard is what a flow's policy alone says of a branch's guard,
// before any session runs: a guard that reads nothing but policy values and
// constants is decided by the policy (see PolicyReachable).
type PolicyGuard uint8

// What a flow's policy says of a guard.
const (
	// GuardOpen is a guard that reads variables, input, results or the
	// clock: only a running session decides it.
	GuardOpen PolicyGuard = iota
	// GuardHolds is no guard, or one the policy makes true: the branches
	// after it are never tried.
	GuardHolds
	// GuardFails is a guard the policy makes false: the branch is never
	// taken.
	GuardFails
)

// Info describes the flow: its variables, and its states with their
// actions, subflows, handlers, branches and timers, each with its position
// in the flow file. A Subflow in it is the flow that state runs.
func (f *Flow) Info() *FlowInfo {
	info := &FlowInfo{Name: f.name, Title: f.title, States: make([]StateInfo, len(f.states))}
	if f.start != nil {
		info.Start = f.start.name
	}
	info.Vars = make([]string, len(f.vars))
	for i, v := range f.vars {
		info.Vars[i] = v.name
	}
	for i, s := range f.states {
		si := StateInfo{Name: s.name, Kind: s.kind, Pos: s.decl.Pos, Events: slices.Clone(s.events)}
		switch s.kind {
		case RunState:
			si.Run, si.RunPos, si.Subflow = s.decl.Run.Name, s.decl.Run.Pos, f.subflow(s)
			if s.spec != nil {
				spec := *s.spec
				spec.Params, spec.Outputs = slices.Clone(spec.Params), slices.Clone(spec.Outputs)
				spec.Outcomes = slices.Clone(spec.Outcomes)
				si.Action = &spec
			}
		case FinalState:
			si.Outcome, si.Success = s.decl.Outcome.Name, s.decl.Success
		}
		if len(s.on) > 0 {
			si.Handlers = make([]HandlerInfo, 0, len(s.on))
			for _, ev := range sortedKeys(s.on) {
				si.Handlers = append(si.Handlers, f.handlerInfo(s.on[ev]))
			}
		}
		if len(s.timers) > 0 {
			si.Timers = make([]TimerInfo, len(s.timers))
			for j, t := range s.timers {
				si.Timers[j] = TimerInfo{Key: t.key, Pos: t.pos, Handler: f.handlerInfo(t.handler)}
			}
		}
		si.Reads = f.reads(s)
		info.States[i] = si
	}
	return info
}

// reads returns the variables of f the expressions of s may read, in
// declaration order: the identifiers that name one (expr refuses a let or
// a predicate's binding of a variable's name, so each names the variable).
func (f *Flow) reads(s *state) []string {
	read := make([]bool, len(f.vars))
	add := func(e *cexpr) {
		if e == nil {
			return
		}
		node := e.node()
		ast.Walk(&node, visitFunc(func(n ast.Node) {
			if id, ok := n.(*ast.IdentifierNode); ok {
				if i, ok := f.varIdx[id.Value]; ok {
					read[i] = true
				}
			}
		}))
	}
	text := func(t *ctext) {
		if t != nil {
			for _, p := range t.parts {
				add(p.prog)
			}
		}
	}
	assigns := func(as []*cassign) {
		for _, a := range as {
			add(a.prog)
		}
	}
	handler := func(h *handler) {
		for _, b := range h.branches {
			add(b.cond)
			assigns(b.set)
		}
	}
	text(s.text)
	text(s.help)
	text(s.message)
	for _, fd := range s.fields {
		add(fd.cond)
		add(fd.suggest)
	}
	for _, e := range s.available {
		add(e)
	}
	assigns(s.with)
	assigns(s.output)
	for _, h := range s.on {
		handler(h)
	}
	for _, t := range s.timers {
		add(t.delay)
		handler(t.handler)
	}
	var names []string
	for i, r := range read {
		if r {
			names = append(names, f.vars[i].name)
		}
	}
	return names
}

func (f *Flow) handlerInfo(h *handler) HandlerInfo {
	hi := HandlerInfo{Event: h.event, Pos: h.pos, Branches: make([]BranchInfo, len(h.branches))}
	for i, b := range h.branches {
		bi := BranchInfo{Index: b.idx + 1, Pos: b.pos, Guard: b.condSrc}
		if b.target != nil {
			bi.Target = b.target.name
		}
		for _, a := range b.set {
			bi.Sets = append(bi.Sets, a.name)
		}
		switch holds, decided := f.policyGuard(b); {
		case decided && holds:
			bi.Policy = GuardHolds
		case decided:
			bi.Policy = GuardFails
		}
		hi.Branches[i] = bi
	}
	return hi
}
