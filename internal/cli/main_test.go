package cli_test

import (
	"fmt"
	"os"
	"runtime/pprof"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/tetherflow/tether/internal/cli"
	"github.com/tetherflow/tether/internal/servecmd"
)

// TestMain makes the test binary double as the tether command with
// servecmd's backends (tether-server): cover puts its own
// executable on the scripts' PATH as tether, and with TETHER_TEST_MAIN=1
// it runs on its arguments, so that tests can signal a real tether process.
func TestMain(m *testing.M) {
	cli.SetServerBackends(servecmd.Backends())
	if os.Getenv("TETHER_TEST_MAIN") == "1" {
		// TETHER_TEST_CPUPROFILE profiles the command, a benchmarked
		// tether serve say, until it exits.
		if path := os.Getenv("TETHER_TEST_CPUPROFILE"); path != "" {
			f, err := os.Create(path)
			if err == nil {
				err = pprof.StartCPUProfile(f)
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			code := cli.MainWith(servecmd.Backends(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
			pprof.StopCPUProfile()
			f.Close()
			os.Exit(code)
		}
		os.Exit(cli.MainWith(servecmd.Backends(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	testscript.Main(m, map[string]func(){
		"tether": func() { os.Exit(cli.MainWith(servecmd.Backends(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}
