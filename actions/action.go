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

// Run validates args, runs the action and redacts every secret it handled
// from the error and from the outputs not declared Secret.
func (a *action) Run(ctx context.Context, args engine.Args) (engine.Result, error) {
	c := &call{spec: &a.spec, args: args}
	if err := c.validate(); err != nil {
		return engine.Result{}, c.redactErr(fmt.Errorf("%s: %w", a.spec.Name, err))
	}
	res, err := a.run(ctx, c)
	if err != nil {
		return engine.Result{}, c.redactErr(fmt.Errorf("%s: %w", a.spec.Name, err))
	}
	res, err = c.complete(res)
	if err != nil {
		return engine.Result{}, c.redactErr(fmt.Errorf("%s: %w", a.spec.Name, err))
	}
	return res, nil
}

// call is one run of an action: its arguments and the secrets it handled.
type call struct {
	spec    *engine.Spec
	args    engine.Args
	secrets []string
}

// validate checks the arguments against the spec and notes the secret ones.
func (c *call) validate() error {
	for _, p := range c.spec.Params {
		v, ok := c.args[p.Name]
		if !ok {
			if p.Required {
				return fmt.Errorf("%w: parameter %s is required", ErrArgs, p.Name)
			}
			continue
		}
		if p.Secret {
			if s, isStr := v.(string); isStr {
				c.secret(s)
			}
		}
		if !hasKind(v, p.Kind) {
			// Never print the value: it may be a secret.
			return fmt.Errorf("%w: parameter %s: got %s, want %s", ErrArgs, p.Name, kindOf(v), p.Kind)
		}
	}
	for name := range c.args {
		if _, ok := c.spec.Param(name); !ok {
			return fmt.Errorf("%w: unknown parameter %s", ErrArgs, name)
		}
	}
	return nil
}

// secret notes a value the action handled that must not leak.
func (c *call) secret(s string) {
	if s != "" {
		c.secrets = append(c.secrets, s)
	}
}

// str returns the string parameter name, or def when it was not passed.
func (c *call) str(name, def string) string {
	if v, ok := c.args[name].(string); ok {
		return v
	}
	return def
}

// time returns the time parameter name.
func (c *call) time(name string) time.Time {
	v, _ := c.args[name].(time.Time)
	return v
}

// complete checks the result against the spec, fills in the outputs the
// outcome does not define with zero values and redacts secrets from the
// non-secret outputs.
func (c *call) complete(res engine.Result) (engine.Result, error) {
	if !c.spec.HasOutcome(res.Outcome) {
		return engine.Result{}, fmt.Errorf("undeclared outcome %q", res.Outcome)
	}
	out := make(map[string]any, len(c.spec.Outputs))
	for name, v := range res.Outputs {
		p, ok := c.spec.Output(name)
		if !ok {
			return engine.Result{}, fmt.Errorf("undeclared output %s", name)
		}
		if !hasKind(v, p.Kind) {
			return engine.Result{}, fmt.Errorf("output %s: got %s, want %s", name, kindOf(v), p.Kind)
		}
		if !p.Secret {
			v = c.redactValue(v)
		}
		out[name] = v
	}
	for _, p := range c.spec.Outputs {
		if _, ok := out[p.Name]; !ok {
			out[p.Name] = zero(p.Kind)
		}
	}
	return engine.Result{Outcome: res.Outcome, Outputs: out}, nil
}

// redact replaces every secret in s.
func (c *call) redact(s string) string {
	for _, sec := range c.secrets {
		s = strings.ReplaceAll(s, sec, "[redacted]")
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

// redactErr returns err with every secret replaced in its message; errors.Is
// and errors.As still see the wrapped chain.
func (c *call) redactErr(err error) error {
	msg := err.Error()
	clean := c.redact(msg)
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

func hasKind(v any, k engine.Kind) bool {
	switch k {
	case engine.Any:
		return true
	case engine.Int:
		_, ok := v.(int)
		return ok
	case engine.Float:
		_, ok := v.(float64)
		return ok
	case engine.Bool:
		_, ok := v.(bool)
		return ok
	case engine.String:
		_, ok := v.(string)
		return ok
	case engine.Duration:
		_, ok := v.(time.Duration)
		return ok
	case engine.Time:
		_, ok := v.(time.Time)
		return ok
	case engine.List:
		_, ok := v.([]any)
		return ok
	case engine.Map:
		_, ok := v.(map[string]any)
		return ok
	}
	return false
}

// kindOf names the kind of v, or its Go type when it has none.
func kindOf(v any) string {
	for k := engine.Int; k <= engine.Map; k++ {
		if hasKind(v, k) {
			return k.String()
		}
	}
	return fmt.Sprintf("%T", v)
}

func zero(k engine.Kind) any {
	switch k {
	case engine.Int:
		return 0
	case engine.Float:
		return 0.0
	case engine.Bool:
		return false
	case engine.String:
		return ""
	case engine.Duration:
		return time.Duration(0)
	case engine.Time:
		return time.Time{}
	case engine.List:
		return []any{}
	case engine.Map:
		return map[string]any{}
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
