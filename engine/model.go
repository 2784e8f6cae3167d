package engine

import (
	"slices"

	"github.com/expr-lang/expr/ast"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/value"
	"github.com/tetherflow/tether/engine/yamlfile"
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
	Start  string       // the start state
	Vars   []string     // the variables, in declaration order
	Kinds  []value.Kind // the kind of each of Vars
	States []StateInfo  // in declaration order
	// ClockRelative says that the flow uses the clock only through
	// distances (now() minus a Time variable, a Time variable plus a
	// duration, two of them compared): two sessions of it in the same
	// states, whose Time variables and timers are as far from their
	// clocks, decide alike whatever the clocks say. Its subflows say so of
	// themselves.
	ClockRelative bool
}

// StateInfo describes one state of a compiled flow.
type StateInfo struct {
	Name string
	Kind syntax.StateKind
	Pos  yamlfile.Pos // of the state's name

	// Run is what a run state runs, as written: an action's name or
	// flow:NAME. RunPos is where. Action is the spec of the action (a
	// copy); Subflow the flow a `run: flow:NAME` state runs.
	Run     string
	RunPos  yamlfile.Pos
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
	Pos      yamlfile.Pos
	Branches []BranchInfo
}

// BranchInfo describes one branch of a handler.
type BranchInfo struct {
	Index  int // 1-based, as Entry.Branch
	Pos    yamlfile.Pos
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
	Pos     yamlfile.Pos
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
	info := &FlowInfo{Name: f.name, Title: f.title, States: make([]StateInfo, len(f.states)), ClockRelative: f.clockRelative()}
	if f.start != nil {
		info.Start = f.start.name
	}
	info.Vars, info.Kinds = make([]string, len(f.vars)), make([]value.Kind, len(f.vars))
	for i, v := range f.vars {
		info.Vars[i], info.Kinds[i] = v.name, v.kind
	}
	for i, s := range f.states {
		si := StateInfo{Name: s.name, Kind: s.kind, Pos: s.decl.Pos, Events: slices.Clone(s.events)}
		switch s.kind {
		case syntax.RunState:
			si.Run, si.RunPos, si.Subflow = s.decl.Run.Name, s.decl.Run.Pos, f.subflow(s)
			if s.spec != nil {
				spec := *s.spec
				spec.Params, spec.Outputs = slices.Clone(spec.Params), slices.Clone(spec.Outputs)
				spec.Outcomes = slices.Clone(spec.Outcomes)
				si.Action = &spec
			}
		case syntax.FinalState:
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
	s.exprs(func(e *cexpr) {
		f.varsIn(e, func(i int) { read[i] = true })
	})
	var names []string
	for i, r := range read {
		if r {
			names = append(names, f.vars[i].name)
		}
	}
	return names
}

// varsIn calls fn with the index of every variable of f that e names, at
// each place it names one.
func (f *Flow) varsIn(e *cexpr, fn func(i int)) {
	node := e.node()
	ast.Walk(&node, visitFunc(func(n ast.Node) {
		if id, ok := n.(*ast.IdentifierNode); ok {
			if i, ok := f.varIdx[id.Value]; ok {
				fn(i)
			}
		}
	}))
}

// exprs calls fn with every compiled expression of s: its prompt's text,
// help, fields and choices, its parameters, its final message and
// outputs, its timers' delays, and the guards and assignments of its
// handlers and timers.
func (s *state) exprs(fn func(*cexpr)) {
	add := func(e *cexpr) {
		if e != nil {
			fn(e)
		}
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
	for _, ev := range sortedKeys(s.on) {
		handler(s.on[ev])
	}
	for _, t := range s.timers {
		add(t.delay)
		handler(t.handler)
	}
}

// clockRelative reports whether the flow's expressions use the clock only
// through distances: whether two sessions whose clocks differ, and whose
// Time variables and timers differ from them by the same amounts, decide
// alike. It holds when every clock value (now(), a variable of kind Time,
// either plus or minus a duration) is compared with, or subtracted from,
// another clock value, has a duration added or subtracted, or is the whole
// of an expression (a value assigned, passed, shown or waited for). It
// fails on anything that reads the time itself: a date, the hour, a
// format, a comparison with a time that is not the clock's (a constant, an
// action's result), a clock value in a list or a condition.
func (f *Flow) clockRelative() bool {
	ok := true
	for _, s := range f.states {
		s.exprs(func(e *cexpr) {
			if ok && !f.relativeUse(e.node()) {
				ok = false
			}
		})
	}
	return ok
}

// relativeUse reports whether every clock value in the expression root is
// used through distances only: it is root itself, or an operand of an
// operator that relativeOperand allows.
func (f *Flow) relativeUse(root ast.Node) bool {
	// Most expressions use no clock value at all: a clock value is, or
	// contains, now() or a Time variable, which one walk finds.
	clock := false
	ast.Walk(&root, visitFunc(func(n ast.Node) {
		switch n.(type) {
		case *ast.CallNode, *ast.IdentifierNode:
			clock = clock || f.isClock(n)
		}
	}))
	if !clock {
		return true
	}
	allowed := map[ast.Node]bool{root: true}
	ast.Walk(&root, visitFunc(func(n ast.Node) {
		if b, ok := n.(*ast.BinaryNode); ok {
			if f.relativeOperand(b, b.Left, b.Right) {
				allowed[b.Left] = true
			}
			if f.relativeOperand(b, b.Right, b.Left) {
				allowed[b.Right] = true
			}
		}
	}))
	ok := true
	ast.Walk(&root, visitFunc(func(n ast.Node) {
		if !allowed[n] && f.isClock(n) {
			ok = false
		}
	}))
	return ok
}

// isClock reports whether n is a clock value: now(), a variable of kind
// Time, or one of those plus or minus a duration.
func (f *Flow) isClock(n ast.Node) bool {
	switch x := n.(type) {
	case *ast.CallNode:
		id, ok := x.Callee.(*ast.IdentifierNode)
		return ok && id.Value == "now" && len(x.Arguments) == 0
	case *ast.IdentifierNode:
		i, ok := f.varIdx[x.Value]
		return ok && f.vars[i].kind == value.Time
	case *ast.BinaryNode:
		return (x.Operator == "+" || x.Operator == "-") && x.Type() == timeType && (f.isClock(x.Left) || f.isClock(x.Right))
	}
	return false
}

// relativeOperand reports whether the operand n of b, other the other
// one, is used through distances if it is a clock value.
func (f *Flow) relativeOperand(b *ast.BinaryNode, n, other ast.Node) bool {
	switch b.Operator {
	case "+", "-":
		if b.Type() == timeType { // clock plus or minus a duration
			return other.Type() == durationType && (b.Operator == "+" || b.Left == n)
		}
		return b.Operator == "-" && f.isClock(other) // clock minus clock
	case "<", "<=", ">", ">=", "==", "!=":
		return f.isClock(other)
	}
	return false
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
