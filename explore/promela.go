package explore

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/flowinfo"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/value"
)

// PromelaModel is a flow, under its policy, and its properties written as
// a Promela model for the SPIN model checker (docs/properties.md).
type PromelaModel struct {
	Source []byte
	// Claims are the ltl claims, one per when:/require: property, named
	// as the property; Ends names the ends: property's claim, [] <>
	// waiting: every run comes back to a prompt or ends (a run of
	// actions alone, or one stuck where no branch holds, breaks it); ""
	// when there is none. Whether a final state can be reached from
	// every configuration is no ltl claim: SPIN does not check it.
	Claims []string
	Ends   string
	// Abstractions are what the model could not write in Promela and
	// left to a free choice: SPIN may find violations through them that
	// the flow does not have, never fewer. A trail through one prints
	// "abstraction NAME".
	Abstractions []Abstraction
}

// Abstraction is one expression the model leaves to a free choice.
type Abstraction struct {
	Name  string // A1, A2, ...
	Where string // file:line:col of the expression
	What  string // the expression, and why
}

// Promela writes the flow fl, under its policy, and its properties as a
// Promela model. The model holds the states of the flow and of every
// subflow it runs (a copy per state that runs it), the variables that a
// guard or a property reads and that only bool, int and string-constant
// expressions set (strings as numbers), the bool outputs of actions that
// the flow or a property reads (each given both values), and, per
// property, its monitors and a flag its ltl claim holds false. A guard it
// cannot write (the clock, a list, a variable it does not hold) is a free
// choice, named in Abstractions; timers may fire at any time their prompt
// waits, the clock being no part of the model.
func Promela(fl *engine.Flow) (*PromelaModel, error) {
	g := &pgen{info: fl.Info(), enums: map[string][]string{}, model: &PromelaModel{}}
	g.root = g.info.Name
	g.instance(g.info, "", nil)
	set := map[string]bool{}
	for _, ps := range g.states {
		for _, ev := range ps.st.Events {
			for _, r := range g.varied(ps, ev) {
				set[r] = true
			}
		}
	}
	g.results = sortedSet(set)
	g.vars()
	if err := g.write(); err != nil {
		return nil, err
	}
	return g.model, nil
}

// pinst is one copy of a flow in the model: the root, or a subflow as a
// state of its parent runs it.
type pinst struct {
	info   *flowinfo.Flow
	prefix string // "" for the root; "parent_state__" for a subflow
	parent *pinst
	call   *pstate // the parent's state that runs it
	states map[string]*pstate
}

type pstate struct {
	id   int
	inst *pinst
	st   *flowinfo.State
	decl *syntax.StateDecl
	sub  *pinst // the subflow a run: flow: state runs
}

// pgen writes one model.
type pgen struct {
	info   *flowinfo.Flow
	root   string
	insts  []*pinst
	states []*pstate
	// model holds the variables (by instance prefix and name) the model
	// keeps, with their kinds; enums the values of each string variable.
	held   map[string]value.Kind
	enums  map[string][]string
	events []string // event ids: index 0 is none
	evIDs  map[[3]string]int
	// results are the bool outputs the model gives both values, each a
	// local r_NAME of the process.
	results []string
	b       strings.Builder
	model   *PromelaModel
	ndMax   int // free choices in one handler, at most
	maxSets int // assignments in one branch, at most
}

func (g *pgen) instance(info *flowinfo.Flow, prefix string, call *pstate) *pinst {
	in := &pinst{info: info, prefix: prefix, call: call, states: map[string]*pstate{}}
	if call != nil {
		in.parent = call.inst
	}
	g.insts = append(g.insts, in)
	decls := map[string]*syntax.StateDecl{}
	for _, d := range info.File.States {
		decls[d.Name] = d
	}
	for i := range info.States {
		st := &info.States[i]
		ps := &pstate{id: len(g.states) + 1, inst: in, st: st, decl: decls[st.Name]}
		g.states = append(g.states, ps)
		in.states[st.Name] = ps
	}
	for i := range info.States {
		st := &info.States[i]
		if st.Subflow != nil {
			ps := in.states[st.Name]
			ps.sub = g.instance(st.Subflow, prefix+st.Name+"__", ps)
		}
	}
	return in
}

// vname is the Promela name of variable v of instance in.
func vname(in *pinst, v string) string { return "v_" + in.prefix + v }

// kindOf returns the declared kind of variable v of in's flow.
func varKind(in *pinst, v string) (value.Kind, bool) {
	i := slices.Index(in.info.Vars, v)
	if i < 0 {
		return 0, false
	}
	return in.info.Kinds[i], true
}

// vars decides which variables the model holds: those that a guard or a
// property reads, or an assignment to such a variable, of kind bool, int
// or string, whose every assignment the model can write.
func (g *pgen) vars() {
	need := map[string]bool{}
	var mark func(in *pinst, src string)
	mark = func(in *pinst, src string) {
		for _, id := range identifiers(src) {
			if _, ok := varKind(in, id); ok {
				need[in.prefix+"\x00"+id] = true
			}
		}
	}
	for _, in := range g.insts {
		for _, ps := range in.states {
			eachBranch(ps.st, func(b flowinfo.Branch) { mark(in, b.Guard) })
		}
	}
	for _, p := range g.info.Properties {
		mark(g.insts[0], p.When)
		mark(g.insts[0], p.Require)
		for _, m := range p.Monitors {
			mark(g.insts[0], m.Src)
		}
	}
	// Candidates: needed, of a kind the model writes; then drop those an
	// assignment cannot be written for, until none is dropped.
	g.held = map[string]value.Kind{}
	for changed := true; changed; {
		changed = false
		for _, in := range g.insts {
			g.eachSet(in, func(ps *pstate, name string, e *syntax.Expr) {
				key := in.prefix + "\x00" + name
				if need[key] {
					for _, id := range identifiers(e.Src) {
						if _, ok := varKind(in, id); ok && !need[in.prefix+"\x00"+id] {
							need[in.prefix+"\x00"+id], changed = true, true
						}
					}
				}
			})
		}
	}
	for key := range need {
		prefix, name, _ := strings.Cut(key, "\x00")
		in := g.instByPrefix(prefix)
		if k, _ := varKind(in, name); k == value.Bool || k == value.Int || k == value.String {
			g.held[key] = k
		}
	}
	for changed := true; changed; {
		changed = false
		for _, in := range g.insts {
			g.eachSet(in, func(ps *pstate, name string, e *syntax.Expr) {
				key := in.prefix + "\x00" + name
				k, ok := g.held[key]
				if !ok {
					return
				}
				if k == value.String {
					if s, ok := g.constString(in, e.Src); ok {
						g.enum(key, s)
						return
					}
					delete(g.held, key)
					changed = true
					return
				}
				if _, err := g.expr(in, ps, "", e.Src, &pctx{results: g.results}); err != nil {
					delete(g.held, key)
					changed = true
				}
			})
		}
	}
	for key, k := range g.held {
		if k == value.String {
			prefix, name, _ := strings.Cut(key, "\x00")
			g.enum(key, fmt.Sprint(g.initial(g.instByPrefix(prefix), name)))
		}
	}
}

func (g *pgen) instByPrefix(prefix string) *pinst {
	for _, in := range g.insts {
		if in.prefix == prefix {
			return in
		}
	}
	return nil
}

// enum adds s to the values of string variable key, and returns its
// number.
func (g *pgen) enum(key, s string) int {
	vals := g.enums[key]
	if i := slices.Index(vals, s); i >= 0 {
		return i
	}
	g.enums[key] = append(vals, s)
	return len(vals)
}

// initial returns variable name's initial value in in's flow.
func (g *pgen) initial(in *pinst, name string) any {
	for _, v := range in.info.File.Vars {
		if v.Name == name {
			return v.Value
		}
	}
	return nil
}

// eachSet calls fn with every set: assignment of in's flow, and every
// with: of a subflow state (as an assignment to the subflow's variable).
func (g *pgen) eachSet(in *pinst, fn func(ps *pstate, name string, e *syntax.Expr)) {
	for _, ps := range g.states {
		if ps.inst != in || ps.decl == nil {
			continue
		}
		each := func(bs []*syntax.Branch) {
			for _, b := range bs {
				for _, a := range b.Set {
					fn(ps, a.Name, a.Expr)
				}
			}
		}
		for _, h := range ps.decl.On {
			each(h.Branches)
		}
		for _, t := range ps.decl.After {
			each(t.Branches)
		}
	}
}

// identifiers returns the identifiers src names (nil when it does not
// parse).
func identifiers(src string) []string {
	var out []string
	walkSource(src, func(n ast.Node) {
		if id, ok := n.(*ast.IdentifierNode); ok {
			out = append(out, id.Value)
		}
	})
	return out
}

// walkSource calls fn with every node of the expression src, and reports
// whether it parsed (an empty src has no nodes, and parses).
func walkSource(src string, fn func(ast.Node)) bool {
	if strings.TrimSpace(src) == "" {
		return true
	}
	tree, err := parser.Parse(src)
	if err != nil {
		return false
	}
	ast.Walk(&tree.Node, visitor(fn))
	return true
}

type visitor func(ast.Node)

func (f visitor) Visit(n *ast.Node) { f(*n) }

// constString returns the value of src when it is a string constant: a
// literal, or made of literals and policy values.
func (g *pgen) constString(in *pinst, src string) (string, bool) {
	tree, err := parser.Parse(src)
	if err != nil {
		return "", false
	}
	v, ok := g.constant(in, tree.Node)
	s, isStr := v.(string)
	return s, ok && isStr
}

// constant evaluates n when it reads nothing but literals and in's
// policy values.
func (g *pgen) constant(in *pinst, n ast.Node) (any, bool) {
	ok := true
	ast.Walk(&n, visitor(func(x ast.Node) {
		switch y := x.(type) {
		case *ast.IdentifierNode:
			ok = ok && y.Value == "policy"
		case *ast.CallNode, *ast.BuiltinNode, *ast.PredicateNode, *ast.PointerNode, *ast.VariableDeclaratorNode:
			ok = false
		}
	}))
	if !ok {
		return nil, false
	}
	v, err := expr.Eval(n.String(), map[string]any{"policy": in.info.Policy})
	if err != nil {
		return nil, false
	}
	return v, true
}

// pctx is what an expression may read where it is written: the bool
// outputs of the action just answered (results), and, in a property,
// how to write its path functions.
type pctx struct {
	results []string
	prop    func(call *ast.CallNode) (string, error)
}

// expr writes src, read in instance in at state ps, as a Promela
// expression, or says why it cannot.
func (g *pgen) expr(in *pinst, ps *pstate, what, src string, c *pctx) (string, error) {
	tree, err := parser.Parse(src)
	if err != nil {
		return "", err
	}
	return g.node(in, tree.Node, c)
}

func (g *pgen) node(in *pinst, n ast.Node, c *pctx) (string, error) {
	if v, ok := g.constant(in, n); ok {
		switch v := v.(type) {
		case bool:
			if v {
				return "true", nil
			}
			return "false", nil
		case int:
			return strconv.Itoa(v), nil
		}
		return "", fmt.Errorf("%s is %s, which the model does not hold", n.String(), value.Describe(v))
	}
	switch x := n.(type) {
	case *ast.IdentifierNode:
		k, ok := g.held[in.prefix+"\x00"+x.Value]
		if !ok || k == value.String {
			return "", fmt.Errorf("it reads %s, which the model does not hold", x.Value)
		}
		return vname(in, x.Value), nil
	case *ast.MemberNode:
		id, ok := x.Node.(*ast.IdentifierNode)
		p, isStr := x.Property.(*ast.StringNode)
		if ok && isStr && id.Value == "result" && c != nil && slices.Contains(c.results, p.Value) {
			return "r_" + p.Value, nil
		}
		return "", fmt.Errorf("it reads %s, which the model does not hold", x.String())
	case *ast.UnaryNode:
		a, err := g.node(in, x.Node, c)
		if err != nil {
			return "", err
		}
		switch x.Operator {
		case "!", "not":
			return "!(" + a + ")", nil
		case "-":
			return "-(" + a + ")", nil
		}
	case *ast.BinaryNode:
		if s, ok, err := g.enumCompare(in, x); ok || err != nil {
			return s, err
		}
		l, err := g.node(in, x.Left, c)
		if err != nil {
			return "", err
		}
		r, err := g.node(in, x.Right, c)
		if err != nil {
			return "", err
		}
		op := x.Operator
		switch op {
		case "and":
			op = "&&"
		case "or":
			op = "||"
		}
		switch op {
		case "&&", "||", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%":
			return "(" + l + " " + op + " " + r + ")", nil
		}
	case *ast.ConditionalNode:
		cond, err := g.node(in, x.Cond, c)
		if err != nil {
			return "", err
		}
		a, err := g.node(in, x.Exp1, c)
		if err != nil {
			return "", err
		}
		b, err := g.node(in, x.Exp2, c)
		if err != nil {
			return "", err
		}
		return "(" + cond + " -> " + a + " : " + b + ")", nil
	case *ast.CallNode:
		if c != nil && c.prop != nil {
			return c.prop(x)
		}
		if id, ok := x.Callee.(*ast.IdentifierNode); ok && id.Value == "now" {
			return "", fmt.Errorf("it reads the clock")
		}
	case *ast.BuiltinNode:
		if x.Name == "now" {
			return "", fmt.Errorf("it reads the clock")
		}
	}
	return "", fmt.Errorf("%s cannot be written in Promela", n.String())
}

// enumCompare writes VAR == "text" (or !=, either way round) for a string
// variable the model holds as numbers.
func (g *pgen) enumCompare(in *pinst, b *ast.BinaryNode) (string, bool, error) {
	if b.Operator != "==" && b.Operator != "!=" {
		return "", false, nil
	}
	for _, side := range [][2]ast.Node{{b.Left, b.Right}, {b.Right, b.Left}} {
		id, ok := side[0].(*ast.IdentifierNode)
		if !ok {
			continue
		}
		key := in.prefix + "\x00" + id.Value
		if g.held[key] != value.String {
			continue
		}
		v, ok := g.constant(in, side[1])
		s, isStr := v.(string)
		if !ok || !isStr {
			return "", false, fmt.Errorf("it compares %s with what is not a constant", id.Value)
		}
		i := slices.Index(g.enums[key], s)
		if i < 0 {
			// A value the variable is never given.
			if b.Operator == "==" {
				return "false", true, nil
			}
			return "true", true, nil
		}
		return fmt.Sprintf("(%s %s %d)", vname(in, id.Value), b.Operator, i), true, nil
	}
	return "", false, nil
}

// ev returns the number of the event name of kind at state ps (an
// outcome, a choice or a timer), numbering it on first use.
func (g *pgen) ev(ps *pstate, kind StepKind, name string) int {
	if g.evIDs == nil {
		g.evIDs = map[[3]string]int{}
		g.events = []string{"none"}
	}
	k := [3]string{strconv.Itoa(ps.id), string(kind), name}
	if id, ok := g.evIDs[k]; ok {
		return id
	}
	g.evIDs[k] = len(g.events)
	g.events = append(g.events, fmt.Sprintf("%s%s %s %s", ps.inst.prefix, ps.st.Name, kind, name))
	return len(g.events) - 1
}

// rootState returns the root flow's state while the session is at ps.
func rootState(ps *pstate) string {
	for ps.inst.call != nil {
		ps = ps.inst.call
	}
	return ps.st.Name
}

// varied returns the bool outputs of ps's action that its handler of
// outcome reads, or a property does: the model gives them both values.
func (g *pgen) varied(ps *pstate, outcome string) []string {
	read := map[string]bool{}
	for _, p := range g.info.Properties {
		for _, r := range p.Results {
			read[r] = true
		}
	}
	for _, h := range ps.st.Handlers {
		if h.Event != outcome {
			continue
		}
		for _, d := range h.Decides {
			read[d] = true
		}
		for _, b := range h.Branches {
			for _, r := range resultNames(b.Guard) {
				read[r] = true
			}
		}
	}
	var out []string
	for _, o := range ps.st.Outputs {
		if o.Kind == value.Bool && read[o.Name] {
			out = append(out, o.Name)
		}
	}
	return out
}

// resultNames returns the outputs src reads as result.NAME.
func resultNames(src string) []string {
	var out []string
	walkSource(src, func(n ast.Node) {
		m, ok := n.(*ast.MemberNode)
		if !ok {
			return
		}
		id, ok := m.Node.(*ast.IdentifierNode)
		p, isStr := m.Property.(*ast.StringNode)
		if ok && isStr && id.Value == "result" {
			out = append(out, p.Value)
		}
	})
	return out
}

// write writes the model into g.model.
func (g *pgen) write() error {
	var body strings.Builder
	results := g.results
	g.model.Ends = ""
	for _, p := range g.info.Properties {
		if p.Ends {
			g.model.Ends = p.Name
		} else {
			g.model.Claims = append(g.model.Claims, p.Name)
		}
	}
	maxSets := 1
	for _, ps := range g.states {
		if ps.decl != nil {
			for _, h := range ps.decl.On {
				for _, b := range h.Branches {
					maxSets = max(maxSets, len(b.Set))
				}
			}
			for _, t := range ps.decl.After {
				for _, b := range t.Branches {
					maxSets = max(maxSets, len(b.Set))
				}
			}
			maxSets = max(maxSets, len(ps.decl.With))
		}
	}
	g.maxSets = maxSets
	for _, ps := range g.states {
		if err := g.state(&body, ps, results); err != nil {
			return err
		}
	}
	b := &g.b
	fmt.Fprintf(b, "/* Flow %s (%s) under the policy of its region, and its properties:\n", g.info.Name, comment(g.info.File.Path))
	b.WriteString(" * written by tether export --promela (docs/properties.md). */\n\n")
	if len(g.model.Abstractions) > 0 {
		b.WriteString("/* Abstractions: expressions the model leaves to a free choice.\n")
		for _, a := range g.model.Abstractions {
			fmt.Fprintf(b, " * %s  %s: %s\n", a.Name, comment(a.Where), comment(a.What))
		}
		b.WriteString(" * Timers may fire whenever their prompt waits: the clock is no part of the model. */\n\n")
	}
	b.WriteString("/* States. */\n")
	for _, ps := range g.states {
		fmt.Fprintf(b, "#define %s %d /* %s */\n", g.sname(ps), ps.id, comment(ps.st.Pos.String()))
	}
	b.WriteString("#define ERROR 0 /* no branch held: the session failed */\n\n")
	b.WriteString("/* Events: the decision that led to the current point. */\n")
	for i, e := range g.events {
		fmt.Fprintf(b, "/* %d: %s */\n", i, comment(e))
	}
	fmt.Fprintf(b, "byte st = %s;\nshort ev = 0;\n\n", g.sname(g.insts[0].states[g.info.Start]))
	b.WriteString("/* Variables: those guards and properties read. */\n")
	keys := make([]string, 0, len(g.held))
	for k := range g.held {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		prefix, name, _ := strings.Cut(key, "\x00")
		in := g.instByPrefix(prefix)
		fmt.Fprintf(b, "%s %s = %s;", promelaType(g.held[key]), vname(in, name), g.initValue(in, name, key))
		if vals := g.enums[key]; vals != nil {
			b.WriteString(" /*")
			for i, v := range vals {
				fmt.Fprintf(b, " %d=%s", i, comment(strconv.Quote(v)))
			}
			b.WriteString(" */")
		}
		b.WriteString("\n")
	}
	b.WriteString("\n/* Properties: monitors, and a flag each claim holds false. */\n")
	for _, p := range g.info.Properties {
		if p.Ends {
			continue
		}
		for i, m := range p.Monitors {
			fmt.Fprintf(b, "byte m_%s_%d = 0; /* %s */\n", p.Name, i, comment(m.Src))
		}
		fmt.Fprintf(b, "bool bad_%s = false;\n", p.Name)
	}
	var waits []string
	for _, ps := range g.states {
		if ps.st.Kind == syntax.AskState || ps.st.Kind == syntax.FinalState && ps.inst.call == nil {
			waits = append(waits, "st == "+g.sname(ps))
		}
	}
	fmt.Fprintf(b, "\n/* The session waits for the person, or has ended. */\n#define waiting (%s)\n", strings.Join(waits, " || "))
	for _, p := range g.info.Properties {
		if p.Ends {
			// No run of actions alone goes on for ever, and no run stops
			// short of a final state (a deadlock stutters there).
			fmt.Fprintf(b, "ltl %s { [] <> waiting }\n", p.Name)
			continue
		}
		fmt.Fprintf(b, "ltl %s { [] !bad_%s }\n", p.Name, p.Name)
	}
	b.WriteString("\nactive proctype flow() {\n")
	for _, r := range results {
		fmt.Fprintf(b, "\tbool r_%s = false;\n", r)
	}
	for i := range g.ndMax {
		fmt.Fprintf(b, "\tbool nd_%d = false;\n", i)
	}
	for i := range maxSets {
		fmt.Fprintf(b, "\tint t_%d = 0;\n", i)
	}
	b.WriteString("\tdo\n")
	b.WriteString(body.String())
	b.WriteString("\tod\n}\n")
	g.model.Source = []byte(b.String())
	return nil
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func promelaType(k value.Kind) string {
	switch k {
	case value.Bool:
		return "bool"
	case value.String:
		return "byte"
	}
	return "int"
}

// initValue writes the initial value of variable name of in.
func (g *pgen) initValue(in *pinst, name, key string) string {
	v := g.initial(in, name)
	switch x := v.(type) {
	case bool:
		if x {
			return "true"
		}
		return "false"
	case int:
		return strconv.Itoa(x)
	case string:
		return strconv.Itoa(g.enum(key, x))
	}
	return "0"
}

// sname is the macro naming state ps.
func (g *pgen) sname(ps *pstate) string {
	return "S_" + strings.ReplaceAll(ps.inst.prefix, "__", "_") + ps.st.Name
}

// state writes the options of the process's loop for state ps.
func (g *pgen) state(w *strings.Builder, ps *pstate, results []string) error {
	st := ps.st
	fmt.Fprintf(w, "\t:: st == %s ->\n", g.sname(ps))
	switch {
	case st.Kind == syntax.FinalState && ps.inst.call == nil:
		if err := g.point(w, ps, st.Outcome, results); err != nil {
			return err
		}
		w.WriteString("\t\tbreak\n")
	case st.Kind == syntax.FinalState:
		// A subflow ends: its parent's handler of the outcome.
		call := ps.inst.call
		h := handlerOf(call.st, st.Outcome)
		return g.handlerOption(w, call, h, nil, "", "\t\t")
	case ps.sub != nil:
		w.WriteString("\t\td_step {\n")
		sub := ps.sub
		for key := range g.held {
			prefix, name, _ := strings.Cut(key, "\x00")
			if prefix != sub.prefix {
				continue
			}
			val := g.initValue(sub, name, key)
			for _, a := range ps.decl.With {
				if a.Name == name {
					s, err := g.expr(ps.inst, ps, "", a.Expr.Src, nil)
					if err != nil {
						return fmt.Errorf("%s: with: %s: %v", a.Pos, name, err)
					}
					val = s
				}
			}
			fmt.Fprintf(w, "\t\t\t%s = %s;\n", vname(sub, name), val)
		}
		fmt.Fprintf(w, "\t\t\tst = %s\n\t\t}\n", g.sname(sub.states[sub.info.Start]))
	case st.Kind == syntax.AskState:
		fmt.Fprintf(w, "\t\tprogress_%d: skip;\n", ps.id)
		if err := g.point(w, ps, "", results); err != nil {
			return err
		}
		w.WriteString("\t\tif\n")
		for _, ev := range st.Events {
			e := g.ev(ps, StepChoice, ev)
			if err := g.handlerOption(w, ps, handlerOf(st, ev), results, fmt.Sprintf("ev = %d; %s", e, resetResults(results)), "\t\t:: "); err != nil {
				return err
			}
		}
		return g.timers(w, ps, results)
	case st.Kind == syntax.RunState:
		if err := g.point(w, ps, "", results); err != nil {
			return err
		}
		w.WriteString("\t\tif\n")
		for _, ev := range st.Events {
			outs := g.varied(ps, ev)
			e := g.ev(ps, StepOutcome, ev)
			for mask := range 1 << len(outs) {
				var set []string
				for _, r := range results {
					on := false
					if i := slices.Index(outs, r); i >= 0 {
						on = mask&(1<<i) != 0
					}
					set = append(set, fmt.Sprintf("r_%s = %v;", r, on))
				}
				pre := fmt.Sprintf("ev = %d; %s", e, strings.Join(set, " "))
				if err := g.handlerOption(w, ps, handlerOf(st, ev), results, pre, "\t\t:: "); err != nil {
					return err
				}
			}
		}
		return g.timers(w, ps, results)
	}
	return nil
}

// timers writes an option per timer of ps, which may fire whenever the
// state waits, and closes the state's options.
func (g *pgen) timers(w *strings.Builder, ps *pstate, results []string) error {
	for _, t := range ps.st.Timers {
		e := g.ev(ps, StepTimer, t.Key)
		if err := g.handlerOption(w, ps, &t.Handler, results, fmt.Sprintf("ev = %d; %s", e, resetResults(results)), "\t\t:: "); err != nil {
			return err
		}
	}
	w.WriteString("\t\tfi\n")
	return nil
}

func resetResults(results []string) string {
	var b strings.Builder
	for _, r := range results {
		fmt.Fprintf(&b, "r_%s = false; ", r)
	}
	return b.String()
}

func handlerOf(st *flowinfo.State, event string) *flowinfo.Handler {
	for i := range st.Handlers {
		if st.Handlers[i].Event == event {
			return &st.Handlers[i]
		}
	}
	return nil
}

// branchDecl returns the syntax of branch i (0-based) of ps's handler of
// event.
func branchDecl(ps *pstate, event string, i int) *syntax.Branch {
	if ps.decl == nil {
		return nil
	}
	for _, h := range ps.decl.On {
		if h.Event == event && i < len(h.Branches) {
			return h.Branches[i]
		}
	}
	for _, t := range ps.decl.After {
		if "after "+t.Key == event && i < len(t.Branches) {
			return t.Branches[i]
		}
	}
	return nil
}

// handlerOption writes one option: the free choices of the handler's
// guards it cannot write, then, in one step, pre (the event and the
// outputs) and the handler's branches, tried in order. A state without a
// handler for the event fails the session.
func (g *pgen) handlerOption(w *strings.Builder, ps *pstate, h *flowinfo.Handler, results []string, pre, lead string) error {
	w.WriteString(lead + "skip;\n")
	var guards []string
	nd := 0
	c := &pctx{results: results}
	if h != nil {
		for i, br := range h.Branches {
			if br.Guard == "" {
				guards = append(guards, "true")
				continue
			}
			s, err := g.expr(ps.inst, ps, "if", br.Guard, c)
			if err != nil {
				a := Abstraction{Name: "A" + strconv.Itoa(len(g.model.Abstractions)+1), Where: br.Pos.String(),
					What: fmt.Sprintf("if: %s (%s %s, branch %d): %v", br.Guard, ps.inst.prefix+ps.st.Name, h.Event, i+1, err)}
				if j := slices.IndexFunc(g.model.Abstractions, func(b Abstraction) bool { return b.Where == a.Where && b.What == a.What }); j >= 0 {
					a = g.model.Abstractions[j] // the same guard, written for another output
				} else {
					g.model.Abstractions = append(g.model.Abstractions, a)
				}
				fmt.Fprintf(w, "\t\t\tif :: nd_%d = true :: nd_%d = false fi; printf(\"abstraction %s\\n\");\n", nd, nd, a.Name)
				s = fmt.Sprintf("nd_%d", nd)
				nd++
			}
			guards = append(guards, s)
		}
	}
	g.ndMax = max(g.ndMax, nd)
	fmt.Fprintf(w, "\t\t\td_step {\n\t\t\t\t%s\n", pre)
	if h == nil {
		w.WriteString("\t\t\t\tst = ERROR\n\t\t\t}\n")
		return nil
	}
	depth := 0
	for i, br := range h.Branches {
		ind := strings.Repeat("\t", 4+depth)
		fmt.Fprintf(w, "%sif\n%s:: (%s) ->\n", ind, ind, guards[i])
		if err := g.branch(w, ps, br, branchDecl(ps, h.Event, i), c, ind+"\t"); err != nil {
			return err
		}
		fmt.Fprintf(w, "%s:: else ->\n", ind)
		depth++
	}
	fmt.Fprintf(w, "%sst = ERROR\n", strings.Repeat("\t", 4+depth))
	for d := depth - 1; d >= 0; d-- {
		fmt.Fprintf(w, "%sfi\n", strings.Repeat("\t", 4+d))
	}
	// The scratch values are forgotten, as after any step.
	w.WriteString("\t\t\t\t")
	for i := range nd {
		fmt.Fprintf(w, "nd_%d = false; ", i)
	}
	for i := range g.maxSets {
		fmt.Fprintf(w, "t_%d = 0; ", i)
	}
	w.WriteString("skip\n\t\t\t}\n")
	return nil
}

// branch writes a branch's assignments (all values first, then the
// variables, as the engine does) and its move.
func (g *pgen) branch(w *strings.Builder, ps *pstate, br flowinfo.Branch, decl *syntax.Branch, c *pctx, ind string) error {
	in := ps.inst
	var sets []string
	if decl != nil {
		for _, a := range decl.Set {
			key := in.prefix + "\x00" + a.Name
			k, ok := g.held[key]
			if !ok {
				continue
			}
			var s string
			if k == value.String {
				str, _ := g.constString(in, a.Expr.Src)
				s = strconv.Itoa(g.enum(key, str))
			} else {
				var err error
				if s, err = g.expr(in, ps, "set", a.Expr.Src, c); err != nil {
					return fmt.Errorf("%s: set %s: %v", a.Pos, a.Name, err)
				}
			}
			fmt.Fprintf(w, "%st_%d = %s;\n", ind, len(sets), s)
			sets = append(sets, vname(in, a.Name))
		}
	}
	for i, v := range sets {
		fmt.Fprintf(w, "%s%s = t_%d;\n", ind, v, i)
	}
	target := ps
	if br.Target != "" {
		target = in.states[br.Target]
	}
	fmt.Fprintf(w, "%sst = %s\n", ind, g.sname(target))
	return nil
}

// point writes the step of every property at ps: its monitors, then its
// flag. ended is the outcome when ps ends the session.
func (g *pgen) point(w *strings.Builder, ps *pstate, ended string, results []string) error {
	var props []flowinfo.Property
	for _, p := range g.info.Properties {
		if !p.Ends {
			props = append(props, p)
		}
	}
	if len(props) == 0 {
		return nil
	}
	w.WriteString("\t\td_step {\n")
	root := g.insts[0]
	at := rootState(ps)
	for _, p := range props {
		prop := p
		mon := 0
		var pre strings.Builder
		c := &pctx{results: results}
		c.prop = func(call *ast.CallNode) (string, error) {
			id, _ := call.Callee.(*ast.IdentifierNode)
			fn := ""
			if id != nil {
				fn = id.Value
			}
			var args []string
			for _, a := range call.Arguments {
				if s, ok := a.(*ast.StringNode); ok {
					args = append(args, s.Value)
				}
			}
			switch fn {
			case "did", "chose":
				var ids []string
				for k, id := range g.evIDs {
					sid, _ := strconv.Atoi(k[0])
					evps := g.states[sid-1]
					switch {
					case fn == "did" && k[1] == string(StepOutcome) && evps.st.Run == args[0] && (len(args) == 1 || slices.Contains(args[1:], k[2])):
					case fn == "chose" && k[1] == string(StepChoice) && evps.inst == root && evps.st.Name == args[0] && (len(args) == 1 || slices.Contains(args[1:], k[2])):
					default:
						continue
					}
					ids = append(ids, "ev == "+strconv.Itoa(id))
				}
				if len(ids) == 0 {
					return "false", nil
				}
				sort.Strings(ids)
				return "(" + strings.Join(ids, " || ") + ")", nil
			case "at":
				return strconv.FormatBool(at == args[0]), nil
			case "ended":
				return strconv.FormatBool(ended != "" && (len(args) == 0 || slices.Contains(args, ended))), nil
			case "once", "times":
				p, err := g.node(root, call.Arguments[0], c)
				if err != nil {
					return "", err
				}
				reset := "false"
				if len(call.Arguments) > 1 {
					if reset, err = g.node(root, call.Arguments[1], c); err != nil {
						return "", err
					}
				}
				name := fmt.Sprintf("m_%s_%d", prop.Name, mon)
				mon++
				inc := "1"
				if fn == "times" {
					inc = fmt.Sprintf("(%s < %d -> %s + 1 : %d)", name, prop.Bound, name, prop.Bound)
				}
				fmt.Fprintf(&pre, "\t\t\t%s = (%s -> 0 : %s);\n\t\t\t%s = (%s -> %s : %s);\n", name, reset, name, name, p, inc, name)
				if fn == "once" {
					return "(" + name + " == 1)", nil
				}
				return name, nil
			}
			return "", fmt.Errorf("%s cannot be written in Promela", call.String())
		}
		when := "true"
		var err error
		if p.When != "" {
			if when, err = g.expr(root, ps, "when", p.When, c); err != nil {
				return fmt.Errorf("%s: property %s cannot be written in Promela: %v", p.Pos, p.Name, err)
			}
		}
		req, err := g.expr(root, ps, "require", p.Require, c)
		if err != nil {
			return fmt.Errorf("%s: property %s cannot be written in Promela: %v", p.Pos, p.Name, err)
		}
		w.WriteString(pre.String())
		fmt.Fprintf(w, "\t\t\tbad_%s = bad_%s || (%s && !(%s));\n", p.Name, p.Name, when, req)
	}
	// Read now: forgotten, so that points that differ only in how they
	// were reached are one state.
	fmt.Fprintf(w, "\t\t\tev = 0; %s\n\t\t}\n", resetResults(results))
	return nil
}

// comment makes s safe inside a Promela (C) comment on one line: text
// from the flow (a string, a file name) must not end the comment.
func comment(s string) string {
	s = strings.ReplaceAll(s, "*/", "* /")
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
}
