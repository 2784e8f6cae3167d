package engine

import (
	"context"
	"reflect"
	"testing"

	"github.com/tetherflow/tether/engine/eventlog"
)

const inputFlowSrc = `flow: inputs
start: ask
vars:
  x: ""
  y: 0
states:
  ask:
    ask:
      fields:
        a: {type: text}
        b: {type: number}
      choices:
        - go: {fields: [a, b]}
        - stop: {fields: []}
    on:
      go:
        set: {x: input.a, y: input.b}
        go: ask
      stop: done
  done:
    final: done
`

// An answer's input is what the flow reads as input.*, as validation
// leaves it, whether each value came as validation leaves it or not; the
// caller's map is never written into.
func TestValidateInput(t *testing.T) {
	fl := compileSrc(t, "inputs.yaml", inputFlowSrc)
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		input map[string]any
		x     string
		y     int
	}{
		{"as it is", map[string]any{"a": "hi", "b": 3}, "hi", 3},
		{"second converted", map[string]any{"a": "hi", "b": 3.0}, "hi", 3},
		{"first converted", map[string]any{"a": " hi ", "b": 4}, "hi", 4},
		{"both converted", map[string]any{"a": " yo", "b": "5"}, "yo", 5},
	} {
		s, err := fl.Start(ctx, benchPorts())
		if err != nil {
			t.Fatal(err)
		}
		before := map[string]any{}
		for k, v := range tc.input {
			before[k] = v
		}
		if err := s.Send(ctx, "go", tc.input); err != nil {
			t.Fatalf("%s: Send: %v", tc.name, err)
		}
		// A second answer reuses what the first left: it must not see it.
		if err := s.Send(ctx, "go", map[string]any{"a": "z", "b": 9.0}); err != nil {
			t.Fatalf("%s: second Send: %v", tc.name, err)
		}
		if !reflect.DeepEqual(tc.input, before) {
			t.Errorf("%s: the caller's input became %v, want %v", tc.name, tc.input, before)
		}
		log := s.Log()
		first, second := log[1], log[2]
		if got := first.Changes; len(got) != 2 || got[0].To != tc.x || got[1].To != tc.y {
			t.Errorf("%s: first answer set %+v, want x = %q, y = %d", tc.name, got, tc.x, tc.y)
		}
		if got := second.Changes; len(got) != 2 || got[0].To != "z" || got[1].To != 9 {
			t.Errorf("%s: second answer set %+v, want x = z, y = 9", tc.name, got)
		}
		if want := []eventlog.Value{{Name: "a", Value: tc.x}, {Name: "b", Value: tc.y}}; !reflect.DeepEqual(first.Args, want) {
			t.Errorf("%s: first answer logged %+v, want %+v", tc.name, first.Args, want)
		}
	}
}
