// Command tether checks, draws and runs declarative connect flows. See
// `tether help` and the README.
package main

import (
	"os"

	"github.com/tetherflow/tether/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
