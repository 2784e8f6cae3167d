package explore_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/yamlfile"
	"github.com/tetherflow/tether/explore"
)

const coverFlow = `flow: t
start: check
vars:
  n: 0
policy:
  strict: false
states:
  check:
    run: svc.check
    with: {email: '"a@b.example"', password: '"pw"'}
    on:
      ok:
        - if: policy.strict
          go: audit
        - go: menu
      wrong: menu
  audit:
    run: svc.ping
    on: {done: menu}
  menu:
    ask:
      text: Pick
      choices: [again, done, sub]
    after:
      1m: late
    on:
      again:
        - if: n > 0
          go: done
        - set: {n: n + 1}
      done: done
      sub: child
  child:
    run: flow:child
    on: {yes: done, no: late}
  done: {final: done, success: true}
  late: {final: late}
`

const coverChild = `flow: child
start: q
states:
  q:
    ask:
      text: Sure
      choices: [y, n]
    on: {y: yes, n: no}
  yes: {final: yes, success: true}
  no: {final: no}
`

func itemNames(items []explore.CoverItem) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.String())
	}
	return out
}

// TestCoverItems lists what a flow's transcripts should exercise, under
// two policies: what the policy makes unreachable is left out.
func TestCoverItems(t *testing.T) {
	fl := mustCompile(t, coverFlow, flows{"child": coverChild})
	head := []string{"t: state check", "t: check -> ok", "t: check -> wrong"}
	tail := []string{
		"t: state menu",
		"t: menu on again, branch 1",
		"t: menu on again, branch 2",
		"t: menu on done, branch 1",
		"t: menu on sub, branch 1",
		"t: menu after 1m fires",
		"t: menu on after 1m, branch 1",
		"t: state child",
		"t: child -> no",
		"t: child -> yes",
		"t: child on no, branch 1",
		"t: child on yes, branch 1",
		"child: state q",
		"child: q on n, branch 1",
		"child: q on y, branch 1",
		"child: state yes",
		"child: state no",
		"t: state done",
		"t: state late",
	}
	lax := slices.Concat(head, []string{"t: check on ok, branch 2", "t: check on wrong, branch 1"}, tail)
	if got := itemNames(explore.CoverItems(fl)); !slices.Equal(got, lax) {
		t.Errorf("CoverItems (strict: false) =\n%q\nwant\n%q", got, lax)
	}

	strict, err := fl.WithPolicies(map[string]map[string]engine.PolicyValue{fl.Name(): map[string]engine.PolicyValue{"strict": {Value: true}}})
	if err != nil {
		t.Fatal(err)
	}
	// The policy takes ok's first branch, to audit, which is reached now.
	want := slices.Concat(head, []string{"t: check on ok, branch 1", "t: check on wrong, branch 1",
		"t: state audit", "t: audit -> done", "t: audit on done, branch 1"}, tail)
	if got := itemNames(explore.CoverItems(strict)); !slices.Equal(got, want) {
		t.Errorf("CoverItems (strict: true) =\n%q\nwant\n%q", got, want)
	}

	// Items point at what they count: a state at its name, an outcome at
	// its run:, a branch at the branch, a timer at its key.
	pos := map[string]yamlfile.Pos{}
	for _, it := range explore.CoverItems(fl) {
		pos[it.String()] = it.Pos
	}
	for item, want := range map[string]yamlfile.Pos{
		"t: state check":                {File: "t.yaml", Line: 8, Col: 3},
		"t: check -> wrong":             {File: "t.yaml", Line: 9, Col: 10},
		"t: check on ok, branch 2":      {File: "t.yaml", Line: 15, Col: 11},
		"t: menu after 1m fires":        {File: "t.yaml", Line: 25, Col: 7},
		"child: q on y, branch 1":       {File: "child.yaml", Line: 8, Col: 13},
		"t: menu on after 1m, branch 1": {File: "t.yaml", Line: 25, Col: 11},
	} {
		if pos[item] != want {
			t.Errorf("%s at %v, want %v", item, pos[item], want)
		}
	}
}

// TestMeasure holds the items against what a real session's log
// exercised: Covered reads them off the log, Measure matches them
// regardless of position, Missing lists the rest by position.
func TestMeasure(t *testing.T) {
	fl := mustCompile(t, coverFlow, flows{"child": coverChild})
	ctx := context.Background()
	clock := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	s, err := fl.Start(ctx, engine.Ports{Actions: testRegistry(t), Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	for _, choice := range []string{"again", "sub", "y"} {
		if err := s.Send(ctx, choice, nil); err != nil {
			t.Fatalf("%s: %v", choice, err)
		}
	}
	cov := explore.Measure(fl, explore.Covered(s.Log()))
	n := 0
	for _, ok := range cov.Covered {
		if ok {
			n++
		}
	}
	if len(cov.Items) != 24 || n != 13 {
		t.Errorf("covered %d of %d items, want 13 of 24", n, len(cov.Items))
	}
	if got, want := cov.Percent(), 100*13/24.0; got != want {
		t.Errorf("Percent() = %v, want %v", got, want)
	}
	want := []string{
		"t: check on wrong, branch 1",
		"t: menu on again, branch 1",
		"t: menu after 1m fires",
		"t: menu on after 1m, branch 1",
		"t: menu on done, branch 1",
		"t: child -> no",
		"t: child on no, branch 1",
		"t: state late",
		"child: q on n, branch 1",
		"child: state no",
		"t: check -> wrong",
	}
	got := itemNames(cov.Missing())
	slices.Sort(want)
	if sorted := slices.Sorted(slices.Values(got)); !slices.Equal(sorted, want) {
		t.Errorf("Missing() =\n%q\nwant (in any order)\n%q", got, want)
	}
	missing := cov.Missing()
	for i := 1; i < len(missing); i++ {
		a, b := missing[i-1].Pos, missing[i].Pos
		if a.File > b.File || a.File == b.File && (a.Line > b.Line || a.Line == b.Line && a.Col > b.Col) {
			t.Errorf("Missing() not sorted by position: %v before %v", a, b)
		}
	}
	if cov := explore.Measure(fl, nil); cov.Percent() != 0 || len(cov.Missing()) != 24 {
		t.Errorf("nothing covered: %v%%, %d missing, want 0%%, 24", cov.Percent(), len(cov.Missing()))
	}
}
