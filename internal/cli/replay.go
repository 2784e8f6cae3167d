package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tetherflow/tether/engine"
)

var replayCommand = &Command{
	Name:  "replay",
	Args:  "FLOW --path FILE [flags] | --log LOG... --flow FLOW [flags]",
	Short: "replay one path of a flow on scripted actions",
	Long: `
Replay runs the flow FILE along a path that tether paths found: each action
returns the outcome the path file names (its outputs at their zero values),
each prompt is answered with the path's choice (fields filled in with
synthesized values, secrets masked in the transcript), and a timer step
moves the clock to the earliest deadline. It prints the transcript, as
tether run --answers does, and the result line.

The path file is a YAML list of decisions, in order:

	- {state: saved_credentials, outcome: none}
	- {state: sign_in, choice: continue}
	- {flow: signup, state: details, choice: cancel}
	- {state: enter_code, pause: 2m30s}
	- {state: enter_code, timer: 5m}

flow: is needed only for the states of a subflow.

Exit status: 0 when every decision was used and the session ended with the
last one, 1 when the path does not fit the flow any more (the message says
at which step and where the session was instead), 2 for usage, flow and
path file errors. With --json it prints the event log as JSON lines
instead, as tether run --json does.
` + replayLogsHelp,
	Flags: func(fs *flag.FlagSet) RunFunc {
		o := &replayOptions{}
		fs.StringVar(&o.path, "path", "", "the path `file` to replay (required)")
		fs.StringVar(&o.region, "region", "", "country (ISO 3166-1 alpha-2) whose regional policy applies")
		fs.StringVar(&o.regions, "regions", "", "directory of regional policy overlays (default: regions/ next to the flow)")
		fs.StringVar(&o.clock, "clock", engine.DefaultPathStart, "the session clock's start, an RFC 3339 `time`")
		fs.BoolVar(&o.json, "json", false, "print the event log as JSON lines instead of the transcript")
		fs.Var(&o.logs, "log", "a recorded session's JSON-lines event `log` to re-drive through --flow (repeatable)")
		fs.StringVar(&o.flow, "flow", "", "with --log: the version of the flow `file` to replay the logs through")
		return o.run
	},
}

type replayOptions struct {
	path, region, regions, clock string
	json                         bool
	logs                         logList
	flow                         string
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
		return usagef("--clock: %q is not an RFC 3339 time (like %s)", o.clock, engine.DefaultPathStart)
	}
	data, err := os.ReadFile(env.path(o.path))
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	pf, err := parsePath(o.path, data)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	c, _, err := compiledFlow(env, env.path(args[0]), o.region, flowSource{regions: o.regions}, exitUsage)
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
func replayPath(ctx context.Context, env *Env, fl *engine.Flow, region, regionName string, pf *pathFile, start time.Time) error {
	w := env.Stdout
	fmt.Fprintf(w, "# flow %s: %s\n# region %s\n", fl.Name(), fl.Title(), region)
	s, err := fl.Replay(ctx, pf.steps, start)
	if s == nil {
		return err
	}
	log := s.Log()
	if env.observe != nil {
		env.observe(regionName, fl, log)
	}
	var div *engine.DivergedError
	if errors.As(err, &div) {
		engine.WriteTranscript(w, log[:div.LogLen])
		return &exitError{code: exitFail, err: fmt.Errorf("%s: the path does not fit the flow: %w", fl.Name(), err)}
	}
	engine.WriteTranscript(w, log)
	if err == nil && !s.Done() {
		cur := s.Current()
		at := engine.PathStep{Flow: cur.Flow, State: cur.State}
		if pf.wait == nil || pf.wait.State != cur.State || (pf.wait.Flow != "" && pf.wait.Flow != cur.Flow) {
			return &exitError{code: exitFail, err: fmt.Errorf("%s: the path does not fit the flow: step %d: the path has no more steps but the session waits at %s",
				fl.Name(), len(pf.steps)+1, strings.TrimSuffix(at.Format(fl.Name()), ":"))}
		}
		fmt.Fprintf(w, "waiting at %s\n", strings.TrimSuffix(at.Format(fl.Name()), ":"))
		return nil
	}
	if pf.wait != nil {
		return &exitError{code: exitFail, err: fmt.Errorf("%s: the path does not fit the flow: the session ended, but the path waits at %s", fl.Name(), pf.wait.State)}
	}
	switch {
	case err != nil:
		fmt.Fprintf(w, "rejected: %v\n", err)
	case s.Err() != nil:
		fmt.Fprintf(w, "error: %v\n", s.Err())
	default:
		fmt.Fprintln(w, resultLine(s.Current().Outcome))
	}
	return nil
}

// pathItem is one decision of a path file.
type pathItem struct {
	Flow    string  `yaml:"flow,omitempty"`
	State   string  `yaml:"state"`
	Outcome *string `yaml:"outcome,omitempty"`
	Choice  *string `yaml:"choice,omitempty"`
	Timer   *string `yaml:"timer,omitempty"`
	Pause   *string `yaml:"pause,omitempty"`
	Wait    bool    `yaml:"wait,omitempty"`
}

// pathFile is a parsed path file: its decisions, and the state the path
// stops at with the session waiting (a loop or cut path), if it says so.
type pathFile struct {
	steps []engine.PathStep
	wait  *engine.PathStep // Flow and State only
}

// parsePath reads a path file: a YAML list of {state, outcome|choice|timer},
// the last of which may be {state, wait: true}.
func parsePath(name string, data []byte) (*pathFile, error) {
	var items []pathItem
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&items); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	pf := &pathFile{}
	if n := len(items); n > 0 && items[n-1].Wait {
		last := items[n-1]
		if last.Outcome != nil || last.Choice != nil || last.Timer != nil || last.Pause != nil || last.State == "" {
			return nil, fmt.Errorf("%s: step %d: want {state: NAME, wait: true} alone", name, n)
		}
		pf.wait = &engine.PathStep{Flow: last.Flow, State: last.State}
		items = items[:n-1]
	}
	steps := make([]engine.PathStep, len(items))
	for i, it := range items {
		st := engine.PathStep{Flow: it.Flow, State: it.State}
		n := 0
		for _, k := range []struct {
			kind engine.StepKind
			name *string
		}{{engine.StepOutcome, it.Outcome}, {engine.StepChoice, it.Choice}, {engine.StepTimer, it.Timer}, {engine.StepPause, it.Pause}} {
			if k.name != nil {
				st.Kind, st.Name = k.kind, *k.name
				n++
			}
		}
		if it.State == "" || n != 1 || it.Wait {
			return nil, fmt.Errorf("%s: step %d: want {state: NAME} with one of outcome:, choice:, timer: or pause: (or wait: true, last)", name, i+1)
		}
		steps[i] = st
	}
	pf.steps = steps
	return pf, nil
}

// formatPath writes a path as a path file, one flow-style mapping a line.
func formatPath(root string, p *engine.Path) []byte {
	steps := p.Steps
	var b strings.Builder
	for _, st := range steps {
		b.WriteString("- {")
		if st.Flow != "" && st.Flow != root {
			b.WriteString("flow: " + yamlScalar(st.Flow) + ", ")
		}
		fmt.Fprintf(&b, "state: %s, %s: %s}\n", yamlScalar(st.State), st.Kind, yamlScalar(st.Name))
	}
	if p.Waiting {
		b.WriteString("- {")
		if p.Flow != root {
			b.WriteString("flow: " + yamlScalar(p.Flow) + ", ")
		}
		fmt.Fprintf(&b, "state: %s, wait: true}\n", yamlScalar(p.State))
	}
	return []byte(b.String())
}

// yamlScalar quotes s where YAML's flow style needs it.
func yamlScalar(s string) string {
	n := &yaml.Node{Kind: yaml.ScalarNode, Value: s}
	out, err := yaml.Marshal(n)
	if err != nil {
		return fmt.Sprintf("%q", s)
	}
	v := strings.TrimSuffix(string(out), "\n")
	if strings.ContainsAny(v, "{}[],") && !strings.HasPrefix(v, "'") && !strings.HasPrefix(v, "\"") {
		return fmt.Sprintf("%q", s)
	}
	return v
}
