package testscripts_test

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/tetherflow/tether/internal/cli"
	"github.com/tetherflow/tether/internal/servecmd"
	"github.com/tetherflow/tether/testscripts"
)

// serverBackends make the test binary tether-server: tether with serve
// and portal serve, and their stores, in process.
var serverBackends = servecmd.Backends()

// TestMain makes the test binary double as the tether command: scripts run
// `exec tether ...`, which re-executes this binary as tether.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"tether": func() {
			if os.Getenv(overHTTPEnv) != "" {
				os.Exit(tetherOverHTTP(os.Args[1:]))
			}
			os.Exit(cli.MainWith(serverBackends, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
		},
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
	// Scripts may start a portal simulator of their own (portal_test.go).
	base := p.Setup
	p.Setup = func(env *testscript.Env) error {
		if err := base(env); err != nil {
			return err
		}
		return portalSetup(env)
	}
	p.Cmds["portal-serve"] = portalServe
	p.Cmds["portal-stop"] = portalStop
	return p
}

// flowsDir is the repository's flows/ directory, relative to the test's
// working directory (the package directory).
const flowsDir = "../flows"
