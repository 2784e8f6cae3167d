// Package cli is the tether command: its subcommands, their flags and usage
// text, and how their results and diagnostics reach the caller's streams.
//
// Main takes the arguments and the three streams instead of touching the
// process's own, so cmd/tether is one line and tests run the whole command
// in-process:
//
//	func main() { os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
//
// Results go to stdout and diagnostics to stderr. Main returns 0 when the
// command succeeded, 1 when it failed and 2 when it was used wrongly.
//
// Each subcommand is a *Command value in its own file (validate.go,
// graph.go, …), listed once in the table in commands.go. serve and portal
// serve are declared here, help and flags, and run by Backends (package
// servecmd, which cmd/tether does not link): this package must not import
// the HTTP API's server, the web pages or a SQL store.
package cli
