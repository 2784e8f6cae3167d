package compat_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tetherflow/tether/compat"
	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/eventlog"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/value"
)

// replayFlow signs in (an action checks the password and hands out a
// sensitive token), then waits for a code with a deadline.
const replayFlow = `flow: t
start: ask
vars: {tries: 0, token: ""}
states:
  ask:
    ask:
      fields: {email: {type: email}, password: {type: secret}}
      choices: [continue, {skip: {fields: []}}]
    on:
      continue: check
      skip:
        if: tries > 0
        go: done
  check:
    run: svc.check
    with: {password: input.password}
    on:
      ok: {set: {token: result.token}, go: code}
      wrong: {set: {tries: tries + 1}, go: ask}
  code:
    ask:
      fields: {code: {type: code, length: 4}}
    after:
      2m: late
    on:
      continue: done
  late: {final: late}
  done: {final: done, success: true}
sensitive: [token]
`

func checkSpec(name string) engine.Spec {
	return engine.Spec{
		Name:     name,
		Params:   []engine.Param{{Name: "password", Kind: value.String, Required: true, Secret: true}},
		Outputs:  []engine.Param{{Name: "token", Kind: value.String, Sensitive: true}, {Name: "count", Kind: value.Int}},
		Outcomes: []string{"ok", "wrong"},
	}
}

// replayRegistry holds svc.check, which takes "right" as the password,
// and svc.check2, which has its spec and is never run.
func replayRegistry(t *testing.T) *engine.Registry {
	t.Helper()
	check := func(_ context.Context, a engine.Args) (engine.Result, error) {
		if a["password"] == "right" {
			return engine.Result{Outcome: "ok", Outputs: map[string]any{"token": "tok-1", "count": 2}}, nil
		}
		return engine.Result{Outcome: "wrong"}, nil
	}
	never := func(context.Context, engine.Args) (engine.Result, error) {
		return engine.Result{}, errors.New("never run")
	}
	reg, err := engine.NewRegistry(engine.Func(checkSpec("svc.check"), check), engine.Func(checkSpec("svc.check2"), never))
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func compileWith(t *testing.T, src string, reg *engine.Registry) *engine.Flow {
	t.Helper()
	f, err := syntax.Load("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	fl, err := engine.Compile(f, reg)
	if err != nil {
		t.Fatal(err)
	}
	return fl
}

// recordSession runs a session of replayFlow on real actions and returns
// its log as it reads back from JSON lines: a choice no branch allows, an
// answer refused for its input, a wrong password, the right one, and the
// code's deadline passing.
func recordSession(t *testing.T, reg *engine.Registry) []eventlog.Entry {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s, err := compileWith(t, replayFlow, reg).Start(ctx, engine.Ports{Actions: reg, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		choice string
		input  map[string]any
	}{
		{"skip", nil},
		{"continue", map[string]any{"email": "not an address", "password": "x"}},
		{"continue", map[string]any{"email": "ann@example.com", "password": "wrong"}},
		{"continue", map[string]any{"email": "ann@example.com", "password": "right"}},
	}
	for _, st := range steps {
		now = now.Add(10 * time.Second)
		s.Send(ctx, st.choice, st.input)
	}
	now = now.Add(3 * time.Minute)
	if _, err := s.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if o := s.Current().Outcome; o == nil || o.Name != "late" {
		t.Fatalf("the recorded session ended with %+v, want late", o)
	}
	var buf bytes.Buffer
	if err := eventlog.WriteJSONLines(&buf, s.Log()); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "tok-1") || strings.Contains(buf.String(), "right") {
		t.Fatalf("the log holds a secret:\n%s", buf.String())
	}
	log, _, err := eventlog.ReadJSONLines(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return log
}

func TestReplaySameFlow(t *testing.T) {
	reg := replayRegistry(t)
	log := recordSession(t, reg)
	r, err := compat.Replay(context.Background(), compileWith(t, replayFlow, reg), log, reg)
	if err != nil {
		t.Fatal(err)
	}
	if r.Divergence != nil {
		t.Fatalf("replay through the same flow diverges: %v", r.Divergence)
	}
	// The answer refused for its email cannot be sent again: its input is
	// not in the log. Every other entry is reproduced.
	if len(r.Skipped) != 1 || log[r.Skipped[0]].Kind != eventlog.EntryReject || !strings.Contains(log[r.Skipped[0]].Error, "email") {
		t.Errorf("Skipped = %v, want the refused email", r.Skipped)
	}
	if got, want := len(r.Entries), len(log)-1; got != want {
		t.Errorf("replayed %d entries, want %d", got, want)
	}
	var a, b bytes.Buffer
	eventlog.WriteTranscript(&a, r.Entries)
	eventlog.WriteTranscript(&b, append(append([]eventlog.Entry(nil), log[:r.Skipped[0]]...), log[r.Skipped[0]+1:]...))
	if a.Len() == 0 || a.String() != b.String() {
		t.Errorf("the replayed transcript differs from the recorded one:\n%s\nwant:\n%s", a.String(), b.String())
	}
}

func TestReplayDivergences(t *testing.T) {
	reg := replayRegistry(t)
	log := recordSession(t, reg)
	for _, tc := range []struct {
		name    string
		changes string // old|new|old|new... replaced in replayFlow
		kind    string
		seq     int    // the recorded entry's
		pos     string // in the new flow
		msg     string
	}{
		{"a timer made longer", "2m: late|5m: late", "timer", 8, "t.yaml:20:3",
			"the session's timer after 2m fired at 2026-01-05T09:02:40Z; the new version's did not (its next timer is due at 2026-01-05T09:05:40Z)"},
		{"a timer made shorter", "2m: late|1m: late", "timer", 8, "t.yaml:24:11",
			"at t/code, the timer after 1m fires at 2026-01-05T09:01:40Z, where the session's after 2m fired at 2026-01-05T09:02:40Z"},
		{"a branch retargeted", "go: ask}|go: late}", "branch", 5, "t.yaml:19:14",
			"at t/check, wrong takes => late, setting tries, where the session took => ask, setting tries"},
		{"a branch setting another variable", "{tries: tries + 1}|{token: '\"\"'}", "branch", 5, "t.yaml:19:14",
			"at t/check, wrong takes => ask, setting token, where the session took => ask, setting tries"},
		{"a choice gone", "{skip: {fields: []}}|{other: {fields: []}}|skip:|other:", "choice", 2, "t.yaml:5:3",
			`at t/ask, the new version refuses skip for another reason: unknown choice "skip" (choose one of: continue, other), where the session was told: skip is not possible now`},
		{"an outcome renamed", "late: {final: late}|late: {final: too_late}", "outcome", 9, "t.yaml:27:3",
			"at t/late, the new version ends with too_late, where the session ended with late"},
		{"another action", "run: svc.check\n|run: svc.check2\n", "action", 5, "t.yaml:14:3",
			"at t/check, the new version runs action svc.check2 where the recorded session ran svc.check"},
		{"a state renamed", "go: code}|go: enter_code}|  code:|  enter_code:", "branch", 7, "t.yaml:18:11",
			"at t/check, ok takes => enter_code, setting token, where the session took => code, setting token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.NewReplacer(strings.Split(tc.changes, "|")...).Replace(replayFlow)
			if src == replayFlow {
				t.Fatal("the change changed nothing")
			}
			r, err := compat.Replay(context.Background(), compileWith(t, src, reg), log, reg)
			if err != nil {
				t.Fatal(err)
			}
			d := r.Divergence
			if d == nil {
				t.Fatal("no divergence")
			}
			if d.Kind != tc.kind || d.Seq != tc.seq || d.Pos.String() != tc.pos || d.Msg != tc.msg {
				t.Errorf("divergence:\n got %s seq %d at %s: %s\nwant %s seq %d at %s: %s", d.Kind, d.Seq, d.Pos, d.Msg, tc.kind, tc.seq, tc.pos, tc.msg)
			}
			if d.Recorded == nil || d.Recorded.Seq != d.Seq || log[d.Index].Seq != d.Seq {
				t.Errorf("Recorded = %+v, Index %d, want the entry with seq %d", d.Recorded, d.Index, d.Seq)
			}
		})
	}
}

func TestReplayRefusesOtherLogs(t *testing.T) {
	reg := replayRegistry(t)
	log := recordSession(t, reg)
	fl := compileWith(t, replayFlow, reg)
	other := compileWith(t, strings.Replace(replayFlow, "flow: t", "flow: u", 1), reg)
	for _, tc := range []struct {
		name string
		fl   *engine.Flow
		log  []eventlog.Entry
		want string
	}{
		{"empty", fl, nil, "the log is empty"},
		{"not from its start", fl, log[2:], "does not begin with the session's start (seq 1), but with seq 3, reject"},
		{"another flow", other, log, "the log is a session of flow t, not u"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := compat.Replay(context.Background(), tc.fl, tc.log, reg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Replay error = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestReplayMalformedLogs replays logs with an entry dropped, of another
// kind, or stripped of its prompt, outcome or event: a log is data, and
// Replay must answer with an error or a divergence, never a panic.
func TestReplayMalformedLogs(t *testing.T) {
	reg := replayRegistry(t)
	log := recordSession(t, reg)
	fl := compileWith(t, replayFlow, reg)
	kinds := []eventlog.EntryKind{eventlog.EntryStart, eventlog.EntryAnswer, eventlog.EntryReject, eventlog.EntryAction,
		eventlog.EntryTimer, eventlog.EntryTransition, eventlog.EntryFinal, eventlog.EntryError, eventlog.EntryCancel, "bogus"}
	var variants [][]eventlog.Entry
	for i := range log {
		variants = append(variants, append(append([]eventlog.Entry(nil), log[:i]...), log[i+1:]...))
		for _, k := range kinds {
			v := append([]eventlog.Entry(nil), log...)
			v[i].Kind = k
			variants = append(variants, v)
		}
		v := append([]eventlog.Entry(nil), log...)
		v[i].Prompt, v[i].Outcome, v[i].Event, v[i].Action, v[i].Args, v[i].Outputs = nil, nil, "", "", nil, nil
		variants = append(variants, v)
	}
	diverged := 0
	for n, v := range variants {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("variant %d: Replay panicked: %v", n, r)
				}
			}()
			r, err := compat.Replay(context.Background(), fl, v, reg)
			if err == nil && r.Divergence != nil {
				diverged++
			}
		}()
	}
	if diverged == 0 {
		t.Errorf("none of %d malformed logs diverges", len(variants))
	}
}
