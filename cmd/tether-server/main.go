// Command tether-server is tether with serve and portal serve linked in:
// their HTTP servers and the SQLite and PostgreSQL stores (package
// servecmd). tether runs it for tether serve and tether portal serve;
// go install ./cmd/... installs it beside tether.
package main

import (
	"os"

	"github.com/tetherflow/tether/internal/cli"
	"github.com/tetherflow/tether/internal/servecmd"
)

func main() {
	os.Exit(cli.MainWith(servecmd.Backends(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
