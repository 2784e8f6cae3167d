package value

import (
	"fmt"
	"math"
	"reflect"
	"time"
)

// Kind is the static type of a value a flow handles: a variable, a policy
// value, an action parameter or output, or a prompt field.
type Kind uint8

// The kinds of value a flow can hold. Lists and maps hold values of any of
// these kinds.
const (
	Any Kind = iota
	Int
	Float
	Bool
	String
	Duration
	Time
	List
	Map
)

var kindNames = [...]string{"any", "int", "float", "bool", "string", "duration", "time", "list", "map"}

// String returns the kind's name as flows spell it.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Of returns the kind of a Go value as flows hold it, and whether
// it is one flows can hold at all.
func Of(v any) (Kind, bool) {
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
		if out, ok := Normalize(v); ok {
			return out, nil
		}
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
		if v == nil {
			return []any{}, nil
		}
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array {
			if out, ok := Normalize(v); ok { // a copy: v may be shared (a policy value)
				return out, nil
			}
		}
	case Map:
		if v == nil {
			return map[string]any{}, nil
		}
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Map {
			if out, ok := Normalize(v); ok {
				return out, nil
			}
		}
	}
	return nil, fmt.Errorf("%s is not %s", Describe(v), k.Article())
}

// Normalize returns v as a flow value: a copy in which numbers that are
// whole are ints, as the value codec reads them, other Go integer and float
// types are ints and floats, and typed lists and string-keyed maps (which
// expr makes: 1..3 is a []int) are []any and map[string]any. It never
// writes into v, which may be shared. It reports false for what is not a
// flow value (a function, a struct).
func Normalize(v any) (any, bool) {
	switch x := v.(type) {
	case nil, int, bool, string, time.Duration, time.Time:
		return v, true
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int(x), true
		}
		return v, true
	case []any:
		out := make([]any, len(x))
		for i := range x {
			e, ok := Normalize(x[i])
			if !ok {
				return nil, false
			}
			out[i] = e
		}
		return out, true
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			n, ok := Normalize(e)
			if !ok {
				return nil, false
			}
			out[k] = n
		}
		return out, true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return int(rv.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if u := rv.Uint(); u <= math.MaxInt64 {
			return int(u), true
		}
	case reflect.Float32, reflect.Float64:
		return Normalize(rv.Float())
	case reflect.String:
		return rv.String(), true
	case reflect.Bool:
		return rv.Bool(), true
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			e, ok := Normalize(rv.Index(i).Interface())
			if !ok {
				return nil, false
			}
			out[i] = e
		}
		return out, true
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return nil, false
		}
		out := make(map[string]any, rv.Len())
		for it := rv.MapRange(); it.Next(); {
			e, ok := Normalize(it.Value().Interface())
			if !ok {
				return nil, false
			}
			out[it.Key().String()] = e
		}
		return out, true
	}
	return nil, false
}

func Describe(v any) string {
	if v == nil {
		return "nothing"
	}
	k, ok := Of(v)
	if !ok {
		return fmt.Sprintf("a value of Go type %T", v)
	}
	return k.Article()
}

// Zero returns the zero value of kind k as flows hold it.
func (k Kind) Zero() any {
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

// Article returns the kind's name with its indefinite article: "an int",
// "a string".
func (k Kind) Article() string {
	switch k {
	case Int, Any:
		return "an " + k.String()
	}
	return "a " + k.String()
}
