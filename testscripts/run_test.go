package testscripts_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/tetherflow/tether/testscripts"
)

// TestRun runs scripts outside go test's own runner: passing and skipped
// scripts are no failure; of the failing ones, the first in file order is
// reported where it failed, with its log.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	scripts := map[string]string{
		"a-ok.txtar":   "exists a.txt\n-- a.txt --\nx\n",
		"b-skip.txtar": "skip 'not here'\nexists nothing\n",
		"c-bad.txtar":  "# a phase\nexists a.txt\nexists c.txt\n-- a.txt --\nx\n",
		"d-bad.txtar":  "exists d.txt\n",
	}
	var files []string
	for name, text := range scripts {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	run := func(names ...string) error {
		var fs []string
		for _, f := range files {
			for _, n := range names {
				if filepath.Base(f) == n {
					fs = append(fs, f)
				}
			}
		}
		return testscripts.Run(testscript.Params{Files: fs, WorkdirRoot: t.TempDir()})
	}
	if err := run("a-ok.txtar", "b-skip.txtar"); err != nil {
		t.Errorf("passing and skipped scripts: Run = %v, want nil", err)
	}
	err := run("a-ok.txtar", "d-bad.txtar", "c-bad.txtar")
	fail, ok := errors.AsType[*testscripts.Failure](err)
	want := filepath.Join(dir, "c-bad.txtar") + ":3: $WORK/c.txt does not exist"
	if !ok || !strings.HasPrefix(fail.Msg, want) {
		t.Fatalf("Run = %v, want a *Failure %s...", err, want)
	}
	if !strings.Contains(fail.Log, "> exists c.txt") {
		t.Errorf("the failure's log lacks the command that failed:\n%s", fail.Log)
	}
}
