package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/mail"
	"reflect"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr/vm"
	"github.com/tetherflow/tether/engine/callkey"
	"github.com/tetherflow/tether/engine/eventlog"
	"github.com/tetherflow/tether/engine/prompt"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/value"
	"github.com/tetherflow/tether/engine/yamlfile"
)

// maxRunSteps bounds how many states a session passes through, and timers
// it fires, in one step (Start, Send, Tick), so that a loop of run states
// or of timers is an error rather than a hang.
const maxRunSteps = 10000

// Session is one run of a flow. It suspends at every prompt; Send answers
// it, Tick fires due timers, Snapshot saves it. A Session is not safe for
// concurrent use; a server serialises requests per session.
type Session struct {
	id     string
	root   *Flow
	ports  Ports
	frames []*frame
	seq    int
	log    recLog
	done   *eventlog.Outcome
	err    error          // a run error ends the session
	prompt *prompt.Prompt // the active prompt, computed on entry
	shown  time.Time
	input  map[string]any // the map answers are validated into, reused
	budget evalBudget     // of the expression being evaluated, and of the step
	passed int            // states entered and timers fired in this step
	// trigger is what set the current step off, for the keys of the calls
	// its actions make (package callkey); its digest is made only when an
	// action asks for a key.
	trigger trigger
	// rootFrame and frame0 hold the root flow's frame and the stack that
	// has only it, so that starting a session does not allocate them.
	rootFrame frame
	frame0    [1]*frame
	// idBytes is the randomness of the id.
	idBytes [16]byte
}

// frame is one flow on the session's stack: the root flow, and a subflow
// above it while one runs.
type frame struct {
	flow   *Flow
	state  *state
	env    map[string]any // vars by name, plus policy, now, input, result
	ioSet  bool           // input or result may be non-empty in env
	timers []armed
}

// clearIO empties input.* and result.*, skipping the map writes when they
// are empty already.
func (fr *frame) clearIO() {
	if fr.ioSet {
		fr.env["input"], fr.env["result"], fr.ioSet = emptyMap, emptyMap, false
	}
}

func (fr *frame) setInput(m map[string]any) {
	fr.env["input"], fr.ioSet = m, true
}

// trigger is what set a step off: an answer (its choice and its validated
// input) or a timer ("after <key>", no input); unset (no event) for Start.
type trigger struct {
	event string
	input map[string]any
}

type armed struct {
	t   *ctimer
	due time.Time
}

// Start begins a session of the flow at its start state and runs it to its
// first prompt or to its end.
func (f *Flow) Start(ctx context.Context, p Ports) (_ *Session, err error) {
	p = p.withDefaults()
	s := &Session{root: f, ports: p}
	defer s.recoverStep(&err)
	s.beginStep()
	s.id = newID(p.Rand, &s.idBytes)
	s.push(f, nil).state = f.start
	s.entry(rec{kind: eventlog.EntryStart})
	if err := s.enter(ctx, f.start); err != nil {
		return s, err
	}
	return s, s.advance(ctx)
}

// ID returns the session's identifier.
func (s *Session) ID() string { return s.id }

// Flow returns the session's (root) flow.
func (s *Session) Flow() *Flow { return s.root }

// Log returns the event log entries recorded by this Session value (since
// Start or Restore). The session keeps its log compactly and renders the
// entries when Log is first asked for them; the slice is the session's
// and must not be modified.
func (s *Session) Log() []eventlog.Entry {
	return s.log.entries(s.seq - s.log.n + 1)
}

// AppendMarks appends to dst the marks of the entries of Log from index
// from on, and returns the extended slice: what Log tells of them, read
// without rendering their values (for following a session step by step).
func (s *Session) AppendMarks(dst []eventlog.Mark, from int) []eventlog.Mark {
	return s.log.appendMarks(dst, max(from, 0))
}

// Seq returns the sequence number of the last log entry.
func (s *Session) Seq() int { return s.seq }

// Done reports whether the session has ended, with an outcome or an error.
func (s *Session) Done() bool { return s.done != nil || s.err != nil }

// Err returns the run error that ended the session, if one did.
func (s *Session) Err() error { return s.err }

// Current returns where the session stands.
func (s *Session) Current() Step {
	fr := s.top()
	st := Step{Flow: fr.flow.name, State: fr.state.name, Prompt: s.prompt, Outcome: s.done}
	if s.done != nil {
		st.Prompt = nil
	}
	return st
}

// NextDeadline returns when the next timer of the waiting session is due.
func (s *Session) NextDeadline() (time.Time, bool) {
	var next time.Time
	for _, fr := range s.frames {
		for _, a := range fr.timers {
			if next.IsZero() || a.due.Before(next) {
				next = a.due
			}
		}
	}
	return next, !next.IsZero() && !s.Done()
}

// ErrPromptGone is returned by Send when a timer fired before the answer
// was applied: the prompt the answer was for is no longer shown.
var ErrPromptGone = errors.New("the prompt timed out before the answer arrived")

// Send answers the waiting prompt with one of its choices and the values
// of its fields. Bad input (an unknown choice, a malformed email, a missing
// field) returns an *InputError and leaves the session as it was, waiting
// at the same prompt. Due timers fire first; if one moved the session to
// another state or changed the prompt, Send returns ErrPromptGone without
// applying the answer (a timer whose branch stays and leaves the prompt as
// it was leaves the answer valid).
func (s *Session) Send(ctx context.Context, choice string, input map[string]any) (err error) {
	defer s.recoverStep(&err)
	if s.err != nil {
		return s.err
	}
	if s.done != nil {
		return ErrFinished
	}
	s.beginStep()
	before, depth, shown := s.top().state, len(s.frames), s.prompt
	fired, err := s.tick(ctx)
	if err != nil {
		return err
	}
	if fired && (s.Done() || len(s.frames) != depth || s.top().state != before ||
		(s.prompt != shown && !reflect.DeepEqual(s.prompt, shown))) {
		return ErrPromptGone
	}
	fr := s.top()
	st := fr.state
	if st.kind != syntax.AskState {
		return fmt.Errorf("session is not waiting at a prompt (state %s)", st.name)
	}
	clean, ierr := s.validate(st, choice, input)
	s.trigger = trigger{event: choice, input: clean}
	if ierr != nil {
		s.entry(rec{kind: eventlog.EntryReject, event: choice, prompt: s.prompt, shown: s.shown, x: &recExtra{err: ierr.Error()}})
		return ierr
	}
	h := st.on[choice]
	b, err := s.choose(ctx, fr, h)
	if err != nil {
		return s.fail(fr, err)
	}
	if b == nil {
		fr.clearIO()
		e := &InputError{Msg: fmt.Sprintf("%s is not possible now", choice)}
		s.entry(rec{kind: eventlog.EntryReject, event: choice, prompt: s.prompt, shown: s.shown, x: &recExtra{err: e.Msg}})
		return e
	}
	e := rec{kind: eventlog.EntryAnswer, event: choice, prompt: s.prompt, shown: s.shown}
	if len(clean) > 0 {
		ch, _ := s.prompt.Choice(choice)
		e.input, e.fields = clean, ch.Fields
	}
	if err := s.take(ctx, fr, b, e); err != nil {
		return s.fail(fr, err)
	}
	return s.advance(ctx)
}

// OutcomeCancelled is the outcome of a session ended by Cancel.
const OutcomeCancelled = "cancelled"

// Cancel ends the session from outside (a person pressed Ctrl-C, a client
// gave up): it is logged, with the prompt it was waiting at, and the
// session ends with the outcome OutcomeCancelled, not a success, whose
// message is reason. Timers are disarmed. A session that has ended returns
// ErrFinished, or its run error.
func (s *Session) Cancel(reason string) (err error) {
	defer s.recoverStep(&err)
	if s.err != nil {
		return s.err
	}
	if s.done != nil {
		return ErrFinished
	}
	fr := s.top()
	out := &eventlog.Outcome{Name: OutcomeCancelled, State: fr.state.name, Message: reason}
	s.entry(rec{kind: eventlog.EntryCancel, prompt: s.prompt, shown: s.shown, outcome: out})
	s.done, s.prompt = out, nil
	for _, f := range s.frames {
		f.timers = nil
		f.clearIO()
	}
	return nil
}

var emptyMap = map[string]any{}

// Tick fires every timer that is due on the session clock and runs the
// session to its next prompt. It reports whether a timer fired.
func (s *Session) Tick(ctx context.Context) (fired bool, err error) {
	defer s.recoverStep(&err)
	s.beginStep()
	return s.tick(ctx)
}

// beginStep starts the budgets of one step: the states it may pass
// through, and the work of its expressions together.
func (s *Session) beginStep() {
	s.passed = 0
	s.budget.beginStep(s.root.limits)
}

// pass counts a state entered or a timer fired in this step, and reports
// whether the step has passed through more than maxRunSteps.
func (s *Session) pass() bool {
	s.passed++
	return s.passed > maxRunSteps
}

// tick is Tick within a step.
func (s *Session) tick(ctx context.Context) (fired bool, err error) {
	for !s.Done() {
		if s.pass() {
			return fired, s.fail(s.top(), fmt.Errorf("more than %d timers fired at once: a timer that re-arms itself with no delay?", maxRunSteps))
		}
		now := s.ports.Now()
		fi, ti := -1, -1
		for i, fr := range s.frames {
			for j, a := range fr.timers {
				if !a.due.After(now) && (fi < 0 || a.due.Before(s.frames[fi].timers[ti].due)) {
					fi, ti = i, j
				}
			}
		}
		if fi < 0 {
			return fired, nil
		}
		fired = true
		fr := s.frames[fi]
		t, due := fr.timers[ti].t, fr.timers[ti].due
		s.trigger = trigger{event: "after " + t.key}
		fr.timers = append(fr.timers[:ti:ti], fr.timers[ti+1:]...)
		fr.clearIO()
		b, err := s.choose(ctx, fr, t.handler)
		if err != nil {
			return fired, s.fail(fr, err)
		}
		// The timer is logged at the time it was due, whenever the clock
		// was looked at, but never before what the log already holds.
		at := due
		if s.log.n > 0 && s.log.last.After(at) {
			at = s.log.last
		}
		e := rec{kind: eventlog.EntryTimer, time: at, event: t.handler.event}
		if fi == len(s.frames)-1 && fr.state.kind == syntax.AskState {
			e.prompt, e.shown = s.prompt, s.shown
		}
		if b == nil {
			s.entry(e) // no branch holds: the timer lapses, subflows go on
			continue
		}
		if fi < len(s.frames)-1 {
			// A parent's timer that takes a branch abandons the subflows
			// above it.
			s.frames = s.frames[:fi+1]
		}
		if err := s.take(ctx, fr, b, e); err != nil {
			return fired, s.fail(fr, err)
		}
		if err := s.advance(ctx); err != nil {
			return fired, err
		}
	}
	return fired, nil
}

func (s *Session) top() *frame { return s.frames[len(s.frames)-1] }

// push starts a frame of flow f with its variables at their initial values,
// overridden by vars.
func (s *Session) push(f *Flow, vars map[string]any) *frame {
	env := make(map[string]any, len(f.vars)+4)
	for _, v := range f.vars {
		env[v.name] = copyValue(v.init)
	}
	for k, v := range vars {
		env[k] = v
	}
	return s.pushEnv(f, env)
}

// pushEnv starts a frame of flow f over env, which holds its variables.
func (s *Session) pushEnv(f *Flow, env map[string]any) *frame {
	env["policy"] = f.policy
	env["now"] = s.ports.Now
	env["input"] = emptyMap
	env["result"] = emptyMap
	fr := &s.rootFrame
	if s.frames == nil {
		s.frames = s.frame0[:0]
	} else {
		fr = new(frame)
	}
	*fr = frame{flow: f, env: env}
	s.frames = append(s.frames, fr)
	return fr
}

// copyValue copies lists and maps so that sessions never share them.
func copyValue(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = copyValue(x[i])
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = copyValue(e)
		}
		return out
	}
	return v
}

func (s *Session) entry(r rec) {
	s.seq++
	if r.time.IsZero() {
		r.time = s.ports.Now()
	}
	if len(s.frames) > 0 {
		r.st = s.top().state
	}
	s.log.add(&r)
}

// enter moves the top frame to st and arms st's timers.
func (s *Session) enter(ctx context.Context, st *state) error {
	fr := s.top()
	fr.state = st
	fr.timers = fr.timers[:0]
	if len(st.timers) == 0 {
		return nil
	}
	now := s.ports.Now()
	for _, t := range st.timers {
		v, err := s.evalValue(ctx, fr, t.delay, value.Duration)
		if err != nil {
			return s.fail(fr, &RunError{Pos: t.pos, Flow: fr.flow.name, State: st.name, Msg: "timer " + t.key, Err: err})
		}
		fr.timers = append(fr.timers, armed{t: t, due: now.Add(v.(time.Duration))})
	}
	return nil
}

// advance runs the session until it waits at a prompt or ends.
func (s *Session) advance(ctx context.Context) error {
	for !s.pass() {
		fr := s.top()
		st := fr.state
		switch st.kind {
		case syntax.AskState:
			p, err := s.makePrompt(ctx, fr, st)
			if err != nil {
				return s.fail(fr, err)
			}
			// The prompt is logged with whatever ends it: the answer, a
			// rejected answer or a timer. Current shows it meanwhile.
			s.prompt, s.shown = p, s.ports.Now()
			fr.clearIO()
			return nil
		case syntax.FinalState:
			out, err := s.finish(ctx, fr, st)
			if err != nil {
				return s.fail(fr, err)
			}
			kept := st.masked(out)
			s.entry(rec{kind: eventlog.EntryFinal, outcome: kept})
			if len(s.frames) == 1 {
				s.done, s.prompt = kept, nil
				fr.clearIO()
				return nil
			}
			s.frames = s.frames[:len(s.frames)-1]
			parent := s.top()
			e := rec{kind: eventlog.EntryTransition, event: out.Name}
			if err := s.handle(ctx, parent, parent.state.on[out.Name], out.Output, e); err != nil {
				return s.fail(parent, err)
			}
		case syntax.RunState:
			if sub := fr.flow.subflow(st); sub != nil {
				vars, err := s.args(ctx, fr, st)
				if err != nil {
					return s.fail(fr, err)
				}
				fr.clearIO() // the subflow's prompts replace the answer
				child := s.push(sub, vars)
				child.state = sub.start
				s.entry(rec{kind: eventlog.EntryStart, x: argsExtra(maskArgs(st, vars), nil)})
				if err := s.enter(ctx, child.flow.start); err != nil {
					return err
				}
				continue
			}
			if err := s.runAction(ctx, fr, st); err != nil {
				return s.fail(fr, err)
			}
		}
	}
	return s.fail(s.top(), fmt.Errorf("more than %d states passed without a prompt: a loop of run states?", maxRunSteps))
}

// PanicError is what a RunError wraps when a panic in a step (in the
// engine, or in an action) was recovered at the session boundary: one bad
// flow or action ends its session, not the process serving others. Its
// message withholds the value panicked with, which may hold anything a
// step handled, a secret included; Value and Stack are there for a
// program that chooses to log them.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string {
	return "a panic was recovered (its value is not shown: it may hold a secret)"
}

// recoverStep, deferred by every method that takes a step (Start, Send,
// Tick, Cancel), turns a panic into the RunError that ends the session, at
// the position of the state it was in, and sets *err to it.
func (s *Session) recoverStep(err *error) {
	r := recover()
	if r == nil {
		return
	}
	re := &RunError{Msg: "internal error", Err: &PanicError{Value: r, Stack: debug.Stack()}}
	if len(s.frames) > 0 && s.top().state != nil {
		fr := s.top()
		re.Pos, re.Flow, re.State = fr.state.decl.Pos, fr.flow.name, fr.state.name
	}
	*err = re
	if s.err != nil {
		return
	}
	s.err, s.prompt = re, nil
	func() {
		// The session may be half-way through a step: logging the error
		// must not panic in turn.
		defer func() { _ = recover() }()
		for _, f := range s.frames {
			f.clearIO()
		}
		if len(s.frames) > 0 {
			s.entry(rec{kind: eventlog.EntryError, x: &recExtra{err: re.Error()}})
		}
	}()
}

func (s *Session) fail(fr *frame, err error) error {
	if s.err != nil {
		return s.err
	}
	var re *RunError
	if !errors.As(err, &re) {
		re = &RunError{Pos: fr.state.decl.Pos, Flow: fr.flow.name, State: fr.state.name, Msg: "failed", Err: err}
	}
	s.err = re
	s.prompt = nil
	for _, f := range s.frames {
		f.clearIO()
	}
	s.entry(rec{kind: eventlog.EntryError, x: &recExtra{err: re.Error()}})
	return re
}

func (s *Session) runAction(ctx context.Context, fr *frame, st *state) error {
	runErr := func(msg string, err error) error {
		return &RunError{Pos: st.decl.Run.Pos, Flow: fr.flow.name, State: st.name, Msg: msg, Err: err}
	}
	act, ok := s.ports.Actions.lookup(st.spec.Name)
	if !ok {
		return runErr("action "+st.spec.Name+" is not available to this session", nil)
	}
	args, err := s.args(ctx, fr, st)
	if err != nil {
		return err
	}
	res, err := s.tryAction(ctx, st, act, args)
	switch {
	case err == nil:
	case st.spec.Remote && transient(ctx, err):
		// Every try the state allows failed to reach the remote system.
		res = Result{Outcome: OutcomeUnavailable}
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
		return runErr(fmt.Sprintf("action %s timed out after %s", st.spec.Name, s.timeout(fr, st)), err)
	default:
		return runErr("action "+st.spec.Name, err)
	}
	outputs, err := st.spec.CheckResult(res)
	if err != nil {
		return runErr("action "+st.spec.Name, err)
	}
	e := rec{kind: eventlog.EntryAction, event: res.Outcome, x: argsExtra(maskArgs(st, args), maskOutputs(st, outputs))}
	return s.handle(ctx, fr, st.on[res.Outcome], outputs, e)
}

// timeout is how long one try of st's action may take: the state's
// timeout:, else the action's own, else the flow's default.
func (s *Session) timeout(fr *frame, st *state) time.Duration {
	switch {
	case st.decl.Timeout > 0:
		return st.decl.Timeout
	case st.spec.Timeout > 0:
		return st.spec.Timeout
	}
	return fr.flow.timeout
}

// tryAction runs act as st's retry: allows, each try bounded by st's
// timeout and given the step's call keys (the same for every try), sleeping
// between tries on the session's Sleep. Only a Remote action's transient
// failures are tried again.
func (s *Session) tryAction(ctx context.Context, st *state, act Action, args Args) (Result, error) {
	fr := s.top()
	timeout := s.timeout(fr, st)
	attempts := 1
	if r := st.decl.Retry; r != nil && st.spec.Remote {
		attempts = r.Attempts
	}
	for n := 1; ; n++ {
		actx, cancel := context.WithTimeout(callkey.With(ctx, s.id, s.seq+1, s.trigger.event, s.trigger.input), timeout)
		res, err := act.Run(actx, args)
		cancel()
		if err == nil || n >= attempts || !transient(ctx, err) {
			return res, err
		}
		if serr := s.ports.Sleep(ctx, st.decl.Retry.Delay(n)); serr != nil {
			return Result{}, serr
		}
	}
}

// transient reports whether err, from a try of an action run under ctx, is
// a failure that trying again may cure: the remote system could not be
// reached, or the try ran out of its own time (not ctx's).
func transient(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	return errors.Is(err, ErrUnavailable) || errors.Is(err, context.DeadlineExceeded)
}

// handle takes the first branch of h that holds, with result.* set to
// result, and logs e with the branch taken.
func (s *Session) handle(ctx context.Context, fr *frame, h *handler, result map[string]any, e rec) error {
	if result == nil {
		result = emptyMap
	}
	if len(result) > 0 || fr.ioSet {
		fr.env["result"], fr.ioSet = result, true
	}
	b, err := s.choose(ctx, fr, h)
	if err != nil {
		return err
	}
	if b == nil {
		s.entry(e)
		return &RunError{Pos: h.pos, Flow: fr.flow.name, State: fr.state.name,
			Msg: fmt.Sprintf("no branch of %s holds", h.event)}
	}
	return s.take(ctx, fr, b, e)
}

// choose returns the first branch of h whose if holds, or nil.
func (s *Session) choose(ctx context.Context, fr *frame, h *handler) (*branch, error) {
	for _, b := range h.branches {
		if b.cond == nil {
			return b, nil
		}
		ok, err := s.evalBool(ctx, fr, b.cond)
		if err != nil {
			return nil, &RunError{Pos: b.pos, Flow: fr.flow.name, State: fr.state.name, Msg: "if " + b.condSrc, Err: err}
		}
		if ok {
			return b, nil
		}
	}
	return nil, nil
}

// take applies branch b: it evaluates every assignment against the values
// before any of them, moves the state machine, assigns, logs e (the answer,
// action outcome or timer that chose the branch) with the branch taken, and
// enters the target.
func (s *Session) take(ctx context.Context, fr *frame, b *branch, e rec) error {
	pairs := s.log.changeSlots(2 * len(b.set))
	for _, a := range b.set {
		v, err := s.evalValue(ctx, fr, a.prog, a.kind)
		if err != nil {
			clear(pairs)
			return &RunError{Pos: a.pos, Flow: fr.flow.name, State: fr.state.name, Msg: "set " + a.name, Err: err}
		}
		pairs = append(pairs, fr.env[a.name], v)
	}
	next := s.fire(fr, b)
	for i, a := range b.set {
		fr.env[a.name] = pairs[2*i+1]
		if fr.flow.sensitive[a.name] {
			pairs[2*i], pairs[2*i+1] = masked{}, nil
		}
	}
	e.b, e.changes = b, pairs
	s.entry(e)
	if b.target == nil {
		return nil
	}
	return s.enter(ctx, next)
}

// fire returns the state branch b moves the session to: its next state
// in looplab/fsm's transition table, read when the flow was compiled, or
// the state itself when the branch stays.
func (s *Session) fire(fr *frame, b *branch) *state {
	if b.target == nil {
		return fr.state
	}
	return b.next
}

var vmPool = sync.Pool{New: func() any { return new(vm.VM) }}

// eval evaluates e outside a step (no context to honour).
func (s *Session) eval(fr *frame, e *cexpr) (any, error) {
	return s.evalCtx(context.Background(), fr, e)
}

// evalCtx evaluates e in fr's environment under e's budgets, honouring
// ctx. Its error never quotes a value (evalError).
func (s *Session) evalCtx(ctx context.Context, fr *frame, e *cexpr) (any, error) {
	var b *evalBudget
	if e.budget {
		b = &s.budget
		b.reset(ctx, e.lim)
		if fr.env[budgetVar] != b {
			fr.env[budgetVar] = b
		}
	}
	m := vmPool.Get().(*vm.VM)
	m.MemoryBudget = uint(e.lim.MaxMemory)
	v, err := m.Run(e.prog, fr.env)
	vmPool.Put(m)
	if b != nil {
		b.ctx = nil
	}
	if err != nil {
		return nil, newEvalError(e, fr.env, b, err)
	}
	return v, nil
}

// evalBool evaluates a guard: a bool, whatever its static type.
func (s *Session) evalBool(ctx context.Context, fr *frame, e *cexpr) (bool, error) {
	v, err := s.evalCtx(ctx, fr, e)
	if err != nil {
		return false, err
	}
	ok, isBool := v.(bool)
	if !isBool {
		return false, &evalError{src: e.src, reason: "it gave " + value.Describe(v) + ", not a bool", kinds: kindsRead(e, fr.env)}
	}
	return ok, nil
}

// evalValue evaluates an expression whose value leaves it for a place
// of kind k (a variable, a parameter, an output, a text): the value is
// converted to k as Coerce does and held to the value budget.
func (s *Session) evalValue(ctx context.Context, fr *frame, e *cexpr, k value.Kind) (any, error) {
	v, err := s.evalCtx(ctx, fr, e)
	if err != nil {
		return nil, err
	}
	if v, err = asKind(k, v); err != nil {
		return nil, &evalError{src: e.src, reason: err.Error(), kinds: kindsRead(e, fr.env)}
	}
	if err := checkValueSize(v, e.lim); err != nil {
		return nil, &evalError{src: e.src, reason: budgetReason(err), err: err}
	}
	return v, nil
}

// args evaluates a run state's with: parameters.
func (s *Session) args(ctx context.Context, fr *frame, st *state) (map[string]any, error) {
	args := make(map[string]any, len(st.with))
	for _, a := range st.with {
		v, err := s.evalValue(ctx, fr, a.prog, a.kind)
		if err != nil {
			return nil, &RunError{Pos: a.pos, Flow: fr.flow.name, State: st.name, Msg: "parameter " + a.name, Err: err}
		}
		args[a.name] = v
	}
	return args, nil
}

// maskArgs returns the arguments of st's action as the log records them:
// secrets masked, and optional parameters passed the empty string left
// out, as not given (a sign-in without a CAPTCHA answer shows no empty
// captcha_id and captcha).
func maskArgs(st *state, args map[string]any) []eventlog.Value {
	if len(args) == 0 {
		return nil
	}
	out := make([]eventlog.Value, 0, len(args))
	for _, a := range st.with {
		v, ok := args[a.name]
		if !ok {
			continue
		}
		if v == "" && st.spec != nil {
			if p, _ := st.spec.Param(a.name); !p.Required {
				continue
			}
		}
		if a.secret {
			v = nil
		}
		out = append(out, eventlog.Value{Name: a.name, Value: v, Secret: a.secret})
	}
	return out
}

// maskOutputs returns the outputs of st's action as the log records them:
// secret and sensitive ones masked.
func maskOutputs(st *state, outputs map[string]any) []eventlog.Value {
	if len(outputs) == 0 {
		return nil
	}
	out := make([]eventlog.Value, 0, len(outputs))
	for _, o := range st.spec.Outputs {
		v := outputs[o.Name]
		// An empty output has nothing to hide, and showing it as empty
		// (left out of the transcript) says which outcome had no ticket.
		masked := (o.Secret || st.sensitiveOut[o.Name]) && !value.IsZero(v)
		if masked {
			v = nil
		}
		out = append(out, eventlog.Value{Name: o.Name, Value: v, Secret: masked})
	}
	return out
}

// argsExtra returns what an entry with action arguments or outputs keeps
// of them, or nil when there are none.
func argsExtra(args, outputs []eventlog.Value) *recExtra {
	if args == nil && outputs == nil {
		return nil
	}
	return &recExtra{args: args, outputs: outputs}
}

// makePrompt returns the prompt of ask state st. A prompt that depends on
// nothing (no {{ }} in its text, no field with an if) is built once at
// compile time and shared; prompts are never modified after they are made.
func (s *Session) makePrompt(ctx context.Context, fr *frame, st *state) (*prompt.Prompt, error) {
	if st.static != nil {
		return st.static, nil
	}
	p := &prompt.Prompt{}
	title, err := s.renderText(ctx, fr, st.text)
	if err != nil {
		return nil, err
	}
	if title != nil {
		p.Title = *title
	}
	if p.Body, err = s.renderText(ctx, fr, st.body); err != nil {
		return nil, err
	}
	if p.Help, err = s.renderText(ctx, fr, st.help); err != nil {
		return nil, err
	}
	if st.fixed != nil {
		p.Fields, p.Choices = st.fixed.Fields, st.fixed.Choices
		return p, nil
	}
	return p, s.promptParts(ctx, fr, st, p)
}

// promptParts fills in the fields and choices of prompt p.
func (s *Session) promptParts(ctx context.Context, fr *frame, st *state, p *prompt.Prompt) error {
	fail := func(pos yamlfile.Pos, what string, err error) error {
		return &RunError{Pos: pos, Flow: fr.flow.name, State: st.name, Msg: what, Err: err}
	}
	for _, f := range st.fields {
		d := f.decl
		if f.cond != nil {
			ok, err := s.evalBool(ctx, fr, f.cond)
			if err != nil {
				return fail(d.Pos, "if of field "+d.Name, err)
			}
			if !ok {
				continue
			}
		}
		field := prompt.Field{Name: d.Name, Type: d.Type, Optional: d.Optional, Length: d.Length}
		label, err := s.renderText(ctx, fr, f.label)
		if err != nil {
			return err
		}
		if label != nil {
			field.Label = *label
		}
		if field.Hint, err = s.renderText(ctx, fr, f.hint); err != nil {
			return err
		}
		for _, o := range d.Options {
			field.Options = append(field.Options, prompt.Option{Value: o, Label: prompt.Message{Text: o}})
		}
		if f.options != nil {
			v, err := s.evalValue(ctx, fr, f.options, value.List)
			if err == nil {
				field.Options, err = options(fr.flow, v)
			}
			if err != nil {
				return fail(d.OptionsExpr.Pos, "options of field "+d.Name, err)
			}
			if len(field.Options) == 0 {
				// Nothing to pick: the field is not shown, as when its
				// if fails, and input.* holds its zero value.
				continue
			}
		}
		if f.prefill != nil {
			v, err := s.evalValue(ctx, fr, f.prefill, value.String)
			if err != nil {
				return fail(d.Prefill.Pos, "prefill of field "+d.Name, err)
			}
			field.Prefill, _ = v.(string)
		}
		p.Fields = append(p.Fields, field)
	}
	for i, c := range st.choices {
		ch := prompt.Choice{Name: c.Name, Role: c.Role}
		if ch.Role == "" {
			ch.Role = prompt.Secondary
			if i == 0 {
				ch.Role = prompt.Primary
			}
		}
		label, err := s.renderText(ctx, fr, st.labels[i])
		if err != nil {
			return err
		}
		if label != nil {
			ch.Label = *label
		}
		if u := st.urls[i]; u != nil {
			v, err := s.evalValue(ctx, fr, u, value.String)
			if err != nil {
				return fail(c.URL.Pos, "url of choice "+c.Name, err)
			}
			ch.URL, _ = v.(string)
		}
		if ch.Role != prompt.Link {
			for _, f := range p.Fields {
				if c.Fields == nil || contains(c.Fields, f.Name) {
					ch.Fields = append(ch.Fields, f.Name)
				}
			}
		}
		p.Choices = append(p.Choices, ch)
	}
	return s.markAvailability(ctx, fr, st, p)
}

// options reads a choice field's computed options: strings, or maps with
// a string value, an optional label (a text or a message) and data of the
// flow's own (the other keys).
func options(fl *Flow, v any) ([]prompt.Option, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("want a list, got %s", value.Describe(v))
	}
	out := make([]prompt.Option, 0, len(list))
	for i, e := range list {
		switch x := e.(type) {
		case string:
			out = append(out, prompt.Option{Value: x, Label: prompt.Message{Text: x}})
		case map[string]any:
			val, ok := x["value"].(string)
			if !ok {
				return nil, fmt.Errorf("item %d: want a string value", i+1)
			}
			o := prompt.Option{Value: val, Label: prompt.Message{Text: val}}
			switch l := x["label"].(type) {
			case nil:
			case string:
				if l != "" {
					o.Label.Text = l
				}
			default:
				m, ok := prompt.ValueMessage(l)
				if !ok {
					return nil, fmt.Errorf("item %d: the label is %s, want a text or a message", i+1, value.Describe(l))
				}
				m.Text = sourceText(fl, m)
				o.Label = m
			}
			for k, d := range x {
				if k == "value" || k == "label" {
					continue
				}
				if o.Data == nil {
					o.Data = map[string]any{}
				}
				o.Data[k] = d
			}
			out = append(out, o)
		default:
			return nil, fmt.Errorf("item %d: want a string or a {value, label} map, got %s", i+1, value.Describe(e))
		}
	}
	return out, nil
}

func (s *Session) finish(ctx context.Context, fr *frame, st *state) (*eventlog.Outcome, error) {
	out := &eventlog.Outcome{Name: st.decl.Outcome.Name, Success: st.decl.Success, State: st.name}
	var err error
	if out.Text, err = s.renderText(ctx, fr, st.message); err != nil {
		return nil, err
	}
	if out.Text != nil {
		out.Message = out.Text.Text
	}
	if len(st.output) > 0 {
		out.Output = make(map[string]any, len(st.output))
		for _, a := range st.output {
			v, err := s.evalValue(ctx, fr, a.prog, a.kind)
			if err != nil {
				return nil, &RunError{Pos: a.pos, Flow: fr.flow.name, State: st.name, Msg: "output " + a.name, Err: err}
			}
			out.Output[a.name] = v
		}
	}
	return out, nil
}

// validate checks an answer against the prompt and returns the input the
// handlers will see: every field of the prompt present (those not shown or
// not taken by the choice hold their zero value).
func (s *Session) validate(st *state, choice string, input map[string]any) (map[string]any, *InputError) {
	p := s.prompt
	ch, ok := p.Choice(choice)
	if !ok {
		names := make([]string, len(p.Choices))
		for i, c := range p.Choices {
			names[i] = c.Name
		}
		return nil, &InputError{Msg: fmt.Sprintf("unknown choice %q (choose one of: %s)", choice, strings.Join(names, ", ")),
			ID: "input.unknown_choice", Params: map[string]any{"choices": strings.Join(names, ", ")}}
	}
	if ch.Role == prompt.Link {
		return nil, &InputError{Msg: fmt.Sprintf("%s is a link to follow, not an answer", choice), ID: "input.link"}
	}
	for name := range input {
		if _, shown := p.Field(name); !shown {
			known := false
			for _, f := range st.fields {
				known = known || f.decl.Name == name
			}
			if !known {
				return nil, &InputError{Field: name, Msg: "no such field in this prompt", ID: "input.unknown_field"}
			}
		}
	}
	if len(ch.Fields) == 0 {
		// Nothing to fill in: share the state's all-zero input (no map
		// write when the prompt has no fields and input.* is empty).
		if fr := s.top(); len(st.zeroInput) > 0 || fr.ioSet {
			fr.setInput(st.zeroInput)
		}
		return st.zeroInput, nil
	}
	// input.* lives for this step only, and whatever keeps a value from
	// it copies it (a variable, a parameter). An answer that gives every
	// field of the state, each as validation leaves it, is input.* as it
	// is; otherwise the session reuses one map rather than cloning the
	// prompt's zero input for every answer.
	asIs := len(input) == len(ch.Fields) && len(ch.Fields) == len(st.zeroInput)
	var clean map[string]any
	for i, name := range ch.Fields {
		f, _ := p.Field(name)
		raw, given := input[name]
		v, err := checkField(f, raw)
		if err != nil {
			return nil, err
		}
		if asIs && given && v == raw {
			continue
		}
		if asIs = false; clean == nil {
			clean = s.input
			if clean == nil {
				clean = make(map[string]any, len(st.zeroInput))
				s.input = clean
			}
			clear(clean)
			maps.Copy(clean, st.zeroInput)
			for _, prev := range ch.Fields[:i] {
				clean[prev] = input[prev] // as it came, as validated
			}
		}
		clean[name] = v
	}
	if clean == nil {
		clean = input
	}
	s.top().setInput(clean)
	return clean, nil
}

// checkField validates one field's value.
func checkField(f prompt.Field, v any) (any, *InputError) {
	bad := func(id string, params map[string]any, format string, args ...any) (any, *InputError) {
		return nil, &InputError{Field: f.Name, Msg: fmt.Sprintf(format, args...), ID: "input." + id, Params: params}
	}
	if f.Type == prompt.ConsentField {
		switch x := v.(type) {
		case bool:
			return x, nil
		case nil:
			if f.Optional {
				return false, nil
			}
			return bad("yes_no", nil, "answer yes or no")
		case string:
			switch strings.ToLower(strings.TrimSpace(x)) {
			case "yes", "y", "true":
				return true, nil
			case "no", "n", "false":
				return false, nil
			case "":
				if f.Optional {
					return false, nil
				}
			}
		}
		return bad("yes_no", nil, "answer yes or no")
	}
	if f.Type == prompt.NumberField {
		switch x := v.(type) {
		case int:
			return v, nil // as it came: boxing x again would allocate
		case float64:
			if x == float64(int(x)) {
				return int(x), nil
			}
		case string:
			if n, err := strconv.Atoi(strings.TrimSpace(x)); err == nil {
				return n, nil
			}
		case nil:
			if f.Optional {
				return 0, nil
			}
			return bad("required", nil, "a number is required")
		}
		return bad("number", nil, "must be a whole number")
	}
	var str string
	switch x := v.(type) {
	case nil:
	case string:
		str = x
	default:
		return bad("text", nil, "must be text")
	}
	if f.Type != prompt.SecretField {
		str = strings.TrimSpace(str)
	}
	if str == "" {
		if f.Optional {
			return "", nil
		}
		return bad("required", nil, "is required")
	}
	switch f.Type {
	case prompt.EmailField:
		a, err := mail.ParseAddress(str)
		if err != nil || a.Address != str || !strings.Contains(str[strings.LastIndexByte(str, '@')+1:], ".") {
			return bad("email", nil, "not an email address") // the value is not echoed: it may be a mistyped password
		}
	case prompt.CodeField:
		for _, r := range str {
			if r < '0' || r > '9' {
				return bad("code_digits", nil, "the code is digits only")
			}
		}
		if f.Length > 0 && len(str) != f.Length {
			return bad("code_length", map[string]any{"length": f.Length}, "the code has %d digits", f.Length)
		}
	case prompt.ChoiceField:
		if _, ok := f.Option(str); !ok {
			opts := make([]string, len(f.Options))
			for i, o := range f.Options {
				opts[i] = o.Value
			}
			sort.Strings(opts)
			return bad("option", nil, "%q is not one of: %s", str, strings.Join(opts, ", "))
		}
	}
	return str, nil
}
