package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/tetherflow/tether/adapters/answers"
	"github.com/tetherflow/tether/adapters/httpapi"
	"github.com/tetherflow/tether/adapters/terminal"
	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/eventlog"
	"github.com/tetherflow/tether/engine/prompt"
	"github.com/tetherflow/tether/host"
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
	c, err := httpapi.NewClient(o.server, nil)
	if err != nil {
		return usagef("--server: %v", err)
	}
	flow := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(args[0]), ".yaml"), ".yml")
	driver, restore, err := o.remoteDriver(env)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	defer restore()
	// Steps run to their end even after Ctrl-C; between steps, it cancels
	// the session.
	step := context.WithoutCancel(ctx)
	s, ref, err := c.Create(step, flow, o.country, o.device)
	if err != nil {
		return &exitError{code: exitUnfinished, err: err}
	}
	fmt.Fprintf(env.Stderr, "session %s on %s (device %s)\n", s.ID, o.server, s.Device)
	var problem error
	for s.Status != "ended" {
		if ctx.Err() != nil {
			return o.remoteCancel(step, env, c, ref, s)
		}
		r, err := driver.Next(ctx, stepOf(s), problem)
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
		var p *httpapi.Problem
		switch {
		case err == nil:
			s = next
		case errors.As(err, &p) && p.Session != nil:
			s, problem = p.Session, problemErr(p)
		default:
			return &exitError{code: exitUnfinished, err: err}
		}
	}
	return remoteResult(env, s)
}

// remoteDriver is driver's choice without the demo world: the server
// holds it.
func (o *runOptions) remoteDriver(env *Env) (host.Driver, func(), error) {
	restore := func() {}
	if o.answers != "" {
		list, err := answers.Load(env.path(o.answers))
		if err != nil {
			return nil, restore, err
		}
		return answers.New(o.answers, list, func(string) (string, bool) { return "", false }), restore, nil
	}
	in, isFile := env.Stdin.(*os.File)
	if !isFile || !term.IsTerminal(int(in.Fd())) {
		return terminal.New(env.Stdin, env.Stdout, terminal.Piped()), restore, nil
	}
	return o.driver(env, nil)
}

// remoteCancel cancels the session after Ctrl-C.
func (o *runOptions) remoteCancel(ctx context.Context, env *Env, c *httpapi.Client, ref httpapi.Ref, s *httpapi.Session) error {
	if cs, err := c.Cancel(ctx, ref); err == nil {
		s = cs
	}
	if err := remoteResult(env, s); err != nil && s.Result != nil && s.Result.Outcome != engine.OutcomeCancelled {
		return err
	}
	return &exitError{code: exitInterrupted}
}

// remoteResult prints the result line, as run does.
func remoteResult(env *Env, s *httpapi.Session) error {
	r := s.Result
	if r == nil {
		return &exitError{code: exitUnfinished, err: fmt.Errorf("session %s has not ended", s.ID)}
	}
	if r.Error != "" {
		return &exitError{code: exitUnfinished, err: errors.New(r.Error)}
	}
	fmt.Fprintln(env.Stdout, resultLine(&eventlog.Outcome{Name: r.Outcome, Success: r.Success, Message: r.Message}))
	if !r.Success {
		return &exitError{code: exitFail}
	}
	return nil
}

// stepOf turns the API's description of a prompt back into the engine's,
// for the drivers.
func stepOf(s *httpapi.Session) engine.Step {
	st := engine.Step{Flow: s.Flow, State: s.State}
	p := s.Prompt
	if p == nil {
		return st
	}
	st.Flow = p.Flow
	ep := &prompt.Prompt{Text: p.Title}
	if p.Text != "" {
		ep.Text += "\n" + p.Text
	}
	var help []string
	for _, m := range p.Messages {
		if m.Type == "info" {
			help = append(help, m.Text)
		}
	}
	ep.Help = strings.Join(help, "\n")
	for _, f := range p.Fields {
		ef := prompt.Field{Name: f.Name, Label: f.Label, Type: prompt.FieldType(f.Type), Optional: !f.Required, Options: f.Options, Length: f.Length}
		for _, sg := range f.Suggestions {
			ef.Suggest = append(ef.Suggest, prompt.Suggestion{Value: sg.Value, Label: sg.Label})
		}
		ep.Fields = append(ep.Fields, ef)
	}
	for _, c := range p.Choices {
		ep.Choices = append(ep.Choices, prompt.Choice{Name: c.Name, Label: c.Label, Fields: c.Fields, AvailableAt: c.AvailableAt})
	}
	st.Prompt = ep
	return st
}

// problemErr is the refusal a driver is shown, as the host gives it.
func problemErr(p *httpapi.Problem) error {
	switch p.Code {
	case httpapi.CodeInvalidAnswer:
		return &engine.InputError{Field: p.Field, Msg: p.Detail}
	case httpapi.CodePromptGone:
		return engine.ErrPromptGone
	}
	return errors.New(p.Detail)
}
