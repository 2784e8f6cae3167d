package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/eventlog"
	"github.com/tetherflow/tether/engine/prompt"
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
func decodeJSON(data []byte) (any, error) {
	var v eventlog.Value
	err := json.Unmarshal([]byte(`{"name":"v","value":`+string(data)+`}`), &v)
	return v.Value, err
}

// codecFlow exercises every kind of entry: start, answers (one with a
// secret), a rejected answer, actions with secret and typed outputs,
// variable changes of every kind, a timer, a subflow and its return, and
// a final outcome with output.
const codecFlow = `flow: t
start: ask
vars: {n: 0, when: 2024-01-01T00:00:00Z, wait: 30s, tags: [a], meta: {k: 1}, f: 0.5}
states:
  ask:
    ask:
      text: "n={{ n }}"
      fields:
        email: {type: email}
        password: {type: secret}
      choices:
        - go: {fields: [email, password]}
    on:
      go:
        set: {n: n + 1, when: now(), wait: duration("2m"), tags: '["b", 2, now()]', meta: '{"d": duration("1m"), "$time": "x"}', f: 2.0}
        go: check
  check:
    run: svc.check
    with: {email: input.email, password: input.password}
    on:
      ok: sub
      wrong: ask
  sub:
    run: flow:child
    on:
      done: wait
  wait:
    ask:
      text: wait
      choices: [stop]
    after:
      1m: done
    on:
      stop: done
  done: {final: done, success: true, output: {n: n, when: when, tags: tags, meta: meta}}
`

const codecChild = `flow: child
start: a
states:
  a:
    ask:
      text: child
      choices: [ok]
    on:
      ok: done
  done: {final: done}
`

func TestEntryCodecRoundTrip(t *testing.T) {
	reg := testRegistry(t, map[string]func(context.Context, engine.Args) (engine.Result, error){
		"svc.check": func(context.Context, engine.Args) (engine.Result, error) {
			return engine.Result{Outcome: "ok", Outputs: map[string]any{"token": "tok-secret", "count": 3, "name": "n"}}, nil
		},
	})
	fl := mustCompile(t, codecFlow, reg, flows{"child": codecChild})
	c := newClock()
	s := start(t, fl, c.ports(reg))
	ctx := context.Background()
	if err := s.Send(ctx, "go", map[string]any{"email": "not an email", "password": "pw-secret"}); err == nil {
		t.Fatal("a bad email was accepted")
	}
	send(t, s, "go", map[string]any{"email": "a@example.com", "password": "pw-secret"})
	send(t, s, "ok", nil)
	c.add(2 * time.Minute)
	if _, err := s.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	log := s.Log()
	kinds := map[eventlog.EntryKind]bool{}
	for _, e := range log {
		kinds[e.Kind] = true
	}
	for _, k := range []eventlog.EntryKind{eventlog.EntryStart, eventlog.EntryAnswer, eventlog.EntryReject, eventlog.EntryAction,
		eventlog.EntryTimer, eventlog.EntryTransition, eventlog.EntryFinal} {
		if !kinds[k] {
			t.Errorf("the session logged no %s entry; the test does not cover it", k)
		}
	}

	var buf bytes.Buffer
	if err := eventlog.WriteJSONLines(&buf, log); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"pw-secret", "tok-secret"} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("the JSON log holds the secret %q", secret)
		}
	}
	back, result, err := eventlog.ReadJSONLines(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("ReadJSONLines: %v", err)
	}
	if result != nil {
		t.Errorf("result = %+v, want none", result)
	}
	if len(back) != len(log) {
		t.Fatalf("read %d entries, want %d", len(back), len(log))
	}
	for i := range log {
		want := masked(log[i])
		if !reflect.DeepEqual(back[i], want) {
			a, _ := json.Marshal(back[i])
			b, _ := json.Marshal(want)
			t.Errorf("entry %d read back differently:\n got %s\nwant %s\n got %#v\nwant %#v", i+1, a, b, back[i], want)
		}
	}
	// The transcript of the log read back is the session's transcript.
	var orig, again bytes.Buffer
	eventlog.WriteTranscript(&orig, log)
	eventlog.WriteTranscript(&again, back)
	if orig.String() != again.String() {
		t.Errorf("transcript of the log read back:\n%s\nwant:\n%s", again.String(), orig.String())
	}
}

// masked returns e as it reads back: the values of secrets are never
// written, so they read back as nothing.
func masked(e eventlog.Entry) eventlog.Entry {
	mask := func(vs []eventlog.Value) []eventlog.Value {
		if vs == nil {
			return nil
		}
		out := make([]eventlog.Value, len(vs))
		for i, v := range vs {
			if v.Secret {
				v.Value = nil
			}
			out[i] = v
		}
		return out
	}
	e.Args, e.Outputs = mask(e.Args), mask(e.Outputs)
	if e.Changes != nil {
		cs := make([]eventlog.Change, len(e.Changes))
		for i, c := range e.Changes {
			if c.Masked {
				c.From, c.To = nil, nil
			}
			cs[i] = c
		}
		e.Changes = cs
	}
	return e
}

func TestReadJSONLinesErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"not json", "hello\n", "line 1: not an event log"},
		{"unknown field", `{"seq":1,"kind":"start","bogus":1}`, "line 1: not an event log"},
		{"no seq", `{"kind":"start"}`, "line 1: not an event log: an entry has a seq and a kind"},
		{"seq order", `{"seq":2,"kind":"start"}` + "\n" + `{"seq":2,"kind":"final"}`, "line 2: not an event log: seq 2 after 2"},
		{"after result", `{"result":{"outcome":"x","success":false,"state":"x"}}` + "\n" + `{"seq":1,"kind":"start"}`, "line 2"},
		{"bad tag", `{"seq":1,"kind":"action","args":[{"name":"d","value":{"$duration":"soon"}}]}`, "bad $duration value soon"},
	}
	for _, tt := range tests {
		_, _, err := eventlog.ReadJSONLines(strings.NewReader(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
}

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

// FuzzReadJSONLines: no input makes the reader panic, and what it reads
// writes back to a log that reads the same.
func FuzzReadJSONLines(f *testing.F) {
	f.Add([]byte(`{"seq":1,"time":"2026-01-05T09:00:00Z","kind":"start","flow":"connect","state":"a","to":"a"}`))
	f.Add([]byte(`{"seq":3,"kind":"answer","args":[{"name":"password","value":"***","secret":true}],"set":[{"var":"t","from":"***","to":"***","masked":true}],"prompt":{"text":"x","choices":[{"name":"go"}]}}`))
	f.Add([]byte(`{"result":{"outcome":"connected","success":true,"state":"c","output":{"a":{"$duration":"1s"}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, _, err := eventlog.ReadJSONLines(bytes.NewReader(data))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := eventlog.WriteJSONLines(&buf, entries); err != nil {
			t.Fatalf("write back: %v", err)
		}
		again, _, err := eventlog.ReadJSONLines(&buf)
		if err != nil {
			t.Fatalf("read back: %v\n%s", err, buf.String())
		}
		if len(again) != len(entries) {
			t.Fatalf("read back %d entries, want %d", len(again), len(entries))
		}
	})
}

func TestSuggest(t *testing.T) {
	src := `flow: t
start: pick
vars: {items: [], other: 0}
states:
  pick:
    ask:
      fields:
        what:
          type: text
          suggest: "map(items, ({'value': #, 'label': upper(#)}))"
      choices:
        - go: {fields: [what]}
    on:
      go: done
  done: {final: done}
`
	fl := mustCompile(t, strings.Replace(src, "vars: {items: [], other: 0}", `vars: {items: ["a", "b"], other: 0}`, 1), nil, nil)
	s := start(t, fl, newClock().ports(nil))
	f, _ := s.Current().Prompt.Field("what")
	want := []prompt.Suggestion{{Value: "a", Label: "A"}, {Value: "b", Label: "B"}}
	if !reflect.DeepEqual(f.Suggest, want) {
		t.Errorf("Suggest = %+v, want %+v", f.Suggest, want)
	}
	// Only text fields suggest; the expression must be a list.
	bad := strings.Replace(src, "type: text", "type: email", 1)
	if _, err := compile(t, bad, nil, nil); err == nil || !strings.Contains(err.Error(), "suggest: only text fields take suggestions") {
		t.Errorf("suggest on an email field: %v", err)
	}
	bad = strings.Replace(src, `"map(items, ({'value': #, 'label': upper(#)}))"`, "other", 1)
	if _, err := compile(t, bad, nil, nil); err == nil || !strings.Contains(err.Error(), "want a list") {
		t.Errorf("suggest of an int: %v", err)
	}
	// A list of the wrong things is a run error at the field.
	fl = mustCompile(t, strings.Replace(src, "vars: {items: [], other: 0}", `vars: {items: [1, 2], other: 0}`, 1), nil, nil)
	if _, err := fl.Start(context.Background(), newClock().ports(nil)); err == nil || !strings.Contains(err.Error(), "suggest of field what") {
		t.Errorf("suggestions of ints: %v", err)
	}
}
