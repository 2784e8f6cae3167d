package testscripts_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/tetherflow/tether/internal/cli"
)

// generatedDir holds the replay scripts tether paths --write generated for
// the shipped connect flow, one per path, each with its golden transcript.
const generatedDir = "generated"

// generatedSets are the tether paths runs whose scripts generatedDir holds:
// the flow's defaults and one country of every shipped region. Each
// explores every reachable configuration (--dedup: no path per way of
// getting somewhere, so the visit bound can be high) and writes the paths
// that together take every branch (--cover): every state, outcome, branch
// and timer of the flow, per region, pinned by a golden transcript, in a
// few dozen scripts. tether cover checks that they do (see .ci/run).
var generatedSets = [][]string{
	{"paths", "flows/connect.yaml", "--dedup", "--max-visits", "50", "--max-paths", "100000", "--cover"},
	{"paths", "flows/connect.yaml", "--dedup", "--max-visits", "50", "--max-paths", "100000", "--cover", "--country", "FR"},
	{"paths", "flows/connect.yaml", "--dedup", "--max-visits", "50", "--max-paths", "100000", "--cover", "--country", "DE"},
	{"paths", "flows/connect.yaml", "--dedup", "--max-visits", "50", "--max-paths", "100000", "--cover", "--country", "BR"},
	{"paths", "flows/connect.yaml", "--dedup", "--max-visits", "50", "--max-paths", "100000", "--cover", "--country", "SG"},
	{"paths", "flows/connect.yaml", "--dedup", "--max-visits", "50", "--max-paths", "100000", "--cover", "--country", "IN"},
}

const regenerate = "TESTSCRIPT_UPDATE=1 go test ./testscripts -run TestGeneratedFresh"

// TestGenerated runs the generated replay scripts.
func TestGenerated(t *testing.T) {
	p := params()
	p.Dir = generatedDir
	p.UpdateScripts = false // regenerate them with tether paths instead
	testscript.Run(t, p)
}

// TestGeneratedFresh fails when the generated scripts are not what tether
// paths --write makes of the current flows; with TESTSCRIPT_UPDATE=1 it
// rewrites them.
func TestGeneratedFresh(t *testing.T) {
	dir, err := filepath.Abs(generatedDir)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	t.Chdir("..") // the scripts name flows/connect.yaml, as in $WORK
	for _, args := range generatedSets {
		var stdout, stderr bytes.Buffer
		if code := cli.Main(append(slices.Clone(args), "--write", tmp), nil, &stdout, &stderr); code != 0 {
			t.Fatalf("tether %s: exit %d\n%s", strings.Join(args, " "), code, stderr.String())
		}
	}
	want := readScripts(t, tmp)
	if os.Getenv("TESTSCRIPT_UPDATE") == "1" {
		for name := range readScripts(t, dir) {
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
		}
		for name, data := range want {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o666); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	got := readScripts(t, dir)
	var stale []string
	for name, data := range want {
		if g, ok := got[name]; !ok {
			stale = append(stale, name+" is missing")
		} else if !bytes.Equal(g, data) {
			stale = append(stale, name+" differs")
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			stale = append(stale, name+" is no longer generated")
		}
	}
	if len(stale) > 0 {
		slices.Sort(stale)
		if len(stale) > 10 {
			stale = append(stale[:10], "...")
		}
		t.Errorf("testscripts/%s is stale (%d scripts); regenerate it with\n\t%s\n%s", generatedDir, len(stale), regenerate, strings.Join(stale, "\n"))
	}
}

// readScripts returns the replay-*.txtar files in dir by name.
func readScripts(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "replay-*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(n)] = data
	}
	return out
}
