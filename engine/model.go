package engine

import (
	"maps"
	"slices"
	"sync"

	"github.com/expr-lang/expr/ast"
	"github.com/tetherflow/tether/engine/flowinfo"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/value"
)

// The read-only model of a compiled flow (package flowinfo): what tools
// that reason about a flow without running it (the explore package's path
// search, coverage and diagrams, compat's comparisons) need to know of it,
// in the engine's own terms, so that they never compile or interpret a
// flow themselves.

// lazyInfo is a flow's model, built on first use.
type lazyInfo struct {
	once sync.Once
	v    *flowinfo.Flow
}

// Info describes the flow: its versions, variables and policy, and its
// states with their handlers, branches and timers, each with its position
// in the flow file; a subflow in it is described in turn. It is built on
// the first call and shared by every caller: read it, never change it.
func (f *Flow) Info() *flowinfo.Flow {
	if f.info == nil {
		return f.buildInfo()
	}
	f.info.once.Do(func() { f.info.v = f.buildInfo() })
	return f.info.v
}

func (f *Flow) buildInfo() *flowinfo.Flow {
	info := &flowinfo.Flow{
		Name: f.name, Title: f.title, Version: f.version(), SourceHash: f.sourceHash(), Hash: f.hash,
		File: f.file, Labels: f.labels(),
		States:   make([]flowinfo.State, len(f.states)),
		Outcomes: slices.Clone(f.outcomes),
		Policy:   maps.Clone(f.policy), PolicyKinds: maps.Clone(f.pkinds), PolicySources: maps.Clone(f.psource),
		PolicyKeys: f.policyKeys(), Reachable: f.policyReachable(),
		Subflows:      map[string]*flowinfo.Flow{},
		Sensitive:     slices.Clone(f.sensitiveNames),
		ClockRelative: f.clockRelative(),
	}
	info.Properties = f.propertiesInfo()
	if f.start != nil {
		info.Start = f.start.name
	}
	info.Vars, info.Kinds = make([]string, len(f.vars)), make([]value.Kind, len(f.vars))
	for i, v := range f.vars {
		info.Vars[i], info.Kinds[i] = v.name, v.kind
	}
	for i, s := range f.states {
		si := flowinfo.State{Name: s.name, Kind: s.kind, Pos: s.decl.Pos, Events: slices.Clone(s.events)}
		switch s.kind {
		case syntax.RunState:
			si.Run, si.RunPos = s.decl.Run.Name, s.decl.Run.Pos
			if s.spec != nil {
				for _, o := range s.spec.Outputs {
					si.Outputs = append(si.Outputs, flowinfo.Output{Name: o.Name, Kind: o.Kind})
				}
			}
			if sub := f.subflow(s); sub != nil {
				si.Subflow = sub.Info()
				info.Subflows[sub.name] = si.Subflow
			}
		case syntax.FinalState:
			si.Outcome, si.Success = s.decl.Outcome.Name, s.decl.Success
		}
		if len(s.on) > 0 {
			si.Handlers = make([]flowinfo.Handler, 0, len(s.on))
			for _, ev := range sortedKeys(s.on) {
				si.Handlers = append(si.Handlers, f.handlerInfo(s, s.on[ev]))
			}
		}
		if len(s.timers) > 0 {
			si.Timers = make([]flowinfo.Timer, len(s.timers))
			for j, t := range s.timers {
				si.Timers[j] = flowinfo.Timer{Key: t.key, Pos: t.pos, Handler: f.handlerInfo(s, t.handler)}
			}
		}
		si.Reads = f.reads(s)
		if len(s.sensitiveOut) > 0 {
			si.Sensitive = sortedKeys(s.sensitiveOut)
		}
		si.Decides = f.decidesVars(s)
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
	return f.varNames(read)
}

// decidesVars returns the variables of f that can change where a session
// goes from s (flowinfo.State.Decides), in declaration order.
func (f *Flow) decidesVars(s *state) []string {
	read := make([]bool, len(f.vars))
	add := func(e *cexpr) {
		if e != nil {
			f.varsIn(e, func(i int) { read[i] = true })
		}
	}
	handler := func(h *handler) {
		for _, b := range h.branches {
			add(b.cond)
		}
	}
	for _, h := range s.on {
		handler(h)
	}
	for _, t := range s.timers {
		add(t.delay)
		handler(t.handler)
	}
	for _, fd := range s.fields {
		add(fd.cond)
	}
	for _, e := range s.available {
		add(e)
	}
	if s.sub != nil {
		for _, a := range s.with {
			add(a.prog)
		}
	}
	return f.varNames(read)
}

// varNames returns the names of the variables read marks, in declaration
// order.
func (f *Flow) varNames(read []bool) []string {
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
	text(s.body)
	text(s.help)
	text(s.message)
	for _, fd := range s.fields {
		add(fd.cond)
		text(fd.label)
		text(fd.hint)
		add(fd.options)
		add(fd.prefill)
	}
	for i := range s.labels {
		text(s.labels[i])
		add(s.urls[i])
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

func (f *Flow) handlerInfo(s *state, h *handler) flowinfo.Handler {
	hi := flowinfo.Handler{Event: h.event, Pos: h.pos, Branches: make([]flowinfo.Branch, len(h.branches))}
	if s.spec != nil {
		hi.Decides = decides(s.spec, h)
	}
	for i, b := range h.branches {
		bi := flowinfo.Branch{Index: b.idx + 1, Pos: b.pos, Guard: b.condSrc}
		if b.target != nil {
			bi.Target = b.target.name
		}
		for _, a := range b.set {
			bi.Sets = append(bi.Sets, a.name)
			var reads []string
			if a.prog != nil {
				read := make([]bool, len(f.vars))
				f.varsIn(a.prog, func(i int) { read[i] = true })
				reads = f.varNames(read)
			}
			bi.SetReads = append(bi.SetReads, reads)
		}
		switch holds, decided := f.policyGuard(b); {
		case decided && holds:
			bi.Policy = flowinfo.GuardHolds
		case decided:
			bi.Policy = flowinfo.GuardFails
		}
		hi.Branches[i] = bi
	}
	return hi
}

// decides returns the bool outputs of spec that h's guards read, or its
// assignments to bool variables, in the order spec declares them.
func decides(spec *Spec, h *handler) []string {
	read := map[string]bool{}
	each := func(e *cexpr) {
		if e != nil {
			for _, name := range resultsRead(e) {
				read[name] = true
			}
		}
	}
	for _, b := range h.branches {
		each(b.cond)
		for _, a := range b.set {
			if a.kind == value.Bool {
				each(a.prog)
			}
		}
	}
	var out []string
	for _, o := range spec.Outputs {
		if o.Kind == value.Bool && read[o.Name] {
			out = append(out, o.Name)
		}
	}
	return out
}

// resultsRead returns the outputs e reads as result.NAME.
func resultsRead(e *cexpr) []string {
	var out []string
	node := e.node()
	ast.Walk(&node, visitFunc(func(n ast.Node) {
		m, ok := n.(*ast.MemberNode)
		if !ok {
			return
		}
		id, ok := m.Node.(*ast.IdentifierNode)
		p, isStr := m.Property.(*ast.StringNode)
		if ok && isStr && id.Value == "result" && !slices.Contains(out, p.Value) {
			out = append(out, p.Value)
		}
	}))
	return out
}
