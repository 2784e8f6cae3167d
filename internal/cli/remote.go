package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/tetherflow/tether/adapters/httpapi/wire"
	"github.com/tetherflow/tether/adapters/terminal"
	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/eventlog"
	"github.com/tetherflow/tether/engine/prompt"
	"github.com/tetherflow/tether/host"
	"github.com/tetherflow/tether/ui"
)

// runRemote is `tether run --server URL FLOW`: the same prompts, asked by
// the same drivers, of a session a tether serve hosts, through its API
// only. FLOW is the flow's name in the server's catalog (a file name such
// as flows/connect.yaml names the flow connect). The device is --device
// (default: one the server makes up). The server's demo SMS gateway shows
// its texts on the server's stdout, so answers files cannot use {{sms}}.
func (o *runOptions) runRemote(ctx context.Context, env *Env, args []string) error {
	if len(args) != 1 {
		return usagef("run takes one flow")
	}
	if o.json || o.transcript != "" || o.clock != "" || o.otherApp != "" {
		return usagef("--server: --json, --transcript, --clock and --other-app need the session's log, which the server keeps")
	}
	c, err := wire.NewClient(o.server, nil)
	if err != nil {
		return usagef("--server: %v", err)
	}
	// The server says the flows' texts in the locale asked for; the
	// terminal's own words are built in.
	loc, err := chooseLocale(env, o.lang, ui.Builtin())
	if err != nil {
		return err
	}
	c.Locale = loc.Locale()
	flow := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(args[0]), ".yaml"), ".yml")
	driver, restore, err := o.remoteDriver(env, loc)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	defer restore()
	// Steps run to their end even after Ctrl-C; between steps, it cancels
	// the session.
	step := context.WithoutCancel(ctx)
	keys := env.serverDevicesFile(env.path(o.credentials))
	deviceKey := ""
	if o.device != "" {
		if deviceKey, err = env.serverDeviceKey(keys, o.server, o.device); err != nil {
			return err
		}
	}
	s, ref, err := c.Create(step, flow, o.country, o.device, deviceKey)
	var p *wire.Problem
	if errors.As(err, &p) && p.Code == wire.CodeDeviceKey {
		return &exitError{code: exitUnfinished, err: fmt.Errorf("the server refuses device %s: only the run that created it was given its key, which %s does not hold (another --device, or none, starts a new device)", o.device, keys)}
	}
	if err != nil {
		return &exitError{code: exitUnfinished, err: err}
	}
	if s.DeviceKey != "" {
		// Only this response carries the key: without it the device's
		// next session is refused.
		if err := env.keepServerDeviceKey(keys, o.server, s.Device, s.DeviceKey); err != nil {
			c.Cancel(step, ref)
			return &exitError{code: exitUnfinished, err: err}
		}
	}
	for _, w := range s.Warnings {
		fmt.Fprintf(env.Stderr, "tether: the server warns: %s\n", w)
	}
	fmt.Fprintf(env.Stderr, "session %s on %s (device %s)\n", s.ID, o.server, s.Device)
	var problem error
	for s.Status != "ended" {
		if ctx.Err() != nil {
			return o.remoteCancel(step, env, c, ref, s)
		}
		var r host.Reply
		if a, ok := driver.(screenAsker); ok && s.Prompt != nil {
			r, err = a.Ask(ctx, s.Prompt)
		} else {
			r, err = driver.Next(ctx, stepOf(s), problem)
		}
		switch {
		case ctx.Err() != nil, errors.Is(err, terminal.ErrInterrupted):
			return o.remoteCancel(step, env, c, ref, s)
		case err != nil:
			return &exitError{code: exitUnfinished, err: err}
		}
		problem = nil
		if r.Wait > 0 {
			// The server's timers fire on its clock: wait, then look.
			select {
			case <-time.After(r.Wait):
			case <-ctx.Done():
				return o.remoteCancel(step, env, c, ref, s)
			}
			if s, err = c.Get(step, ref); err != nil {
				return &exitError{code: exitUnfinished, err: err}
			}
			continue
		}
		next, err := c.Answer(step, ref, s.Version, r.Choice, r.Input)
		var p *wire.Problem
		switch {
		case err == nil:
			s = next
		case errors.As(err, &p) && p.Session != nil:
			s, problem = p.Session, problemErr(p)
		default:
			return &exitError{code: exitUnfinished, err: err}
		}
	}
	return remoteResult(env, s, loc)
}

// screenAsker is a driver that shows a screen the server made (the
// terminal's), rather than a prompt it makes one of.
type screenAsker interface {
	Ask(ctx context.Context, sc *ui.Screen) (host.Reply, error)
}

// remoteDriver is driver's choice without the demo world: the server
// holds it. Its clock is the system's: the server's timers run on it.
func (o *runOptions) remoteDriver(env *Env, loc *ui.Localizer) (host.Driver, func(), error) {
	return o.driver(env, nil, loc, time.Now)
}

// remoteCancel cancels the session after Ctrl-C.
func (o *runOptions) remoteCancel(ctx context.Context, env *Env, c *wire.Client, ref wire.Ref, s *wire.Session) error {
	if cs, err := c.Cancel(ctx, ref); err == nil {
		s = cs
	}
	if err := remoteResult(env, s, ui.Builtin().Localizer(s.Locale)); err != nil && s.Result != nil && s.Result.Outcome != engine.OutcomeCancelled {
		return err
	}
	return &exitError{code: exitInterrupted}
}

// remoteResult prints the result line, as run does, in l's words.
func remoteResult(env *Env, s *wire.Session, l *ui.Localizer) error {
	r := s.Result
	if r == nil {
		return &exitError{code: exitUnfinished, err: fmt.Errorf("session %s has not ended", s.ID)}
	}
	if r.Error != "" {
		return &exitError{code: exitUnfinished, err: errors.New(r.Error)}
	}
	o := &eventlog.Outcome{Name: r.Outcome, Success: r.Success}
	if r.Message != nil {
		o.Message = r.Message.Text
	}
	fmt.Fprintln(env.Stdout, resultLine(o, l))
	if !r.Success {
		return &exitError{code: exitFail}
	}
	return nil
}

// stepOf turns the API's description of a prompt back into the engine's,
// for a driver that answers by names (an answers file): the names of its
// fields and choices, its texts as the server said them, and the
// prefills.
func stepOf(s *wire.Session) engine.Step {
	st := engine.Step{Flow: s.Flow, State: s.State}
	p := s.Prompt
	if p == nil {
		return st
	}
	st.Flow = p.Flow
	ep := &prompt.Prompt{Title: message(p.Title)}
	for _, f := range p.Fields {
		ef := prompt.Field{Name: f.Name, Label: message(f.Label), Type: prompt.FieldType(f.Type), Optional: !f.Required, Length: f.Length, Prefill: f.Prefill}
		for _, o := range f.Options {
			ef.Options = append(ef.Options, prompt.Option{Value: o.Value, Label: message(o.Label)})
		}
		ep.Fields = append(ep.Fields, ef)
	}
	for _, c := range p.Choices {
		ep.Choices = append(ep.Choices, prompt.Choice{Name: c.Name, Label: message(c.Label), Role: prompt.Role(c.Role), Fields: c.Fields, URL: c.URL, AvailableAt: c.AvailableAt})
	}
	st.Prompt = ep
	return st
}

func message(t ui.Text) prompt.Message { return prompt.Message{ID: t.ID, Text: t.Text} }

// problemErr is the refusal a driver is shown, as the host gives it.
func problemErr(p *wire.Problem) error {
	switch p.Code {
	case wire.CodeInvalidAnswer:
		return &engine.InputError{Field: p.Field, Msg: p.Detail}
	case wire.CodePromptGone:
		return engine.ErrPromptGone
	}
	return errors.New(p.Detail)
}
