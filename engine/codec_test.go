package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/eventlog"
)

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
