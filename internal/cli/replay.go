package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/eventlog"
	"github.com/tetherflow/tether/engine/yamlfile"
	"github.com/tetherflow/tether/explore"
	"github.com/tetherflow/tether/ui"
)

var replayCommand = &Command{
	Name:  "replay",
	Args:  "FLOW --path FILE [--country CC] [flags] | --log LOG... --flow FLOW [--country CC] [flags]",
	Short: "replay one path of a flow on scripted actions",
	Long: `
Replay runs the flow FLOW (a flow file) along a path that tether paths
found, the path file --path FILE: each action returns the outcome the path
file names (its outputs at their zero values, but for the bool outputs a
step's result: gives as true), each prompt is answered
with the path's choice (fields filled in with synthesized values, secrets
masked in the transcript), and a timer step moves the clock to the
earliest deadline. It prints the transcript, as tether run --answers does, and the
result line. With --country CC (ISO 3166-1 alpha-2, e.g. DE) the regional
policy of that country applies.

The path file is a YAML list of decisions, in order:

	- {state: saved_credentials, outcome: none}
	- {state: sign_in, choice: continue}
	- {flow: signup, state: details, choice: cancel}
	- {state: enter_code, pause: 2m30s}
	- {state: enter_code, timer: 5m}
	- {state: check_password, outcome: ok, result: {consent_required: true}}

flow: is needed only for the states of a subflow. tether validate writes
such files for the counterexamples it finds (--counterexamples).

Exit status: 0 when every decision was used and the session ended with the
last one, 1 when the path does not fit the flow any more (the message says
at which step and where the session was instead), 2 for usage, flow and
path file errors. With --json it prints the event log as JSON lines
instead, as tether run --json does.
` + replayLogsHelp,
	Flags: func(fs *flag.FlagSet) RunFunc {
		o := &replayOptions{}
		fs.StringVar(&o.path, "path", "", "the path `FILE` to replay (required)")
		countryFlag(fs, &o.country, "the country `CC` (ISO 3166-1 alpha-2, e.g. DE) whose regional policy applies")
		fs.StringVar(&o.regions, "regions", "", "`DIR` of regional policy overlays (default: regions/ next to the flow)")
		fs.StringVar(&o.clock, "clock", explore.DefaultPathStart, "the session clock's start, an RFC 3339 `TIME`")
		fs.BoolVar(&o.json, "json", false, "print the event log as JSON lines instead of the transcript")
		fs.Var(&o.logs, "log", "a recorded session's JSON-lines event `LOG` to re-drive through --flow (repeatable)")
		fs.StringVar(&o.flow, "flow", "", "with --log: the flow file `FLOW`, the version to replay the logs through")
		o.limits = budgetFlags(fs)
		return o.run
	},
}

type replayOptions struct {
	path, country, regions, clock string
	json                          bool
	logs                          logList
	flow                          string
	limits                        *yamlfile.Limits // the flow files' YAML budgets (budgetFlags)
}

func (o *replayOptions) run(ctx context.Context, env *Env, args []string) error {
	if len(o.logs) > 0 || o.flow != "" {
		return o.runLogs(ctx, env, args)
	}
	if len(args) != 1 {
		return usagef("replay takes one flow file")
	}
	if o.path == "" {
		return usagef("--path is required")
	}
	start, err := time.Parse(time.RFC3339, o.clock)
	if err != nil {
		return usagef("--clock: %q is not an RFC 3339 time (like %s)", o.clock, explore.DefaultPathStart)
	}
	// No more of the file is read than a path file may hold.
	data, err := yamlfile.ReadFile(env.path(o.path), yamlfile.Limits{})
	if err != nil {
		return fileErrors(env, err)
	}
	pf, err := explore.ParsePathFile(o.path, data)
	if err != nil {
		return fileErrors(env, err)
	}
	c, _, err := compiledFlow(env, env.path(args[0]), o.country, flowSource{regions: o.regions, limits: *o.limits}, exitUsage)
	if err != nil {
		return err
	}
	if o.json {
		return replayPathJSON(ctx, env, c.Flow, pf, start)
	}
	return replayPath(ctx, env, c.Flow, regionHeader(c), c.Region.Name, pf, start)
}

// replayPath replays steps and writes the transcript, with run's header,
// and the result line to env.Stdout. A path that does not fit is an
// exitError 1, after the transcript as far as it fitted.
func replayPath(ctx context.Context, env *Env, fl *engine.Flow, region, regionName string, pf *explore.PathFile, start time.Time) error {
	w := env.Stdout
	fmt.Fprintf(w, "# flow %s: %s\n# region %s\n", fl.Name(), fl.Info().Title, region)
	s, err := explore.Replay(ctx, fl, pf.Steps, start)
	if s == nil {
		return err
	}
	log := s.Log()
	if err := env.recordSession(regionName, fl, log); err != nil {
		return err
	}
	var div *explore.DivergedError
	if errors.As(err, &div) {
		eventlog.WriteTranscript(w, log[:div.LogLen])
		return &exitError{code: exitFail, err: fmt.Errorf("%s: the path does not fit the flow: %w", fl.Name(), err)}
	}
	eventlog.WriteTranscript(w, log)
	if err == nil && !s.Done() {
		cur := s.Current()
		at := explore.PathStep{Flow: cur.Flow, State: cur.State}
		if pf.Wait == nil || pf.Wait.State != cur.State || (pf.Wait.Flow != "" && pf.Wait.Flow != cur.Flow) {
			return &exitError{code: exitFail, err: fmt.Errorf("%s: the path does not fit the flow: step %d: the path has no more steps but the session waits at %s",
				fl.Name(), len(pf.Steps)+1, strings.TrimSuffix(at.Format(fl.Name()), ":"))}
		}
		fmt.Fprintf(w, "waiting at %s\n", strings.TrimSuffix(at.Format(fl.Name()), ":"))
		return nil
	}
	if pf.Wait != nil {
		return &exitError{code: exitFail, err: fmt.Errorf("%s: the path does not fit the flow: the session ended, but the path waits at %s", fl.Name(), pf.Wait.State)}
	}
	switch {
	case err != nil:
		fmt.Fprintf(w, "rejected: %v\n", err)
	case s.Err() != nil:
		fmt.Fprintf(w, "error: %v\n", s.Err())
	default:
		fmt.Fprintln(w, resultLine(s.Current().Outcome, ui.Builtin().Localizer(ui.Source)))
	}
	return nil
}
