// Package testscripts holds tether's golden transcripts: testscript
// archives in testdata/, one behaviour per file, named
// <command>-<behaviour>.txtar, each running the real tether command
// in-process.
//
// TESTSCRIPT_UPDATE=1 go test ./testscripts rewrites the golden files
// inside the archives from the current output.
package testscripts_test

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/tetherflow/tether/internal/cli"
)

// TestMain makes the test binary double as the tether command: scripts run
// `exec tether ...`, which re-executes this binary as tether.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"tether": func() {
			if os.Getenv(overHTTPEnv) != "" {
				os.Exit(tetherOverHTTP(os.Args[1:]))
			}
			os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
		},
	})
}

func TestScripts(t *testing.T) {
	testscript.Run(t, params())
}

// params is the setup every script runs with. Scripts that need fake
// adapters get them from a Setup func here (created per script in
// env.WorkDir and passed to tether through env.Setenv), and inspect them
// through custom commands added to Cmds.
func params() testscript.Params {
	return testscript.Params{
		Dir:                 "testdata",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       os.Getenv("TESTSCRIPT_UPDATE") == "1",
		Setup: func(env *testscript.Env) error {
			if err := setup(env); err != nil {
				return err
			}
			return portalSetup(env)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exec-status":  execStatus,
			"portal-serve": portalServe,
			"portal-stop":  portalStop,
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

// flowsDir is the repository's flows/ directory, relative to the test's
// working directory (the package directory).
const flowsDir = "../flows"

// setup copies the repository's flows/ (connect.yaml, signup.yaml, the demo
// portal fixture, the regional policies) into each script's $WORK/flows,
// so that scripts can `exec tether run flows/connect.yaml ...` on the real
// flows. A file the archive itself holds under flows/ is kept: a script
// that brings its own flow is not overwritten.
func setup(env *testscript.Env) error {
	src, err := filepath.Abs(flowsDir)
	if err != nil {
		return err
	}
	dst := filepath.Join(env.WorkDir, "flows")
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
