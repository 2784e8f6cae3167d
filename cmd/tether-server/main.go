// Command tether-server is tether with the SQLite and PostgreSQL stores
// linked in. tether runs it for tether serve and tether portal serve;
// go install ./cmd/... installs it beside tether.
package main

import (
	"os"

	"github.com/tetherflow/tether/internal/cli"
	"github.com/tetherflow/tether/internal/sqlstores"
)

func main() {
	b := cli.Backends{SessionStore: sqlstores.SessionStore, PortalState: sqlstores.PortalState}
	os.Exit(cli.MainWith(b, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
