package engine_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tetherflow/tether/engine"
)

// Version 1 of a flow: a code prompt with a lifetime and a reminder, a
// counter, a note and a variable version 2 drops.
const migrateV1 = `flow: t
version: "1"
start: ask_code
vars: {tries: 0, note: "", gone: x}
policy: {life: 5m}
states:
  ask_code:
    ask:
      fields: {code: {type: code}}
      choices: [continue, {wrong: {fields: []}}]
    after:
      policy.life: expired
      1m: {set: {note: '"reminder"'}}
    on:
      continue: done
      wrong: {set: {tries: tries + 1}}
  expired: {final: expired}
  done: {final: ok, success: true}
`

// Version 2 renames the prompt and the counter, keeps the lifetime timer,
// drops the reminder for another and adds a variable.
const migrateV2 = `flow: t
version: "2"
start: enter_code
vars: {attempts: 0, note: "", added: 7}
policy: {life: 5m}
migrate:
  - from: "1"
    states: {ask_code: enter_code}
    vars: {tries: attempts}
states:
  enter_code:
    ask:
      fields: {code: {type: code}}
      choices: [continue, {wrong: {fields: []}}]
    after:
      policy.life: expired
      3m: {set: {note: '"new reminder"'}}
    on:
      continue: done
      wrong: {set: {attempts: attempts + 1}}
  expired: {final: expired, output: {attempts: attempts, note: note, added: added}}
  done: {final: ok, success: true, output: {attempts: attempts, note: note, added: added}}
`

var t0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// fakeNow is a clock tests move by hand.
type fakeNow struct{ t time.Time }

func (c *fakeNow) Now() time.Time { return c.t }

// waitingV1 starts a session of version 1, answers wrong once, lets the
// reminder fire, and returns its snapshot as a store would give it back.
func waitingV1(t *testing.T, v1 *engine.Flow, clock *fakeNow) *engine.Snapshot {
	t.Helper()
	ctx := context.Background()
	s, err := v1.Start(ctx, engine.Ports{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(ctx, "wrong", nil); err != nil {
		t.Fatal(err)
	}
	clock.t = t0.Add(2 * time.Minute)
	if fired, err := s.Tick(ctx); err != nil || !fired {
		t.Fatalf("Tick = %v, %v; want the reminder to fire", fired, err)
	}
	return roundTrip(t, s.Snapshot())
}

func TestMigrateRenamesStatesAndVars(t *testing.T) {
	v1 := mustCompile(t, migrateV1, nil, nil)
	v2 := mustCompile(t, migrateV2, nil, nil)
	for _, tc := range []struct {
		name   string
		origin engine.Origin
	}{
		{"old version at hand", engine.Origin{Flow: v1}},
		{"old version by its label", engine.Origin{Labels: map[string]string{"t": "1"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := &fakeNow{t: t0}
			snap := waitingV1(t, v1, clock)
			if _, err := v2.Restore(context.Background(), snap, engine.Ports{Now: clock.Now}); !errors.Is(err, engine.ErrFlowChanged) {
				t.Fatalf("Restore of an unmigrated snapshot = %v, want ErrFlowChanged", err)
			}
			clock.t = t0.Add(3 * time.Minute)
			moved, err := v2.Migrate(snap, tc.origin, clock.t)
			if err != nil {
				t.Fatal(err)
			}
			fr := moved.Frames[0]
			if moved.Hash != v2.Hash() || fr.Hash != v2.Hash() || fr.State != "enter_code" {
				t.Errorf("moved to %s (hash %s, frame %s), want enter_code of %s", fr.State, moved.Hash, fr.Hash, v2.Hash())
			}
			want := map[string]any{"attempts": 1, "note": "reminder", "added": 7}
			if !reflect.DeepEqual(fr.Vars, want) {
				t.Errorf("vars = %v, want %v (tries renamed, note kept, gone dropped, added at its initial value)", fr.Vars, want)
			}
			// The lifetime keeps its due time; the new reminder counts
			// from the migration; the old reminder is gone.
			wantTimers := []engine.TimerSnapshot{
				{Key: "policy.life", Due: t0.Add(5 * time.Minute)},
				{Key: "3m", Due: t0.Add(6 * time.Minute)},
			}
			if !reflect.DeepEqual(fr.Timers, wantTimers) {
				t.Errorf("timers = %v, want %v", fr.Timers, wantTimers)
			}
			if snap.Frames[0].State != "ask_code" {
				t.Errorf("Migrate changed the snapshot it was given")
			}

			ctx := context.Background()
			s, err := v2.Restore(ctx, moved, engine.Ports{Now: clock.Now})
			if err != nil {
				t.Fatalf("Restore of the migrated snapshot: %v", err)
			}
			if err := s.Send(ctx, "wrong", nil); err != nil {
				t.Fatal(err)
			}
			clock.t = t0.Add(5 * time.Minute)
			if _, err := s.Tick(ctx); err != nil {
				t.Fatal(err)
			}
			out := s.Current().Outcome
			if out == nil || out.Name != "expired" || out.Output["attempts"] != 2 {
				t.Errorf("outcome = %+v, want expired at the old due time, with 2 attempts", out)
			}
		})
	}
}

func TestMigrateTimerThatFired(t *testing.T) {
	// Version 3 keeps the reminder's key: the session's reminder fired
	// before the migration. Knowing the old version, it stays fired;
	// from the label alone, Migrate cannot tell and arms it afresh.
	v1 := mustCompile(t, migrateV1, nil, nil)
	v3 := mustCompile(t, strings.NewReplacer(`version: "2"`, `version: "3"`, "3m:", "1m:").Replace(migrateV2), nil, nil)
	clock := &fakeNow{t: t0}
	snap := waitingV1(t, v1, clock)
	at := t0.Add(3 * time.Minute)
	known, err := v3.Migrate(snap, engine.Origin{Flow: v1}, at)
	if err != nil {
		t.Fatal(err)
	}
	if got := known.Frames[0].Timers; len(got) != 1 || got[0].Key != "policy.life" {
		t.Errorf("with the old version at hand, timers = %v, want only policy.life (1m fired already)", got)
	}
	unknown, err := v3.Migrate(snap, engine.Origin{Labels: map[string]string{"t": "1"}}, at)
	if err != nil {
		t.Fatal(err)
	}
	want := []engine.TimerSnapshot{{Key: "policy.life", Due: t0.Add(5 * time.Minute)}, {Key: "1m", Due: at.Add(time.Minute)}}
	if got := unknown.Frames[0].Timers; !reflect.DeepEqual(got, want) {
		t.Errorf("from the label alone, timers = %v, want %v", got, want)
	}
}

func TestMigrateByHash(t *testing.T) {
	v1 := mustCompile(t, migrateV1, nil, nil)
	clock := &fakeNow{t: t0}
	snap := waitingV1(t, v1, clock)
	for _, tc := range []struct {
		name, from string
		origin     engine.Origin
	}{
		{"the session's hash", v1.Hash(), engine.Origin{}},
		{"the old source hash", v1.Info().SourceHash, engine.Origin{Flow: v1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v2 := mustCompile(t, strings.Replace(migrateV2, `from: "1"`, "from: "+tc.from, 1), nil, nil)
			moved, err := v2.Migrate(snap, tc.origin, clock.t)
			if err != nil {
				t.Fatal(err)
			}
			if moved.Frames[0].State != "enter_code" {
				t.Errorf("state = %s, want enter_code", moved.Frames[0].State)
			}
		})
	}
}

func TestMigrateRefuses(t *testing.T) {
	v1 := mustCompile(t, migrateV1, nil, nil)
	clock := &fakeNow{t: t0}
	snap := waitingV1(t, v1, clock)
	for _, tc := range []struct {
		name, src string
		origin    engine.Origin
		noMigr    bool   // the error must wrap ErrNoMigration
		want      string // in the error
	}{
		{
			name:   "no migration from the session's version",
			src:    strings.Replace(migrateV2, `from: "1"`, `from: "0"`, 1),
			origin: engine.Origin{Labels: map[string]string{"t": "1"}},
			noMigr: true, want: `flow t changed since version 1 (`,
		},
		{
			name:   "no label and no hash",
			src:    strings.Replace(migrateV2, `from: "1"`, `from: "0"`, 1),
			noMigr: true, want: "changed since version " + snap.Hash,
		},
		{
			name:   "the state is gone and not moved",
			src:    strings.Replace(migrateV2, "states: {ask_code: enter_code}", "states: {}", 1),
			origin: engine.Origin{Labels: map[string]string{"t": "1"}},
			want:   "the session is at state ask_code, which the flow no longer has",
		},
		{
			name:   "a variable changed kind",
			src:    strings.Replace(migrateV2, "added: 7", "added: 7, gone: 0", 1),
			origin: engine.Origin{Labels: map[string]string{"t": "1"}},
			want:   "variable gone was a string and is now an int: rename it or drop it (vars: {gone: ~})",
		},
		{
			name:   "the old version contradicts the migration",
			src:    strings.Replace(migrateV2, "vars: {tries: attempts}", "vars: {tries: attempts, tires: note}", 1),
			origin: engine.Origin{Flow: v1},
			want:   "flow t had no variable tires (did you mean tries?)",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v2 := mustCompile(t, tc.src, nil, nil)
			_, err := v2.Migrate(snap, tc.origin, clock.t)
			if err == nil {
				t.Fatal("Migrate succeeded")
			}
			if tc.noMigr != errors.Is(err, engine.ErrNoMigration) || tc.noMigr && !errors.Is(err, engine.ErrFlowChanged) {
				t.Errorf("errors.Is(ErrNoMigration) = %v, want %v: %v", !tc.noMigr, tc.noMigr, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
	// A variable dropped explicitly starts afresh instead.
	v2 := mustCompile(t, strings.NewReplacer("added: 7", "added: 7, gone: 0", "vars: {tries: attempts}", "vars: {tries: attempts, gone: ~}").Replace(migrateV2), nil, nil)
	moved, err := v2.Migrate(snap, engine.Origin{Labels: map[string]string{"t": "1"}}, clock.t)
	if err != nil {
		t.Fatal(err)
	}
	if got := moved.Frames[0].Vars["gone"]; got != 0 {
		t.Errorf("gone = %v, want 0 (dropped, so at its initial value)", got)
	}
}

func TestMigrateSameVersionLabel(t *testing.T) {
	// A policy value changed (a region's overlay, say): the file's version
	// is the same, so the session moves as it is, without a migrate: entry.
	v1 := mustCompile(t, migrateV1, nil, nil)
	clock := &fakeNow{t: t0}
	snap := waitingV1(t, v1, clock)
	longer, err := v1.WithPolicies(map[string]map[string]engine.PolicyValue{v1.Name(): map[string]engine.PolicyValue{"life": {Value: 10 * time.Minute}}})
	if err != nil {
		t.Fatal(err)
	}
	moved, err := longer.Migrate(snap, engine.Origin{Labels: v1.Info().Labels}, clock.t)
	if err != nil {
		t.Fatal(err)
	}
	want := []engine.TimerSnapshot{{Key: "policy.life", Due: t0.Add(5 * time.Minute)}}
	if got := moved.Frames[0].Timers; !reflect.DeepEqual(got, want) {
		t.Errorf("timers = %v, want %v: an armed timer keeps its due time, a fired one stays fired", got, want)
	}
	if _, err := longer.Restore(context.Background(), moved, engine.Ports{Now: clock.Now}); err != nil {
		t.Fatal(err)
	}
	// Without the label, the same change strands the session.
	if _, err := longer.Migrate(snap, engine.Origin{}, clock.t); !errors.Is(err, engine.ErrNoMigration) {
		t.Errorf("Migrate without labels = %v, want ErrNoMigration", err)
	}
}

const subParentV1 = `flow: p
version: p1
start: sub
states:
  sub:
    run: flow:s
    on:
      done: ok
  ok: {final: ok, success: true}
`

func TestMigrateSubflowFrame(t *testing.T) {
	s1 := `flow: s
version: s1
start: a
vars: {n: 1}
states:
  a:
    ask: {choices: [next]}
    on:
      next: fin
  fin: {final: done}
`
	s2 := `flow: s
version: s2
start: b
vars: {n: 1}
migrate:
  - {from: s1, states: {a: b}}
states:
  b:
    ask: {choices: [next]}
    on:
      next: fin
  fin: {final: done}
`
	p1 := mustCompile(t, subParentV1, nil, flows{"s": s1})
	p2 := mustCompile(t, subParentV1, nil, flows{"s": s2})
	if got := p1.Info().Labels; !reflect.DeepEqual(got, map[string]string{"p": "p1", "s": "s1"}) {
		t.Errorf("Labels() = %v", got)
	}
	ctx := context.Background()
	clock := &fakeNow{t: t0}
	s, err := p1.Start(ctx, engine.Ports{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	moved, err := p2.Migrate(s.Snapshot(), engine.Origin{Labels: p1.Info().Labels}, clock.t)
	if err != nil {
		t.Fatal(err)
	}
	if got := []string{moved.Frames[0].State, moved.Frames[1].State}; !reflect.DeepEqual(got, []string{"sub", "b"}) {
		t.Errorf("states = %v, want [sub b]", got)
	}
	r, err := p2.Restore(ctx, moved, engine.Ports{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Send(ctx, "next", nil); err != nil {
		t.Fatal(err)
	}
	if out := r.Current().Outcome; out == nil || out.Name != "ok" {
		t.Errorf("outcome = %+v, want ok", out)
	}
}

func TestMigrateChecks(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string
	}{
		{"load", `flow: t
version: [1]
start: a
migrate:
  - states: {a: b}
  - from: "bad label!"
  - {from: v0, colour: red}
  - {from: v0b, states: {a: [b]}, vars: {x: ~, "9y": z}}
states:
  a: {final: done}
`, []string{
			`t.yaml:2:10: version must be a version label such as 2026.1 or v3, not a list`,
			`t.yaml:5:5: migration needs from: the version label or hash it migrates sessions from`,
			`t.yaml:6:11: from "bad label!" is not a version label (letters, digits, '.', '-', '_' and '+', starting with a letter or digit, at most 64)`,
			`t.yaml:7:16: unknown key "colour" in migration (want one of: from, states, vars)`,
			`t.yaml:8:29: states.a must be a name, not a list`,
			`t.yaml:8:48: vars: old name "9y" is not a valid name (letters, digits and _, not starting with a digit)`,
		}},
		{"not a list", "flow: t\nstart: a\nmigrate: {from: v1}\nstates:\n  a: {final: done}\n", []string{
			`t.yaml:3:10: migrate must be a list of {from, states, vars}, not a mapping`,
		}},
		{"check", `flow: t
version: v2
start: a
vars: {n: 0, m: 0}
migrate:
  - {from: v2}
  - {from: v1, states: {x: aa, y: run, z: a}, vars: {p: nn, q: n, r: n, s: ~}}
  - {from: v1}
states:
  a:
    ask: {choices: [go]}
    on: {go: run}
  run:
    run: svc.ping
    on: {done: end}
  end: {final: done}
`, []string{
			`t.yaml:6:12: migrate: from v2 is this flow's own version`,
			`t.yaml:7:28: migrate: unknown state aa (did you mean a?)`,
			`t.yaml:7:35: migrate: state run is a run state; sessions wait only at ask states and at states that run a subflow`,
			`t.yaml:7:57: migrate: unknown variable nn (did you mean n?)`,
			`t.yaml:7:70: migrate: variables q and r both migrate to n`,
			`t.yaml:8:12: migrate: a second migration from v1 (the first is at line 7)`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := compile(t, tc.src, nil, nil)
			if got := joinLines(errorLines(err)); got != joinLines(tc.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", got, joinLines(tc.want))
			}
		})
	}
}

func TestMigrationLabelsAreText(t *testing.T) {
	// An unquoted 2026.10 is a YAML float; as a label it is the text.
	fl := mustCompile(t, "flow: t\nversion: 2026.10\nstart: a\nmigrate: [{from: 2026.9}]\nstates:\n  a: {final: done}\n", nil, nil)
	if fl.Info().Version != "2026.10" {
		t.Errorf("Version() = %q, want 2026.10", fl.Info().Version)
	}
	if _, ok := fl.Info().File.MigrationFrom("2026.9"); !ok {
		t.Errorf("MigrationFrom(2026.9) found nothing")
	}
}

func TestCheckMigration(t *testing.T) {
	v1 := mustCompile(t, migrateV1, nil, nil)
	if err := engine.CheckMigration(v1, mustCompile(t, migrateV2, nil, nil)); err != nil {
		t.Errorf("CheckMigration(v1, v2) = %v", err)
	}
	bad := strings.NewReplacer(
		"states: {ask_code: enter_code}", "states: {ask_cod: enter_code, done: enter_code}",
		"vars: {tries: attempts}", "vars: {tries: note, missing: ~}",
		"added: 7", "added: 7, gone: 0",
	).Replace(migrateV2)
	err := engine.CheckMigration(v1, mustCompile(t, bad, nil, nil))
	want := []string{
		`t.yaml:7:5: migrate from 1: variable gone was a string and is now an int: rename it or drop it (vars: {gone: ~}) so that it starts at its initial value`,
		`t.yaml:8:14: migrate from 1: flow t had no state ask_cod (did you mean ask_code?)`,
		`t.yaml:8:35: migrate from 1: state done was a final state, where no session waits`,
		`t.yaml:9:19: migrate from 1: variable tries was an int, and note is a string`,
		`t.yaml:9:25: migrate from 1: flow t had no variable missing`,
	}
	if got := joinLines(errorLines(err)); got != joinLines(want) {
		t.Errorf("errors:\n%s\nwant:\n%s", got, joinLines(want))
	}
	// No migration from v1: nothing to check.
	if err := engine.CheckMigration(v1, v1); err != nil {
		t.Errorf("CheckMigration(v1, v1) = %v", err)
	}
}

func TestMigrateEndedSession(t *testing.T) {
	// A session that has ended moves as it is, for its view: no migration
	// is needed, and a variable whose kind changed takes its initial value.
	v1 := mustCompile(t, migrateV1, nil, nil)
	clock := &fakeNow{t: t0}
	s, err := v1.Start(context.Background(), engine.Ports{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), "continue", map[string]any{"code": "1234"}); err != nil || !s.Done() {
		t.Fatalf("the session did not end: %v", err)
	}
	v3 := mustCompile(t, strings.NewReplacer(`version: "1"`, `version: "3"`, `note: ""`, `note: 0`, `note: '"reminder"'`, `note: 1`).Replace(migrateV1), nil, nil)
	moved, err := v3.Migrate(s.Snapshot(), engine.Origin{Labels: v1.Info().Labels}, clock.t)
	if err != nil {
		t.Fatal(err)
	}
	r, err := v3.Restore(context.Background(), moved, engine.Ports{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if o := r.Current().Outcome; o == nil || o.Name != "ok" || moved.Frames[0].Vars["note"] != 0 {
		t.Errorf("the ended session restores as %+v with note %v, want ok and 0", o, moved.Frames[0].Vars["note"])
	}
	// Its state gone, it cannot be shown on the new version.
	gone := mustCompile(t, strings.NewReplacer(`version: "1"`, `version: "3"`, "  done: {final: ok, success: true}", "  finished: {final: ok, success: true}", "continue: done", "continue: finished").Replace(migrateV1), nil, nil)
	if _, err := gone.Migrate(s.Snapshot(), engine.Origin{}, clock.t); err == nil || !strings.Contains(err.Error(), "state done") {
		t.Errorf("Migrate of an ended session whose state is gone = %v", err)
	}
}
