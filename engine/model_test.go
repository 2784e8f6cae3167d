package engine_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/flowinfo"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/value"
	"github.com/tetherflow/tether/engine/yamlfile"
)

const modelFlow = `flow: t
title: Model
start: check
vars:
  n: 0
  seen: false
policy:
  strict: true
states:
  check:
    run: svc.check
    with: {email: '"a@b.example"', password: '"pw"'}
    on:
      wrong:
        - if: policy.strict
          go: menu
        - if: n > 1
          go: failed
        - go: menu
      ok:
        - if: not policy.strict
          go: failed
        - go: child
  menu:
    ask:
      text: Pick
      choices: [again, done]
    after:
      1m: failed
    on:
      again:
        set: {n: n + 1}
      done: finished
  child:
    run: flow:child
    on:
      yes: finished
      no: failed
  finished: {final: finished, success: true}
  failed: {final: failed}
`

const modelChild = `flow: child
start: q
states:
  q:
    ask:
      text: Yes
      choices: [y, n]
    on: {y: yes, n: no}
  yes: {final: yes, success: true}
  no: {final: no}
`

// TestInfo holds Flow.Info to the flow it describes: every state with its
// kind, position, action or subflow, events, handlers sorted by event,
// branches with their guards, targets and what the policy says of them,
// and timers.
func TestInfo(t *testing.T) {
	fl := mustCompile(t, modelFlow, nil, flows{"child": modelChild})
	info := fl.Info()
	if info.Name != "t" || info.Title != "Model" || info.Start != "check" {
		t.Errorf("Name, Title, Start = %q, %q, %q, want t, Model, check", info.Name, info.Title, info.Start)
	}
	if want := []string{"n", "seen"}; !reflect.DeepEqual(info.Vars, want) {
		t.Errorf("Vars = %q, want %q", info.Vars, want)
	}
	if want := []value.Kind{value.Int, value.Bool}; !reflect.DeepEqual(info.Kinds, want) {
		t.Errorf("Kinds = %v, want %v", info.Kinds, want)
	}
	var names []string
	for _, s := range info.States {
		names = append(names, s.Name)
	}
	if want := []string{"check", "menu", "child", "finished", "failed"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("states = %q, want %q", names, want)
	}
	check, menu, child, finished := info.States[0], info.States[1], info.States[2], info.States[3]

	if check.Kind != syntax.RunState || check.Pos != (yamlfile.Pos{File: "t.yaml", Line: 10, Col: 3}) ||
		check.Run != "svc.check" || check.RunPos != (yamlfile.Pos{File: "t.yaml", Line: 11, Col: 10}) {
		t.Errorf("check: kind %v at %v, run %q at %v", check.Kind, check.Pos, check.Run, check.RunPos)
	}
	if check.Subflow != nil {
		t.Errorf("check: Subflow %v, want none", check.Subflow)
	}
	if want := []string{"ok", "wrong"}; !reflect.DeepEqual(check.Events, want) {
		t.Errorf("check: Events = %q, want the action's outcomes %q", check.Events, want)
	}
	// Handlers sorted by event; what the policy (strict: true) decides.
	want := []flowinfo.Handler{{
		Event: "ok", Pos: yamlfile.Pos{File: "t.yaml", Line: 20, Col: 7},
		Branches: []flowinfo.Branch{
			{Index: 1, Pos: yamlfile.Pos{File: "t.yaml", Line: 21, Col: 11}, Guard: "not policy.strict", Target: "failed", Policy: flowinfo.GuardFails},
			{Index: 2, Pos: yamlfile.Pos{File: "t.yaml", Line: 23, Col: 11}, Target: "child", Policy: flowinfo.GuardHolds},
		},
	}, {
		Event: "wrong", Pos: yamlfile.Pos{File: "t.yaml", Line: 14, Col: 7},
		Branches: []flowinfo.Branch{
			{Index: 1, Pos: yamlfile.Pos{File: "t.yaml", Line: 15, Col: 11}, Guard: "policy.strict", Target: "menu", Policy: flowinfo.GuardHolds},
			{Index: 2, Pos: yamlfile.Pos{File: "t.yaml", Line: 17, Col: 11}, Guard: "n > 1", Target: "failed", Policy: flowinfo.GuardOpen},
			{Index: 3, Pos: yamlfile.Pos{File: "t.yaml", Line: 19, Col: 11}, Target: "menu", Policy: flowinfo.GuardHolds},
		},
	}}
	if !reflect.DeepEqual(check.Handlers, want) {
		t.Errorf("check: Handlers =\n%+v\nwant\n%+v", check.Handlers, want)
	}

	if menu.Kind != syntax.AskState || !reflect.DeepEqual(menu.Events, []string{"again", "done"}) {
		t.Errorf("menu: kind %v, Events %q, want ask, [again done]", menu.Kind, menu.Events)
	}
	if b := menu.Handlers[0].Branches[0]; menu.Handlers[0].Event != "again" || b.Target != "" {
		t.Errorf("menu: first handler %q goes to %q, want again, staying", menu.Handlers[0].Event, b.Target)
	}
	wantTimer := []flowinfo.Timer{{
		Key: "1m", Pos: yamlfile.Pos{File: "t.yaml", Line: 29, Col: 7},
		Handler: flowinfo.Handler{Event: "after 1m", Pos: yamlfile.Pos{File: "t.yaml", Line: 29, Col: 7},
			Branches: []flowinfo.Branch{{Index: 1, Pos: yamlfile.Pos{File: "t.yaml", Line: 29, Col: 11}, Target: "failed", Policy: flowinfo.GuardHolds}}},
	}}
	if !reflect.DeepEqual(menu.Timers, wantTimer) {
		t.Errorf("menu: Timers =\n%+v\nwant\n%+v", menu.Timers, wantTimer)
	}

	if child.Subflow == nil || child.Subflow.Name != "child" || child.Run != "flow:child" || info.Subflows["child"] != child.Subflow {
		t.Errorf("child: Subflow %v, Run %q, want the child flow's model, as Subflows has it", child.Subflow, child.Run)
	}
	if sub := fl.Subflows()["child"]; sub == nil || child.Subflow != sub.Info() {
		t.Errorf("child: Subflow is not the model the child flow gives")
	}
	if want := []string{"no", "yes"}; !reflect.DeepEqual(child.Events, want) {
		t.Errorf("child: Events = %q, want the subflow's outcomes %q", child.Events, want)
	}
	if finished.Kind != syntax.FinalState || finished.Outcome != "finished" || !finished.Success {
		t.Errorf("finished: kind %v, outcome %q, success %v", finished.Kind, finished.Outcome, finished.Success)
	}
	if failed := info.States[4]; failed.Success || failed.Outcome != "failed" {
		t.Errorf("failed: outcome %q, success %v, want failed, no success", failed.Outcome, failed.Success)
	}
}

// TestInfoIsShared: Info is built once, and a flow under another policy
// has a model of its own, which says what that policy makes of it.
func TestInfoIsShared(t *testing.T) {
	fl := mustCompile(t, modelFlow, nil, flows{"child": modelChild})
	if a, b := fl.Info(), fl.Info(); a != b {
		t.Errorf("Info() built twice: %p, %p", a, b)
	}
	lax, err := fl.WithPolicies(map[string]map[string]engine.PolicyValue{"t": {"strict": {Value: false, Pos: yamlfile.Pos{File: "lax.yaml", Line: 1, Col: 9}}}})
	if err != nil {
		t.Fatal(err)
	}
	a, b := fl.Info(), lax.Info()
	if a == b || a.Policy["strict"] != true || b.Policy["strict"] != false || a.Hash == b.Hash {
		t.Errorf("strict: flow's model %v (hash %s), policy copy's %v (hash %s), want true then false, two hashes",
			a.Policy["strict"], a.Hash, b.Policy["strict"], b.Hash)
	}
	if got := b.PolicySources["strict"]; got.String() != "lax.yaml:1:9" {
		t.Errorf("PolicySources[strict] = %s, want lax.yaml:1:9, where the overlay set it", got)
	}
	if a.SourceHash != b.SourceHash || a.Version != b.Version || a.File != b.File {
		t.Errorf("a policy copy changed the file's identity: source %s/%s, version %q/%q", a.SourceHash, b.SourceHash, a.Version, b.Version)
	}
}

// TestInfoUnderPolicy: a flow under another policy says what that policy
// decides of the same guards.
func TestInfoUnderPolicy(t *testing.T) {
	fl := mustCompile(t, modelFlow, nil, flows{"child": modelChild})
	lax, err := fl.WithPolicies(map[string]map[string]engine.PolicyValue{"t": {"strict": {Value: false}}})
	if err != nil {
		t.Fatal(err)
	}
	got := []flowinfo.Guard{}
	for _, b := range lax.Info().States[0].Handlers[1].Branches {
		got = append(got, b.Policy)
	}
	if want := []flowinfo.Guard{flowinfo.GuardFails, flowinfo.GuardOpen, flowinfo.GuardHolds}; !reflect.DeepEqual(got, want) {
		t.Errorf("wrong's branches under strict: false = %v, want %v", got, want)
	}
}

// TestInfoReads holds flowinfo.State.Reads to every place an expression of a
// state reads a variable (each variable is read in one place only, so a
// place left out leaves its variable out) and flowinfo.Branch.Sets to the
// assignments.
func TestInfoReads(t *testing.T) {
	src := `flow: t
start: ask
vars:
  v_text: ""
  v_help: ""
  v_if: false
  v_options: []
  v_avail: 0001-01-01T00:00:00Z
  v_delay: 1m
  v_guard: 0
  v_rhs: 0
  v_timer_guard: false
  v_with: ""
  v_message: ""
  v_output: ""
  v_unread: 0
  v_let: 0
states:
  ask:
    ask:
      text: "{{ v_text }}"
      help: "{{ v_help }}"
      fields:
        name: {type: choice, if: v_if, options: v_options}
      choices:
        - go: {label: Go, fields: [name], available_at: v_avail}
    after:
      v_delay:
        - if: v_timer_guard
          go: done
        - go: run
    on:
      go:
        - if: v_guard > 1
          set: {v_unread: 'let k = v_rhs; k + 1', v_let: 2}
          go: run
        - set: {v_unread: 0}
          go: run
  run:
    run: svc.log
    with: {msg: v_with}
    on: {done: done}
  done:
    final: done
    message: "{{ v_message }}"
    output: {o: v_output}
`
	info := mustCompile(t, src, nil, nil).Info()
	reads := map[string][]string{}
	for _, s := range info.States {
		reads[s.Name] = s.Reads
	}
	want := map[string][]string{
		"ask":  {"v_text", "v_help", "v_if", "v_options", "v_avail", "v_delay", "v_guard", "v_rhs", "v_timer_guard"},
		"run":  {"v_with"},
		"done": {"v_message", "v_output"},
	}
	if !reflect.DeepEqual(reads, want) {
		t.Errorf("Reads =\n%q\nwant\n%q", reads, want)
	}
	gone := info.States[0].Handlers[0]
	if got := [][]string{gone.Branches[0].Sets, gone.Branches[1].Sets}; !reflect.DeepEqual(got, [][]string{{"v_unread", "v_let"}, {"v_unread"}}) {
		t.Errorf("Sets of the go branches = %q, want [[v_unread v_let] [v_unread]]", got)
	}
}

// TestInfoClockRelative holds flowinfo.Flow.ClockRelative to the uses of the
// clock that keep to distances and the ones that read the time itself.
func TestInfoClockRelative(t *testing.T) {
	const tmpl = `flow: t
start: ask
vars:
  at: 0001-01-01T00:00:00Z
  s: ""
  l: []
  d: 0s
states:
  ask:
    ask:
      text: "Sent at {{ at }}"
      choices:
        - go: {label: Go, fields: [], available_at: at + duration("30s")}
    after:
      at + duration("5m") - now(): done
    on:
      go:
        - if: GUARD
          set: {SET}
          go: done
        - go: done
  done: {final: done}
`
	tests := []struct {
		guard, set string
		relative   bool
	}{
		{`now() - at < duration("30s")`, `at: now()`, true},
		{`at + duration("5m") >= now()`, `d: now() - at`, true},
		{`duration("1s") - (now() - at) > duration("0s")`, `at: now() - duration("1m")`, true},
		{`now() == at`, `at: at + d`, true},
		{`now().Hour() < 9`, `at: now()`, false},
		{`now() > date("2027-01-01")`, `at: now()`, false},
		{`now() - date("2027-01-01") > duration("1h")`, `at: now()`, false},
		{`at.Year() > 2000`, `at: now()`, false},
		{`true`, `s: string(now())`, false},
		{`true`, `l: "[at]"`, false},
		{`(s == "" ? now() : at) > at`, `at: now()`, false},
		{`true`, `d: date("2027-01-01") - now()`, false},
	}
	for _, tt := range tests {
		src := strings.Replace(strings.Replace(tmpl, "GUARD", "'"+tt.guard+"'", 1), "SET", tt.set, 1)
		fl := mustCompile(t, src, nil, nil)
		if got := fl.Info().ClockRelative; got != tt.relative {
			t.Errorf("if %s, set %s: ClockRelative = %v, want %v", tt.guard, tt.set, got, tt.relative)
		}
	}
}
