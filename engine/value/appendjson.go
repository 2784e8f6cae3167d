package value

import (
	"errors"
	"math"
	"time"

	"github.com/tetherflow/tether/internal/jsonappend"
)

// AppendJSON appends v in the codec's JSON form: the bytes Marshal
// returns, written without reflection for the flow's own kinds. It
// returns Marshal's errors.
func AppendJSON(b []byte, v any) ([]byte, error) { return appendValue(b, v, 0) }

// maxDepth bounds the nesting AppendJSON follows (Encode follows any):
// flow values never nest this deep, and a session's record refuses them.
const maxDepth = 10_000

var errTooDeep = errors.New("value codec: values nested too deep")

func appendValue(b []byte, v any, depth int) ([]byte, error) {
	if depth > maxDepth {
		return b, errTooDeep
	}
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return jsonappend.String(b, x), nil
	case bool:
		return jsonappend.Bool(b, x), nil
	case int:
		return jsonappend.Int(b, x), nil
	case float64:
		return appendFloat(b, x)
	case time.Duration:
		b = append(b, `{"$duration":`...)
		return append(jsonappend.String(b, x.String()), '}'), nil
	case time.Time:
		// RFC 3339 has nothing JSON escapes.
		b = append(b, `{"$time":"`...)
		b = x.UTC().AppendFormat(b, time.RFC3339Nano)
		return append(b, `"}`...), nil
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendValue(b, e, depth+1); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case map[string]any:
		tagged := false
		if len(x) == 1 {
			for k := range x {
				tagged = len(k) > 0 && k[0] == '$'
			}
		}
		if tagged {
			b = append(b, `{"$map":`...)
		}
		if x == nil {
			b = append(b, "{}"...) // Encode makes every map
		} else {
			var err error
			b, err = jsonappend.Map(b, x, func(b []byte, v any) ([]byte, error) { return appendValue(b, v, depth+1) })
			if err != nil {
				return b, err
			}
		}
		if tagged {
			b = append(b, '}')
		}
		return b, nil
	}
	enc, err := encodeReflect(v)
	if err != nil {
		return b, err
	}
	return jsonappend.Any(b, enc)
}

// appendFloat appends a float as Encode writes it: tagged when it is
// whole or not a number JSON holds.
func appendFloat(b []byte, x float64) ([]byte, error) {
	switch {
	case math.IsNaN(x):
		return append(b, `{"$float":"NaN"}`...), nil
	case math.IsInf(x, 1):
		return append(b, `{"$float":"+Inf"}`...), nil
	case math.IsInf(x, -1):
		return append(b, `{"$float":"-Inf"}`...), nil
	case x == math.Trunc(x):
		b = append(b, `{"$float":`...)
		b, err := jsonappend.Float(b, x)
		return append(b, '}'), err
	}
	return jsonappend.Float(b, x)
}
