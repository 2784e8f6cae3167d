package cli

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/tetherflow/tether/engine/eventlog"
	"github.com/tetherflow/tether/ui"
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

--lang TAG shows the prompts in another locale: the texts of the flows in
--flows DIR (their locales/ catalogs) and the built-in words; a text no
catalog has stays as the log holds it.

Exit status: 0, or 2 when LOG cannot be read or is not an event log (the
message names the line).`,
	Flags: func(fs *flag.FlagSet) RunFunc {
		var lang, flows string
		langFlag(fs, &lang)
		fs.StringVar(&flows, "flows", "", "the flows `DIR` whose catalogs (locales/) translate the prompts")
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
			cats := ui.Builtin()
			if flows != "" {
				cat, err := loadFlowsDir(env, env.path(flows))
				if err != nil {
					return err
				}
				if cats, err = catalogsFor(env, cat); err != nil {
					return err
				}
			}
			loc, err := chooseLocale(env, lang, cats)
			if err != nil {
				return err
			}
			if err := eventlog.WriteTranscript(env.Stdout, localized(entries, loc)); err != nil {
				return err
			}
			if result != nil {
				fmt.Fprintln(env.Stdout, resultLine(ui.LocalizeOutcome(result, loc), loc))
			}
			return nil
		}
	},
}
