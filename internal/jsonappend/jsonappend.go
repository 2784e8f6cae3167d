package jsonappend

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

const hex = "0123456789abcdef"

// safe holds the ASCII bytes a string keeps as they are: not the control
// characters, quote, backslash, <, > and &. It is never written to.
var safe = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// safeHTML is safe with <, > and & kept as they are: what an Encoder
// whose SetEscapeHTML is false keeps. It is never written to.
var safeHTML = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = c >= 0x20 && c != '"' && c != '\\'
	}
	return t
}()

// String appends s as a JSON string, escaped as encoding/json escapes it:
// quotes, backslashes and control characters, <, > and & (as \u003c and
// so on), U+2028 and U+2029; invalid UTF-8 becomes U+FFFD.
func String(b []byte, s string) []byte { return appendString(b, s, &safe) }

// StringNoHTML appends s as String does but for <, > and &, kept as they
// are: as an Encoder whose SetEscapeHTML is false writes it.
func StringNoHTML(b []byte, s string) []byte { return appendString(b, s, &safeHTML) }

func appendString(b []byte, s string, safe *[utf8.RuneSelf]bool) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if safe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// Int appends i.
func Int(b []byte, i int) []byte { return strconv.AppendInt(b, int64(i), 10) }

// Bool appends v.
func Bool(b []byte, v bool) []byte { return strconv.AppendBool(b, v) }

// Float appends f as encoding/json formats a float64: as ES6 does, with
// an exponent below 1e-6 and from 1e21 on. NaN and the infinities, which
// JSON cannot hold, are an error.
func Float(b []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, fmt.Errorf("json: unsupported value: %s", strconv.FormatFloat(f, 'g', -1, 64))
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// 1e-07, as strconv writes it, is 1e-7.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

// Time appends t as time.Time's MarshalJSON writes it: RFC 3339 with
// nanoseconds, quoted. A time RFC 3339 cannot hold (a year past 9999) is
// an error.
func Time(b []byte, t time.Time) ([]byte, error) {
	b = append(b, '"')
	out, err := t.AppendText(b)
	if err != nil {
		return b[:len(b)-1], fmt.Errorf("json: %w", err)
	}
	return append(out, '"'), nil
}

// Strings appends list as a JSON array of strings; nil is null.
func Strings(b []byte, list []string) []byte { return appendStrings(b, list, &safe) }

// StringsNoHTML appends list as Strings does, its strings as StringNoHTML
// writes them.
func StringsNoHTML(b []byte, list []string) []byte { return appendStrings(b, list, &safeHTML) }

func appendStrings(b []byte, list []string, safe *[utf8.RuneSelf]bool) []byte {
	if list == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s, safe)
	}
	return append(b, ']')
}

// maxDepth bounds the nesting Any follows, where encoding/json stops only
// at a cycle: a value nested deeper is refused here, written there.
const maxDepth = 10_000

// Any appends v as encoding/json's Marshal writes it. nil, booleans,
// strings, ints, float64s, []any and map[string]any are written here;
// any other type is handed to Marshal.
func Any(b []byte, v any) ([]byte, error) { return anyValue(b, v, true, 0) }

// AnyNoHTML appends v as an Encoder whose SetEscapeHTML is false writes
// it, less the newline: <, > and & in its strings kept as they are.
func AnyNoHTML(b []byte, v any) ([]byte, error) { return anyValue(b, v, false, 0) }

func anyValue(b []byte, v any, html bool, depth int) ([]byte, error) {
	if depth > maxDepth {
		return b, errors.New("json: values nested too deep")
	}
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		if !html {
			return StringNoHTML(b, x), nil
		}
		return String(b, x), nil
	case bool:
		return Bool(b, x), nil
	case int:
		return Int(b, x), nil
	case float64:
		return Float(b, x)
	case []any:
		if x == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = anyValue(b, e, html, depth+1); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case map[string]any:
		return appendMap(b, x, html, func(b []byte, v any) ([]byte, error) { return anyValue(b, v, html, depth+1) })
	}
	if html {
		out, err := json.Marshal(v)
		if err != nil {
			return b, err
		}
		return append(b, out...), nil
	}
	w := bytes.NewBuffer(b)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return b, err
	}
	out := w.Bytes()
	return out[:len(out)-1], nil // Encode's newline
}

// Map appends m as an object, its keys sorted as encoding/json sorts
// them, each value written by value; a nil map is null.
func Map(b []byte, m map[string]any, value func(b []byte, v any) ([]byte, error)) ([]byte, error) {
	return appendMap(b, m, true, value)
}

// appendMap is Map, its keys' <, > and & escaped when html is set.
func appendMap(b []byte, m map[string]any, html bool, value func(b []byte, v any) ([]byte, error)) ([]byte, error) {
	if m == nil {
		return append(b, "null"...), nil
	}
	var buf [16]string
	keys := buf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, strings.Compare)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		if html {
			b = String(b, k)
		} else {
			b = StringNoHTML(b, k)
		}
		b = append(b, ':')
		var err error
		if b, err = value(b, m[k]); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}
