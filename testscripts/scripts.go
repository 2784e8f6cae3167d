// Package testscripts holds tether's golden transcripts: testscript
// archives in testdata/, one behaviour per file, named
// <command>-<behaviour>.txtar, each running the real tether command, and
// the replays tether paths generated in generated/.
//
// Params is the setup every archive runs with in the test suite. tether
// cover runs the same archives to measure what they exercise, with
// internal/scriptrun (the part of the testscript language they use, and
// no package testing in the tether binary) and the same copy of the flows
// (scriptrun.CopyMissing); its CI step runs every archive here.
//
// TESTSCRIPT_UPDATE=1 go test ./testscripts rewrites the golden files
// inside the archives from the current output.
package testscripts

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strconv"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/tetherflow/tether/internal/scriptrun"
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
			return scriptrun.CopyMissing(flowsDir, filepath.Join(env.WorkDir, "flows"))
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exec-status": execStatus,
			"edit":        edit,
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

// edit is scriptrun's edit command (scriptrun.Edit):
//
//	edit FILE OLD NEW
func edit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: edit FILE OLD NEW")
	}
	ts.Check(scriptrun.Edit(ts.MkAbs(args[0]), args[1], args[2]))
}
