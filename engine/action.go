package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tetherflow/tether/engine/value"
)

// OutcomeUnavailable is the outcome the runner gives a run of a Remote
// action whose remote system could not be reached: every attempt its state
// allows (retry:) failed with an error wrapping ErrUnavailable or ran out of
// time (timeout:). Flows must handle it wherever they run a Remote action.
const OutcomeUnavailable = "unavailable"

// ErrUnavailable is wrapped by the error an action returns when the system
// it reaches could not be reached or did not answer in time (a connection
// refused or reset, a 5xx, a timeout): a failure that trying again later
// may cure. Any other error ends the session.
var ErrUnavailable = errors.New("unavailable")

// Param describes one parameter or one output of an action.
type Param struct {
	Name     string
	Kind     value.Kind
	Required bool // parameters only: the flow must pass it
	Secret   bool // the value is never logged, snapshotted or assigned to a variable
	// Sensitive values are masked in the event log and transcripts but may
	// be kept in variables, and so in snapshots: a portal's sign-in ticket,
	// which the next states need but a shared transcript must not show.
	// A variable assigned a sensitive value is itself sensitive.
	Sensitive bool
	Doc       string // one line, shown by `tether actions`
	// OldName is the name the parameter had before a rename: a flow that
	// still passes it is told the new name ("did you mean").
	OldName string
}

// Spec declares what an action takes, what it gives back and which outcomes
// it can return. The checker holds every flow to it, and the runner holds
// every action to it: an outcome the spec does not declare is a runtime error.
type Spec struct {
	Name     string // dotted, e.g. "portal.sign_in"
	Doc      string
	Params   []Param
	Outputs  []Param
	Outcomes []string
	// Timeout bounds one run of the action; zero means the runner's default.
	Timeout time.Duration
	// Remote says the action reaches a system outside the device (the
	// account portal): the registry adds OutcomeUnavailable to its outcomes,
	// and the runner turns transport failures into that outcome.
	Remote bool
}

// Param returns the parameter named name.
func (s *Spec) Param(name string) (Param, bool) { return findParam(s.Params, name) }

// Output returns the output named name.
func (s *Spec) Output(name string) (Param, bool) { return findParam(s.Outputs, name) }

// CheckResult holds an action's result to the spec: the outcome must be
// one the spec declares, every output one it declares, of the declared
// kind (as value.Coerce converts it). It returns the outputs with every
// declared output present, those the action left out at their kind's zero
// value. This is the runner's check, the one place the action contract is
// enforced, and an action's tests can hold it to the same; the error never
// quotes a value.
func (s *Spec) CheckResult(res Result) (map[string]any, error) {
	if !slices.Contains(s.Outcomes, res.Outcome) {
		return nil, fmt.Errorf("returned outcome %q, which it does not declare (it declares: %s)", res.Outcome, strings.Join(s.Outcomes, ", "))
	}
	outputs := make(map[string]any, len(s.Outputs))
	for _, o := range s.Outputs {
		v, ok := res.Outputs[o.Name]
		if !ok || v == nil {
			outputs[o.Name] = o.Kind.Zero()
			continue
		}
		cv, err := value.Coerce(o.Kind, v)
		if err != nil {
			return nil, fmt.Errorf("output %s: %v", o.Name, err)
		}
		outputs[o.Name] = cv
	}
	for name := range res.Outputs {
		if _, ok := s.Output(name); !ok {
			return nil, fmt.Errorf("returned output %s, which it does not declare", name)
		}
	}
	return outputs, nil
}

func findParam(ps []Param, name string) (Param, bool) {
	for _, p := range ps {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// Args are the parameters an action is called with, by name, each of the
// kind its spec declares (int, float64, bool, string, time.Duration,
// time.Time, []any, map[string]any). Optional parameters the flow did not
// pass are absent.
type Args map[string]any

// Result is what one run of an action returns: one of its declared outcomes
// and its outputs by name.
type Result struct {
	Outcome string
	Outputs map[string]any
}

// Action is one step a flow can run with `run: NAME`.
type Action interface {
	// Spec describes the action. It must return the same value every time.
	Spec() Spec
	// Run performs the action. It returns an error only when the action could
	// not be carried out at all (a portal that cannot be reached, say); every
	// expected answer, including refusals, is an outcome.
	Run(ctx context.Context, args Args) (Result, error)
}

// Func adapts a function to an Action with the given spec.
func Func(spec Spec, run func(ctx context.Context, args Args) (Result, error)) Action {
	return funcAction{spec: spec, run: run}
}

type funcAction struct {
	spec Spec
	run  func(context.Context, Args) (Result, error)
}

func (a funcAction) Spec() Spec                                         { return a.spec }
func (a funcAction) Run(ctx context.Context, args Args) (Result, error) { return a.run(ctx, args) }

// Registry holds the actions flows may run, by name. It does not change
// once NewRegistry has built it, and is safe to share.
type Registry struct {
	actions map[string]Action
	specs   map[string]*Spec
}

// NewRegistry returns a registry holding the given actions. It fails on a
// duplicate or unnamed action.
func NewRegistry(actions ...Action) (*Registry, error) {
	r := &Registry{}
	for _, a := range actions {
		if err := r.register(a); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// register adds an action. It fails when the name is empty or already
// taken, or when the spec declares no outcome. A Remote action's spec gets
// OutcomeUnavailable among its outcomes (once, when it declares it itself).
func (r *Registry) register(a Action) error {
	spec := a.Spec()
	if spec.Remote && !slices.Contains(spec.Outcomes, OutcomeUnavailable) {
		spec.Outcomes = append(append([]string(nil), spec.Outcomes...), OutcomeUnavailable)
	}
	if spec.Name == "" {
		return fmt.Errorf("register action: empty name")
	}
	if len(spec.Outcomes) == 0 {
		return fmt.Errorf("register action %s: no outcomes declared", spec.Name)
	}
	if _, dup := r.actions[spec.Name]; dup {
		return fmt.Errorf("register action %s: already registered", spec.Name)
	}
	if r.actions == nil {
		r.actions = make(map[string]Action)
		r.specs = make(map[string]*Spec)
	}
	r.actions[spec.Name] = a
	r.specs[spec.Name] = &spec
	return nil
}

// lookup returns the action registered under name.
func (r *Registry) lookup(name string) (Action, bool) {
	a, ok := r.actions[name]
	return a, ok
}

// spec returns the spec of the action registered under name.
func (r *Registry) spec(name string) (*Spec, bool) {
	s, ok := r.specs[name]
	return s, ok
}

// names returns the registered action names, sorted.
func (r *Registry) names() []string { return sortedKeys(r.actions) }

// Specs returns the specs of the registered actions, sorted by name: each
// as the registry holds it (a Remote action's with OutcomeUnavailable), a
// copy.
func (r *Registry) Specs() []Spec {
	out := make([]Spec, 0, len(r.specs))
	for _, name := range r.names() {
		s := *r.specs[name]
		s.Params, s.Outputs, s.Outcomes = slices.Clone(s.Params), slices.Clone(s.Outputs), slices.Clone(s.Outcomes)
		out = append(out, s)
	}
	return out
}
