package engine

// Properties: the rules a flow's sessions keep (syntax.Property), compiled
// against the flow so that a property naming an unknown state, action,
// outcome, choice or variable, or one that is not boolean, is a positioned
// error when the flow is checked. A property's expressions read the path
// through functions (did, chose, at, ended: the point; once, times: the
// path so far), which the compiler takes out of the expression: each
// becomes a variable of the environment ($a0, $m0, ...), and the arguments
// of once and times programs of their own. A tool that searches a flow's
// paths (package explore) steps each property's monitors along a path with
// flowinfo.Property.Eval; docs/properties.md says what the language means.

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/types"
	"github.com/tetherflow/tether/engine/flowinfo"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/value"
	"github.com/tetherflow/tether/internal/suggest"
)

// cproperty is a compiled property.
type cproperty struct {
	decl  *syntax.Property
	atoms []flowinfo.Atom
	mons  []cmonitor // innermost first: each reads only those before it
	when  *cexpr     // nil: every point
	req   *cexpr
	vars  []string // the flow's variables it reads
	res   []string // the outputs (result.*) it reads
	// lits and pkeys are the integer literals and policy keys times() is
	// compared with: a counter need not count past the largest of them.
	lits  []int
	pkeys []string
}

// cmonitor is a compiled once(p, reset) or times(p, reset).
type cmonitor struct {
	times    bool
	p, reset *cexpr // reset nil: never
	src      string
}

// propertyFuncs are the functions a property's expressions may call,
// beside expr's builtins.
var propertyFuncs = []string{"did", "chose", "at", "ended", "once", "times"}

// propScope is what a property's expressions are compiled against.
type propScope struct {
	fl      *Flow
	env     types.Map
	cfg     *conf.Config
	actions map[string]*Spec // every action the flow and its subflows run
}

// properties compiles the flow's properties.
func (c *compiler) properties(fl *Flow, props []*syntax.Property, policy types.Map) {
	if len(props) == 0 {
		return
	}
	ps := &propScope{fl: fl, actions: map[string]*Spec{}}
	fl.runActions(ps.actions, map[*Flow]bool{})
	result := types.Map{}
	conflict := map[string]bool{}
	for _, name := range sortedKeys(ps.actions) {
		for _, o := range ps.actions[name].Outputs {
			t := exprType(o.Kind)
			if prev, ok := result[o.Name]; ok && !prev.Equal(t) {
				conflict[o.Name] = true
			}
			result[o.Name] = t
		}
	}
	for k := range conflict {
		delete(result, k) // two actions give it with different kinds
	}
	env := types.Map{"policy": policy, "result": result}
	for _, v := range fl.vars {
		env[v.name] = exprType(v.kind)
	}
	for _, p := range props {
		// Each property numbers its atoms and monitors from 0: an
		// environment of its own.
		ps.env, ps.cfg = maps.Clone(env), nil
		cp := &cproperty{decl: p}
		if p.Ends {
			fl.props = append(fl.props, cp)
			continue
		}
		ok := true
		if p.When != nil {
			cp.when = c.propExpr(ps, cp, p.When, "when")
			ok = cp.when != nil
		}
		cp.req = c.propExpr(ps, cp, p.Require, "require")
		if ok && cp.req != nil {
			fl.props = append(fl.props, cp)
		}
	}
}

// runActions adds the actions f and its subflows run to out, by name.
func (f *Flow) runActions(out map[string]*Spec, seen map[*Flow]bool) {
	if f == nil || seen[f] {
		return
	}
	seen[f] = true
	for _, s := range f.states {
		if s.spec != nil {
			out[s.spec.Name] = s.spec
		}
		s.sub.runActions(out, seen) // the compiled subflow: subs are made later
	}
}

// propExpr compiles one of a property's expressions (what says which),
// taking its path functions out into cp's atoms and monitors.
func (c *compiler) propExpr(ps *propScope, cp *cproperty, e *syntax.Expr, what string) *cexpr {
	if off, msg, ok := scanExpr(e.Src, c.cfg.limits); !ok {
		c.exprErrorOff(e, off, msg)
		return nil
	}
	tree, err := parser.ParseWithConfig(e.Src, c.base())
	if err != nil {
		c.exprError(e, err)
		return nil
	}
	pc := &propCompile{c: c, ps: ps, cp: cp, e: e, tree: tree, srcs: map[ast.Node]string{}}
	// Messages quote the calls and their arguments as written, before
	// the walk below replaces what they contain.
	ast.Walk(&tree.Node, visitFunc(func(n ast.Node) {
		if call, ok := n.(*ast.CallNode); ok {
			pc.srcs[call] = call.String()
			for _, a := range call.Arguments {
				pc.srcs[a] = a.String()
			}
		}
	}))
	pc.srcs[tree.Node] = strings.TrimSpace(e.Src)
	ast.Walk(&tree.Node, pc)
	if pc.failed {
		return nil
	}
	ce := pc.program(tree.Node, what)
	if ce == nil {
		return nil
	}
	pc.checkTimes(tree.Node)
	if pc.failed {
		return nil
	}
	return ce
}

// propCompile takes the path functions out of one expression. ast.Walk
// visits a node's children before the node, so a call's arguments are
// taken out before the call.
type propCompile struct {
	c      *compiler
	ps     *propScope
	cp     *cproperty
	e      *syntax.Expr
	tree   *parser.Tree
	failed bool
	srcs   map[ast.Node]string // the calls and their arguments, and the whole, as written
	// times holds the variables that stand for times() calls.
	times map[string]bool
}

func (pc *propCompile) errorAt(n ast.Node, format string, args ...any) {
	fe := &file.Error{Location: n.Location(), Message: fmt.Sprintf(format, args...)}
	fe.Bind(pc.tree.Source)
	pc.c.errs.Add(exprPos(pc.e, fe.Line, fe.Column), "%s", fe.Message)
	pc.failed = true
}

func (pc *propCompile) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		if strings.HasPrefix(n.Value, "$") && !pc.ours(n.Value) {
			pc.errorAt(n, "unknown name %s", n.Value)
		}
	case *ast.MemberNode:
		pc.member(n)
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok || !slices.Contains(propertyFuncs, id.Value) {
			return
		}
		var name string
		switch id.Value {
		case "once", "times":
			name = pc.monitor(n, id.Value)
		default:
			name = pc.atom(n, id.Value)
		}
		if name == "" {
			pc.failed = true
			name = "false"
		}
		repl := &ast.IdentifierNode{Value: name}
		ast.Patch(node, repl)
	}
}

// ours reports whether name is one of the variables the compiler made.
func (pc *propCompile) ours(name string) bool {
	n := len(pc.cp.atoms)
	if strings.HasPrefix(name, "$m") {
		n = len(pc.cp.mons)
	} else if !strings.HasPrefix(name, "$a") {
		return false
	}
	i, err := strconv.Atoi(name[2:])
	return err == nil && i < n
}

// member records the variables and outputs the expression reads.
func (pc *propCompile) member(n *ast.MemberNode) {
	id, ok := n.Node.(*ast.IdentifierNode)
	p, isStr := n.Property.(*ast.StringNode)
	if !ok || !isStr || id.Value != "result" {
		return
	}
	if !slices.Contains(pc.cp.res, p.Value) {
		pc.cp.res = append(pc.cp.res, p.Value)
	}
}

// strArgs returns the call's arguments, each of which must be a string
// literal; at least min of them.
func (pc *propCompile) strArgs(n *ast.CallNode, fn string, min int, usage string) ([]string, bool) {
	if len(n.Arguments) < min {
		pc.errorAt(n, "%s takes %s", fn, usage)
		return nil, false
	}
	out := make([]string, len(n.Arguments))
	for i, a := range n.Arguments {
		s, ok := a.(*ast.StringNode)
		if !ok {
			pc.errorAt(a, "%s takes names in quotes (%s), not expressions", fn, usage)
			return nil, false
		}
		out[i] = s.Value
	}
	return out, true
}

// known reports whether args[from:] are all in allowed, reporting the
// first that is not with msg (its name, then allowed's).
func (pc *propCompile) known(n *ast.CallNode, args []string, from int, allowed []string, msg string) bool {
	for i, a := range args[from:] {
		if !slices.Contains(allowed, a) {
			pc.errorAt(n.Arguments[from+i], msg, a, strings.Join(allowed, ", "))
			return false
		}
	}
	return true
}

// atom takes did, chose, at or ended out, checking the names it is given.
func (pc *propCompile) atom(n *ast.CallNode, fn string) string {
	fl := pc.ps.fl
	a := flowinfo.Atom{}
	switch fn {
	case "did":
		args, ok := pc.strArgs(n, fn, 1, `an action and its outcomes: did("portal.sign_in", "ok")`)
		if !ok {
			return ""
		}
		spec, known := pc.ps.actions[args[0]]
		if !known {
			pc.errorAt(n.Arguments[0], "did: flow %s runs no action %s%s", fl.name, args[0], suggest.Hint(args[0], sortedKeys(pc.ps.actions)))
			return ""
		}
		if !pc.known(n, args, 1, spec.Outcomes, "did: action "+args[0]+" has no outcome %s (it has: %s)") {
			return ""
		}
		a = flowinfo.Atom{Kind: flowinfo.AtomDid, Action: args[0], Names: args[1:]}
	case "chose":
		args, ok := pc.strArgs(n, fn, 1, `a prompt's state and its choices: chose("consent", "decline")`)
		if !ok {
			return ""
		}
		s, known := fl.byName[args[0]]
		if !known || s.kind != syntax.AskState {
			pc.errorAt(n.Arguments[0], "chose: flow %s has no ask state %s%s", fl.name, args[0], suggest.Hint(args[0], fl.askStates()))
			return ""
		}
		if !pc.known(n, args, 1, s.events, "chose: state "+args[0]+" offers no choice %s (it offers: %s)") {
			return ""
		}
		a = flowinfo.Atom{Kind: flowinfo.AtomChose, State: args[0], Names: args[1:]}
	case "at":
		args, ok := pc.strArgs(n, fn, 1, `one state: at("consent")`)
		if !ok {
			return ""
		}
		if len(args) != 1 {
			pc.errorAt(n, `at takes one state: at("consent")`)
			return ""
		}
		if _, known := fl.byName[args[0]]; !known {
			pc.errorAt(n.Arguments[0], "at: flow %s has no state %s%s", fl.name, args[0], suggest.Hint(args[0], fl.stateNames()))
			return ""
		}
		a = flowinfo.Atom{Kind: flowinfo.AtomAt, State: args[0]}
	case "ended":
		args, ok := pc.strArgs(n, fn, 0, `outcomes: ended("connected"), or ended() for any`)
		if !ok {
			return ""
		}
		if !pc.known(n, args, 0, fl.outcomes, "ended: flow "+fl.name+" has no outcome %s (it has: %s)") {
			return ""
		}
		a = flowinfo.Atom{Kind: flowinfo.AtomEnded, Names: args}
	}
	for i, b := range pc.cp.atoms {
		if b.Kind == a.Kind && b.Action == a.Action && b.State == a.State && slices.Equal(b.Names, a.Names) {
			return "$a" + strconv.Itoa(i)
		}
	}
	pc.cp.atoms = append(pc.cp.atoms, a)
	pc.ps.env["$a"+strconv.Itoa(len(pc.cp.atoms)-1)] = types.Bool
	pc.ps.cfg = nil
	return "$a" + strconv.Itoa(len(pc.cp.atoms)-1)
}

// monitor takes once(p) or once(p, reset), times(p) or times(p, reset)
// out: its arguments become programs of their own.
func (pc *propCompile) monitor(n *ast.CallNode, fn string) string {
	if len(n.Arguments) < 1 || len(n.Arguments) > 2 {
		pc.errorAt(n, "%s takes a condition and, optionally, a reset: %s(p) or %s(p, reset)", fn, fn, fn)
		return ""
	}
	m := cmonitor{times: fn == "times", src: pc.srcs[n]}
	m.p = pc.program(n.Arguments[0], fn)
	if len(n.Arguments) == 2 {
		m.reset = pc.program(n.Arguments[1], fn+"'s reset")
	}
	if m.p == nil || len(n.Arguments) == 2 && m.reset == nil {
		return ""
	}
	name := "$m" + strconv.Itoa(len(pc.cp.mons))
	pc.cp.mons = append(pc.cp.mons, m)
	if m.times {
		pc.ps.env[name] = types.Int
		if pc.times == nil {
			pc.times = map[string]bool{}
		}
		pc.times[name] = true
	} else {
		pc.ps.env[name] = types.Bool
	}
	pc.ps.cfg = nil
	return name
}

// program checks and compiles the subtree n, which must be a bool.
func (pc *propCompile) program(n ast.Node, what string) *cexpr {
	if pc.failed {
		return nil
	}
	cfg := pc.config()
	tree := &parser.Tree{Node: n, Source: pc.tree.Source}
	if _, err := checker.Check(tree, cfg); err != nil {
		pc.c.exprError(pc.e, err)
		pc.failed = true
		return nil
	}
	if kind := kindOf(tree.Node.Type()); kind != value.Bool && kind != value.Any {
		pc.c.errs.Add(pc.e.Pos, "%s: %s is %s, want a bool", what, pc.srcs[n], kind.Article())
		pc.failed = true
		return nil
	}
	prog, patched := pc.c.finish(tree, cfg, pc.e)
	if prog == nil {
		pc.failed = true
		return nil
	}
	return &cexpr{prog: prog, src: pc.srcs[n], budget: patched, lim: pc.c.cfg.limits}
}

// config returns expr's configuration for the property's environment as
// it stands (each atom and monitor adds a variable to it).
func (pc *propCompile) config() *conf.Config {
	if pc.ps.cfg == nil {
		cfg := *pc.c.base()
		env := make(types.Map, len(pc.ps.env)+1)
		for k, v := range pc.ps.env {
			env[k] = v
		}
		env[budgetVar] = types.TypeOf((*evalBudget)(nil))
		cfg.WithEnv(env)
		pc.ps.cfg = &cfg
	}
	return pc.ps.cfg
}

// checkTimes holds every times() of the expression to a comparison with
// an integer literal or an integer policy value: a counter then need not
// count past the largest of them, which keeps the search finite and its
// verdict exact.
func (pc *propCompile) checkTimes(root ast.Node) {
	if len(pc.times) == 0 {
		return
	}
	fl := pc.ps.fl
	allowed := map[ast.Node]bool{}
	ast.Walk(&root, visitFunc(func(n ast.Node) {
		b, ok := n.(*ast.BinaryNode)
		if !ok {
			return
		}
		switch b.Operator {
		case "<", "<=", ">", ">=", "==", "!=":
		default:
			return
		}
		for _, side := range [][2]ast.Node{{b.Left, b.Right}, {b.Right, b.Left}} {
			id, ok := side[0].(*ast.IdentifierNode)
			if !ok || !pc.times[id.Value] {
				continue
			}
			switch o := side[1].(type) {
			case *ast.IntegerNode:
				allowed[id] = true
				pc.cp.lits = append(pc.cp.lits, o.Value)
			case *ast.MemberNode:
				pid, ok := o.Node.(*ast.IdentifierNode)
				key, isStr := o.Property.(*ast.StringNode)
				if ok && isStr && pid.Value == "policy" && fl.pkinds[key.Value] == value.Int {
					allowed[id] = true
					if !slices.Contains(pc.cp.pkeys, key.Value) {
						pc.cp.pkeys = append(pc.cp.pkeys, key.Value)
					}
				}
			}
		}
	}))
	ast.Walk(&root, visitFunc(func(n ast.Node) {
		if id, ok := n.(*ast.IdentifierNode); ok && pc.times[id.Value] && !allowed[id] {
			pc.errorAt(id, "times(...) must be compared with a whole number or an integer policy value (times(p) >= policy.KEY), so that the search knows how far to count")
		}
	}))
}

// askStates lists the flow's ask states, for suggestions.
func (f *Flow) askStates() []string {
	var out []string
	for _, s := range f.states {
		if s.kind == syntax.AskState {
			out = append(out, s.name)
		}
	}
	return out
}

// propertiesInfo describes the flow's properties for flowinfo.
func (f *Flow) propertiesInfo() []flowinfo.Property {
	out := make([]flowinfo.Property, 0, len(f.props))
	for _, cp := range f.props {
		d := cp.decl
		p := flowinfo.Property{
			Name: d.Name.Name, Pos: d.Name.Pos, Message: d.Message, Ends: d.Ends,
			Atoms: cp.atoms, Results: cp.res,
		}
		if d.Ends {
			out = append(out, p)
			continue
		}
		if d.When != nil {
			p.When, p.WhenPos = strings.TrimSpace(d.When.Src), d.When.Pos
		}
		p.Require, p.RequirePos = strings.TrimSpace(d.Require.Src), d.Require.Pos
		p.Bound = 1
		for _, l := range cp.lits {
			p.Bound = max(p.Bound, l+1)
		}
		for _, k := range cp.pkeys {
			if v, ok := f.policy[k].(int); ok {
				p.Bound = max(p.Bound, v+1)
			}
		}
		for _, m := range cp.mons {
			op := flowinfo.MonitorOnce
			if m.times {
				op = flowinfo.MonitorTimes
			}
			p.Monitors = append(p.Monitors, flowinfo.Monitor{Op: op, Src: m.src})
		}
		p.Vars = f.propVars(cp)
		p.Eval = f.propertyEval(cp, p.Bound)
		out = append(out, p)
	}
	return out
}

// propVars lists the flow's variables cp's programs read, in declaration
// order.
func (f *Flow) propVars(cp *cproperty) []string {
	read := make([]bool, len(f.vars))
	each := func(e *cexpr) {
		if e != nil {
			f.varsIn(e, func(i int) { read[i] = true })
		}
	}
	each(cp.when)
	each(cp.req)
	for _, m := range cp.mons {
		each(m.p)
		each(m.reset)
	}
	return f.varNames(read)
}

// propEnv is the environment a property's programs run in, kept for the
// next evaluation.
type propEnv struct {
	env map[string]any
	s   Session
}

// propertyEval returns cp's flowinfo.Property.Eval: it computes the atoms
// at the point, steps the monitors (innermost first; a reset clears
// before the condition counts) and evaluates the premise and the
// requirement.
func (f *Flow) propertyEval(cp *cproperty, bound int) func(prev []int, pt *flowinfo.Point, next []int) (bool, bool, error) {
	atomNames := make([]string, len(cp.atoms))
	for i := range cp.atoms {
		atomNames[i] = "$a" + strconv.Itoa(i)
	}
	monNames := make([]string, len(cp.mons))
	for i := range cp.mons {
		monNames[i] = "$m" + strconv.Itoa(i)
	}
	vars := f.propVars(cp)
	pool := sync.Pool{New: func() any {
		return &propEnv{env: map[string]any{"policy": f.policy}}
	}}
	return func(prev []int, pt *flowinfo.Point, next []int) (bool, bool, error) {
		pe := pool.Get().(*propEnv)
		defer pool.Put(pe)
		env := pe.env
		fr := &frame{env: env}
		pe.s.budget.beginStep(f.limits)
		ctx := context.Background()
		for i, a := range cp.atoms {
			env[atomNames[i]] = a.Holds(pt)
		}
		for _, v := range vars {
			env[v] = pt.Vars[v]
		}
		res := pt.Result
		if res == nil {
			res = emptyMap
		}
		env["result"] = res
		for i, m := range cp.mons {
			v := 0
			if prev != nil {
				v = prev[i]
			}
			if m.reset != nil {
				r, err := pe.s.evalBool(ctx, fr, m.reset)
				if err != nil {
					return false, false, err
				}
				if r {
					v = 0
				}
			}
			p, err := pe.s.evalBool(ctx, fr, m.p)
			if err != nil {
				return false, false, err
			}
			if p {
				v = min(v+1, bound)
				if !m.times {
					v = 1
				}
			}
			next[i] = v
			if m.times {
				env[monNames[i]] = v
			} else {
				env[monNames[i]] = v == 1
			}
		}
		when := true
		if cp.when != nil {
			w, err := pe.s.evalBool(ctx, fr, cp.when)
			if err != nil {
				return false, false, err
			}
			when = w
		}
		if !when {
			return false, true, nil
		}
		ok, err := pe.s.evalBool(ctx, fr, cp.req)
		return true, ok, err
	}
}
