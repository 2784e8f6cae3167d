package explore_test

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/tetherflow/tether/explore"
)

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
				set, err := explore.Paths(ctx, fl, explore.PathOptions{})
				if err != nil {
					b.Fatal(err)
				}
				n = len(set.Paths)
			}
			b.ReportMetric(float64(n), "paths")
		})
	}
}

// BenchmarkPathsConnectDedup explores every reachable configuration of the
// shipped connect flow, per region, as the generated replays do
// (testscripts/generated_test.go: --dedup --max-visits 50).
func BenchmarkPathsConnectDedup(b *testing.B) {
	for _, country := range []string{"", "FR", "DE", "BR", "SG", "IN"} {
		name := country
		if name == "" {
			name = "default"
		}
		b.Run(name, func(b *testing.B) {
			fl := shippedConnect(b, country)
			ctx := context.Background()
			var n int
			for b.Loop() {
				set, err := explore.Paths(ctx, fl, explore.PathOptions{Dedup: true, MaxVisits: 50})
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
func pathLines(set *explore.PathSet) []string {
	var out []string
	for _, p := range set.Paths {
		var parts []string
		for _, st := range p.Steps {
			parts = append(parts, st.Format(set.Flow))
		}
		end := string(p.End) + " " + p.State
		switch p.End {
		case explore.EndOutcome:
			end = p.Outcome.Name
		case explore.EndError:
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
		opts explore.PathOptions
		want []string
		// cut by visits, loops, cut by paths
		cut, loops, byPaths int
	}{{
		name: "every outcome, choice and timer",
		src:  pathsFlow,
		opts: explore.PathOptions{MaxVisits: 1},
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
		opts: explore.PathOptions{MaxVisits: 2},
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
		opts: explore.PathOptions{MaxVisits: 8, MaxPaths: 100000},
		// n > 5 holds only after six rounds: a path reaches failed.
		want: nil,
	}, {
		name: "max paths",
		src:  pathsFlow,
		opts: explore.PathOptions{MaxVisits: 1, MaxPaths: 3},
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
			fl := mustCompile(t, tt.src, tt.subs)
			set, err := explore.Paths(context.Background(), fl, tt.opts)
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
	opts := explore.PathOptions{MaxVisits: 1}
	a, err := explore.Paths(context.Background(), fl, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := explore.Paths(context.Background(), fl, opts)
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
	fl := mustCompile(t, pathsFlow, nil)
	set, err := explore.Paths(context.Background(), fl, explore.PathOptions{MaxVisits: 1})
	if err != nil {
		t.Fatal(err)
	}
	// check:wrong menu:done takes wrong's second branch (n > 5 fails).
	p := set.Paths[6]
	want := []explore.BranchKey{
		{Flow: "t", State: "check", Event: "wrong", Branch: 2},
		{Flow: "t", State: "menu", Event: "done", Branch: 1},
	}
	if !slices.Equal(p.Branches, want) {
		t.Errorf("Branches = %v, want %v", p.Branches, want)
	}
	// The timer path covers the timer's branch.
	p = set.Paths[3]
	if !slices.Contains(p.Branches, explore.BranchKey{Flow: "t", State: "menu", Event: "after 1m", Branch: 1}) {
		t.Errorf("Branches = %v, want the timer's branch", p.Branches)
	}
}

const dedupFlow = `flow: t
start: menu
vars:
  n: 0
states:
  menu:
    ask:
      text: Pick
      choices: [check, direct]
    on:
      check: check
      direct:
        set: {n: 1}
        go: ping
  check:
    run: svc.check
    with: {email: '"a@b.example"', password: '"pw"'}
    on:
      ok: ping
      wrong:
        set: {n: 1}
        go: check
  ping:
    run: svc.ping
    on: {done: finished}
  finished: {final: finished, success: true, message: "n = {{ n }}"}
`

// TestPathsDedup: with Dedup, a path that comes to an action in a
// configuration an earlier path decided in does not branch there: it
// follows first options to its end, or to a prompt where it ends as a
// loop; cut on the way, it ends as a loop at that action, named by the
// action's state. A configuration only counts as explored once a path
// really got there.
func TestPathsDedup(t *testing.T) {
	fl := mustCompile(t, dedupFlow, nil)
	tests := []struct {
		visits int
		want   []string
	}{{
		visits: 2,
		want: []string{
			"menu:check check:ok ping:done -> finished",
			"menu:check check:wrong check:ok ping:done -> finished",
			// check again with n = 1: explored on the path before. The
			// path follows first options from there, and check's visits
			// run out on the way: it ends where it came back.
			"menu:check check:wrong check:wrong -> loop check",
			// ping with n = 1 was explored too: the path follows its
			// first option to the end, without branching.
			"menu:direct ping:done -> finished",
		},
	}, {
		// The second path is cut at check's second visit, after the step
		// that took it on to ping with n = 1: that ping was not explored,
		// so the direct way there is.
		visits: 1,
		want: []string{
			"menu:check check:ok ping:done -> finished",
			"menu:check check:wrong -> cut check",
			"menu:direct ping:done -> finished",
		},
	}}
	for _, tt := range tests {
		set, err := explore.Paths(context.Background(), fl, explore.PathOptions{Dedup: true, MaxVisits: tt.visits})
		if err != nil {
			t.Fatal(err)
		}
		if got := pathLines(set); !slices.Equal(got, tt.want) {
			t.Errorf("MaxVisits %d: paths:\n%s\nwant:\n%s", tt.visits, strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
		}
		for _, p := range set.Paths {
			if p.End == explore.EndLoop && p.Waiting {
				t.Errorf("MaxVisits %d: a loop at an action says it waits at %s", tt.visits, p.State)
			}
		}
	}
}

// TestPathsDedupDeadVars: a variable that nothing reads again before it is
// set does not tell configurations apart. Where dedupFlow's n is never
// read, check with n = 1 is check as first decided, and so is ping; where
// n is read, later, they are new configurations, explored in full.
func TestPathsDedupDeadVars(t *testing.T) {
	unread := strings.Replace(dedupFlow, `, message: "n = {{ n }}"`, "", 1)
	if unread == dedupFlow {
		t.Fatal("dedupFlow no longer reads n in its final message")
	}
	want := []string{
		"menu:check check:ok ping:done -> finished",
		// check after wrong is check as first decided: no branching.
		"menu:check check:wrong check:ok ping:done -> finished",
		// ping after direct is ping as first decided: no branching.
		"menu:direct ping:done -> finished",
	}
	set, err := explore.Paths(context.Background(), mustCompile(t, unread, nil), explore.PathOptions{Dedup: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := pathLines(set); !slices.Equal(got, want) {
		t.Errorf("paths:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	opts := explore.PathOptions{Dedup: true}
	explore.FullKeys(&opts)
	set, err = explore.Paths(context.Background(), mustCompile(t, unread, nil), opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(set.Paths); got != 4 {
		t.Errorf("keyed by every variable: %d paths, want the 4 of a flow that reads n:\n%s", got, strings.Join(pathLines(set), "\n"))
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
	parallel, err := explore.Paths(ctx, fl, explore.PathOptions{})
	runtime.GOMAXPROCS(1)
	sequential, serr := explore.Paths(ctx, fl, explore.PathOptions{})
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

// TestPathsDedupLiveSameReach holds the search keyed by live variables and
// distances from the clock to the one keyed by every variable and the
// clock, on the shipped connect flow: far fewer paths, and the same
// branches taken, the same decisions made, the same outcomes (with their
// messages) and the same errors reached.
func TestPathsDedupLiveSameReach(t *testing.T) {
	fl := shippedConnect(t, "SG")
	reach := func(opts explore.PathOptions) (paths int, got map[string]bool) {
		t.Helper()
		opts.Dedup, opts.MaxVisits, opts.MaxPaths = true, 50, 100000
		set, err := explore.Paths(context.Background(), fl, opts)
		if err != nil {
			t.Fatal(err)
		}
		if set.CutByPaths > 0 || set.CutByVisits > 0 {
			t.Fatalf("the search was cut: %d by paths, %d by visits", set.CutByPaths, set.CutByVisits)
		}
		got = map[string]bool{}
		for _, p := range set.Paths {
			for _, b := range p.Branches {
				got[fmt.Sprintf("branch %+v", b)] = true
			}
			for _, s := range p.Steps {
				got["step "+s.Format(set.Flow)] = true
			}
			switch p.End {
			case explore.EndOutcome:
				got["outcome "+p.Outcome.Name+": "+p.Outcome.Message] = true
			case explore.EndError:
				got["error "+p.Err.Error()] = true
			}
		}
		return len(set.Paths), got
	}
	all := explore.PathOptions{}
	explore.FullKeys(&all)
	nAll, wantReach := reach(all)
	nLive, gotReach := reach(explore.PathOptions{})
	if nLive >= nAll {
		t.Errorf("keyed by live variables: %d paths, not fewer than the %d keyed by every variable and the clock", nLive, nAll)
	}
	for k := range wantReach {
		if !gotReach[k] {
			t.Errorf("keyed by live variables, the search misses %s", k)
		}
	}
	for k := range gotReach {
		if !wantReach[k] {
			t.Errorf("keyed by live variables, the search finds %s, which the full search does not", k)
		}
	}
	if len(wantReach) < 100 {
		t.Errorf("only %d things reached: the comparison says little", len(wantReach))
	}
}

// TestPathsDedupClockRelative: where a flow uses the clock only through
// distances, a configuration is keyed by how far its times are from the
// clock, so a timer that sets the same distance again is a loop at once;
// where a guard reads the hour, each firing is a new configuration, up to
// the visit bound.
func TestPathsDedupClockRelative(t *testing.T) {
	const src = `flow: t
start: wait
vars:
  at: 0001-01-01T00:00:00Z
states:
  wait:
    ask:
      text: Wait
      choices: [done]
    after:
      1m:
        set: {at: now()}
        go: wait
    on:
      done:
        - if: GUARD
          go: finished
        - go: finished
  finished: {final: finished, success: true}
`
	relative := mustCompile(t, strings.Replace(src, "GUARD", `now() - at < duration("1h")`, 1), nil)
	set, err := explore.Paths(context.Background(), relative, explore.PathOptions{Dedup: true, MaxVisits: 5})
	if err != nil {
		t.Fatal(err)
	}
	// The guard reads the clock, so time may pass at the prompt too.
	want := []string{
		"wait:done -> finished",
		"wait:(timer) wait:done -> finished",
		"wait:(timer) wait:(timer) -> loop wait",
		"wait:(timer) wait:(pause 30s) wait:done -> finished",
		"wait:(timer) wait:(pause 30s) wait:(timer) -> loop wait",
		"wait:(pause 30s) wait:done -> finished",
		"wait:(pause 30s) wait:(timer) -> loop wait",
	}
	if got := pathLines(set); !slices.Equal(got, want) {
		t.Errorf("relative: paths:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	hour := mustCompile(t, strings.Replace(src, "GUARD", `now().Hour() < 12`, 1), nil)
	set, err = explore.Paths(context.Background(), hour, explore.PathOptions{Dedup: true, MaxVisits: 5})
	if err != nil {
		t.Fatal(err)
	}
	if got := pathLines(set); set.CutByVisits == 0 || !slices.Contains(got, "wait:(timer) wait:(timer) wait:(timer) wait:(timer) wait:(timer) -> cut wait") {
		t.Errorf("reading the hour: %d cut by visits, want the timer's firings explored up to the bound:\n%s", set.CutByVisits, strings.Join(got, "\n"))
	}
}
