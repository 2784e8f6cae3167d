package testscripts_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/catalog"
	"github.com/tetherflow/tether/compat"
	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/eventlog"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/explore"
	"github.com/tetherflow/tether/internal/cli"
)

// recordedReplay is a generated replay with the event log its run
// records (tether replay --json).
type recordedReplay struct {
	replayScript
	country string // the --country it runs under; "" for the defaults
	start   time.Time
	logs    string // where its log is, relative to the work directory
	log     []eventlog.Entry
}

// recordReplays copies flows/ into a new work directory, changes into it,
// and records the log of every generated replay there, in logs/.
func recordReplays(t *testing.T) []*recordedReplay {
	t.Helper()
	scripts := loadReplays(t)
	work := t.TempDir()
	if err := os.CopyFS(filepath.Join(work, "flows"), os.DirFS("../flows")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(work) // the replays name flows/connect.yaml, relative
	if err := os.Mkdir("logs", 0o755); err != nil {
		t.Fatal(err)
	}
	var out []*recordedReplay
	for _, rs := range scripts {
		r := &recordedReplay{replayScript: rs}
		clock := explore.DefaultPathStart
		for i, a := range rs.args {
			switch {
			case a == "--country" && i+1 < len(rs.args):
				r.country = rs.args[i+1]
			case a == "--clock" && i+1 < len(rs.args):
				clock = rs.args[i+1]
			}
		}
		var err error
		if r.start, err = time.Parse(time.RFC3339, clock); err != nil {
			t.Fatalf("%s: --clock: %v", rs.name, err)
		}
		if err := os.WriteFile("path.yaml", rs.path, 0o644); err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		if code := cli.Main(append(slices.Clone(rs.args), "--json"), nil, &stdout, &stderr); code != 0 {
			t.Fatalf("%s: tether %s --json: exit %d\n%s", rs.name, strings.Join(rs.args, " "), code, stderr.String())
		}
		r.logs = filepath.Join("logs", strings.TrimSuffix(rs.name, ".txtar")+".jsonl")
		if err := os.WriteFile(r.logs, stdout.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		log, _, err := eventlog.ReadJSONLines(&stdout)
		if err != nil {
			t.Fatalf("%s: the --json log does not read back: %v", rs.name, err)
		}
		// The log is the session the golden transcript shows.
		var tr bytes.Buffer
		eventlog.WriteTranscript(&tr, log)
		if !bytes.Contains(rs.want, tr.Bytes()) {
			t.Fatalf("%s: the --json log renders as\n%s\nwhich is not in the golden transcript\n%s", rs.name, tr.String(), rs.want)
		}
		r.log = log
		out = append(out, r)
	}
	return out
}

// TestReplayLogsUnchanged is the pre-deploy check on the working tree: the
// logs of every generated replay, replayed through the flow they were
// recorded on (tether replay --log, per country), do not diverge.
func TestReplayLogsUnchanged(t *testing.T) {
	replays := recordReplays(t)
	byCountry := map[string][]string{}
	for _, r := range replays {
		byCountry[r.country] = append(byCountry[r.country], r.logs)
	}
	for cc, logs := range byCountry {
		args := []string{"replay", "--flow", "flows/connect.yaml"}
		if cc != "" {
			args = append(args, "--country", cc)
		}
		args = append(append(args, "--log"), logs...)
		var stdout, stderr bytes.Buffer
		if code := cli.Main(args, nil, &stdout, &stderr); code != 0 {
			t.Errorf("country %q: tether replay --log: exit %d\n%s%s", cc, code, stdout.String(), stderr.String())
			continue
		}
		if n := strings.Count(stdout.String(), ": no divergence: "); n != len(logs) {
			t.Errorf("country %q: %d logs without a divergence, want %d:\n%s", cc, n, len(logs), stdout.String())
		}
	}
	if len(byCountry) != len(generatedSets) {
		t.Errorf("the replays run for %d countries, want %d (generatedSets)", len(byCountry), len(generatedSets))
	}
}

// TestReplayLogMutations holds tether replay --log to the mutation test:
// for every mutant of flows/connect.yaml the checker accepts and every
// generated replay, the replay's recorded log diverges on the mutant
// exactly when the replay's transcript does (a path replay of the mutant
// renders differently), and at the same entry.
func TestReplayLogMutations(t *testing.T) {
	if testing.Short() {
		t.Skip("replays every generated log through every mutant")
	}
	replays := recordReplays(t)
	src, err := os.ReadFile("flows/connect.yaml")
	if err != nil {
		t.Fatal(err)
	}
	reg, err := actions.Registry(actions.Ports{})
	if err != nil {
		t.Fatal(err)
	}
	valid := func(src []byte) bool {
		f, err := syntax.Load("connect.yaml", src)
		if err == nil {
			_, err = engine.Compile(f, reg, subflowsIn("flows"))
		}
		return err == nil
	}
	_, ms := mutants(t, src, valid)
	steps := map[string][]explore.PathStep{}
	for _, r := range replays {
		if steps[r.name], err = pathSteps(r.path); err != nil {
			t.Fatalf("%s: %v", r.name, err)
		}
	}
	ctx := context.Background()
	pairs, diverged, checked, unseenTimers := 0, 0, 0, 0
	for _, m := range ms {
		if !valid(m.src) {
			continue // the checker catches it: nothing runs
		}
		checked++
		dir := filepath.Join(t.TempDir(), "flows")
		if err := os.CopyFS(dir, os.DirFS("flows")); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "connect.yaml"), m.src, 0o644); err != nil {
			t.Fatal(err)
		}
		cat, err := catalog.Load(dir, catalog.Options{Registry: reg})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range replays {
			c, err := cat.Compiled("connect", r.country)
			if err != nil {
				t.Fatalf("%s: %v", m.desc, err)
			}
			pairs++
			// Where the transcript differs: the path replayed on the
			// mutant, rendered entry by entry against the recording.
			var mutated []eventlog.Entry
			var pdiv *explore.DivergedError
			s, err := explore.Replay(ctx, c.Flow, steps[r.name], r.start)
			if s != nil {
				mutated = s.Log()
				if errors.As(err, &pdiv) {
					mutated = mutated[:pdiv.LogLen]
				}
			}
			want := firstDifference(r.log, mutated)
			rr, err := compat.Replay(ctx, c.Flow, r.log, reg)
			if err != nil {
				t.Fatalf("%s, %s: %v", m.desc, r.name, err)
			}
			got := -1
			if d := rr.Divergence; d != nil {
				got = d.Index
				diverged++
				if d.Pos.File != filepath.Join(dir, "connect.yaml") && d.Pos.File != filepath.Join(dir, "signup.yaml") || d.Pos.Line == 0 {
					t.Errorf("%s, %s: the divergence is positioned at %s, not in the mutant", m.desc, r.name, d.Pos)
				}
			}
			if got == -1 && pdiv != nil && strings.Contains(pdiv.Want, ":(pause ") && want == pdiv.LogLen {
				// A pause decision needs the timer it waits for to be
				// armed; the mutant dropped it. The recorded session never
				// saw it fire, so its log has no trace of it, and the
				// session goes on the same (docs/flow-evolution.md).
				unseenTimers++
				continue
			}
			if got != want {
				t.Errorf("%s, %s: replay --log diverges at entry %d, the transcript at %d (-1: none)\n%v", m.desc, r.name, got, want, rr.Divergence)
			}
		}
	}
	t.Logf("%d mutants the checker accepts, %d replays: %d pairs, %d diverge, %d differ only in a timer that never fired", checked, len(replays), pairs, diverged, unseenTimers)
	if checked < 50 || diverged == 0 {
		t.Errorf("only %d mutants checked, %d divergences: the test tests nothing", checked, diverged)
	}
}

// firstDifference is the index of the first entry of b that renders
// differently from a's, or that one of them lacks; -1 when they render
// the same.
func firstDifference(a, b []eventlog.Entry) int {
	for i := range max(len(a), len(b)) {
		if i >= len(a) || i >= len(b) {
			return i
		}
		var x, y bytes.Buffer
		eventlog.WriteTranscriptEntry(&x, &a[i])
		eventlog.WriteTranscriptEntry(&y, &b[i])
		if x.String() != y.String() {
			return i
		}
	}
	return -1
}

// pathSteps reads a generated path file's decisions (its last wait: item
// says only where the session stops).
func pathSteps(data []byte) ([]explore.PathStep, error) {
	pf, err := explore.ParsePathFile("path.yaml", data)
	if err != nil {
		return nil, err
	}
	return pf.Steps, nil
}
