package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// serverCommand is the executable that runs serve and portal serve for a
// tether built without Backends: tether itself with them.
const serverCommand = "tether-server"

// Backends run the commands that serve over HTTP: tether serve and
// tether portal serve. Their HTTP servers and SQLite and PostgreSQL
// stores would be a large part of tether's first build (docs/cli.md,
// "First build"), so cmd/tether links none of them and runs
// tether-server, whose Backends (package servecmd) do, for those two
// commands. Their help and flags are this package's: one definition for
// both binaries.
type Backends struct {
	// Serve runs tether serve with the options its flags set and its
	// positional arguments.
	Serve func(ctx context.Context, env *Env, o *ServeOptions, args []string) error
	// PortalServe runs tether portal serve likewise; args begin with
	// the subcommand, serve.
	PortalServe func(ctx context.Context, env *Env, o *PortalServeOptions, args []string) error
}

// MainWith is Main with the backends serve and portal serve need linked
// in: cmd/tether-server's main.
func MainWith(b Backends, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return mainEnv(&b, args, stdin, stdout, stderr)
}

// delegate runs args with tether-server, found next to this executable or
// on PATH, with env's streams; a signal that cancels ctx is passed on.
func (env *Env) delegate(ctx context.Context, args []string) int {
	path, err := findServer()
	if err != nil {
		fmt.Fprintf(env.Stderr, "tether %s: %v\n", args[0], err)
		return exitFail
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = env.Stdin, env.Stdout, env.Stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second
	err = cmd.Run()
	// Its status, also when a signal had it stop (Run then returns the
	// context's error).
	if cmd.ProcessState != nil && cmd.ProcessState.ExitCode() >= 0 {
		return cmd.ProcessState.ExitCode()
	}
	fmt.Fprintf(env.Stderr, "tether %s: %s: %v\n", args[0], serverCommand, err)
	return exitFail
}

// findServer returns tether-server's path: beside this executable, as go
// install ./cmd/... puts it, else on PATH.
func findServer() (string, error) {
	if self, err := os.Executable(); err == nil {
		if self, err := filepath.EvalSymlinks(self); err == nil {
			p := filepath.Join(filepath.Dir(self), serverCommand)
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
				return p, nil
			}
		}
	}
	if p, err := exec.LookPath(serverCommand); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("this command is run by %s (tether with its SQLite and PostgreSQL stores), which is not installed: go install ./cmd/... in tether's repository installs it beside tether", serverCommand)
}
