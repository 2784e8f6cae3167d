package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/tetherflow/tether/adapters/terminal"
	"github.com/tetherflow/tether/catalog"
	"github.com/tetherflow/tether/engine/eventlog"
	"github.com/tetherflow/tether/engine/prompt"
	"github.com/tetherflow/tether/host"
	"github.com/tetherflow/tether/ui"
)

// runLoop drives one session through the host: ask the driver, answer,
// print what the step logged, until the session ends.
type runLoop struct {
	host   *host.Host
	driver host.Driver
	clock  *fakeClock // nil: the system clock, waits sleep
	out    *runOutput
}

// run starts the session and drives it to its end. Steps run to their end
// even when ctx is cancelled (Ctrl-C): a step half taken could leave the
// portal and the device's store disagreeing. Between steps, a cancelled
// ctx cancels the session.
func (l *runLoop) run(ctx context.Context, req host.StartRequest) error {
	step := context.WithoutCancel(ctx)
	v, err := l.host.Start(step, req)
	if err != nil {
		return &exitError{code: exitUnfinished, err: err}
	}
	l.out.entries(v.Entries)
	var problem error
	for !v.Done {
		if ctx.Err() != nil {
			return l.cancel(step, v)
		}
		r, err := l.driver.Next(ctx, v.Step, problem)
		switch {
		case ctx.Err() != nil, errors.Is(err, terminal.ErrInterrupted):
			return l.cancel(step, v)
		case err != nil:
			return l.out.finish(nil, &exitError{code: exitUnfinished, err: err})
		}
		if r.Wait > 0 {
			if err := l.wait(ctx, r.Wait); err != nil {
				return l.cancel(step, v)
			}
			if v, err = l.host.Tick(step, v.ID); err != nil {
				return l.out.finish(nil, &exitError{code: exitUnfinished, err: err})
			}
			l.out.entries(v.Entries)
			problem = nil
			continue
		}
		next, err := l.host.Answer(step, v.ID, host.Answer{Version: v.Version, Choice: r.Choice, Input: r.Input})
		if next == nil {
			return l.out.finish(nil, &exitError{code: exitUnfinished, err: err})
		}
		v, problem = next, err // a refused or late answer: the driver sees why
		l.out.entries(v.Entries)
	}
	if v.Error != "" {
		return l.out.finish(nil, &exitError{code: exitUnfinished, err: errors.New(v.Error)})
	}
	if err := l.out.finish(v.Step.Outcome, nil); err != nil {
		return err
	}
	if !v.Step.Outcome.Success {
		return &exitError{code: exitFail}
	}
	return nil
}

// wait lets d pass: on the fake clock at once, on the system clock by
// sleeping (cut short by ctx).
func (l *runLoop) wait(ctx context.Context, d time.Duration) error {
	if l.clock != nil {
		l.clock.Advance(d)
		return nil
	}
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// cancel ends the session after Ctrl-C: the last line says so, and the
// exit status is 130.
func (l *runLoop) cancel(ctx context.Context, v *host.View) error {
	if cv, err := l.host.Cancel(ctx, v.ID, ""); err == nil {
		l.out.entries(cv.Entries)
		v = cv
	}
	if err := l.out.finish(v.Step.Outcome, nil); err != nil {
		return err
	}
	return &exitError{code: exitInterrupted}
}

// runOutput is where a run writes: stdout (the transcript with --answers,
// the JSON log with --json, only the result line otherwise) and the
// --transcript file, written as the run goes so that an interrupted run
// leaves what happened so far.
type runOutput struct {
	env    *Env
	c      *catalog.Compiled
	all    []eventlog.Entry // the whole log, for tether cover (recordSession)
	json   bool
	shown  io.Writer // where the transcript goes on stdout
	file   *os.File
	err    error // the first error writing the file
	closed bool
	loc    *ui.Localizer // the transcript's prompts and the result line are in its locale
}

// newRunOutput creates the transcript file before anything runs, so that
// a path that cannot be written stops the run before the device is
// connected, and writes the header.
func newRunOutput(env *Env, o *runOptions, c *catalog.Compiled, loc *ui.Localizer) (*runOutput, error) {
	out := &runOutput{env: env, c: c, json: o.json, shown: io.Discard, loc: loc}
	if o.answers != "" && !o.json {
		out.shown = env.Stdout
	}
	if o.transcript != "" {
		f, err := os.Create(env.path(o.transcript))
		if err != nil {
			return nil, err
		}
		out.file = f
	}
	title := loc.Text(prompt.Message{ID: c.Flow.Name() + ".title", Text: c.Flow.Info().Title}).Text
	header := fmt.Sprintf("# flow %s: %s\n# region %s\n", c.Flow.Name(), title, regionHeader(c))
	if loc.Locale() != ui.Source {
		header += "# locale " + loc.Locale() + "\n"
	}
	io.WriteString(out.shown, header)
	out.toFile(func(w io.Writer) error { _, err := io.WriteString(w, header); return err })
	return out, nil
}

func (out *runOutput) toFile(write func(io.Writer) error) {
	if out.file != nil && out.err == nil {
		out.err = write(out.file)
	}
}

// entries prints log entries as the step appended them.
func (out *runOutput) entries(entries []eventlog.Entry) {
	if out.env.Getenv != nil && out.env.Getenv(coverLogEnv) != "" {
		out.all = append(out.all, entries...)
	}
	shown := localized(entries, out.loc)
	if out.json {
		eventlog.WriteJSONLines(out.env.Stdout, entries)
	} else {
		eventlog.WriteTranscript(out.shown, shown)
	}
	out.toFile(func(w io.Writer) error { return eventlog.WriteTranscript(w, shown) })
}

// finish prints the result line (for an outcome), closes the transcript
// file and returns err, or the error writing the file.
func (out *runOutput) finish(o *eventlog.Outcome, err error) error {
	if rerr := out.env.recordSession(out.c.Region.Name, out.c.Flow, out.all); rerr != nil && err == nil {
		err = &exitError{code: exitUnfinished, err: rerr}
	}
	if o != nil {
		line := resultLine(ui.LocalizeOutcome(o, out.loc), out.loc)
		if out.json {
			fmt.Fprintf(out.env.Stdout, "{\"result\":%s}\n", mustJSON(o))
		} else {
			fmt.Fprintln(out.env.Stdout, line)
		}
		out.toFile(func(w io.Writer) error { _, err := fmt.Fprintln(w, line); return err })
	}
	if cerr := out.close(); err == nil && cerr != nil {
		err = &exitError{code: exitUnfinished, err: fmt.Errorf("transcript: %w", cerr)}
	}
	return err
}

func (out *runOutput) close() error {
	if out.file == nil || out.closed {
		return nil
	}
	out.closed = true
	if err := out.file.Close(); out.err == nil {
		out.err = err
	}
	return out.err
}

// resultLine is the run's last line: "connected: ..." for a success,
// "not connected: ..." otherwise, in l's words. The outcome's name stays
// in it as it is, for scripts: at its start in English, in parentheses
// at its end in other locales ("verbunden: ... (connected)").
func resultLine(o *eventlog.Outcome, l *ui.Localizer) string {
	if o.Success {
		if o.Message == "" {
			return l.Say("ui.term.succeeded_plain", "outcome", o.Name)
		}
		return l.Say("ui.term.succeeded", "outcome", o.Name, "message", o.Message)
	}
	if o.Message == "" {
		return l.Say("ui.term.not_connected", "outcome", o.Name)
	}
	return l.Say("ui.term.not_connected_because", "message", o.Message, "outcome", o.Name)
}

// localized returns entries with their prompts and outcomes in l's
// locale, for a transcript; entries itself is left as it is.
func localized(entries []eventlog.Entry, l *ui.Localizer) []eventlog.Entry {
	out := make([]eventlog.Entry, len(entries))
	for i, e := range entries {
		e.Prompt = ui.Localize(e.Prompt, l)
		e.Outcome = ui.LocalizeOutcome(e.Outcome, l)
		out[i] = e
	}
	return out
}
