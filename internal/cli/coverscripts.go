package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/eventlog"
	"github.com/tetherflow/tether/internal/scriptrun"
)

// coverLogEnv names the environment variable that makes tether run and
// tether replay append each session's event log, with its flow and region,
// to the file it names: tether cover sets it for the scripts it runs.
const coverLogEnv = "TETHER_COVER_LOG"

// coverRecord is one line of that file: one session. The log is the
// engine's JSON, secrets masked.
type coverRecord struct {
	Flow   string           `json:"flow"`
	Region string           `json:"region"`
	Log    []eventlog.Entry `json:"log"`
}

// recordSession appends a session's log to the file coverLogEnv names, if
// it names one.
func (env *Env) recordSession(region string, fl *engine.Flow, log []eventlog.Entry) error {
	if env.Getenv == nil {
		return nil
	}
	path := env.Getenv(coverLogEnv)
	if path == "" {
		return nil
	}
	line, err := json.Marshal(coverRecord{Flow: fl.Name(), Region: region, Log: log})
	if err != nil {
		return fmt.Errorf("%s: %w", coverLogEnv, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("%s: %w", coverLogEnv, err)
	}
	_, err = f.Write(append(line, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: %w", coverLogEnv, err)
	}
	return nil
}

// runScripts runs the archives as the test suite does (scriptrun: the
// suite's script language without package testing; each script's
// $WORK/flows a copy of flowsDir), with this executable as tether and
// coverLogEnv set, and returns the logs of the sessions their tether run
// and tether replay commands ran. A script that fails is an error, a
// *scriptrun.Failure for the first in archive order: its logs would
// measure something other than what it says.
func runScripts(ctx context.Context, archives []string, flowsDir string) ([]coverLog, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "tether-cover-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	bin, logs, work := filepath.Join(tmp, "bin"), filepath.Join(tmp, "logs"), filepath.Join(tmp, "work")
	for _, dir := range []string{bin, logs, work} {
		if err := os.Mkdir(dir, 0o700); err != nil {
			return nil, err
		}
	}
	// A link named tether: a test binary standing in for tether knows
	// itself by that name.
	if err := os.Symlink(self, filepath.Join(bin, "tether")); err != nil {
		return nil, err
	}
	cfg := scriptrun.Config{Setup: func(workDir string, e *scriptrun.Env) error {
		e.Setenv("PATH", bin+string(os.PathListSeparator)+e.Getenv("PATH"))
		// A file per script: scripts run in parallel, a script's commands
		// one after another.
		e.Setenv(coverLogEnv, filepath.Join(logs, filepath.Base(workDir)+".jsonl"))
		return scriptrun.CopyMissing(flowsDir, filepath.Join(workDir, "flows"))
	}}
	if err := scriptrun.RunAll(ctx, archives, work, cfg); err != nil {
		return nil, err
	}

	files, err := filepath.Glob(filepath.Join(logs, "*.jsonl"))
	if err != nil {
		return nil, err
	}
	var out []coverLog
	for _, file := range files {
		got, err := readCoverLog(file)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}

// readCoverLog reads the sessions a script's commands recorded. Only what
// coverage counts is read of each entry.
func readCoverLog(path string) ([]coverLog, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []coverLog
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for n := 1; sc.Scan(); n++ {
		var rec struct {
			Flow   string `json:"flow"`
			Region string `json:"region"`
			Log    []struct {
				Kind   eventlog.EntryKind `json:"kind"`
				Flow   string             `json:"flow"`
				State  string             `json:"state"`
				Event  string             `json:"event"`
				Branch int                `json:"branch"`
				To     string             `json:"to"`
			} `json:"log"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		l := coverLog{region: rec.Region, flow: rec.Flow, log: make([]eventlog.Entry, len(rec.Log))}
		for i, e := range rec.Log {
			l.log[i] = eventlog.Entry{Kind: e.Kind, Flow: e.Flow, State: e.State, Event: e.Event, Branch: e.Branch, To: e.To}
		}
		out = append(out, l)
	}
	return out, sc.Err()
}
