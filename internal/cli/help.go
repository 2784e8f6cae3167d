package cli

import (
	"context"
	"flag"
)

var helpCommand = &Command{
	Name:  "help",
	Args:  "[command]",
	Short: "show help for a command",
	Long: `
Help lists tether's commands, or, given a command name, prints that
command's usage, description and flags. "tether COMMAND -h" does the same.`,
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
