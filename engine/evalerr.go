package engine

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	goruntime "runtime"

	"github.com/expr-lang/expr/file"
	"github.com/tetherflow/tether/engine/value"
)

// evalError is an expression that failed at run time. It names the
// expression, why it failed and the kinds of the values it read — never a
// value: what an expression reads may be a password or a code, and run
// errors reach stderr, the event log and transcripts.
type evalError struct {
	src    string
	reason string
	kinds  []string // "input.password is a string"
	err    error    // ErrExprBudget or the context's error, for errors.Is; nil otherwise
}

func (e *evalError) Error() string {
	msg := "expression " + shorten(e.src) + " failed: " + e.reason
	if len(e.kinds) > 0 {
		msg += " (" + strings.Join(e.kinds, ", ") + ")"
	}
	return msg
}

func (e *evalError) Unwrap() error { return e.err }

// shorten quotes an expression's source, cut at 80 bytes.
func shorten(src string) string {
	if len(src) > 80 {
		cut := 80
		for cut > 0 && !utf8.RuneStart(src[cut]) {
			cut--
		}
		src = src[:cut] + "..."
	}
	return strconv.Quote(src)
}

// typeOnly matches the run-time errors of expr and Go that name only
// types: they are kept as the reason. Any other message may quote a value
// and is replaced by a description of its kind of failure.
var typeOnly = regexp.MustCompile(`^(invalid operation: [^"'0-9]*|operator "in" not defined on [^"']*|invalid argument for len \(type [^"']*\)|cannot use [^"']* as field name of [^"']*|interface conversion: [^"']*)$`)

// newEvalError describes err, returned by evaluating e in env with budget
// b, without quoting any value.
func newEvalError(e *cexpr, env map[string]any, b *evalBudget, err error) *evalError {
	ee := &evalError{src: e.src, kinds: kindsRead(e, env)}
	if b != nil && b.err != nil {
		ee.err = b.err
		ee.reason = budgetReason(b.err)
		return ee
	}
	msg := err.Error()
	var fe *file.Error
	if errors.As(err, &fe) {
		msg = fe.Message
	}
	var num *strconv.NumError
	var rt goruntime.Error
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		if errors.Is(err, context.Canceled) {
			ee.err, ee.reason = context.Canceled, "cancelled"
		} else {
			ee.err, ee.reason = context.DeadlineExceeded, "deadline exceeded"
		}
	case msg == "memory budget exceeded":
		ee.err = ErrExprBudget
		ee.reason = "it used more than " + strconv.Itoa(e.lim.MaxMemory) + " units of memory"
	case errors.As(err, &num):
		if errors.Is(num.Err, strconv.ErrRange) {
			ee.reason = "a number out of range"
		} else {
			ee.reason = "a value that is not a number"
		}
	case strings.HasPrefix(msg, "invalid operation: int(") || strings.HasPrefix(msg, "invalid operation: float("):
		ee.reason = "a value that is not a number"
	case strings.Contains(msg, "divide by zero"):
		ee.reason = "division by zero"
	case strings.Contains(msg, "out of range"):
		ee.reason = "an index out of range"
	case strings.HasPrefix(msg, "cannot fetch ") || strings.HasPrefix(msg, "cannot get "):
		ee.reason = "a member or index of a value that has none"
	case typeOnly.MatchString(msg):
		ee.reason = msg
	case errors.As(err, &rt):
		ee.reason = "a run-time error"
	default:
		ee.reason = "an error at run time"
	}
	return ee
}

func budgetReason(err error) string {
	switch {
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline exceeded"
	}
	return strings.TrimPrefix(err.Error(), ErrExprBudget.Error()+": ")
}

// kindsRead names the kind of every value the expression reads, as env
// holds it now: "input.password is a string".
func kindsRead(e *cexpr, env map[string]any) []string {
	var out []string
	for _, name := range readNames(e.node(), env) {
		path := strings.Split(name, ".")
		v, ok := env[path[0]]
		for _, p := range path[1:] {
			if !ok {
				break
			}
			m, isMap := v.(map[string]any)
			if !isMap {
				ok = false
				break
			}
			v, ok = m[p]
		}
		if !ok {
			out = append(out, name+" is missing")
			continue
		}
		out = append(out, name+" is "+value.Describe(v))
	}
	return out
}
