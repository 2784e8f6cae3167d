package value

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The value codec writes flow values as JSON so that they read back as they
// were, in snapshots and in event logs alike. Strings, booleans, null, lists
// and maps are JSON's own; whole numbers are ints. What JSON cannot tell
// apart is tagged with a one-key object:
//
//	{"$duration": "1m30s"}
//	{"$time": "2026-01-05T09:00:00Z"}      (RFC 3339, nanoseconds, UTC)
//	{"$float": 2}                          (a float that is whole; "NaN", "+Inf", "-Inf")
//	{"$map": {"$time": "not a tag"}}       (a map that would read as a tag)
//
// Decoding takes numbers as written (json.Decoder.UseNumber), so that ints
// beyond 2^53 stay exact.

// Encode returns v in the codec's JSON form: a value encoding/json
// marshals as the codec writes it. Go values that are not flow values
// (functions, channels, structs) are an error; other integer and float
// types, slices and string-keyed maps are taken as the flow's kinds.
func Encode(v any) (any, error) {
	switch x := v.(type) {
	case nil, string, bool, int:
		return v, nil
	case float64:
		switch {
		case math.IsNaN(x):
			return map[string]any{"$float": "NaN"}, nil
		case math.IsInf(x, 1):
			return map[string]any{"$float": "+Inf"}, nil
		case math.IsInf(x, -1):
			return map[string]any{"$float": "-Inf"}, nil
		case x == math.Trunc(x):
			return map[string]any{"$float": x}, nil
		}
		return x, nil
	case time.Duration:
		return map[string]any{"$duration": x.String()}, nil
	case time.Time:
		return map[string]any{"$time": x.UTC().Format(time.RFC3339Nano)}, nil
	case []any:
		out := make([]any, len(x))
		for i := range x {
			e, err := Encode(x[i])
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			enc, err := Encode(e)
			if err != nil {
				return nil, err
			}
			out[k] = enc
		}
		if len(x) == 1 {
			for k := range x {
				if strings.HasPrefix(k, "$") {
					return map[string]any{"$map": out}, nil
				}
			}
		}
		return out, nil
	}
	return encodeReflect(v)
}

// encodeReflect encodes the Go values expr and adapters may produce that
// are not flow values as such: sized ints, float32, typed slices and maps.
func encodeReflect(v any) (any, error) {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return int(rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		if u > math.MaxInt64 {
			return nil, fmt.Errorf("value codec: %d does not fit an int", u)
		}
		return int(u), nil
	case reflect.Float32, reflect.Float64:
		return Encode(rv.Float())
	case reflect.String:
		return rv.String(), nil
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.Slice, reflect.Array:
		list := make([]any, rv.Len())
		for i := range list {
			list[i] = rv.Index(i).Interface()
		}
		return Encode(list)
	case reflect.Map:
		if rv.Type().Key().Kind() == reflect.String {
			m := make(map[string]any, rv.Len())
			for it := rv.MapRange(); it.Next(); {
				m[it.Key().String()] = it.Value().Interface()
			}
			return Encode(m)
		}
	}
	return nil, fmt.Errorf("value codec: a value of Go type %T is not a flow value", v)
}

// Decode reverses Encode on what encoding/json decoded into an
// any with UseNumber: tags become durations, times and floats again, and
// numbers ints (whole) or floats.
func Decode(raw any) (any, error) {
	switch x := raw.(type) {
	case nil, string, bool, int:
		return raw, nil
	case json.Number:
		return decodeNumber(x)
	case float64:
		// From a decoder without UseNumber: whole numbers are ints.
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int(x), nil
		}
		return x, nil
	case []any:
		out := make([]any, len(x))
		for i := range x {
			v, err := Decode(x[i])
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out[i] = v
		}
		return out, nil
	case map[string]any:
		if len(x) == 1 {
			for k, v := range x {
				if strings.HasPrefix(k, "$") {
					return decodeTag(k, v)
				}
			}
		}
		return decodeMap(x)
	}
	return nil, fmt.Errorf("value codec: unexpected %T", raw)
}

func decodeMap(x map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(x))
	for k, e := range x {
		v, err := Decode(e)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out[k] = v
	}
	return out, nil
}

func decodeNumber(n json.Number) (any, error) {
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil && i == int64(int(i)) {
		return int(i), nil
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		return nil, fmt.Errorf("value codec: bad number %s", n)
	}
	if f == math.Trunc(f) && math.Abs(f) < 1<<63 {
		return int(f), nil // 1e3, 2.0: written by hand, whole
	}
	return f, nil
}

func decodeTag(tag string, v any) (any, error) {
	bad := func() (any, error) { return nil, fmt.Errorf("value codec: bad %s value %v", tag, v) }
	switch tag {
	case "$duration":
		s, ok := v.(string)
		if !ok {
			return bad()
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return bad()
		}
		return d, nil
	case "$time":
		s, ok := v.(string)
		if !ok {
			return bad()
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return bad()
		}
		return t.UTC(), nil
	case "$float":
		switch x := v.(type) {
		case json.Number:
			f, err := strconv.ParseFloat(string(x), 64)
			if err != nil {
				return bad()
			}
			return f, nil
		case float64:
			return x, nil
		case string:
			switch x {
			case "NaN":
				return math.NaN(), nil
			case "+Inf":
				return math.Inf(1), nil
			case "-Inf":
				return math.Inf(-1), nil
			}
		}
		return bad()
	case "$map":
		m, ok := v.(map[string]any)
		if !ok {
			return bad()
		}
		return decodeMap(m)
	}
	return nil, fmt.Errorf("value codec: unknown tag %s", tag)
}

// unmarshalValue decodes one JSON value with the codec.
func Unmarshal(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, err
	}
	return Decode(raw)
}

// marshalValue encodes one value with the codec.
func Marshal(v any) (json.RawMessage, error) {
	enc, err := Encode(v)
	if err != nil {
		return nil, err
	}
	return json.Marshal(enc)
}

// Format formats a flow value for people: durations as 30s, times in
// RFC 3339, lists and maps in brackets.
func Format(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case time.Duration:
		return x.String()
	case time.Time:
		return x.Format(time.RFC3339)
	case []any:
		parts := make([]string, len(x))
		for i := range x {
			parts[i] = Format(x[i])
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := slices.Sorted(maps.Keys(x))
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ": " + Format(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v)
}

// Quote formats a value as a flow or overlay file would spell it: a string
// quoted, anything else as Format writes it.
func Quote(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("%q", x)
	}
	return Format(v)
}

// IsZero reports whether v is the zero value of its kind: nothing, an empty
// string, list or map, zero, false, a zero duration or time.
func IsZero(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case int:
		return x == 0
	case float64:
		return x == 0
	case bool:
		return !x
	case time.Duration:
		return x == 0
	case time.Time:
		return x.IsZero()
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}
