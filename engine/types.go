package engine

import (
	"fmt"
	"reflect"
	"time"

	"github.com/expr-lang/expr/types"
	"github.com/tetherflow/tether/engine/value"
)

var (
	durationType = reflect.TypeOf(time.Duration(0))
	timeType     = reflect.TypeOf(time.Time{})
	nowFuncType  = types.TypeOf(func() time.Time { return time.Time{} })
)

// exprType is the expr type a value of kind k has in expressions.
func exprType(k value.Kind) types.Type {
	switch k {
	case value.Int:
		return types.Int
	case value.Float:
		return types.Float64
	case value.Bool:
		return types.Bool
	case value.String:
		return types.String
	case value.Duration:
		return types.TypeOf(time.Duration(0))
	case value.Time:
		return types.TypeOf(time.Time{})
	case value.List:
		return types.TypeOf([]any{})
	case value.Map:
		return types.TypeOf(map[string]any{})
	}
	return types.Any
}

// kindOf maps the static type expr inferred for an expression to a Kind.
func kindOf(t reflect.Type) value.Kind {
	if t == nil {
		return value.Any
	}
	switch t {
	case durationType:
		return value.Duration
	case timeType:
		return value.Time
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return value.Int
	case reflect.Float32, reflect.Float64:
		return value.Float
	case reflect.Bool:
		return value.Bool
	case reflect.String:
		return value.String
	case reflect.Slice, reflect.Array:
		return value.List
	case reflect.Map:
		return value.Map
	}
	return value.Any
}

// assignable reports whether a value of kind got can be stored where kind
// want is declared. Any defers the check to run time; ints widen to floats.
func assignable(want, got value.Kind) bool {
	return want == got || want == value.Any || got == value.Any || (want == value.Float && got == value.Int)
}

// asKind holds a value an expression gave to kind k, strictly: the value
// must be of kind k (an int where a float is wanted widens), once made a
// flow value (value.Normalize). Unlike Coerce, it takes no JSON forms: an int is
// not a duration of nanoseconds.
func asKind(k value.Kind, v any) (any, error) {
	nv, ok := value.Normalize(v)
	if !ok {
		return nil, fmt.Errorf("it gave %s, which is not a value a flow can hold", value.Describe(v))
	}
	if k == value.Any {
		return nv, nil
	}
	got, _ := value.Of(nv)
	switch {
	case got == k:
		return nv, nil
	case k == value.Float && got == value.Int:
		return float64(nv.(int)), nil
	}
	return nil, fmt.Errorf("it gave %s, not %s", value.Describe(nv), k.Article())
}
