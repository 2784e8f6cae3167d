package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
)

var helpCommand = &Command{
	Name:  "help",
	Args:  "[COMMAND]",
	Short: "show help for a command",
	Long: `
Help lists tether's commands, or, given a COMMAND, prints that command's
usage, description and flags. "tether COMMAND -h" does the same.`,
	Flags: func(fs *flag.FlagSet) RunFunc { return runHelp },
}

func runHelp(ctx context.Context, env *Env, args []string) error {
	switch len(args) {
	case 0:
		env.usage(env.Stdout)
		return nil
	case 1:
		cmd := env.lookup(args[0])
		if cmd == nil {
			return usagef("unknown command %q; run 'tether help' for the list", args[0])
		}
		cmd.help(env.Stdout)
		return nil
	}
	return usagef("want at most one command name, got %d", len(args))
}

func (c *Command) usageLine() string {
	return strings.TrimSpace("tether " + c.Name + " " + c.Args)
}

// help writes the command's full help: usage line, description, flags.
func (c *Command) help(w io.Writer) {
	fmt.Fprintf(w, "usage: %s\n", c.usageLine())
	if c.Long != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.Long))
	}
	fs := newFlagSet(c)
	c.Flags(fs)
	// The flags' old names are taken, not shown.
	shown := newFlagSet(c)
	fs.VisitAll(func(f *flag.Flag) {
		if _, old := f.Value.(*oldFlag); !old {
			shown.Var(f.Value, f.Name, f.Usage)
		}
	})
	hasFlags := false
	shown.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		fmt.Fprintf(w, "\nFlags (-name or --name, before or after the arguments):\n")
		shown.SetOutput(w)
		shown.PrintDefaults()
	}
}

// briefUsage is what follows a usage error on stderr.
func (c *Command) briefUsage(w io.Writer) {
	fmt.Fprintf(w, "usage: %s\nRun 'tether help %s' for details.\n", c.usageLine(), c.Name)
}

// usage writes the top-level usage: what tether is and its commands.
func (env *Env) usage(w io.Writer) {
	fmt.Fprintf(w, "Tether checks, draws and runs declarative connect flows.\n\nUsage:\n\n\ttether <command> [arguments]\n\nThe commands are:\n\n")
	width := 0
	for _, c := range env.commands {
		width = max(width, len(c.Name))
	}
	for _, c := range env.commands {
		fmt.Fprintf(w, "\t%-*s  %s\n", width, c.Name, c.Short)
	}
	fmt.Fprintf(w, "\nUse \"tether help <command>\" for more information about a command.\n")
}
