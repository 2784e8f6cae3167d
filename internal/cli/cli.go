package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
)

// Exit codes Main returns.
const (
	exitOK    = 0 // the command did what was asked
	exitFail  = 1 // it could not: a flow with errors, a failed run
	exitUsage = 2 // it was asked wrongly: unknown command or flag, bad arguments
)

// Command is one tether subcommand, as data: the go command's base.Command
// with the flag set made per run instead of kept in a global.
type Command struct {
	// Name selects the command: tether NAME.
	Name string
	// Args is the rest of the usage line, e.g. "[-format mermaid|dot] FILE".
	Args string
	// Short is the one-line summary `tether help` lists.
	Short string
	// Long is what `tether help NAME` prints under the usage line.
	Long string
	// Flags declares the command's flags on fs and returns the function that
	// runs it once fs has parsed them, with the remaining arguments.
	Flags func(fs *flag.FlagSet) RunFunc
	// Backends says the command needs Backends: without them, tether-server
	// runs it.
	Backends bool
}

// RunFunc runs a command with its positional arguments. It returns a
// usageError (from usagef) when the arguments are wrong, errReported when
// it has already written its diagnostics to env.Stderr, and any other error
// for Main to print.
type RunFunc func(ctx context.Context, env *Env, args []string) error

// Env is what a command runs with: the streams it reads and writes and the
// environment variables it sees, never the process's own.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Getenv looks up an environment variable ("" when unset).
	Getenv func(key string) string

	commands []*Command // the command table, for help

	// backends run serve and portal serve; nil in cmd/tether.
	backends *Backends

	// dir, when set, is the directory relative paths are taken from.
	dir string
}

// path resolves a path given on the command line.
func (env *Env) path(p string) string {
	if env.dir == "" || p == "" || filepath.IsAbs(p) || strings.HasPrefix(p, keyringPrefix) {
		return p
	}
	return filepath.Join(env.dir, p)
}

// Main runs the tether command line args (without the program name) and
// returns the exit code: 0 ok, 1 failure, 2 usage. Commands see the
// process's environment through Env.Getenv.
//
// SIGINT (Ctrl-C) and SIGTERM cancel the context commands run with: a
// command ends what it is doing cleanly (run cancels its session, saying
// so, and exits 130) instead of dying half-way.
//
// Main links neither the HTTP servers nor the SQLite and PostgreSQL
// stores: serve and portal serve are run by tether-server (MainWith).
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return mainEnv(nil, args, stdin, stdout, stderr)
}

func mainEnv(b *Backends, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := &Env{Stdin: stdin, Stdout: stdout, Stderr: stderr, Getenv: os.Getenv, commands: commands, backends: b}
	return env.main(ctx, args)
}

func (env *Env) main(ctx context.Context, args []string) int {
	if len(args) == 0 {
		env.usage(env.Stderr)
		return exitUsage
	}
	name := args[0]
	switch {
	case isHelpFlag(name):
		env.usage(env.Stdout)
		return exitOK
	case strings.HasPrefix(name, "-"):
		fmt.Fprintf(env.Stderr, "tether: unknown flag %s\n\n", name)
		env.usage(env.Stderr)
		return exitUsage
	}
	cmd := env.lookup(name)
	if cmd == nil {
		fmt.Fprintf(env.Stderr, "tether: unknown command %q\n\n", name)
		env.usage(env.Stderr)
		return exitUsage
	}
	return env.run(ctx, cmd, args[1:])
}

func isHelpFlag(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "--h":
		return true
	}
	return false
}

func (env *Env) lookup(name string) *Command {
	for _, c := range env.commands {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// run parses the command's flags, runs it and turns what it returns into
// an exit code and, where it has not been written yet, a diagnostic.
func (env *Env) run(ctx context.Context, cmd *Command, args []string) int {
	fs := newFlagSet(cmd)
	run := cmd.Flags(fs)
	pos, err := parseArgs(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		cmd.help(env.Stdout)
		return exitOK
	case err == nil && cmd.Backends && env.backends == nil:
		// tether-server says all the rest, deprecations included.
		return env.delegate(ctx, append([]string{cmd.Name}, args...))
	case err == nil:
		err = env.deprecations(cmd, fs)
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "tether %s: %v\n", cmd.Name, err)
		cmd.briefUsage(env.Stderr)
		return exitUsage
	}
	err = run(ctx, env, pos)
	var uerr *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &uerr):
		fmt.Fprintf(env.Stderr, "tether %s: %v\n", cmd.Name, err)
		cmd.briefUsage(env.Stderr)
		return exitUsage
	case errors.Is(err, errReported):
		return exitFail
	}
	var xerr *exitError
	if errors.As(err, &xerr) {
		if xerr.err != nil {
			fmt.Fprintf(env.Stderr, "tether %s: %v\n", cmd.Name, xerr.err)
		}
		return xerr.code
	}
	fmt.Fprintf(env.Stderr, "tether %s: %v\n", cmd.Name, err)
	return exitFail
}

func newFlagSet(cmd *Command) *flag.FlagSet {
	fs := flag.NewFlagSet("tether "+cmd.Name, flag.ContinueOnError)
	// Parse errors are reported by run, with the command's usage.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseArgs parses flags wherever they are among args, so that
// `tether graph FILE -format dot` works as well as the flags-first form.
// After "--" everything is an argument.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// oldFlag is the value of a flag's old name, taken for one release: it
// sets the flag called now, and the command says so on stderr
// (deprecations). Help does not list it.
type oldFlag struct {
	flag.Value
	now string
}

// oldName declares old as the old name of the flag now, which fs has.
func oldName(fs *flag.FlagSet, old, now string) {
	fs.Var(&oldFlag{Value: fs.Lookup(now).Value, now: now}, old, "the old name of --"+now)
}

// countryFlag declares --country CC, the country whose regional policy
// applies, with --region, its name before, as oldName.
func countryFlag(fs *flag.FlagSet, p *string, usage string) {
	fs.StringVar(p, "country", "", usage)
	oldName(fs, "region", "country")
}

// deprecations writes a notice on stderr for each old flag name given,
// and refuses an old name given with its new one.
func (env *Env) deprecations(cmd *Command, fs *flag.FlagSet) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.Visit(func(f *flag.Flag) {
		old, ok := f.Value.(*oldFlag)
		switch {
		case !ok || err != nil:
		case set[old.now]:
			err = fmt.Errorf("--%s is the old name of --%s: give one of them", f.Name, old.now)
		default:
			fmt.Fprintf(env.Stderr, "tether %s: --%s is deprecated and goes in the next release: use --%s %s\n",
				cmd.Name, f.Name, old.now, placeholder(fs.Lookup(old.now)))
		}
	})
	return err
}

// placeholder is the name of a flag's argument in its usage: CC for
// --country.
func placeholder(f *flag.Flag) string {
	name, _ := flag.UnquoteUsage(f)
	return name
}

// usageError is a command used wrongly: exit 2, with the usage line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usagef returns a usageError, for a RunFunc to return.
func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// exitError makes Main exit with code after printing err (when not nil).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

// errReported is returned by a RunFunc that has already written its
// diagnostics to stderr: Main exits 1 without adding to them.
var errReported = errors.New("failed; diagnostics already written")
