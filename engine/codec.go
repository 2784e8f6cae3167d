package engine

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
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

// EncodeValue returns v in the codec's JSON form: a value encoding/json
// marshals as the codec writes it. Go values that are not flow values
// (functions, channels, structs) are an error; other integer and float
// types, slices and string-keyed maps are taken as the flow's kinds.
func EncodeValue(v any) (any, error) {
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
			e, err := EncodeValue(x[i])
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			enc, err := EncodeValue(e)
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
		return EncodeValue(rv.Float())
	case reflect.String:
		return rv.String(), nil
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.Slice, reflect.Array:
		list := make([]any, rv.Len())
		for i := range list {
			list[i] = rv.Index(i).Interface()
		}
		return EncodeValue(list)
	case reflect.Map:
		if rv.Type().Key().Kind() == reflect.String {
			m := make(map[string]any, rv.Len())
			for it := rv.MapRange(); it.Next(); {
				m[it.Key().String()] = it.Value().Interface()
			}
			return EncodeValue(m)
		}
	}
	return nil, fmt.Errorf("value codec: a value of Go type %T is not a flow value", v)
}

// DecodeValue reverses EncodeValue on what encoding/json decoded into an
// any with UseNumber: tags become durations, times and floats again, and
// numbers ints (whole) or floats.
func DecodeValue(raw any) (any, error) {
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
			v, err := DecodeValue(x[i])
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
		v, err := DecodeValue(e)
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
func unmarshalValue(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, err
	}
	return DecodeValue(raw)
}

// marshalValue encodes one value with the codec.
func marshalValue(v any) (json.RawMessage, error) {
	enc, err := EncodeValue(v)
	if err != nil {
		return nil, err
	}
	return json.Marshal(enc)
}

// MarshalJSON writes {"name": ..., "value": ...} with the value in the
// codec's form; a secret is written as {"name": ..., "value": "***",
// "secret": true}, its value never.
func (v Value) MarshalJSON() ([]byte, error) {
	if v.Secret {
		return json.Marshal(struct {
			Name   string `json:"name"`
			Value  string `json:"value"`
			Secret bool   `json:"secret"`
		}{v.Name, Masked, true})
	}
	val, err := marshalValue(v.Value)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", v.Name, err)
	}
	return json.Marshal(struct {
		Name  string          `json:"name"`
		Value json.RawMessage `json:"value"`
	}{v.Name, val})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (v *Value) UnmarshalJSON(data []byte) error {
	var raw struct {
		Name   string          `json:"name"`
		Value  json.RawMessage `json:"value"`
		Secret bool            `json:"secret"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*v = Value{Name: raw.Name, Secret: raw.Secret}
	if raw.Secret || raw.Value == nil {
		return nil
	}
	val, err := unmarshalValue(raw.Value)
	if err != nil {
		return fmt.Errorf("%s: %w", raw.Name, err)
	}
	v.Value = val
	return nil
}

// MarshalJSON writes {"var": ..., "from": ..., "to": ...}, values in the
// codec's form; a masked change is {"var": ..., "from": "***", "to":
// "***", "masked": true}.
func (c Change) MarshalJSON() ([]byte, error) {
	if c.Masked {
		return json.Marshal(struct {
			Var    string `json:"var"`
			From   string `json:"from"`
			To     string `json:"to"`
			Masked bool   `json:"masked"`
		}{c.Var, Masked, Masked, true})
	}
	from, err := marshalValue(c.From)
	if err != nil {
		return nil, fmt.Errorf("set %s: %w", c.Var, err)
	}
	to, err := marshalValue(c.To)
	if err != nil {
		return nil, fmt.Errorf("set %s: %w", c.Var, err)
	}
	return json.Marshal(struct {
		Var  string          `json:"var"`
		From json.RawMessage `json:"from"`
		To   json.RawMessage `json:"to"`
	}{c.Var, from, to})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (c *Change) UnmarshalJSON(data []byte) error {
	var raw struct {
		Var    string          `json:"var"`
		From   json.RawMessage `json:"from"`
		To     json.RawMessage `json:"to"`
		Masked bool            `json:"masked"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*c = Change{Var: raw.Var, Masked: raw.Masked}
	if raw.Masked {
		return nil
	}
	var err error
	if raw.From != nil {
		if c.From, err = unmarshalValue(raw.From); err != nil {
			return fmt.Errorf("set %s: from: %w", raw.Var, err)
		}
	}
	if raw.To != nil {
		if c.To, err = unmarshalValue(raw.To); err != nil {
			return fmt.Errorf("set %s: to: %w", raw.Var, err)
		}
	}
	return nil
}

// outcomeJSON is Outcome as JSON, its output values in the codec's form.
type outcomeJSON struct {
	Name    string          `json:"outcome"`
	Success bool            `json:"success"`
	State   string          `json:"state"`
	Message string          `json:"message,omitempty"`
	Output  json.RawMessage `json:"output,omitempty"`
}

// MarshalJSON writes the outcome with its output values in the codec's
// form.
func (o Outcome) MarshalJSON() ([]byte, error) {
	p := outcomeJSON{Name: o.Name, Success: o.Success, State: o.State, Message: o.Message}
	if o.Output != nil {
		out, err := marshalValue(o.Output)
		if err != nil {
			return nil, fmt.Errorf("output: %w", err)
		}
		p.Output = out
	}
	return json.Marshal(p)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (o *Outcome) UnmarshalJSON(data []byte) error {
	var p outcomeJSON
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	*o = Outcome{Name: p.Name, Success: p.Success, State: p.State, Message: p.Message}
	if p.Output != nil {
		v, err := unmarshalValue(p.Output)
		if err != nil {
			return fmt.Errorf("output: %w", err)
		}
		m, ok := v.(map[string]any)
		if !ok && v != nil {
			return fmt.Errorf("output: want an object")
		}
		o.Output = m
	}
	return nil
}

// frameJSON is FrameSnapshot as JSON, its variables in the codec's form.
type frameJSON struct {
	Flow   string          `json:"flow"`
	Hash   string          `json:"hash"`
	State  string          `json:"state"`
	Vars   json.RawMessage `json:"vars,omitempty"`
	Timers []TimerSnapshot `json:"timers,omitempty"`
}

// MarshalJSON writes the frame with its variables in the codec's form.
func (fs FrameSnapshot) MarshalJSON() ([]byte, error) {
	p := frameJSON{Flow: fs.Flow, Hash: fs.Hash, State: fs.State, Timers: fs.Timers}
	if len(fs.Vars) > 0 {
		vars, err := marshalValue(fs.Vars)
		if err != nil {
			return nil, fmt.Errorf("flow %s: vars: %w", fs.Flow, err)
		}
		p.Vars = vars
	}
	return json.Marshal(p)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (fs *FrameSnapshot) UnmarshalJSON(data []byte) error {
	var p frameJSON
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	*fs = FrameSnapshot{Flow: p.Flow, Hash: p.Hash, State: p.State, Timers: p.Timers}
	if p.Vars != nil {
		v, err := unmarshalValue(p.Vars)
		if err != nil {
			return fmt.Errorf("flow %s: vars: %w", p.Flow, err)
		}
		m, ok := v.(map[string]any)
		if !ok && v != nil {
			return fmt.Errorf("flow %s: vars: want an object", p.Flow)
		}
		fs.Vars = m
	}
	return nil
}

// WriteJSONLines writes each entry as one JSON object per line.
func WriteJSONLines(w io.Writer, entries []Entry) error {
	enc := json.NewEncoder(w)
	for i := range entries {
		if err := enc.Encode(&entries[i]); err != nil {
			return err
		}
	}
	return nil
}

// ErrNotLog is wrapped by ReadJSONLines' error for input that is not an
// event log.
var ErrNotLog = errors.New("not an event log")

// maxLogLine bounds one line of a JSON-lines log.
const maxLogLine = 4 << 20

// ReadJSONLines reads an event log written by WriteJSONLines. A last line
// {"result": ...}, which `tether run --json` ends with, is returned as the
// outcome (nil when there is none). Errors name the line.
func ReadJSONLines(r io.Reader) ([]Entry, *Outcome, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLogLine)
	var entries []Entry
	var result *Outcome
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if result != nil {
			return nil, nil, fmt.Errorf("line %d: %w: an entry after the result line", n, ErrNotLog)
		}
		if bytes.HasPrefix(line, []byte(`{"result":`)) {
			var res struct {
				Result *Outcome `json:"result"`
			}
			if err := strictUnmarshal(line, &res); err != nil || res.Result == nil {
				return nil, nil, fmt.Errorf("line %d: %w: a bad result line", n, ErrNotLog)
			}
			result = res.Result
			continue
		}
		var e Entry
		if err := strictUnmarshal(line, &e); err != nil {
			return nil, nil, fmt.Errorf("line %d: %w: %v", n, ErrNotLog, err)
		}
		if e.Seq <= 0 || e.Kind == "" {
			return nil, nil, fmt.Errorf("line %d: %w: an entry has a seq and a kind", n, ErrNotLog)
		}
		if k := len(entries); k > 0 && e.Seq <= entries[k-1].Seq {
			return nil, nil, fmt.Errorf("line %d: %w: seq %d after %d", n, ErrNotLog, e.Seq, entries[k-1].Seq)
		}
		entries = append(entries, e)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, err
	}
	return entries, result, nil
}

// strictUnmarshal decodes one JSON value refusing unknown fields and
// trailing data.
func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}
