package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/tetherflow/tether/compat"
	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/eventlog"
	"github.com/tetherflow/tether/explore"
)

// The --log mode of tether replay: recorded sessions re-driven through
// another version of their flow (compat.Replay). Its flags are declared
// with replay's in replay.go.

// logList is a repeatable --log flag.
type logList []string

// String and Set make logList a flag.Value.
func (l *logList) String() string     { return strings.Join(*l, " ") }
func (l *logList) Set(v string) error { *l = append(*l, v); return nil }

// replayLogsHelp is the --log part of replay's help.
const replayLogsHelp = `
With --log LOG, replay re-drives recorded sessions instead: each log is one
session's event log as JSON lines (what tether run --json or tether replay
--json prints, or a server's log of a session), and --flow FLOW names the
version of the flow to drive it through, under the regional policy of
--country CC (the country the sessions ran for). Every answer, action
outcome and output, timer firing and cancellation the log holds is forced
again, at its recorded time, and replay reports, for each log, the first
place where the new version goes another way — another state, another
branch (its guard, target or the variables it sets), another outcome, a
timer firing at another time, an answer refused — with the recorded entry's
line and the new version's position (file:line:col) where it went.
Arguments after the flags are more logs. Exit status: 0 when no log
diverges, 1 when one does, 2 for usage, flow and log errors.

Before deploying a changed flow, record logs of the sessions the current
version runs (the generated replays' logs: replay --path ... --json) and
replay them against the working tree: every divergence is a behaviour a
session in flight would change (docs/flow-evolution.md).`

// runLogs replays the logs o.logs and args through o.flow.
func (o *replayOptions) runLogs(ctx context.Context, env *Env, args []string) error {
	logs := append(append([]string(nil), o.logs...), args...)
	switch {
	case o.flow == "":
		return usagef("--log needs --flow, the version of the flow to replay the logs through")
	case len(logs) == 0:
		return usagef("--flow needs --log: the recorded sessions to replay")
	case o.path != "":
		return usagef("--path and --log are two modes: give one")
	}
	c, _, err := compiledFlow(env, env.path(o.flow), o.country, flowSource{regions: o.regions, limits: *o.limits}, exitUsage)
	if err != nil {
		return err
	}
	specs, err := flowRegistry()
	if err != nil {
		return err
	}
	diverged := 0
	for _, name := range logs {
		// The log is read as ReadJSONLines reads it, a line at a time
		// within its bound (a file of no lines, such as /dev/zero, stops
		// there), and kept for the line numbers of a divergence.
		f, err := os.Open(env.path(name))
		if err != nil {
			return &exitError{code: exitUsage, err: err}
		}
		var kept bytes.Buffer
		entries, _, err := eventlog.ReadJSONLines(io.TeeReader(f, &kept))
		f.Close()
		data := kept.Bytes()
		if err != nil {
			return &exitError{code: exitUsage, err: fmt.Errorf("%s: %w", name, err)}
		}
		r, err := compat.Replay(ctx, c.Flow, entries, specs)
		if err != nil {
			return &exitError{code: exitUsage, err: fmt.Errorf("%s: %w", name, err)}
		}
		skipped := ""
		if n := len(r.Skipped); n > 0 {
			skipped = fmt.Sprintf("; %d refused answer(s) skipped, their input not logged", n)
		}
		div := r.Divergence
		if div == nil {
			fmt.Fprintf(env.Stdout, "%s: no divergence: %d entries replayed through %s%s\n", name, len(entries), o.flow, skipped)
			continue
		}
		diverged++
		fmt.Fprintf(env.Stdout, "%s:%d: seq %d: %s: %s\n", name, logLine(data, div.Index), div.Seq, div.Kind, div.Msg)
		fmt.Fprintf(env.Stdout, "  %s: where the new version went%s\n", div.Pos, skipped)
	}
	if diverged > 0 {
		return &exitError{code: exitFail, err: fmt.Errorf("%d of %d logs diverge on %s", diverged, len(logs), o.flow)}
	}
	return nil
}

// logLine is the line of the log data holding entry i (0-based): its
// (i+1)th line that is not blank, as eventlog.ReadJSONLines reads them.
func logLine(data []byte, i int) int {
	n := 0
	for line, text := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(text) == "" {
			continue
		}
		if n == i {
			return line + 1
		}
		n++
	}
	return n + 1
}

// replayPathJSON is replay --path --json: the path's event log as JSON
// lines, ending with the result line when the session ended with an
// outcome, as tether run --json prints it. A path that does not fit exits
// 1, after the log as far as it fitted.
func replayPathJSON(ctx context.Context, env *Env, fl *engine.Flow, pf *explore.PathFile, start time.Time) error {
	s, err := explore.Replay(ctx, fl, pf.Steps, start)
	if s == nil {
		return err
	}
	log := s.Log()
	var div *explore.DivergedError
	if errors.As(err, &div) {
		eventlog.WriteJSONLines(env.Stdout, log[:div.LogLen])
		return &exitError{code: exitFail, err: fmt.Errorf("%s: the path does not fit the flow: %w", fl.Name(), err)}
	}
	if err := eventlog.WriteJSONLines(env.Stdout, log); err != nil {
		return err
	}
	if o := s.Current().Outcome; o != nil {
		fmt.Fprintf(env.Stdout, "{\"result\":%s}\n", mustJSON(o))
	}
	return nil
}
