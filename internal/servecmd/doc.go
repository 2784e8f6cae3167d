// Package servecmd runs the commands that serve over HTTP, tether serve
// and tether portal serve: cmd/tether-server's cli.Backends.
//
// It links what cmd/tether must not, to keep its first build short: the
// HTTP API's server (huma, Prometheus), the web pages, the portal server
// and the SQLite and PostgreSQL stores. The commands' help and flags are
// package cli's; this package must not define any of its own.
//
//	os.Exit(cli.MainWith(servecmd.Backends(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
package servecmd

import "github.com/tetherflow/tether/internal/cli"

// Backends are tether serve and tether portal serve, with every store.
func Backends() cli.Backends { return cli.Backends{Serve: Serve, PortalServe: PortalServe} }
