package engine_test

import (
	"context"
	"errors"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/policy"
)

// shippedConnect compiles flows/connect.yaml under country's regional
// policy ("" for the flow's defaults).
func shippedConnect(tb testing.TB, country string) *engine.Flow {
	tb.Helper()
	reg, err := actions.Registry(actions.Ports{})
	if err != nil {
		tb.Fatal(err)
	}
	fl, err := engine.CompileFile("../flows/connect.yaml", reg)
	if err != nil {
		tb.Fatal(err)
	}
	if country == "" {
		return fl
	}
	set, err := policy.Load("../flows/regions")
	if err != nil {
		tb.Fatal(err)
	}
	eff, _, err := set.Effective(fl, country)
	if err != nil {
		tb.Fatal(err)
	}
	return eff
}

// BenchmarkPathsConnect enumerates the paths of the shipped connect flow
// with the default bounds, per region.
func BenchmarkPathsConnect(b *testing.B) {
	for _, country := range []string{"", "US", "FR", "DE", "BR", "SG", "IN"} {
		name := country
		if name == "" {
			name = "default"
		}
		b.Run(name, func(b *testing.B) {
			fl := shippedConnect(b, country)
			ctx := context.Background()
			var n int
			for b.Loop() {
				set, err := fl.Paths(ctx, engine.PathOptions{})
				if err != nil {
					b.Fatal(err)
				}
				n = len(set.Paths)
			}
			b.ReportMetric(float64(n), "paths")
		})
	}
}

// pathLines formats each path as `tether paths` does: its steps, then how
// it ends.
func pathLines(set *engine.PathSet) []string {
	var out []string
	for _, p := range set.Paths {
		var parts []string
		for _, st := range p.Steps {
			parts = append(parts, st.Format(set.Flow))
		}
		end := string(p.End) + " " + p.State
		switch p.End {
		case engine.EndOutcome:
			end = p.Outcome.Name
		case engine.EndError:
			end = "error"
		}
		out = append(out, strings.Join(append(parts, "->", end), " "))
	}
	return out
}

const pathsFlow = `
flow: t
start: check
vars:
  n: 0
states:
  check:
    run: svc.check
    with: {email: '"a@b.example"', password: '"pw"'}
    on:
      ok: menu
      wrong:
        - if: n > 5
          go: failed
        - go: menu
  menu:
    ask:
      text: Pick
      choices: [again, same, done]
    after:
      1m: late
    on:
      again:
        set: {n: n + 1}
        go: check
      same: menu
      done: finished
  finished: {final: finished, success: true}
  failed: {final: failed}
  late: {final: late}
`

const pathsParent = `
flow: t
start: hello
states:
  hello:
    ask:
      text: Hi
      choices: [sub, quit]
    on:
      sub: child
      quit: quit
  child:
    run: flow:child
    on:
      yes: done
      no: quit
  done: {final: done, success: true}
  quit: {final: quit}
`

const pathsChild = `
flow: child
start: q
states:
  q:
    ask:
      text: Yes?
      choices: [y, n]
    on:
      y: ping
      n: no
  ping:
    run: svc.ping
    on:
      done: yes
  yes: {final: yes, success: true}
  no: {final: no}
`

func TestPaths(t *testing.T) {
	tests := []struct {
		name string
		src  string
		subs flows
		opts engine.PathOptions
		want []string
		// cut by visits, loops, cut by paths
		cut, loops, byPaths int
	}{{
		name: "every outcome, choice and timer",
		src:  pathsFlow,
		opts: engine.PathOptions{MaxVisits: 1},
		want: []string{
			"check:ok menu:again -> cut check",
			"check:ok menu:same -> loop menu",
			"check:ok menu:done -> finished",
			"check:ok menu:(timer) -> late",
			"check:wrong menu:again -> cut check",
			"check:wrong menu:same -> loop menu",
			"check:wrong menu:done -> finished",
			"check:wrong menu:(timer) -> late",
		},
		cut: 2, loops: 2,
	}, {
		name: "a second visit",
		src:  pathsFlow,
		opts: engine.PathOptions{MaxVisits: 2},
		want: []string{
			"check:ok menu:again check:ok menu:again -> cut check",
			"check:ok menu:again check:ok menu:same -> loop menu",
			"check:ok menu:again check:ok menu:done -> finished",
			"check:ok menu:again check:ok menu:(timer) -> late",
			"check:ok menu:again check:wrong menu:again -> cut check",
			"check:ok menu:again check:wrong menu:same -> loop menu",
			"check:ok menu:again check:wrong menu:done -> finished",
			"check:ok menu:again check:wrong menu:(timer) -> late",
			"check:ok menu:same -> loop menu",
			"check:ok menu:done -> finished",
			"check:ok menu:(timer) -> late",
			"check:wrong menu:again check:ok menu:again -> cut check",
			"check:wrong menu:again check:ok menu:same -> loop menu",
			"check:wrong menu:again check:ok menu:done -> finished",
			"check:wrong menu:again check:ok menu:(timer) -> late",
			"check:wrong menu:again check:wrong menu:again -> cut check",
			"check:wrong menu:again check:wrong menu:same -> loop menu",
			"check:wrong menu:again check:wrong menu:done -> finished",
			"check:wrong menu:again check:wrong menu:(timer) -> late",
			"check:wrong menu:same -> loop menu",
			"check:wrong menu:done -> finished",
			"check:wrong menu:(timer) -> late",
		},
		cut: 4, loops: 6,
	}, {
		name: "guards decide on real variables",
		src:  pathsFlow,
		opts: engine.PathOptions{MaxVisits: 8, MaxPaths: 100000},
		// n > 5 holds only after six rounds: a path reaches failed.
		want: nil,
	}, {
		name: "max paths",
		src:  pathsFlow,
		opts: engine.PathOptions{MaxVisits: 1, MaxPaths: 3},
		want: []string{
			"check:ok menu:again -> cut check",
			"check:ok menu:same -> loop menu",
			"check:ok menu:done -> finished",
		},
		// A lower bound: menu:(timer) under ok, and check:wrong, whose
		// four paths count as one until they are explored.
		cut: 1, loops: 1, byPaths: 2,
	}, {
		name: "subflows",
		src:  pathsParent,
		subs: flows{"child": pathsChild},
		want: []string{
			"hello:sub child/q:y child/ping:done -> done",
			"hello:sub child/q:n -> quit",
			"hello:quit -> quit",
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fl := mustCompile(t, tt.src, nil, tt.subs)
			set, err := fl.Paths(context.Background(), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			got := pathLines(set)
			if tt.want == nil {
				if !slices.ContainsFunc(got, func(l string) bool { return strings.HasSuffix(l, "-> failed") }) {
					t.Errorf("no path reaches failed in %d paths", len(got))
				}
				return
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("paths:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if set.CutByVisits != tt.cut || set.Loops != tt.loops || set.CutByPaths != tt.byPaths {
				t.Errorf("cut by visits, loops, cut by paths = %d, %d, %d, want %d, %d, %d",
					set.CutByVisits, set.Loops, set.CutByPaths, tt.cut, tt.loops, tt.byPaths)
			}
		})
	}
}

func TestPathsDeterministic(t *testing.T) {
	fl := shippedConnect(t, "FR")
	opts := engine.PathOptions{MaxVisits: 1}
	a, err := fl.Paths(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := fl.Paths(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(pathLines(a), pathLines(b)) {
		t.Errorf("two searches of the same flow listed different paths")
	}
	if !reflect.DeepEqual(a.Paths[0].Branches, b.Paths[0].Branches) {
		t.Errorf("branches differ between two searches")
	}
}

func TestPathsBranches(t *testing.T) {
	fl := mustCompile(t, pathsFlow, nil, nil)
	set, err := fl.Paths(context.Background(), engine.PathOptions{MaxVisits: 1})
	if err != nil {
		t.Fatal(err)
	}
	// check:wrong menu:done takes wrong's second branch (n > 5 fails).
	p := set.Paths[6]
	want := []engine.BranchKey{
		{Flow: "t", State: "check", Event: "wrong", Branch: 2},
		{Flow: "t", State: "menu", Event: "done", Branch: 1},
	}
	if !slices.Equal(p.Branches, want) {
		t.Errorf("Branches = %v, want %v", p.Branches, want)
	}
	// The timer path covers the timer's branch.
	p = set.Paths[3]
	if !slices.Contains(p.Branches, engine.BranchKey{Flow: "t", State: "menu", Event: "after 1m", Branch: 1}) {
		t.Errorf("Branches = %v, want the timer's branch", p.Branches)
	}
}

// TestReplayPaths replays every path Paths finds, on the shipped flow under
// two regions: each must fit and end as found.
func TestReplayPaths(t *testing.T) {
	for _, country := range []string{"", "DE"} {
		fl := shippedConnect(t, country)
		set, err := fl.Paths(context.Background(), engine.PathOptions{MaxVisits: 1})
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range set.Paths {
			if p.End == engine.EndCut && !p.Waiting {
				continue
			}
			s, err := fl.Replay(context.Background(), p.Steps, time.Time{})
			if err != nil {
				t.Fatalf("%q path %d: Replay: %v", country, i+1, err)
			}
			switch p.End {
			case engine.EndOutcome:
				if o := s.Current().Outcome; o == nil || o.Name != p.Outcome.Name {
					t.Errorf("%q path %d ended %v, want %s", country, i+1, o, p.Outcome.Name)
				}
			case engine.EndLoop, engine.EndCut:
				if cur := s.Current(); s.Done() || cur.State != p.State {
					t.Errorf("%q path %d waits at %s, want %s", country, i+1, cur.State, p.State)
				}
			}
		}
	}
}

func TestReplayDiverged(t *testing.T) {
	fl := mustCompile(t, pathsFlow, nil, nil)
	tests := []struct {
		steps []engine.PathStep
		want  string
	}{{
		steps: []engine.PathStep{{State: "check", Kind: engine.StepOutcome, Name: "maybe"}},
		want:  "step 1 (check:maybe): the session runs svc.check, which has no outcome maybe (it has: ok, wrong)",
	}, {
		steps: []engine.PathStep{
			{State: "check", Kind: engine.StepOutcome, Name: "ok"},
			{State: "elsewhere", Kind: engine.StepChoice, Name: "done"},
		},
		want: "step 2 (elsewhere:done): the session waits at menu",
	}, {
		steps: []engine.PathStep{
			{State: "check", Kind: engine.StepOutcome, Name: "ok"},
			{State: "menu", Kind: engine.StepChoice, Name: "again"},
		},
		want: "step 3: the path has no more steps but the session runs svc.check",
	}, {
		steps: []engine.PathStep{
			{State: "check", Kind: engine.StepOutcome, Name: "ok"},
			{State: "menu", Kind: engine.StepOutcome, Name: "ok"},
		},
		want: "step 2 (menu:ok): the session waits at menu",
	}}
	for _, tt := range tests {
		_, err := fl.Replay(context.Background(), tt.steps, time.Time{})
		var div *engine.DivergedError
		if !errors.As(err, &div) || err.Error() != tt.want {
			t.Errorf("Replay(%v) = %v, want %s", tt.steps, err, tt.want)
		}
	}
}

// TestPathsParallelIsSequential holds the parallel search to the
// sequential one: the same paths, in the same order, with the same counts.
func TestPathsParallelIsSequential(t *testing.T) {
	fl := shippedConnect(t, "FR")
	ctx := context.Background()
	// Paths searches in parallel when it may run two goroutines at once,
	// sequentially otherwise: set both, whatever this machine has.
	prev := runtime.GOMAXPROCS(2)
	parallel, err := fl.Paths(ctx, engine.PathOptions{})
	runtime.GOMAXPROCS(1)
	sequential, serr := fl.Paths(ctx, engine.PathOptions{})
	runtime.GOMAXPROCS(prev)
	if err != nil || serr != nil {
		t.Fatal(err, serr)
	}
	got, want := pathLines(parallel), pathLines(sequential)
	if !slices.Equal(got, want) {
		t.Fatalf("parallel search found %d paths, sequential %d; first difference at %d", len(got), len(want), firstDiff(got, want))
	}
	if parallel.Loops != sequential.Loops || parallel.CutByVisits != sequential.CutByVisits || parallel.CutByPaths != sequential.CutByPaths {
		t.Errorf("counts (loops, cut by visits, by paths) = %d, %d, %d; sequential %d, %d, %d",
			parallel.Loops, parallel.CutByVisits, parallel.CutByPaths, sequential.Loops, sequential.CutByVisits, sequential.CutByPaths)
	}
	for i := range parallel.Paths {
		if !slices.Equal(parallel.Paths[i].Branches, sequential.Paths[i].Branches) {
			t.Fatalf("path %d: branches differ", i+1)
		}
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i + 1
		}
	}
	return min(len(a), len(b)) + 1
}
