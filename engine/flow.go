package engine

import (
	"time"

	"github.com/looplab/fsm"
	"github.com/tetherflow/tether/engine/prompt"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/value"
	"github.com/tetherflow/tether/engine/yamlfile"
)

// Flow is a checked and compiled flow: every expression compiled, the
// looplab/fsm event table built. A Flow is immutable and safe to share
// between any number of sessions.
type Flow struct {
	name   string
	title  string
	file   *syntax.File
	hash   string // of the source and the effective policy
	srcSum string // of the source alone

	states []*state
	byName map[string]*state
	start  *state
	// subs holds, by state id, the flow a `run: flow:NAME` state runs:
	// the subflow under this flow's regional policy (see WithPolicies).
	// States are shared by every policy copy of a flow; this table is not.
	subs []*Flow

	vars   []varInfo
	varIdx map[string]int
	// sensitive names the variables that hold sensitive values (the
	// flow's sensitive: list); sensitiveNames lists them, sorted, for
	// snapshots (FrameSnapshot.Sensitive), which share it.
	sensitive      map[string]bool
	sensitiveNames []string
	policy         map[string]any
	pkinds         map[string]value.Kind
	psource        map[string]yamlfile.Pos // where each effective policy value was set
	rules          []*prule                // policy_rules, compiled
	props          []*cproperty            // properties, compiled

	outcomes []string // final outcomes, sorted

	// messages are the sources of the flow's messages: block, by id.
	messages map[string]*prompt.Source

	// events is the looplab/fsm event table, from which every branch's
	// next state was read (buildFSM).
	events []fsm.EventDesc

	timeout time.Duration
	limits  exprLimits

	// info is the flow's model (Info), built on first use.
	info *lazyInfo
}

type varInfo struct {
	name string
	kind value.Kind
	init any
	pos  yamlfile.Pos
}

type state struct {
	id   int
	decl *syntax.StateDecl
	name string
	kind syntax.StateKind
	flow *Flow // owning flow

	// run
	spec *Spec
	sub  *Flow
	with []*cassign

	// ask
	text    *ctext
	body    *ctext
	help    *ctext
	fields  []*cfield
	choices []*syntax.ChoiceDecl
	// labels and urls are the compiled label and url of each choice
	// (urls nil but for link choices).
	labels []*ctext
	urls   []*cexpr
	// available holds the compiled available_at of each choice (nil
	// entries for choices without one), or is nil (available.go).
	available []*cexpr
	static    *prompt.Prompt // the prompt, when it depends on nothing at run time
	fixed     *prompt.Prompt // its fields and choices, when they depend on nothing at run time
	// zeroInput is input.* for an answer that fills in no field: every
	// field at its zero value. Shared and never written.
	zeroInput map[string]any

	// final
	message *ctext
	output  []*cassign

	// sensitiveOut names the sensitive outputs: of the state's action or
	// subflow (result.*), or given by a final state; nil for none.
	sensitiveOut map[string]bool

	on     map[string]*handler
	events []string // receivable events in declaration order (choices, outcomes)
	timers []*ctimer
	hs     []*handler // handlers(), once the flow is compiled
}

type cassign struct {
	name   string
	pos    yamlfile.Pos
	kind   value.Kind // declared kind of the target
	prog   *cexpr
	secret bool // the value is secret or sensitive: masked in the log (params, outputs)
	varIdx int  // set: index into vars
}

type cfield struct {
	decl    *syntax.FieldDecl
	cond    *cexpr
	label   *ctext
	hint    *ctext
	options *cexpr // a list, computed when the prompt is shown
	prefill *cexpr // a string
}

// ctext is a compiled text: the message id, and its literal parts and
// parameters.
type ctext struct {
	id    string
	parts []ctextPart
	// passthrough is a text that is one {{ }}: it shows the value (a
	// message, or the portal's words) as it is.
	passthrough bool
}

type ctextPart struct {
	lit   string
	param string
	prog  *cexpr
}

// fixed reports whether the text depends on nothing at run time.
func (t *ctext) fixed() bool {
	return t == nil || len(t.parts) == 0 || (len(t.parts) == 1 && t.parts[0].prog == nil)
}

type handler struct {
	event    string
	pos      yamlfile.Pos
	branches []*branch
	// result kinds in this handler, for logging secrets masked
	secretResult map[string]bool
}

type branch struct {
	event    string // of its handler
	idx      int
	pos      yamlfile.Pos
	cond     *cexpr
	condSrc  string
	set      []*cassign
	target   *state // nil: stay
	fsmEvent string
	next     *state // where looplab/fsm's table takes fsmEvent (= target)
}

type ctimer struct {
	decl    *syntax.Timer
	key     string
	pos     yamlfile.Pos
	delay   *cexpr
	handler *handler
}

// Name returns the flow's name.
func (f *Flow) Name() string { return f.name }

// Hash identifies the flow's content and its effective policy; snapshots
// carry it so that a session is never resumed against a different flow.
func (f *Flow) Hash() string { return f.hash }

// Subflows returns the flows this flow runs with `run: flow:NAME`, by name,
// each under the policy this flow was given for it.
func (f *Flow) Subflows() map[string]*Flow {
	out := map[string]*Flow{}
	for _, sub := range f.subs {
		if sub != nil {
			out[sub.name] = sub
		}
	}
	return out
}

// stateNames returns the state names in declaration order.
func (f *Flow) stateNames() []string {
	out := make([]string, len(f.states))
	for i, s := range f.states {
		out[i] = s.name
	}
	return out
}

// policyKeys returns the policy keys, sorted.
func (f *Flow) policyKeys() []string { return sortedKeys(f.pkinds) }

// subflow returns the flow state s of f runs, or nil when s runs none.
func (f *Flow) subflow(s *state) *Flow { return f.subs[s.id] }

func contains[T comparable](list []T, x T) bool {
	for _, y := range list {
		if x == y {
			return true
		}
	}
	return false
}
