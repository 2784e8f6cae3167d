package engine

// Expressions are user data: a flow's author, or whoever can change its
// file, writes them, and a server evaluates them for many sessions at once.
// This file holds them to budgets, so that no expression can overflow the
// stack of expr's parser, run for long or exhaust memory: a source that is
// too long or nests too deeply is refused before expr parses it, and every
// evaluation has a budget of work (steps) and memory it cannot exceed.
// docs/limits.md lists the budgets and what a user sees.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/vm/runtime"
)

// The default budgets of expressions. They are far above what the shipped
// flows need (their longest expression is under 100 bytes, nests 4 deep and
// evaluates in a few hundred steps) and far below what would take an
// evaluation more than a few milliseconds or a few megabytes.
const (
	// DefaultMaxExprBytes bounds an expression's source. With the depth
	// budget it bounds expr's parser, checker and compiler, which recurse
	// over the expression (some 450,000 nested brackets overflow the Go
	// stack and kill the process).
	DefaultMaxExprBytes = 4096
	// DefaultMaxExprDepth bounds how deeply brackets ((), [], {}) nest in
	// an expression.
	DefaultMaxExprDepth = 64
	// DefaultMaxInterpolations bounds the {{ }} parts of one text.
	DefaultMaxInterpolations = 100
	// DefaultMaxExprSteps bounds the work of one evaluation: every element
	// a loop (map, filter, all, reduce, ...) visits counts as many steps as
	// its body has nodes, and every call of a builtin, string concatenation,
	// comparison of lists or membership test counts the size of what it
	// reads and makes.
	DefaultMaxExprSteps = 1_000_000
	// DefaultMaxStepExprSteps bounds the work of all the evaluations of one
	// step of a session (Start, Send, Tick, Restore) together: a step may
	// pass through thousands of states, each evaluating expressions.
	DefaultMaxStepExprSteps = 4_000_000
	// DefaultMaxExprMemory bounds what one evaluation allocates, in expr's
	// units: an element of a list or map, or a byte of a string built.
	DefaultMaxExprMemory = 100_000
	// DefaultMaxValueBytes bounds the size of a value an expression gives
	// to a variable, an action, a prompt or an outcome, as the value codec
	// would write it (roughly): it is what snapshots and logs keep.
	DefaultMaxValueBytes = 64 << 10
)

// exprLimits are the budgets expressions are compiled and evaluated under
// (Limits): a zero field takes its default.
type exprLimits struct {
	MaxBytes          int // an expression's source, in bytes
	MaxDepth          int // nesting of brackets
	MaxInterpolations int // {{ }} parts in one text
	MaxSteps          int // work of one evaluation
	MaxStepSteps      int // work of all the evaluations of one step
	MaxMemory         int // allocation of one evaluation, in expr's units
	MaxValueBytes     int // a value an expression gives
}

func (l exprLimits) withDefaults() exprLimits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxBytes, DefaultMaxExprBytes)
	def(&l.MaxDepth, DefaultMaxExprDepth)
	def(&l.MaxInterpolations, DefaultMaxInterpolations)
	def(&l.MaxSteps, DefaultMaxExprSteps)
	def(&l.MaxStepSteps, DefaultMaxStepExprSteps)
	def(&l.MaxMemory, DefaultMaxExprMemory)
	def(&l.MaxValueBytes, DefaultMaxValueBytes)
	return l
}

// ErrExprBudget is wrapped by the run error of an expression that went over
// one of its run-time budgets (steps, memory, the size of its value).
var ErrExprBudget = errors.New("expression budget exceeded")

// scanExpr checks an expression's source against the budgets that must
// hold before expr parses it: its length and how deeply its brackets nest.
// It also refuses names starting with $, which expr reserves ($env is the
// whole environment, which would reach secrets around the checks) and the
// engine uses for its own. It returns the byte offset of the problem and a
// message, or ok.
func scanExpr(src string, lim exprLimits) (off int, msg string, ok bool) {
	if len(src) > lim.MaxBytes {
		return 0, fmt.Sprintf("the expression is longer than %d bytes, the budget for an expression", lim.MaxBytes), false
	}
	depth := 0
	for i := 0; i < len(src); i++ {
		switch c := src[i]; c {
		case '"', '\'', '`':
			// Skip a string literal; an unclosed one is expr's to report.
			for i++; i < len(src) && src[i] != c; i++ {
				if src[i] == '\\' && c != '`' {
					i++
				}
			}
		case '(', '[', '{':
			if depth++; depth > lim.MaxDepth {
				return i, fmt.Sprintf("brackets nest deeper than %d levels, the budget for an expression", lim.MaxDepth), false
			}
		case ')', ']', '}':
			depth--
		case '$':
			return i, "names starting with $ are reserved", false
		}
	}
	return 0, "", true
}

// evalBudget is what is left of one evaluation's budget. A Session has one,
// reset before every evaluation of an expression that needs it; expressions
// reach it as the variable $b, which the patched program passes to the
// engine's functions ($each, $call).
type evalBudget struct {
	ctx   context.Context // of the step evaluating; nil outside one
	steps int
	mem   int
	// stepSteps is what is left for the step's evaluations together;
	// beginStep sets it, and a zero value means none was set.
	stepSteps int
	stepSet   bool
	lim       exprLimits
	err       error // why the evaluation was stopped
}

// reset readies the budget for one evaluation under lim.
func (b *evalBudget) reset(ctx context.Context, lim exprLimits) {
	b.ctx, b.steps, b.mem, b.lim, b.err = ctx, lim.MaxSteps, lim.MaxMemory, lim, nil
	if !b.stepSet {
		b.stepSteps, b.stepSet = lim.MaxStepSteps, true
	}
}

// beginStep gives a new step of a session its budget.
func (b *evalBudget) beginStep(lim exprLimits) {
	b.stepSteps, b.stepSet = lim.MaxStepSteps, true
}

// charge takes steps and memory from the budget, or stops the evaluation.
func (b *evalBudget) charge(steps, mem int) error {
	if b.err != nil {
		return b.err
	}
	b.steps -= steps
	b.stepSteps -= steps
	b.mem -= mem
	switch {
	case b.mem < 0:
		b.err = fmt.Errorf("%w: it used more than %d units of memory", ErrExprBudget, b.lim.MaxMemory)
	case b.steps < 0:
		b.err = fmt.Errorf("%w: it took more than %d steps", ErrExprBudget, b.lim.MaxSteps)
	case b.stepSteps < 0:
		b.err = fmt.Errorf("%w: the step's expressions took more than %d steps in all", ErrExprBudget, b.lim.MaxStepSteps)
	case b.ctx != nil:
		if err := b.ctx.Err(); err != nil {
			b.err = err
		}
	}
	return b.err
}

var budgetType = reflect.TypeOf((*evalBudget)(nil))

// budgetVar is the name under which an environment holds the budget.
const budgetVar = "$b"

// cheapBuiltins do a bounded amount of work whatever their arguments: they
// are left as expr compiles them.
var cheapBuiltins = map[string]bool{
	"len": true, "type": true, "abs": true, "ceil": true, "floor": true, "round": true,
	"first": true, "last": true, "get": true, "now": true,
	"bitand": true, "bitor": true, "bitxor": true, "bitnand": true,
	"bitshl": true, "bitshr": true, "bitushr": true, "bitnot": true,
}

// budgetPatch rewrites a checked expression tree so that everything whose
// cost depends on the size of values is charged to the evaluation's budget:
//
//   - the collection a loop builtin (map, all, reduce, sum, ...) walks is
//     passed through $each($b, collection, weight), which charges its length
//     times the number of nodes of the loop's body before the loop runs;
//   - every other builtin that is not cheap, and the operators that walk
//     strings or lists (+ on anything but numbers and times, in, == and !=
//     on lists, maps or values of unknown type, contains, startsWith,
//     endsWith, matches), become $call($b, name, args...), which charges the
//     size of the arguments and of the result, bounds the output of those
//     that amplify (repeat, join, replace) before making it, and then does
//     exactly what expr does.
//
// Every replacement keeps the type the checker gave the node.
type budgetPatch struct {
	patched bool
}

func (p *budgetPatch) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.BuiltinNode:
		i, ok := builtin.Index[n.Name]
		if !ok || len(n.Arguments) == 0 {
			return
		}
		if builtin.Builtins[i].Predicate {
			weight := 1
			for _, a := range n.Arguments[1:] {
				weight += countNodes(a)
			}
			arg := n.Arguments[0]
			each := &ast.CallNode{Callee: &ast.IdentifierNode{Value: "$each"},
				Arguments: []ast.Node{&ast.IdentifierNode{Value: budgetVar}, arg, &ast.IntegerNode{Value: weight}}}
			each.SetLocation(arg.Location())
			each.SetNature(*arg.Nature())
			n.Arguments[0] = each
			p.patched = true
			return
		}
		if !cheapBuiltins[n.Name] {
			p.call(node, n.Name, n.Arguments...)
		}
	case *ast.BinaryNode:
		l, r := n.Left.Type(), n.Right.Type()
		switch n.Operator {
		case "+":
			if _, ls := n.Left.(*ast.StringNode); ls {
				if _, rs := n.Right.(*ast.StringNode); rs {
					return // folded by the optimizer
				}
			}
			if cheapAdd(l) && cheapAdd(r) {
				return
			}
		case "in":
			switch n.Right.(type) {
			case *ast.ArrayNode, *ast.MapNode, *ast.ConstantNode:
				return // a literal: as long as the expression at most
			}
			if r.Kind() == reflect.Map {
				return
			}
		case "==", "!=":
			if !deepCompare(l) && !deepCompare(r) {
				return
			}
		case "contains", "startsWith", "endsWith", "matches":
		default:
			return
		}
		p.call(node, n.Operator, n.Left, n.Right)
	}
}

// call replaces *node with $call($b, name, args...), keeping its type.
func (p *budgetPatch) call(node *ast.Node, name string, args ...ast.Node) {
	old := *node
	call := &ast.CallNode{Callee: &ast.IdentifierNode{Value: "$call"},
		Arguments: append([]ast.Node{&ast.IdentifierNode{Value: budgetVar}, &ast.StringNode{Value: name}}, args...)}
	call.SetNature(*old.Nature())
	ast.Patch(node, call)
	p.patched = true
}

// cheapAdd reports whether + on a value of static type t costs the same
// whatever the value: numbers, durations and times.
func cheapAdd(t reflect.Type) bool {
	if t == durationType || t == timeType {
		return true
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// deepCompare reports whether comparing a value of static type t may walk
// it: lists, maps and values whose type is known only at run time.
func deepCompare(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map, reflect.Interface:
		return true
	}
	return false
}

func countNodes(n ast.Node) int {
	count := 0
	ast.Walk(&n, visitFunc(func(ast.Node) { count++ }))
	return count
}

// budgetFunctions are the functions a patched program calls. They are
// given to expr as plain functions of any arguments: the patch has already
// set the type of every call.
var budgetFunctions = map[string]*builtin.Function{
	"$each": {Name: "$each", Func: each},
	"$call": {Name: "$call", Func: call},
}

// each charges a loop over args[1], whose body has args[2] nodes, and
// returns args[1].
func each(args ...any) (any, error) {
	b, _ := args[0].(*evalBudget)
	n := 1
	if v := reflect.ValueOf(args[1]); v.IsValid() {
		switch v.Kind() {
		case reflect.Slice, reflect.Array, reflect.Map, reflect.String:
			n = v.Len()
		}
	}
	if b != nil {
		if err := b.charge(n*args[2].(int), 0); err != nil {
			return nil, err
		}
	}
	return args[1], nil
}

// call runs the builtin or operator named args[1] on args[2:], charged to
// the budget args[0].
func call(args ...any) (any, error) {
	b, _ := args[0].(*evalBudget)
	name, in := args[1].(string), args[2:]
	if b == nil {
		// An environment without a budget (a program run outside a
		// session): a budget of its own for this call.
		b = &evalBudget{}
		b.reset(nil, exprLimits{}.withDefaults())
	}
	cost := 0
	for _, a := range in {
		cost += sizeOf(a, b.steps-cost+1)
	}
	grow, err := amplified(name, in)
	if err != nil {
		return nil, err
	}
	if err := b.charge(cost+grow, grow); err != nil {
		return nil, err
	}
	out, err := apply(name, in)
	if err != nil {
		return nil, err
	}
	made := sizeOf(out, b.mem+1)
	if err := b.charge(made, made); err != nil {
		return nil, err
	}
	return out, nil
}

// amplified returns how large the result of the builtins that can make
// much more than they are given will be, so that it is charged before it
// is made.
func amplified(name string, in []any) (int, error) {
	str := func(i int) string {
		if i < len(in) {
			s, _ := in[i].(string)
			return s
		}
		return ""
	}
	switch name {
	case "repeat":
		if len(in) == 2 {
			s, n := str(0), runtime.ToInt(in[1])
			if n < 0 {
				return 0, fmt.Errorf("invalid argument for repeat (expected positive integer, got a negative one)")
			}
			if len(s) > 0 && n > math.MaxInt32/len(s) {
				return math.MaxInt32, nil
			}
			return len(s) * n, nil
		}
	case "join":
		if len(in) >= 1 {
			n := 0
			if v := reflect.ValueOf(in[0]); v.IsValid() && (v.Kind() == reflect.Slice || v.Kind() == reflect.Array) {
				n = v.Len()
			}
			return n * len(str(1)), nil
		}
	case "replace":
		s, old, new := str(0), str(1), str(2)
		if len(new) > len(old) {
			return (strings.Count(s, old) + 1) * (len(new) - len(old)), nil
		}
	}
	return 0, nil
}

// apply does what expr does for the builtin or operator name.
func apply(name string, in []any) (any, error) {
	switch name {
	case "+":
		return runtime.Add(in[0], in[1]), nil
	case "in":
		return runtime.In(in[0], in[1]), nil
	case "==":
		return runtime.Equal(in[0], in[1]), nil
	case "!=":
		return !runtime.Equal(in[0], in[1]), nil
	case "contains", "startsWith", "endsWith", "matches":
		if runtime.IsNil(in[0]) || runtime.IsNil(in[1]) {
			return false, nil
		}
		a, b := in[0].(string), in[1].(string)
		switch name {
		case "contains":
			return strings.Contains(a, b), nil
		case "startsWith":
			return strings.HasPrefix(a, b), nil
		case "endsWith":
			return strings.HasSuffix(a, b), nil
		}
		return regexp.MatchString(b, a)
	}
	i, ok := builtin.Index[name]
	if !ok {
		return nil, fmt.Errorf("unknown function %s", name)
	}
	f := builtin.Builtins[i]
	switch {
	case f.Fast != nil && len(in) == 1:
		return f.Fast(in[0]), nil
	case f.Safe != nil:
		out, _, err := f.Safe(in...)
		return out, err
	case f.Func != nil:
		return f.Func(in...)
	}
	return nil, fmt.Errorf("unknown function %s", name)
}

// sizeOf measures v as the budgets count it: a string by its bytes, a list
// or map by its elements and theirs (each time a value appears), anything
// else as 1. It stops counting past limit.
func sizeOf(v any, limit int) int {
	switch x := v.(type) {
	case nil, bool, int, float64:
		return 1
	case string:
		return max(len(x), 1)
	case []any:
		n := len(x) + 1
		for i := 0; i < len(x) && n <= limit; i++ {
			n += sizeOf(x[i], limit-n)
		}
		return n
	case map[string]any:
		n := len(x) + 1
		for k, e := range x {
			if n > limit {
				break
			}
			n += len(k) + sizeOf(e, limit-n)
		}
		return n
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.String:
		return max(rv.Len(), 1)
	case reflect.Slice, reflect.Array:
		n := rv.Len() + 1
		for i := 0; i < rv.Len() && n <= limit; i++ {
			n += sizeOf(rv.Index(i).Interface(), limit-n)
		}
		return n
	case reflect.Map:
		n := rv.Len() + 1
		for it := rv.MapRange(); it.Next() && n <= limit; {
			n += sizeOf(it.Key().Interface(), limit-n) + sizeOf(it.Value().Interface(), limit-n)
		}
		return n
	}
	return 1
}

// checkValueSize holds a value an expression gave to the value budget.
func checkValueSize(v any, lim exprLimits) error {
	if n := sizeOf(v, lim.MaxValueBytes); n > lim.MaxValueBytes {
		return fmt.Errorf("%w: its value is larger than %d bytes", ErrExprBudget, lim.MaxValueBytes)
	}
	return nil
}
