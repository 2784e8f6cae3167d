package actions

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tetherflow/tether/engine"
)

// ErrNoPort is wrapped by the error an action returns when the port it needs
// was not configured.
var ErrNoPort = errors.New("port not configured")

// ErrArgs is wrapped by the error an action returns when it is called with
// arguments its spec does not allow: a missing required parameter, an
// unknown one, or a value of the wrong kind.
var ErrArgs = errors.New("invalid arguments")

// action is an engine.Action built from a spec and a run function that gets
// validated arguments.
type action struct {
	spec engine.Spec
	run  func(ctx context.Context, c *call) (engine.Result, error)
}

// Spec returns the action's spec.
func (a *action) Spec() engine.Spec {
	s := a.spec
	s.Params = append([]engine.Param(nil), a.spec.Params...)
	s.Outputs = append([]engine.Param(nil), a.spec.Outputs...)
	s.Outcomes = append([]string(nil), a.spec.Outcomes...)
	return s
}

// Run runs the action and redacts every secret it handled from the error
// and from the outputs not declared Secret. The engine holds actions to
// their specs, on both sides: it passes the parameters the spec declares,
// of their kinds, and checks the outcome and the outputs that come back
// (an undeclared one, or one of the wrong kind, is a run error). Actions do
// not check kinds again.
func (a *action) Run(ctx context.Context, args engine.Args) (engine.Result, error) {
	c := &call{spec: &a.spec, args: args}
	for _, p := range a.spec.Params {
		if s, ok := args[p.Name].(string); ok && p.Secret {
			c.secret(s)
		}
	}
	res, err := a.run(ctx, c)
	if err != nil {
		return engine.Result{}, c.redactErr(fmt.Errorf("%s: %w", a.spec.Name, err))
	}
	return c.redactOutputs(res), nil
}

// call is one run of an action: its arguments and the secrets it handled.
type call struct {
	spec    *engine.Spec
	args    engine.Args
	secrets []string
}

// secret notes a value the action handled that must not leak.
func (c *call) secret(s string) {
	if s != "" {
		c.secrets = append(c.secrets, s)
	}
}

// str returns the string parameter name, or def when it was not passed.
// An optional parameter passed the empty string counts as not passed (the
// event log leaves it out too).
func (c *call) str(name, def string) string {
	if v, ok := c.args[name].(string); ok && (v != "" || c.required(name)) {
		return v
	}
	return def
}

// required reports whether the spec declares name a required parameter.
func (c *call) required(name string) bool {
	p, _ := c.spec.Param(name)
	return p.Required
}

// time returns the time parameter name.
func (c *call) time(name string) time.Time {
	v, _ := c.args[name].(time.Time)
	return v
}

// redactOutputs redacts the secrets the action handled from the outputs
// not declared Secret.
func (c *call) redactOutputs(res engine.Result) engine.Result {
	if len(c.secrets) == 0 || len(res.Outputs) == 0 {
		return res
	}
	out := make(map[string]any, len(res.Outputs))
	for name, v := range res.Outputs {
		if p, ok := c.spec.Output(name); !ok || !p.Secret {
			v = c.redactValue(v)
		}
		out[name] = v
	}
	return engine.Result{Outcome: res.Outcome, Outputs: out}
}

// redact replaces every secret in s.
func (c *call) redact(s string) string { return redactString(s, c.secrets) }

func redactString(s string, secrets []string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}

func (c *call) redactValue(v any) any {
	switch v := v.(type) {
	case string:
		return c.redact(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = c.redactValue(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[c.redact(k)] = c.redactValue(e)
		}
		return out
	}
	return v
}

// redactErr returns err with every secret the action handled replaced.
func (c *call) redactErr(err error) error { return Redact(err, c.secrets...) }

// Redact returns err with every one of secrets replaced in its message by
// "[redacted]"; errors.Is and errors.As still see the wrapped chain. A nil
// err stays nil. Adapters use it on errors that may quote what another
// system sent back.
func Redact(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := redactString(msg, secrets)
	if clean == msg {
		return err
	}
	return &redactedError{msg: clean, err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// needPort returns an error wrapping ErrNoPort when port is missing.
func needPort(missing bool, name string) error {
	if missing {
		return fmt.Errorf("%w: %s", ErrNoPort, name)
	}
	return nil
}

// result builds a Result.
func result(outcome string, kv ...any) engine.Result {
	out := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return engine.Result{Outcome: outcome, Outputs: out}
}
