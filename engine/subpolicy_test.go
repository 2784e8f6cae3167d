package engine_test

import (
	"context"
	"testing"

	"github.com/tetherflow/tether/engine"
)

// A policy value set for a subflow applies where the subflow runs, and
// gives the parent its own hash, so that a snapshot taken under one
// subflow policy does not restore under another.
func TestWithPoliciesReachesSubflows(t *testing.T) {
	root := `
flow: root
start: go
states:
  go:
    run: flow:child
    on: {short: short, long: long}
  short: {final: short}
  long: {final: long}
`
	child := `
flow: child
start: decide
policy: {limit: 5}
states:
  decide:
    ask:
      text: "limit {{ policy.limit }}"
      choices: [next]
    on:
      next:
        - if: policy.limit < 3
          go: short
        - go: long
  short: {final: short}
  long: {final: long}
`
	fl := mustCompile(t, root, nil, flows{"child": child})
	ctx := context.Background()
	run := func(fl *engine.Flow) (string, string) {
		t.Helper()
		s, err := fl.Start(ctx, engine.Ports{})
		if err != nil {
			t.Fatal(err)
		}
		text := s.Current().Prompt.Title.Text
		if err := s.Send(ctx, "next", nil); err != nil {
			t.Fatal(err)
		}
		return text, s.Current().Outcome.Name
	}
	if text, out := run(fl); text != "limit 5" || out != "long" {
		t.Errorf("defaults: prompt %q, outcome %s; want \"limit 5\", long", text, out)
	}
	eff, err := fl.WithPolicies(map[string]map[string]engine.PolicyValue{"child": {"limit": {Value: 2}}})
	if err != nil {
		t.Fatal(err)
	}
	if text, out := run(eff); text != "limit 2" || out != "short" {
		t.Errorf("child limit 2: prompt %q, outcome %s; want \"limit 2\", short", text, out)
	}
	if got := eff.Subflows()["child"].Info().Policy["limit"]; got != 2 {
		t.Errorf("Subflows()[child].Info().Policy[limit] = %v, want 2", got)
	}
	if eff.Hash() == fl.Hash() {
		t.Errorf("the flow's hash did not change with its subflow's policy")
	}
	// The base flow is untouched.
	if text, _ := run(fl); text != "limit 5" {
		t.Errorf("base flow after WithPolicies: prompt %q, want \"limit 5\"", text)
	}
	// A snapshot inside the subflow restores only under the same policy.
	s, err := eff.Start(ctx, engine.Ports{})
	if err != nil {
		t.Fatal(err)
	}
	snap := s.Snapshot()
	if _, err := fl.Restore(ctx, snap, engine.Ports{}); err == nil {
		t.Errorf("a snapshot under the child's regional policy restored on the default policy")
	}
	r, err := eff.Restore(ctx, snap, engine.Ports{})
	if err != nil {
		t.Fatalf("Restore on the same policy: %v", err)
	}
	if got := r.Current().Prompt.Title.Text; got != "limit 2" {
		t.Errorf("restored prompt %q, want \"limit 2\"", got)
	}
	// Unknown keys are reported for the flow they were set for.
	if _, err := fl.WithPolicies(map[string]map[string]engine.PolicyValue{"child": {"limt": {Value: 2}}}); err == nil {
		t.Errorf("an unknown policy key of the subflow was accepted")
	}
}
