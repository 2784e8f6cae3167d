package cli

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/tetherflow/tether/engine/eventlog"
)

var transcriptCommand = &Command{
	Name:  "transcript",
	Args:  "LOG",
	Short: "render a session's JSON-lines log as a transcript",
	Long: `
Transcript reads a session's event log as JSON lines (what tether run --json
prints, or what a server stores) and renders it for people, as tether run
--answers prints it: prompts, answers with secrets masked, actions, branches
and variables set, and the result line when the log ends with one.

Exit status: 0, or 2 when LOG cannot be read or is not an event log (the
message names the line).`,
	Flags: func(fs *flag.FlagSet) RunFunc {
		return func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("transcript takes one log file")
			}
			f, err := os.Open(env.path(args[0]))
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			defer f.Close()
			entries, result, err := eventlog.ReadJSONLines(f)
			if err != nil {
				return &exitError{code: exitUsage, err: fmt.Errorf("%s: %w", args[0], err)}
			}
			if err := eventlog.WriteTranscript(env.Stdout, entries); err != nil {
				return err
			}
			if result != nil {
				fmt.Fprintln(env.Stdout, resultLine(result))
			}
			return nil
		}
	},
}
