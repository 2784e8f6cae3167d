package engine

import (
	"fmt"
	"math"
	"reflect"
	"time"

	"github.com/expr-lang/expr/types"
)

var (
	durationType = reflect.TypeOf(time.Duration(0))
	timeType     = reflect.TypeOf(time.Time{})
	nowFuncType  = types.TypeOf(func() time.Time { return time.Time{} })
)

// exprType is the expr type a value of kind k has in expressions.
func (k Kind) exprType() types.Type {
	switch k {
	case Int:
		return types.Int
	case Float:
		return types.Float64
	case Bool:
		return types.Bool
	case String:
		return types.String
	case Duration:
		return types.TypeOf(time.Duration(0))
	case Time:
		return types.TypeOf(time.Time{})
	case List:
		return types.TypeOf([]any{})
	case Map:
		return types.TypeOf(map[string]any{})
	}
	return types.Any
}

// kindOf maps the static type expr inferred for an expression to a Kind.
func kindOf(t reflect.Type) Kind {
	if t == nil {
		return Any
	}
	switch t {
	case durationType:
		return Duration
	case timeType:
		return Time
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return Int
	case reflect.Float32, reflect.Float64:
		return Float
	case reflect.Bool:
		return Bool
	case reflect.String:
		return String
	case reflect.Slice, reflect.Array:
		return List
	case reflect.Map:
		return Map
	}
	return Any
}

// assignable reports whether a value of kind got can be stored where kind
// want is declared. Any defers the check to run time; ints widen to floats.
func assignable(want, got Kind) bool {
	return want == got || want == Any || got == Any || (want == Float && got == Int)
}

// KindOfValue returns the kind of a Go value as flows hold it, and whether
// it is one flows can hold at all.
func KindOfValue(v any) (Kind, bool) {
	switch v.(type) {
	case int:
		return Int, true
	case float64:
		return Float, true
	case bool:
		return Bool, true
	case string:
		return String, true
	case time.Duration:
		return Duration, true
	case time.Time:
		return Time, true
	case []any:
		return List, true
	case map[string]any:
		return Map, true
	}
	return Any, false
}

// Coerce converts v to kind k, accepting the forms a value takes after a
// round trip through JSON (float64 numbers, RFC 3339 strings, duration
// strings or nanoseconds) and Go's other integer types. It is how runtime
// values and restored snapshots are held to their declared kinds.
func Coerce(k Kind, v any) (any, error) {
	// Already of the kind: hand back the same interface value, so that
	// nothing is boxed again.
	switch v.(type) {
	case int:
		if k == Int {
			return v, nil
		}
	case bool:
		if k == Bool {
			return v, nil
		}
	case string:
		if k == String {
			return v, nil
		}
	case time.Duration:
		if k == Duration {
			return v, nil
		}
	case time.Time:
		if k == Time {
			return v, nil
		}
	case float64:
		if k == Float {
			return v, nil
		}
	}
	switch k {
	case Any:
		return normalise(v), nil
	case Int:
		switch x := v.(type) {
		case int:
			return x, nil
		case int64:
			return int(x), nil
		case int32:
			return int(x), nil
		case uint8:
			return int(x), nil
		case float64:
			if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
				return int(x), nil
			}
		}
	case Float:
		switch x := v.(type) {
		case float64:
			return x, nil
		case int:
			return float64(x), nil
		case int64:
			return float64(x), nil
		case float32:
			return float64(x), nil
		}
	case Bool:
		if x, ok := v.(bool); ok {
			return x, nil
		}
	case String:
		if x, ok := v.(string); ok {
			return x, nil
		}
	case Duration:
		switch x := v.(type) {
		case time.Duration:
			return x, nil
		case string:
			d, err := time.ParseDuration(x)
			if err == nil {
				return d, nil
			}
		case float64:
			if x == math.Trunc(x) {
				return time.Duration(x), nil
			}
		case int:
			return time.Duration(x), nil
		case int64:
			return time.Duration(x), nil
		}
	case Time:
		switch x := v.(type) {
		case time.Time:
			return x, nil
		case string:
			t, err := time.Parse(time.RFC3339Nano, x)
			if err == nil {
				return t, nil
			}
		}
	case List:
		if x, ok := v.([]any); ok {
			return normalise(x), nil // a copy: v may be shared (a policy value)
		}
		if v == nil {
			return []any{}, nil
		}
	case Map:
		if x, ok := v.(map[string]any); ok {
			return normalise(x), nil
		}
		if v == nil {
			return map[string]any{}, nil
		}
	}
	return nil, fmt.Errorf("%s is not %s", describeValue(v), k.article())
}

// normalise returns a copy of v in which numbers that are whole are ints,
// as the value codec reads them. It never writes into v, which may be
// shared.
func normalise(v any) any {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int(x)
		}
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = normalise(x[i])
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalise(e)
		}
		return out
	}
	return v
}

func describeValue(v any) string {
	if v == nil {
		return "nothing"
	}
	k, ok := KindOfValue(v)
	if !ok {
		return fmt.Sprintf("a value of Go type %T", v)
	}
	return k.article()
}

// zero returns the zero value of kind k as flows hold it.
func (k Kind) zero() any {
	switch k {
	case Int:
		return 0
	case Float:
		return 0.0
	case Bool:
		return false
	case String:
		return ""
	case Duration:
		return time.Duration(0)
	case Time:
		return time.Time{}
	case List:
		return []any{}
	case Map:
		return map[string]any{}
	}
	return nil
}

// article returns the kind's name with its indefinite article: "an int",
// "a string".
func (k Kind) article() string {
	switch k {
	case Int, Any:
		return "an " + k.String()
	}
	return "a " + k.String()
}
