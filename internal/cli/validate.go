package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/tetherflow/tether/engine"
)

var validateCommand = &Command{
	Name:  "validate",
	Args:  "FILE...",
	Short: "check flows and report every error",
	Long: `
Validate loads each flow FILE, checks it against the action library and
compiles it, the way run does before it starts, and reports every problem
it finds rather than stopping at the first.

For each valid flow it prints "FILE: ok" on stdout. Problems go to stderr,
sorted, one per line as file:line:col: message, followed by a caret
snippet when the problem is inside an expression. Subflows (run: flow:NAME)
are found next to the flow that runs them and checked with it.

The exit status is 0 when every flow is valid and 1 otherwise.`,
	Flags: func(fs *flag.FlagSet) RunFunc { return runValidate },
}

func runValidate(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return usagef("no flow files given")
	}
	var errs engine.ErrorList
	for _, path := range args {
		if _, err := compileFlow(path); err != nil {
			errs = append(errs, flowErrors(path, err)...)
			continue
		}
		fmt.Fprintf(env.Stdout, "%s: ok\n", path)
	}
	if len(errs) > 0 {
		printErrors(env.Stderr, errs)
		return errReported
	}
	return nil
}
