package testscripts_test

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/tetherflow/tether/internal/cli"
	"github.com/tetherflow/tether/testscripts"
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

// params is the setup every script of the suite runs with: the package's,
// over the repository's flows/, with the archives in testdata/.
func params() testscript.Params {
	p := testscripts.Params(flowsDir)
	p.Dir = "testdata"
	p.UpdateScripts = os.Getenv("TESTSCRIPT_UPDATE") == "1"
	return p
}

// flowsDir is the repository's flows/ directory, relative to the test's
// working directory (the package directory).
const flowsDir = "../flows"
