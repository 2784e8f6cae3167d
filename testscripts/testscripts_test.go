// Package testscripts holds tether's golden transcripts: testscript
// archives in testdata/, one behaviour per file, named
// <command>-<behaviour>.txtar, each running the real tether command
// in-process.
//
// TESTSCRIPT_UPDATE=1 go test ./testscripts rewrites the golden files
// inside the archives from the current output.
package testscripts_test

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/tetherflow/tether/internal/cli"
)

// TestMain makes the test binary double as the tether command: scripts run
// `exec tether ...`, which re-executes this binary as tether.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"tether": func() { os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
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
	}
}
