package jsonappend_test

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tetherflow/tether/internal/jsonappend"
	"github.com/tetherflow/tether/internal/randomlog"
)

// same fails t unless got and err are what json.Marshal(v) returns: the
// same bytes, or an error for both.
func same(t *testing.T, v any, got []byte, err error) {
	t.Helper()
	want, werr := json.Marshal(v)
	switch {
	case (err != nil) != (werr != nil):
		t.Errorf("%#v: err = %v, want %v", v, err, werr)
	case err == nil && !bytes.Equal(got, want):
		t.Errorf("%#v:\n got %s\nwant %s", v, got, want)
	}
}

// sameNoHTML fails t unless got and err are what an Encoder whose
// SetEscapeHTML is false writes of v, less its newline.
func sameNoHTML(t *testing.T, v any, got []byte, err error) {
	t.Helper()
	var w bytes.Buffer
	enc := json.NewEncoder(&w)
	enc.SetEscapeHTML(false)
	werr := enc.Encode(v)
	want := bytes.TrimSuffix(w.Bytes(), []byte("\n"))
	switch {
	case (err != nil) != (werr != nil):
		t.Errorf("%#v: err = %v, want %v", v, err, werr)
	case err == nil && !bytes.Equal(got, want):
		t.Errorf("%#v:\n got %s\nwant %s", v, got, want)
	}
}

func FuzzString(f *testing.F) {
	for _, s := range []string{"", "plain", `"\`, "<>&", "\x00\x1f\x7f", "\u2028\u2029", "\xff", "\xe2\x80", "日本", "\ufffd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		same(t, s, jsonappend.String(nil, s), nil)
		sameNoHTML(t, s, jsonappend.StringNoHTML(nil, s), nil)
	})
}

func FuzzFloat(f *testing.F) {
	for _, x := range []float64{0, math.Copysign(0, -1), 1, 0.1, 1e20, 1e21, 1e-6, 1e-7, 1.5e-300, math.MaxFloat64, math.NaN(), math.Inf(-1)} {
		f.Add(x)
	}
	f.Fuzz(func(t *testing.T, x float64) {
		got, err := jsonappend.Float(nil, x)
		same(t, x, got, err)
	})
}

func FuzzTime(f *testing.F) {
	f.Add(int64(0), int64(0), 0)
	f.Add(int64(1767603600), int64(123456789), 3600)
	f.Add(int64(300000000000), int64(1), -5400) // past 9999
	f.Add(int64(-62135596801), int64(0), 0)     // before year 1
	f.Add(int64(1767603600), int64(0), 24*3600) // a zone of 24 hours
	f.Fuzz(func(t *testing.T, sec, nsec int64, off int) {
		tm := time.Unix(sec, nsec).In(time.FixedZone("", off))
		got, err := jsonappend.Time(nil, tm)
		same(t, tm, got, err)
		if err != nil && len(got) != 0 {
			t.Errorf("Time left %q on an error", got)
		}
	})
}

// TestAny: random values, nested, of JSON's kinds and others, write as
// json.Marshal writes them.
func TestAny(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 5000 {
		v := randomlog.Value(r, 3)
		got, err := jsonappend.Any(nil, v)
		same(t, v, got, err)
		got, err = jsonappend.AnyNoHTML([]byte("x"), v)
		if len(got) == 0 || got[0] != 'x' {
			t.Fatalf("AnyNoHTML lost what it appends to: %q", got)
		}
		sameNoHTML(t, v, got[1:], err)
	}
	for _, v := range []any{[]any(nil), map[string]any(nil), []string(nil), map[string]any{"a": []any(nil)}, json.RawMessage(`{"x": 1}`),
		map[string]any{"<k>": "a&b", "r": json.RawMessage(`"<&>"`), "l": []string{"<>"}}} {
		got, err := jsonappend.Any(nil, v)
		same(t, v, got, err)
		got, err = jsonappend.AnyNoHTML(nil, v)
		sameNoHTML(t, v, got, err)
	}
}

// TestStrings: string lists are arrays, nil null.
func TestStrings(t *testing.T) {
	for _, list := range [][]string{nil, {}, {"x", "<y>"}} {
		same(t, list, jsonappend.Strings(nil, list), nil)
		sameNoHTML(t, list, jsonappend.StringsNoHTML(nil, list), nil)
	}
}
