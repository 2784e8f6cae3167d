package value_test

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/tetherflow/tether/engine/value"
)

// codecValues are values of every kind a flow holds, and the corners of
// the codec: whole floats, ints past 2^53, NaN, maps that look like tags.
var codecValues = []any{
	nil, "", "text", "***", true, false,
	0, -7, 1 << 60, -(1 << 62),
	0.5, 2.0, -0.0001, 1e300, math.Inf(1), math.Inf(-1),
	90 * time.Second, time.Duration(0), -time.Nanosecond,
	time.Date(2026, 1, 5, 9, 0, 0, 123456789, time.UTC),
	time.Time{}.UTC(),
	[]any{}, []any{"a", 2, 2.0, []any{time.Minute}},
	map[string]any{}, map[string]any{"k": 1, "when": time.Date(2099, 12, 31, 0, 0, 0, 0, time.UTC)},
	map[string]any{"$time": "not a time"},
	map[string]any{"$duration": map[string]any{"$float": 1.0}},
	map[string]any{"$map": 1},
	map[string]any{"$x": 1, "y": 2},
	[]any{map[string]any{"$float": "NaN"}},
}

func TestValueCodecRoundTrip(t *testing.T) {
	for _, v := range codecValues {
		enc, err := value.Encode(v)
		if err != nil {
			t.Errorf("EncodeValue(%#v): %v", v, err)
			continue
		}
		data, err := json.Marshal(enc)
		if err != nil {
			t.Errorf("marshal %#v: %v", v, err)
			continue
		}
		got, err := decodeJSON(data)
		if err != nil {
			t.Errorf("decode %s: %v", data, err)
			continue
		}
		if !reflect.DeepEqual(got, v) {
			t.Errorf("%s read back as %#v, want %#v", data, got, v)
		}
	}
	nan, _ := value.Encode(math.NaN())
	data, _ := json.Marshal(nan)
	if got, err := decodeJSON(data); err != nil || !math.IsNaN(got.(float64)) {
		t.Errorf("NaN read back as %v, %v", got, err)
	}
}

func TestValueCodecTypedGoValues(t *testing.T) {
	// What expr's builtins and adapters may hand over: typed slices,
	// sized ints. They are written as the flow kinds they stand for.
	tests := []struct {
		in   any
		want any
	}{
		{[]string{"a", "b"}, []any{"a", "b"}},
		{int64(5), 5},
		{uint8(7), 7},
		{float32(0.5), 0.5},
		{map[string]int{"a": 1}, map[string]any{"a": 1}},
	}
	for _, tt := range tests {
		enc, err := value.Encode(tt.in)
		if err != nil {
			t.Errorf("EncodeValue(%#v): %v", tt.in, err)
			continue
		}
		data, _ := json.Marshal(enc)
		got, err := decodeJSON(data)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%#v read back as %#v (%v), want %#v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []any{struct{}{}, func() {}, make(chan int), uint64(math.MaxUint64)} {
		if _, err := value.Encode(bad); err == nil {
			t.Errorf("EncodeValue(%T) succeeded; want an error", bad)
		}
	}
}

// decodeJSON reads one value as a log or snapshot holds it: a Value's
// value.
// FuzzValueCodec: whatever JSON decodes without error encodes again, and
// the encoding reads back as the same value (the codec is a fixed point
// after one round).
func FuzzValueCodec(f *testing.F) {
	for _, v := range codecValues {
		enc, _ := value.Encode(v)
		data, _ := json.Marshal(enc)
		f.Add(data)
	}
	f.Add([]byte(`{"$float":"NaN"}`))
	f.Add([]byte(`{"$map":{"$map":{}}}`))
	f.Add([]byte(`[1e400, -0, 1.0, 9007199254740993]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := decodeJSON(data)
		if err != nil {
			return
		}
		enc, err := value.Encode(v)
		if err != nil {
			t.Fatalf("decoded %s as %#v, which does not encode: %v", data, v, err)
		}
		data2, err := json.Marshal(enc)
		if err != nil {
			t.Fatalf("encode %#v: %v", v, err)
		}
		v2, err := decodeJSON(data2)
		if err != nil {
			t.Fatalf("re-decode %s: %v", data2, err)
		}
		enc2, _ := value.Encode(v2)
		data3, _ := json.Marshal(enc2)
		if !bytes.Equal(data2, data3) {
			t.Fatalf("not a fixed point:\n%s\n%s", data2, data3)
		}
	})
}

// decodeJSON reads one value with the codec.
func decodeJSON(data []byte) (any, error) { return value.Unmarshal(data) }
