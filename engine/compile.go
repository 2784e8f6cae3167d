package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	exprcompiler "github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/optimizer"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/types"
	"github.com/expr-lang/expr/vm"
	"github.com/looplab/fsm"
	"github.com/tetherflow/tether/engine/prompt"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/value"
	"github.com/tetherflow/tether/engine/yamlfile"
	"github.com/tetherflow/tether/internal/suggest"
)

// Compile checks a loaded flow against the actions in reg and compiles it.
// It reports every problem it finds, sorted, as an ErrorList.
func Compile(f *syntax.File, reg *Registry, opts ...Option) (*Flow, error) {
	cfg := newConfig(opts)
	if reg == nil {
		reg = &Registry{}
	}
	c := &compiler{cfg: cfg, reg: reg, flows: map[string]*Flow{}}
	fl := c.flow(f)
	c.errs.Sort()
	if err := c.errs.Err(); err != nil {
		return nil, err
	}
	return fl, nil
}

type compiler struct {
	cfg    config
	reg    *Registry
	errs   yamlfile.ErrorList
	flows  map[string]*Flow // compiled subflows by name
	active []string         // flows being compiled, for cycle detection
	// secrets holds, per flow, the names of its secret prompt fields.
	secrets map[*Flow]map[string]bool
	// configs holds expr's configuration per scope key (exprConfig);
	// envs the environment of each scope key, its flow, and the key.
	configs map[string]*conf.Config
	// baseConfig is what every configuration shares (exprConfig).
	baseConfig *conf.Config
	envs       map[string]*scopeEnv
	// keyBuf and keysBuf are scratch space for scope keys.
	keyBuf  []byte
	keysBuf []string
	// compiled holds every expression compiled without error, by source,
	// scope key and wanted kind: flows repeat expressions ({{ notice }},
	// a guard on two branches), and each is compiled once per scope.
	compiled map[exprKey]compiledExpr
}

type exprKey struct {
	src, scope string
	want       value.Kind
}

type compiledExpr struct {
	ce   *cexpr
	kind value.Kind
}

var reserved = []string{"policy", "input", "result", "now"}

func (c *compiler) flow(f *syntax.File) *Flow {
	fl := &Flow{
		name: f.Flow.Name, title: f.Title, file: f,
		byName: map[string]*state{}, varIdx: map[string]int{},
		policy: map[string]any{}, pkinds: map[string]value.Kind{}, psource: map[string]yamlfile.Pos{},
		timeout: c.cfg.timeout, limits: c.cfg.limits,
	}
	sum := sha256.Sum256(f.Source)
	fl.srcSum = hex.EncodeToString(sum[:])
	c.active = append(c.active, fl.name)
	defer func() { c.active = c.active[:len(c.active)-1] }()

	for _, v := range f.Vars {
		if contains(reserved, v.Name) {
			c.errs.Add(v.Pos, "variable %s: %q is reserved (%s)", v.Name, v.Name, strings.Join(reserved, ", "))
			continue
		}
		fl.varIdx[v.Name] = len(fl.vars)
		fl.vars = append(fl.vars, varInfo{name: v.Name, kind: v.Kind, init: v.Value, pos: v.Pos})
	}
	c.sensitiveVars(fl, f)
	for _, p := range f.Policy {
		fl.policy[p.Name], fl.pkinds[p.Name], fl.psource[p.Name] = p.Value, p.Kind, p.VPos
	}
	fl.messages = make(map[string]*prompt.Source, len(f.Messages))
	for _, m := range f.Messages {
		fl.messages[m.ID] = m.Source
	}
	for i, d := range f.States {
		s := &state{id: i, decl: d, name: d.Name, kind: d.Kind, flow: fl, on: map[string]*handler{}}
		fl.states = append(fl.states, s)
		fl.byName[d.Name] = s
	}
	if s, ok := fl.byName[f.Start.Name]; ok {
		fl.start = s
	} else if f.Start.Name != "" {
		c.errs.Add(f.Start.Pos, "start: unknown state %s%s", f.Start.Name, suggest.Hint(f.Start.Name, fl.stateNames()))
	}
	outcomes := map[string]bool{}
	for _, s := range fl.states {
		if s.kind == syntax.FinalState {
			outcomes[s.decl.Outcome.Name] = true
		}
	}
	for o := range outcomes {
		fl.outcomes = append(fl.outcomes, o)
	}
	sort.Strings(fl.outcomes)
	if len(fl.outcomes) == 0 && len(fl.states) > 0 {
		c.errs.Add(f.Flow.Pos, "flow %s has no final state", fl.name)
	}

	// Resolve what each state runs and which events it can receive.
	for _, s := range fl.states {
		c.resolveRun(fl, s)
		c.sensitiveOutputs(s)
	}
	// Resolve handlers and branch targets.
	for _, s := range fl.states {
		c.handlers(fl, s)
	}
	for _, s := range fl.states {
		s.hs = s.handlers()
	}
	inputs := c.inputTypes(fl)
	policyType := types.Map{}
	for k, kind := range fl.pkinds {
		policyType[k] = exprType(kind)
	}
	c.policyRules(fl, f.PolicyRules, policyType)
	c.migrations(fl, f)
	c.compileStates(fl, inputs, policyType)
	c.properties(fl, f.Properties, policyType)
	if fl.start != nil {
		c.graphChecks(fl)
	}
	c.buildFSM(fl)
	fl.subs = make([]*Flow, len(fl.states))
	for _, s := range fl.states {
		fl.subs[s.id] = s.sub
	}
	fl.hash = flowHash(fl)
	fl.info = new(lazyInfo)
	return fl
}

// resolveRun finds the action or subflow of a run state.
func (c *compiler) resolveRun(fl *Flow, s *state) {
	d := s.decl
	switch s.kind {
	case syntax.AskState:
		s.choices = d.Ask.Choices
		for _, ch := range s.choices {
			if ch.Role != prompt.Link { // a link is followed, never answered
				s.events = append(s.events, ch.Name)
			}
		}
	case syntax.RunState:
		if name, ok := d.Subflow(); ok {
			if d.Timeout > 0 || d.Retry != nil {
				c.errs.Add(d.Run.Pos, "state %s runs flow %s: timeout and retry belong to states that run an action", s.name, name)
			}
			s.sub = c.subflow(name, d.Run.Pos)
			if s.sub != nil {
				s.events = append(s.events, s.sub.outcomes...)
			}
			return
		}
		spec, ok := c.reg.spec(d.Run.Name)
		if !ok {
			c.errs.Add(d.Run.Pos, "unknown action %s%s", d.Run.Name, suggest.Hint(d.Run.Name, c.reg.names()))
			return
		}
		s.spec = spec
		s.events = append(s.events, spec.Outcomes...)
		if d.Retry != nil && !spec.Remote {
			c.errs.Add(d.Retry.Pos, "retry: action %s does not reach a remote system, so none of its failures is retried", spec.Name)
		}
	}
}

func (c *compiler) subflow(name string, pos yamlfile.Pos) *Flow {
	if contains(c.active, name) {
		c.errs.Add(pos, "subflow cycle: %s runs %s", strings.Join(c.active, " runs "), name)
		return nil
	}
	if fl, ok := c.flows[name]; ok {
		return fl
	}
	if c.cfg.resolve == nil {
		c.errs.Add(pos, "unknown flow %s (no subflows are available)", name)
		return nil
	}
	f, err := c.cfg.resolve(name)
	if err != nil {
		var list yamlfile.ErrorList
		if errors.As(err, &list) {
			c.errs = append(c.errs, list...)
			c.errs.Add(pos, "flow %s has errors", name)
			return nil
		}
		c.errs.Add(pos, "unknown flow %s: %v", name, err)
		return nil
	}
	if f.Flow.Name != name {
		c.errs.Add(pos, "flow:%s names a file whose flow is %q", name, f.Flow.Name)
		return nil
	}
	n := len(c.errs)
	fl := c.flow(f)
	if len(c.errs) > n {
		return nil
	}
	c.flows[name] = fl
	return fl
}

// handlers resolves the on: and after: of a state and checks that it
// handles exactly the events it can receive.
func (c *compiler) handlers(fl *Flow, s *state) {
	d := s.decl
	known := s.kind != syntax.RunState || s.spec != nil || s.sub != nil
	for _, h := range d.On {
		if known && !contains(s.events, h.Event) {
			c.errs.Add(h.Pos, "state %s never receives %s%s", s.name, h.Event, c.receives(s))
		}
		s.on[h.Event] = c.branches(fl, s, h.Event, h.Pos, h.Branches)
	}
	if known {
		for _, ev := range s.events {
			if _, ok := s.on[ev]; !ok {
				c.errs.Add(d.Pos, "state %s does not handle %s", s.name, c.eventDesc(s, ev))
			}
		}
	}
	for _, t := range d.After {
		if s.kind == syntax.RunState && s.sub == nil {
			c.errs.Add(t.Pos, "timer in state %s: a run state does not wait, so its timers never fire (timers belong to ask states and subflow states)", s.name)
		}
		s.timers = append(s.timers, &ctimer{decl: t, key: t.Key, pos: t.Pos, handler: c.branches(fl, s, "after "+t.Key, t.Pos, t.Branches)})
	}
}

func (c *compiler) receives(s *state) string {
	if len(s.events) == 0 {
		return ""
	}
	what := "choices"
	if s.kind == syntax.RunState {
		what = "outcomes"
	}
	return fmt.Sprintf(" (its %s: %s)", what, strings.Join(s.events, ", "))
}

func (c *compiler) eventDesc(s *state, ev string) string {
	switch {
	case s.kind == syntax.AskState:
		return "choice " + ev
	case s.sub != nil:
		return fmt.Sprintf("outcome %s of flow %s", ev, s.sub.name)
	case s.spec != nil:
		return fmt.Sprintf("outcome %s of action %s", ev, s.spec.Name)
	}
	return ev
}

func (c *compiler) branches(fl *Flow, s *state, event string, pos yamlfile.Pos, bs []*syntax.Branch) *handler {
	h := &handler{event: event, pos: pos}
	for i, b := range bs {
		cb := &branch{event: event, idx: i, pos: b.Pos}
		if b.If != nil {
			cb.condSrc = b.If.Src
		}
		if i > 0 && bs[i-1].If == nil {
			c.errs.Add(b.Pos, "branch %d of %s in state %s is never tried: the branch before it has no if", i+1, event, s.name)
		}
		if b.Go.Name != "" {
			t, ok := fl.byName[b.Go.Name]
			if !ok {
				c.errs.Add(b.Go.Pos, "unknown state %s%s", b.Go.Name, suggest.Hint(b.Go.Name, fl.stateNames()))
			}
			cb.target = t
		} else if s.kind == syntax.RunState {
			c.errs.Add(b.Pos, "branch of %s in run state %s must say where to go (a run state cannot stay)", event, s.name)
		}
		h.branches = append(h.branches, cb)
	}
	return h
}

// inputTypes works out, for every state, which prompt fields input.* holds
// there: the fields common to every prompt whose answer can reach the state
// through run states alone. Ask states see their own fields; a state that
// can be reached without an answer (from the start, a timer or a subflow's
// end) sees none.
func (c *compiler) inputTypes(fl *Flow) map[*state]types.Map {
	type fieldKind struct {
		kind   value.Kind
		secret bool
	}
	sets := map[*state]map[string]fieldKind{}
	var visit func(s *state, src map[string]fieldKind)
	meet := func(s *state, src map[string]fieldKind) bool {
		cur, seen := sets[s]
		if !seen {
			cp := make(map[string]fieldKind, len(src))
			for k, v := range src {
				cp[k] = v
			}
			sets[s] = cp
			return true
		}
		changed := false
		for k, v := range cur {
			if w, ok := src[k]; !ok || w != v {
				delete(cur, k)
				changed = true
			}
		}
		return changed
	}
	visit = func(s *state, src map[string]fieldKind) {
		if s == nil || s.kind != syntax.RunState {
			return
		}
		if !meet(s, src) {
			return
		}
		next := sets[s]
		if s.sub != nil {
			next = nil // the subflow's prompts replace the answer
		}
		for _, h := range s.on {
			for _, b := range h.branches {
				visit(b.target, next)
			}
		}
	}
	visit(fl.start, nil)
	for _, s := range fl.states {
		if s.kind == syntax.RunState {
			// A subflow state's timers move on with no answer at all.
			for _, t := range s.timers {
				for _, b := range t.handler.branches {
					visit(b.target, nil)
				}
			}
		}
		if s.kind != syntax.AskState {
			continue
		}
		own := map[string]fieldKind{}
		for _, f := range s.decl.Ask.Fields {
			own[f.Name] = fieldKind{f.Type.Kind(), f.Type.Secret()}
		}
		sets[s] = own
		for _, h := range s.on {
			for _, b := range h.branches {
				visit(b.target, own)
			}
		}
		for _, t := range s.timers {
			for _, b := range t.handler.branches {
				visit(b.target, nil)
			}
		}
	}
	out := map[*state]types.Map{}
	for s, fields := range sets {
		m := types.Map{}
		for k, v := range fields {
			m[k] = exprType(v.kind)
		}
		out[s] = m
	}
	return out
}

// scope is what an expression may refer to.
type scope struct {
	flow         *Flow // whose messages message() names; nil for policy rules
	env          types.Map
	key          string // the flow and the types of input.* and result.*: equal keys, equal envs
	flowKey      string // the flow alone, for expressions that read neither input.* nor result.*
	secretInput  map[string]bool
	secretResult map[string]bool
	// sensitiveVars are the flow's sensitive variables; sensitiveResult
	// the sensitive outputs of the state's action or subflow.
	sensitiveVars   map[string]bool
	sensitiveResult map[string]bool
}

// scopeEnv is the environment of a scope key.
type scopeEnv struct {
	key  string
	env  types.Map
	flow *Flow
}

func (c *compiler) scope(fl *Flow, policy, input, result types.Map, secretIn, secretRes map[string]bool) *scope {
	// Scopes differ only in input.* and result.*: one environment per
	// distinct pair is built, and shared. The key is built in scratch
	// space, and a string of it made only for a new one.
	key := append(c.keyBuf[:0], fl.name...)
	for _, m := range [2]types.Map{input, result} {
		key = append(key, '|')
		names := c.keysBuf[:0]
		for k := range m {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			key = append(key, k...)
			key = append(key, ':')
			key = append(key, m[k].String()...)
			key = append(key, ',')
		}
		c.keysBuf = names
	}
	c.keyBuf = key
	sc := &scope{flow: fl, flowKey: fl.name, secretInput: secretIn, secretResult: secretRes, sensitiveVars: fl.sensitive}
	if se, ok := c.envs[string(key)]; ok && se.flow == fl {
		sc.key, sc.env = se.key, se.env
		return sc
	}
	sc.key = string(key)
	env := types.Map{"policy": policy, "now": nowFuncType}
	for _, v := range fl.vars {
		env[v.name] = exprType(v.kind)
	}
	if input == nil {
		input = types.Map{}
	}
	if result == nil {
		result = types.Map{}
	}
	env["input"], env["result"] = input, result
	if c.envs == nil {
		c.envs = map[string]*scopeEnv{}
	}
	c.envs[sc.key] = &scopeEnv{key: sc.key, env: env, flow: fl}
	sc.env = env
	return sc
}

// minParallelStates is the size from which a flow's states are compiled
// on every core: below it, starting workers costs more than it saves.
const minParallelStates = 64

// compileStates compiles the expressions of every state of fl. They are
// independent of one another, so large flows compile them on every core,
// each worker with its own expr configurations and its own errors, merged
// (and sorted) afterwards.
func (c *compiler) compileStates(fl *Flow, inputs map[*state]types.Map, policy types.Map) {
	workers := min(runtime.GOMAXPROCS(0), len(fl.states)/minParallelStates)
	if workers <= 1 {
		for _, s := range fl.states {
			c.compileState(fl, s, inputs[s], policy)
		}
		return
	}
	c.secretFields(fl) // computed once, then only read
	ws := make([]*compiler, workers)
	var wg sync.WaitGroup
	for i := range ws {
		w := &compiler{cfg: c.cfg, reg: c.reg, secrets: c.secrets, baseConfig: c.base()}
		ws[i] = w
		wg.Go(func() {
			for k := i; k < len(fl.states); k += workers {
				w.compileState(fl, fl.states[k], inputs[fl.states[k]], policy)
			}
		})
	}
	wg.Wait()
	for _, w := range ws {
		c.errs = append(c.errs, w.errs...)
	}
}

func (c *compiler) compileState(fl *Flow, s *state, input types.Map, policy types.Map) {
	d := s.decl
	secretIn := map[string]bool{}
	if s.kind == syntax.AskState {
		input = types.Map{}
		for _, f := range d.Ask.Fields {
			input[f.Name] = exprType(f.Type.Kind())
			if f.Type.Secret() {
				secretIn[f.Name] = true
			}
		}
	}
	// Secret inputs reaching a run state: any field of a secret type among
	// the prompts that feed it is secret, judged by name.
	if s.kind == syntax.RunState {
		for name := range c.secretFields(fl) {
			if _, ok := input[name]; ok {
				secretIn[name] = true
			}
		}
	}
	plain := c.scope(fl, policy, nil, nil, nil, nil)
	withIn := c.scope(fl, policy, input, nil, secretIn, nil)

	switch s.kind {
	case syntax.RunState:
		c.compileWith(fl, s, withIn)
	case syntax.AskState:
		a := d.Ask
		s.text = c.text(a.Text, plain, "prompt text")
		s.body = c.text(a.Body, plain, "prompt body")
		s.help = c.text(a.Help, plain, "prompt help")
		s.zeroInput = make(map[string]any, len(a.Fields))
		for _, f := range a.Fields {
			s.zeroInput[f.Name] = f.Type.Kind().Zero()
			cf := &cfield{decl: f}
			if f.If != nil {
				cf.cond, _ = c.compile(f.If, plain, value.Bool, "if")
			}
			cf.label = c.text(f.Label, plain, "label of field "+f.Name)
			cf.hint = c.text(f.Hint, plain, "hint of field "+f.Name)
			if f.OptionsExpr != nil {
				cf.options, _ = c.compile(f.OptionsExpr, plain, value.List, "options")
				c.noSecrets(f.OptionsExpr, cf.options, plain, "options")
			}
			if f.Prefill != nil {
				cf.prefill, _ = c.compile(f.Prefill, plain, value.String, "prefill")
				c.noSecrets(f.Prefill, cf.prefill, plain, "prefill")
			}
			s.fields = append(s.fields, cf)
		}
		for _, ch := range s.choices {
			s.labels = append(s.labels, c.text(ch.Label, plain, "label of choice "+ch.Name))
			var url *cexpr
			if ch.URL != nil {
				url, _ = c.compile(ch.URL, plain, value.String, "url of choice "+ch.Name)
				c.noSecrets(ch.URL, url, plain, "url of choice "+ch.Name)
			}
			s.urls = append(s.urls, url)
		}
		c.compileAvailability(s, plain)
		if c.errs == nil || len(c.errs) == 0 {
			s.fixed = fixedParts(s)
			s.static = staticPrompt(s)
		}
		for _, ch := range s.choices {
			for _, fname := range ch.Fields {
				if _, ok := input[fname]; !ok {
					c.errs.Add(ch.Pos, "choice %s takes field %s, which the prompt does not have", ch.Name, fname)
				}
			}
		}
	case syntax.FinalState:
		s.message = c.text(d.Message, plain, "message")
		for _, a := range d.Output {
			p, _ := c.compile(a.Expr, plain, value.Any, "output "+a.Name)
			c.noSecretsKept(a.Expr, p, plain, "output "+a.Name, s.sensitiveOut[a.Name], "list it in the state's sensitive:")
			s.output = append(s.output, &cassign{name: a.Name, pos: a.Pos, kind: value.Any, prog: p, secret: s.sensitiveOut[a.Name]})
		}
	}

	for ev, h := range s.on {
		result, secretRes := c.resultType(s, ev)
		h.secretResult = secretRes
		in := input
		if s.sub != nil {
			in = nil
		}
		sc := c.scope(fl, policy, in, result, secretIn, secretRes)
		sc.sensitiveResult = s.sensitiveOut
		c.compileHandler(fl, s, h, sc)
	}
	for _, t := range s.timers {
		sc := c.scope(fl, policy, nil, nil, nil, nil)
		delay := t.decl.Delay
		if syntax.IsDuration(t.key) {
			delay = &syntax.Expr{Src: fmt.Sprintf("duration(%q)", t.key), Pos: t.pos}
		}
		t.delay, _ = c.compile(delay, sc, value.Duration, "timer delay")
		c.compileHandler(fl, s, t.handler, sc)
	}
}

// secretFields returns the names of the fields of a secret type in any
// prompt of fl, computed once per flow.
func (c *compiler) secretFields(fl *Flow) map[string]bool {
	if m, ok := c.secrets[fl]; ok {
		return m
	}
	m := map[string]bool{}
	for _, o := range fl.states {
		if o.kind == syntax.AskState {
			for _, f := range o.decl.Ask.Fields {
				if f.Type.Secret() {
					m[f.Name] = true
				}
			}
		}
	}
	if c.secrets == nil {
		c.secrets = map[*Flow]map[string]bool{}
	}
	c.secrets[fl] = m
	return m
}

func (c *compiler) compileWith(fl *Flow, s *state, sc *scope) {
	d := s.decl
	var params []Param
	what := ""
	switch {
	case s.spec != nil:
		params, what = s.spec.Params, "action "+s.spec.Name
	case s.sub != nil:
		for _, v := range s.sub.vars {
			params = append(params, Param{Name: v.name, Kind: v.kind, Sensitive: s.sub.sensitive[v.name]})
		}
		what = "flow " + s.sub.name
	default:
		return
	}
	given := map[string]bool{}
	for _, a := range d.With {
		given[a.Name] = true
		p, ok := findParam(params, a.Name)
		if !ok {
			names := make([]string, len(params))
			hint := ""
			for i, p := range params {
				names[i] = p.Name
				if p.OldName != "" && p.OldName == a.Name {
					hint = fmt.Sprintf(" (did you mean %s? %s is its old name)", p.Name, a.Name)
				}
			}
			if hint == "" {
				hint = suggest.Hint(a.Name, names)
			}
			c.errs.Add(a.Pos, "%s has no parameter %s%s", what, a.Name, hint)
			continue
		}
		prog, _ := c.compile(a.Expr, sc, p.Kind, "parameter "+a.Name)
		secret := c.refsSecret(prog, sc)
		if secret != "" && !p.Secret {
			c.errs.Add(a.Expr.Pos, "secret %s passed to parameter %s of %s, which is not secret", secret, a.Name, what)
		}
		ref, loc := c.sensitiveRef(prog, sc)
		if ref != "" && !p.Secret && !p.Sensitive {
			msg := fmt.Sprintf("sensitive %s passed to parameter %s of %s, which is neither secret nor sensitive", ref, a.Name, what)
			if s.sub != nil {
				msg = fmt.Sprintf("sensitive %s passed to variable %s of %s, which is not sensitive: list it in that flow's sensitive:", ref, a.Name, what)
			}
			c.sensitiveError(a.Expr, loc, msg)
		}
		s.with = append(s.with, &cassign{name: a.Name, pos: a.Pos, kind: p.Kind, prog: prog, secret: p.Secret || p.Sensitive || secret != "" || ref != ""})
	}
	for _, p := range params {
		if p.Required && !given[p.Name] && (p.OldName == "" || !given[p.OldName]) { // the old name has its hint
			c.errs.Add(d.Run.Pos, "%s needs parameter %s (with: {%s: ...})", what, p.Name, p.Name)
		}
	}
}

// resultType is the type of result.* in the handler of event ev.
func (c *compiler) resultType(s *state, ev string) (types.Map, map[string]bool) {
	m, secret := types.Map{}, map[string]bool{}
	switch {
	case s.spec != nil:
		for _, o := range s.spec.Outputs {
			m[o.Name] = exprType(o.Kind)
			if o.Secret {
				secret[o.Name] = true
			}
		}
	case s.sub != nil:
		first := true
		for _, fs := range s.sub.states {
			if fs.kind != syntax.FinalState || fs.decl.Outcome.Name != ev {
				continue
			}
			// result.* holds the outputs every final state of this outcome
			// gives, with the same kind.
			kinds := map[string]value.Kind{}
			for _, o := range fs.output {
				kinds[o.name] = o.outKind()
				if first {
					m[o.name] = exprType(o.outKind())
				}
			}
			if !first {
				for k, t := range m {
					if kind, ok := kinds[k]; !ok || !exprType(kind).Equal(t) {
						delete(m, k)
					}
				}
			}
			first = false
		}
	}
	return m, secret
}

func (a *cassign) outKind() value.Kind {
	if a.prog == nil {
		return value.Any
	}
	return kindOf(a.prog.node().Type())
}

func (c *compiler) compileHandler(fl *Flow, s *state, h *handler, sc *scope) {
	d := s.decl
	var src []*syntax.Branch
	for _, hd := range d.On {
		if hd.Event == h.event {
			src = hd.Branches
		}
	}
	for _, t := range d.After {
		if "after "+t.Key == h.event {
			src = t.Branches
		}
	}
	for i, b := range h.branches {
		if i >= len(src) {
			break
		}
		if src[i].If != nil {
			b.cond, _ = c.compile(src[i].If, sc, value.Bool, "if")
		}
		seen := map[string]bool{}
		for _, a := range src[i].Set {
			if seen[a.Name] {
				c.errs.Add(a.Pos, "variable %s is set twice in one branch", a.Name)
				continue
			}
			seen[a.Name] = true
			idx, ok := fl.varIdx[a.Name]
			if !ok {
				names := make([]string, len(fl.vars))
				for i, v := range fl.vars {
					names[i] = v.name
				}
				c.errs.Add(a.Pos, "set: unknown variable %s%s", a.Name, suggest.Hint(a.Name, names))
				continue
			}
			kind := fl.vars[idx].kind
			prog, _ := c.compile(a.Expr, sc, kind, "variable "+a.Name)
			c.noSecretsKept(a.Expr, prog, sc, "variable "+a.Name, fl.sensitive[a.Name], "list it in the flow's sensitive:")
			b.set = append(b.set, &cassign{name: a.Name, pos: a.Pos, kind: kind, prog: prog, varIdx: idx})
		}
	}
}

func (c *compiler) text(t *syntax.Text, sc *scope, what string) *ctext {
	if t == nil {
		return nil
	}
	n := 0
	for _, p := range t.Parts {
		if p.Expr != nil {
			n++
		}
	}
	if lim := c.cfg.limits.MaxInterpolations; n > lim {
		c.errs.Add(t.Pos, "%s has %d {{ }} interpolations, more than %d, the budget for a text", what, n, lim)
		return nil
	}
	ct := &ctext{id: t.ID, passthrough: t.Passthrough()}
	for _, p := range t.Parts {
		if p.Expr == nil {
			ct.parts = append(ct.parts, ctextPart{lit: p.Lit})
			continue
		}
		prog, _ := c.compile(p.Expr, sc, value.Any, what)
		c.noSecrets(p.Expr, prog, sc, what)
		ct.parts = append(ct.parts, ctextPart{param: p.Param, prog: prog})
	}
	return ct
}

// cexpr is a compiled expression.
type cexpr struct {
	prog *vm.Program
	src  string
	// budget is set when the program charges the evaluation's budget
	// ($b): it loops, calls builtins or walks strings and lists.
	budget bool
	lim    exprLimits
}

// node returns the expression's checked syntax tree.
func (e *cexpr) node() ast.Node { return e.prog.Node() }

// compile compiles e in scope sc and checks that its type fits want. The
// source is held to the expression budgets before expr parses it, and the
// checked tree is patched so that its evaluation is charged to a budget
// (exprsafe.go). A bool wanted of an expression whose type is known only
// at run time is checked when it runs.
func (c *compiler) compile(e *syntax.Expr, sc *scope, want value.Kind, what string) (*cexpr, value.Kind) {
	key := exprKey{src: e.Src, scope: sc.key, want: want}
	if !mayReadScope(e.Src) {
		// Scopes of a flow differ only in input.* and result.*: an
		// expression that names neither compiles to the same program in
		// each, and is compiled once for all of them.
		key.scope = sc.flowKey
	}
	if done, ok := c.compiled[key]; ok {
		return done.ce, done.kind
	}
	ce, kind := c.compileNew(e, sc, want, what)
	if ce != nil {
		if c.compiled == nil {
			c.compiled = map[exprKey]compiledExpr{}
		}
		c.compiled[key] = compiledExpr{ce, kind}
	}
	return ce, kind
}

// mayReadScope reports whether the expression src may read input.* or
// result.*: whether it names input, result or the whole environment
// ($env) anywhere, in a string literal or not.
func mayReadScope(src string) bool {
	return strings.Contains(src, "input") || strings.Contains(src, "result") || strings.Contains(src, "$env")
}

// compileNew is compile of an expression not compiled before in sc.
func (c *compiler) compileNew(e *syntax.Expr, sc *scope, want value.Kind, what string) (*cexpr, value.Kind) {
	lim := c.cfg.limits
	if off, msg, ok := scanExpr(e.Src, lim); !ok {
		c.exprErrorOff(e, off, msg)
		return nil, value.Any
	}
	cfg := c.exprConfig(sc)
	tree, err := parser.ParseWithConfig(e.Src, cfg)
	if err == nil && !c.messageCalls(e, tree, sc.flow) {
		return nil, value.Any
	}
	if err == nil {
		_, err = new(checker.Checker).PatchAndCheck(tree, cfg)
	}
	if err != nil {
		c.exprError(e, err)
		return nil, value.Any
	}
	prog, patched := c.finish(tree, cfg, e)
	if prog == nil {
		return nil, value.Any
	}
	got := kindOf(prog.Node().Type())
	if !assignable(want, got) {
		c.errs.Add(e.Pos, "%s: expression %q is %s, want %s", what, strings.TrimSpace(e.Src), got.Article(), want.Article())
		return nil, got
	}
	return &cexpr{prog: prog, src: strings.TrimSpace(e.Src), budget: patched, lim: lim}, got
}

// finish compiles a checked tree of e's: it patches it to charge the
// evaluation's budget (exprsafe.go), optimizes and compiles it. It
// reports a problem and returns nil when one of those fails; patched says
// whether the program charges the budget.
func (c *compiler) finish(tree *parser.Tree, cfg *conf.Config, e *syntax.Expr) (prog *vm.Program, patched bool) {
	var patch budgetPatch
	ast.Walk(&tree.Node, &patch)
	if patch.patched {
		if _, err := checker.Check(tree, cfg); err != nil {
			c.exprError(e, err)
			return nil, false
		}
	}
	if err := optimizer.Optimize(&tree.Node, cfg); err != nil {
		var fe *file.Error
		if errors.As(err, &fe) {
			err = fe.Bind(tree.Source)
		}
		c.exprError(e, err)
		return nil, false
	}
	prog, err := exprcompiler.Compile(tree, cfg)
	if err != nil {
		c.exprError(e, err)
		return nil, false
	}
	return prog, patch.patched
}

// exprConfig returns expr's configuration for scope sc. Building one
// (expr's map of builtins, the environment's types) costs more than
// compiling a small expression, so one is built per distinct environment
// and reused: scopes differ only in input.* and result.*. What does not
// depend on the environment (the builtins, the functions) is built once
// per compiler and shared by its configurations, which expr only reads.
func (c *compiler) exprConfig(sc *scope) *conf.Config {
	if cfg, ok := c.configs[sc.key]; ok {
		return cfg
	}
	cfg := *c.base()
	env := make(types.Map, len(sc.env)+1)
	for k, v := range sc.env {
		env[k] = v
	}
	env[budgetVar] = types.TypeOf((*evalBudget)(nil))
	cfg.WithEnv(env)
	if c.configs == nil {
		c.configs = map[string]*conf.Config{}
	}
	c.configs[sc.key] = &cfg
	return &cfg
}

// base returns what every configuration of the compiler shares: expr's
// builtins but now, which is the session clock, from the environment; and
// the functions that charge the evaluation's budget.
func (c *compiler) base() *conf.Config {
	if c.baseConfig == nil {
		base := conf.CreateNew()
		base.Disabled["now"] = true
		delete(base.Builtins, "now")
		for name, f := range budgetFunctions {
			base.Functions[name] = f
		}
		c.baseConfig = base
	}
	return c.baseConfig
}

// readNames returns the names an expression reads from env: variables,
// and members such as input.password or policy.limit (as deep as they are
// named), in order, each once. A run-time error names their kinds.
func readNames(n ast.Node, env map[string]any) []string {
	var out []string
	add := func(name string) {
		if !contains(out, name) && len(out) < 8 {
			out = append(out, name)
		}
	}
	ast.Walk(&n, visitFunc(func(n ast.Node) {
		switch x := n.(type) {
		case *ast.IdentifierNode:
			if _, ok := env[x.Value]; ok && x.Value != "now" && x.Value != budgetVar {
				add(x.Value)
			}
		case *ast.MemberNode:
			if path, ok := memberPath(x); ok {
				if _, ok := env[path[0]]; ok {
					add(strings.Join(path, "."))
				}
			}
		}
	}))
	// A member's path makes its root's name redundant.
	keep := out[:0]
	for _, name := range out {
		prefixed := false
		for _, o := range out {
			prefixed = prefixed || strings.HasPrefix(o, name+".")
		}
		if !prefixed {
			keep = append(keep, name)
		}
	}
	return keep
}

// memberPath returns a.b.c for a member chain of names.
func memberPath(m *ast.MemberNode) ([]string, bool) {
	prop, ok := m.Property.(*ast.StringNode)
	if !ok {
		return nil, false
	}
	switch x := m.Node.(type) {
	case *ast.IdentifierNode:
		return []string{x.Value, prop.Value}, true
	case *ast.MemberNode:
		p, ok := memberPath(x)
		return append(p, prop.Value), ok
	}
	return nil, false
}

// exprError maps an expr error's line and column into the flow file.
func (c *compiler) exprError(e *syntax.Expr, err error) {
	c.errs = append(c.errs, exprErrorAt(e, err, ""))
}

// exprErrorAt positions an error expr returned for e (compiling or running
// it) in the flow file, keeping expr's caret snippet; prefix goes before
// expr's message.
func exprErrorAt(e *syntax.Expr, err error, prefix string) *yamlfile.Error {
	var fe *file.Error
	if !errors.As(err, &fe) {
		return &yamlfile.Error{Pos: e.Pos, Msg: prefix + err.Error()}
	}
	return &yamlfile.Error{Pos: exprPos(e, fe.Line, fe.Column), Msg: prefix + fe.Message, Snippet: fe.Snippet}
}

// exprErrorOff reports msg at byte offset off of e's source, with a caret
// snippet unless the line is too long to show.
func (c *compiler) exprErrorOff(e *syntax.Expr, off int, msg string) {
	fe := &file.Error{Location: file.Location{From: len([]rune(e.Src[:off]))}, Message: msg}
	fe.Bind(file.NewSource(e.Src))
	if len(fe.Snippet) > 400 {
		fe.Snippet = "" // a caret under a line this long helps nobody
	}
	c.errs = append(c.errs, &yamlfile.Error{Pos: exprPos(e, fe.Line, fe.Column), Msg: msg, Snippet: fe.Snippet})
}

// exprPos maps a line and 0-based column of an expression's source into
// the flow file.
func exprPos(e *syntax.Expr, line, col int) yamlfile.Pos {
	pos := e.Pos
	switch {
	case e.Block:
		pos.Line += line
		pos.Col = 0
	case line <= 1:
		pos.Col += e.Quote + col
	default:
		pos.Line += line - 1
		pos.Col = 0
	}
	return pos
}

// noSecrets reports an expression whose value would carry a secret, or a
// sensitive value, into a place that is shown or logged: a prompt, a
// message. Sensitive values may be kept (noSecretsKept), never shown.
func (c *compiler) noSecrets(e *syntax.Expr, prog *cexpr, sc *scope, what string) {
	if c.noSecret(e, prog, sc, what) {
		return
	}
	if ref, loc := c.sensitiveRef(prog, sc); ref != "" {
		c.sensitiveError(e, loc, fmt.Sprintf("sensitive %s flows into %s, which is shown; a sensitive value may be kept, never shown", ref, what))
	}
}

// noSecretsKept reports an expression whose value would carry a secret
// into a place that is kept (a variable, an output), or a sensitive value
// into one that is not sensitive; fix says how to make it so.
func (c *compiler) noSecretsKept(e *syntax.Expr, prog *cexpr, sc *scope, what string, sensitive bool, fix string) {
	if c.noSecret(e, prog, sc, what) || sensitive {
		return
	}
	if ref, loc := c.sensitiveRef(prog, sc); ref != "" {
		c.sensitiveError(e, loc, fmt.Sprintf("sensitive %s flows into %s, which is not sensitive: %s", ref, what, fix))
	}
}

// noSecret reports an expression whose value would carry a secret into a
// place that is logged or kept, and reports whether it did.
func (c *compiler) noSecret(e *syntax.Expr, prog *cexpr, sc *scope, what string) bool {
	if ref := c.refsSecret(prog, sc); ref != "" {
		c.errs.Add(e.Pos, "secret %s flows into %s; secrets live only for the step that uses them", ref, what)
		return true
	}
	return false
}

// refsSecret returns the first secret the expression reads (input.x of a
// secret field, result.y of a secret output), or "".
func (c *compiler) refsSecret(prog *cexpr, sc *scope) string {
	if prog == nil || (len(sc.secretInput) == 0 && len(sc.secretResult) == 0) {
		return ""
	}
	v := &secretVisitor{sc: sc}
	node := prog.node()
	ast.Walk(&node, v)
	if v.found == "" && (v.idents[useInput] > v.members[useInput] && len(sc.secretInput) > 0) {
		v.found = "input"
	}
	if v.found == "" && (v.idents[useResult] > v.members[useResult] && len(sc.secretResult) > 0) {
		v.found = "result"
	}
	return v.found
}

// secretVisitor counts the uses of input and result: as identifiers
// (idents), and as the object of a named member (members).
type secretVisitor struct {
	sc      *scope
	found   string
	idents  [2]int // by useInput, useResult
	members [2]int
}

const (
	useInput = iota
	useResult
)

// use returns the counter of the identifier name, or -1 for any other.
func use(name string) int {
	switch name {
	case "input":
		return useInput
	case "result":
		return useResult
	}
	return -1
}

func (v *secretVisitor) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		if i := use(n.Value); i >= 0 {
			v.idents[i]++
		}
	case *ast.MemberNode:
		id, ok := n.Node.(*ast.IdentifierNode)
		if !ok {
			return
		}
		prop, ok := n.Property.(*ast.StringNode)
		if !ok {
			return // input[x]: counted as a whole use of input
		}
		if i := use(id.Value); i >= 0 {
			v.members[i]++
		}
		if v.found != "" {
			return
		}
		if id.Value == "input" && v.sc.secretInput[prop.Value] {
			v.found = "input." + prop.Value
		}
		if id.Value == "result" && v.sc.secretResult[prop.Value] {
			v.found = "result." + prop.Value
		}
	}
}

// buildFSM builds the looplab/fsm event table: one event per branch,
// "EVENT#i", from the state to the branch's target (to itself when the
// branch stays). looplab/fsm is the authority on the transitions: every
// branch's next state is what a machine over that table lands in when the
// branch's event fires, asked once here, so that a step looks up its
// transition instead of building looplab's event (a context, a closure,
// three locks) every time.
func (c *compiler) buildFSM(fl *Flow) {
	for _, s := range fl.states {
		for _, h := range s.handlers() {
			for _, b := range h.branches {
				dst := s.name
				if b.target != nil {
					dst = b.target.name
				}
				b.fsmEvent = h.event + "#" + strconv.Itoa(b.idx)
				fl.events = append(fl.events, fsm.EventDesc{Name: b.fsmEvent, Src: []string{s.name}, Dst: dst})
			}
		}
	}
	if fl.start == nil {
		return
	}
	m := fsm.NewFSM(fl.start.name, fl.events, nil)
	for _, s := range fl.states {
		for _, h := range s.handlers() {
			for _, b := range h.branches {
				if b.target == nil {
					continue // staying is not a transition
				}
				m.SetState(s.name)
				if err := m.Event(context.Background(), b.fsmEvent); err != nil {
					// A branch to its own state is a transition to the
					// same state, which looplab/fsm reports so.
					if nt, ok := err.(fsm.NoTransitionError); !ok || nt.Err != nil {
						c.errs.Add(b.pos, "state machine: %v", err)
						continue
					}
				}
				b.next = fl.byName[m.Current()]
				if b.next != b.target {
					c.errs.Add(b.pos, "state machine moves %s along %s to %s, not %s", s.name, b.fsmEvent, m.Current(), b.target.name)
				}
			}
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func flowHash(fl *Flow) string {
	h := sha256.New()
	h.Write([]byte(fl.srcSum))
	for _, k := range sortedKeys(fl.policy) {
		fmt.Fprintf(h, "\x00%s=%#v", k, fl.policy[k])
	}
	for _, sub := range fl.subs {
		if sub != nil {
			fmt.Fprintf(h, "\x00sub %s=%s", sub.name, sub.hash)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// staticPrompt builds an ask state's prompt at compile time when nothing in
// it depends on the session, or returns nil.
func staticPrompt(s *state) *prompt.Prompt {
	if !s.text.fixed() || !s.body.fixed() || !s.help.fixed() || s.fixed == nil {
		return nil
	}
	var sess Session
	p, err := sess.makePrompt(context.Background(), nil, s)
	if err != nil {
		return nil
	}
	return p
}

// fixedParts builds an ask state's fields and choices at compile time when
// they depend on nothing in the session (its text may), or returns nil.
func fixedParts(s *state) *prompt.Prompt {
	for _, f := range s.fields {
		if f.decl.If != nil || f.options != nil || f.prefill != nil || !f.label.fixed() || !f.hint.fixed() {
			return nil
		}
	}
	for i := range s.choices {
		if s.urls[i] != nil || !s.labels[i].fixed() {
			return nil
		}
	}
	if s.available != nil {
		return nil
	}
	var sess Session
	p := &prompt.Prompt{}
	if sess.promptParts(context.Background(), nil, s, p) != nil {
		return nil
	}
	return p
}

// visitFunc adapts a function to expr's ast.Visitor.
type visitFunc func(ast.Node)

func (f visitFunc) Visit(n *ast.Node) { f(*n) }
