// Package testscripts holds tether's golden transcripts: testscript
// archives in testdata/, one behaviour per file, named
// <command>-<behaviour>.txtar, each running the real tether command, and
// the replays tether paths generated in generated/.
//
// Params is the setup every archive runs with, in the test suite and in
// tether cover, which runs them to measure what they exercise: one
// definition, so that both run a script the same way.
//
// TESTSCRIPT_UPDATE=1 go test ./testscripts rewrites the golden files
// inside the archives from the current output.
package testscripts

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	"github.com/rogpeppe/go-internal/testscript"
)

// Params returns the setup every script runs with: tether must be
// explicitly exec'd, archive names are unique, the exec-status command is
// there, and each script's $WORK/flows holds a copy of the flows directory
// flowsDir (the repository's flows/ in the suite). Scripts that need fake
// adapters get them from Setup (created per script in env.WorkDir and
// passed to tether through env.Setenv), and inspect them through custom
// commands added to Cmds. Dir, Files and UpdateScripts are the caller's.
func Params(flowsDir string) testscript.Params {
	return testscript.Params{
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(env *testscript.Env) error {
			return copyFlows(flowsDir, filepath.Join(env.WorkDir, "flows"))
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exec-status": execStatus,
		},
	}
}

// execStatus runs a program like exec and checks its exact exit status,
// which `! exec` does not tell apart:
//
//	exec-status N program [args...]
//
// Its stdout and stderr are then checked with stdout, stderr and cmp as
// after exec.
func execStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! exec-status (give the status expected)")
	}
	if len(args) < 2 {
		ts.Fatalf("usage: exec-status N program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exec-status: %q is not an exit status", args[0])
	}
	got := 0
	var exit *exec.ExitError
	switch err := ts.Exec(args[1], args[2:]...); {
	case err == nil:
	case errors.As(err, &exit):
		got = exit.ExitCode()
	default:
		ts.Fatalf("exec-status: %v", err)
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

// copyFlows copies the flows directory src (flows, the demo portal
// fixture, the regional policies) into dst, so that scripts can
// `exec tether run flows/connect.yaml ...` on the real flows. A file the
// archive itself holds under flows/ is kept: a script that brings its own
// flow is not overwritten.
func copyFlows(src, dst string) error {
	src, err := filepath.Abs(src)
	if err != nil {
		return err
	}
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o777)
		}
		if _, err := os.Stat(target); err == nil {
			return nil // the archive's own file wins
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o666)
	})
}
