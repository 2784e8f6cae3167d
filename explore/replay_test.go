package explore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tetherflow/tether/explore"
)

// TestReplayPaths replays every path Paths finds, on the shipped flow under
// two regions: each must fit and end as found.
func TestReplayPaths(t *testing.T) {
	for _, country := range []string{"", "DE"} {
		fl := shippedConnect(t, country)
		set, err := explore.Paths(context.Background(), fl, explore.PathOptions{MaxVisits: 1})
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range set.Paths {
			if p.End == explore.EndCut && !p.Waiting {
				continue
			}
			s, err := explore.Replay(context.Background(), fl, p.Steps, time.Time{})
			if err != nil {
				t.Fatalf("%q path %d: Replay: %v", country, i+1, err)
			}
			switch p.End {
			case explore.EndOutcome:
				if o := s.Current().Outcome; o == nil || o.Name != p.Outcome.Name {
					t.Errorf("%q path %d ended %v, want %s", country, i+1, o, p.Outcome.Name)
				}
			case explore.EndLoop, explore.EndCut:
				if cur := s.Current(); s.Done() || cur.State != p.State {
					t.Errorf("%q path %d waits at %s, want %s", country, i+1, cur.State, p.State)
				}
			}
		}
	}
}

// BenchmarkReplayConnect replays every path of the shipped connect flow
// under DE's policy that stops where a replay can (one visit per state).
func BenchmarkReplayConnect(b *testing.B) {
	fl := shippedConnect(b, "DE")
	ctx := context.Background()
	set, err := explore.Paths(ctx, fl, explore.PathOptions{MaxVisits: 1})
	if err != nil {
		b.Fatal(err)
	}
	var paths [][]explore.PathStep
	for _, p := range set.Paths {
		if p.Waiting || p.End == explore.EndOutcome || p.End == explore.EndError {
			paths = append(paths, p.Steps)
		}
	}
	for b.Loop() {
		for _, steps := range paths {
			if _, err := explore.Replay(ctx, fl, steps, time.Time{}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(paths)), "paths")
}

func TestReplayDiverged(t *testing.T) {
	fl := mustCompile(t, pathsFlow, nil)
	tests := []struct {
		steps []explore.PathStep
		want  string
	}{{
		steps: []explore.PathStep{{State: "check", Kind: explore.StepOutcome, Name: "maybe"}},
		want:  "step 1 (check:maybe): the session runs svc.check, which has no outcome maybe (it has: ok, wrong)",
	}, {
		steps: []explore.PathStep{
			{State: "check", Kind: explore.StepOutcome, Name: "ok"},
			{State: "elsewhere", Kind: explore.StepChoice, Name: "done"},
		},
		want: "step 2 (elsewhere:done): the session waits at menu",
	}, {
		steps: []explore.PathStep{
			{State: "check", Kind: explore.StepOutcome, Name: "ok"},
			{State: "menu", Kind: explore.StepChoice, Name: "again"},
		},
		want: "step 3: the path has no more steps but the session runs svc.check",
	}, {
		steps: []explore.PathStep{
			{State: "check", Kind: explore.StepOutcome, Name: "ok"},
			{State: "menu", Kind: explore.StepOutcome, Name: "ok"},
		},
		want: "step 2 (menu:ok): the session waits at menu",
	}}
	for _, tt := range tests {
		_, err := explore.Replay(context.Background(), fl, tt.steps, time.Time{})
		var div *explore.DivergedError
		if !errors.As(err, &div) || err.Error() != tt.want {
			t.Errorf("Replay(%v) = %v, want %s", tt.steps, err, tt.want)
		}
	}
}

const twoActions = `flow: t
start: check
states:
  check:
    run: svc.check
    with: {email: '"a@b.example"', password: '"pw"'}
    on: {ok: ping, wrong: ping}
  ping:
    run: svc.ping
    on: {done: finished}
  finished: {final: finished, success: true}
`

// TestReplayDivergedInsideAStep: decisions made inside one step are held
// to their steps once it is over, so a step that goes on past a decision
// that went wrong still reports that decision, with the transcript cut
// before it.
func TestReplayDivergedInsideAStep(t *testing.T) {
	fl := mustCompile(t, twoActions, nil)
	tests := []struct {
		steps  []explore.PathStep
		want   string
		logLen int
	}{{
		// The session runs svc.check at check, not elsewhere, then goes on
		// to ping, which fits its step.
		steps: []explore.PathStep{
			{State: "elsewhere", Kind: explore.StepOutcome, Name: "ok"},
			{State: "ping", Kind: explore.StepOutcome, Name: "done"},
		},
		want:   "step 1 (elsewhere:ok): the session ran svc.check at check",
		logLen: 1, // the start
	}, {
		// Both are wrong: the first is the one reported.
		steps: []explore.PathStep{
			{State: "elsewhere", Kind: explore.StepOutcome, Name: "ok"},
			{State: "ping", Kind: explore.StepOutcome, Name: "nope"},
		},
		want:   "step 1 (elsewhere:ok): the session ran svc.check at check",
		logLen: 1,
	}, {
		steps: []explore.PathStep{
			{State: "check", Kind: explore.StepOutcome, Name: "ok"},
			{State: "ping", Kind: explore.StepOutcome, Name: "nope"},
		},
		want:   "step 2 (ping:nope): the session runs svc.ping, which has no outcome nope (it has: done)",
		logLen: 2, // the start and check's outcome, not the error stopping the session
	}}
	for _, tt := range tests {
		s, err := explore.Replay(context.Background(), fl, tt.steps, time.Time{})
		var div *explore.DivergedError
		if !errors.As(err, &div) || err.Error() != tt.want {
			t.Errorf("Replay(%v) = %v, want %s", tt.steps, err, tt.want)
			continue
		}
		if div.LogLen != tt.logLen || s == nil || len(s.Log()) < div.LogLen {
			t.Errorf("Replay(%v): LogLen %d, want %d", tt.steps, div.LogLen, tt.logLen)
		}
	}
	s, err := explore.Replay(context.Background(), fl, []explore.PathStep{
		{State: "check", Kind: explore.StepOutcome, Name: "wrong"},
		{State: "ping", Kind: explore.StepOutcome, Name: "done"},
	}, time.Time{})
	if err != nil || s.Current().Outcome == nil || s.Current().Outcome.Name != "finished" {
		t.Errorf("a fitting path: Replay = %v, %v, want finished", s, err)
	}
}
