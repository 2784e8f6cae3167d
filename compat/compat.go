package compat

import (
	"fmt"
	"io"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/value"
	"github.com/tetherflow/tether/engine/yamlfile"
)

// Severity says what a finding means for the sessions in flight on the old
// version.
type Severity int

// The severities, from the mildest.
const (
	// Changes: the sessions concerned go on, on the new version, but
	// differently (a timer gone, a choice added, a policy value changed).
	Changes Severity = iota
	// Migrated: the new version's migration from the old one moves the
	// sessions concerned (a state renamed, a variable dropped).
	Migrated
	// Strands: a session in flight could be stranded: it cannot move to
	// the new version (its state is gone, a variable's value does not fit)
	// or fails there (an outcome its flow does not handle).
	Strands
)

var severityNames = [...]string{"changes", "migrated", "strands"}

// String returns "changes", "migrated" or "strands".
func (s Severity) String() string {
	if int(s) < len(severityNames) {
		return severityNames[s]
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// Finding is one difference between two versions of a flow that matters
// to the sessions in flight, with where it is in each.
type Finding struct {
	Severity Severity
	// Flow is the flow the finding is in: the compared flow, or a
	// subflow of it.
	Flow string
	// What is what changed: "state", "variable", "timer", "choice",
	// "field", "outcome", "subflow", "policy" or "migration".
	What string
	Msg  string
	// Old and New are where the finding is in each version; where the
	// thing is missing from one, the position of what encloses it there.
	Old, New yamlfile.Pos
	// OldNote and NewNote say what is at Old and at New.
	OldNote, NewNote string
}

// Report is what Compare found.
type Report struct {
	Old, New *engine.Flow
	// Migration is the migration the new version declares from the old
	// one, or nil.
	Migration *syntax.Migration
	Findings  []Finding
}

// Strands reports whether a session in flight on the old version could be
// stranded by the new one.
func (r *Report) Strands() bool {
	for _, f := range r.Findings {
		if f.Severity == Strands {
			return true
		}
	}
	return false
}

// Count returns how many findings have severity s.
func (r *Report) Count(s Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == s {
			n++
		}
	}
	return n
}

// Options configure Compare.
type Options struct {
	// Callers are the flows that may run the compared flow as a subflow
	// (`run: flow:NAME`): the other flows of the new version's directory.
	// An outcome the new version adds that one of them does not handle
	// strands that caller's sessions.
	Callers []*syntax.File
}

// Compare tells what moving the sessions in flight on old to new would do:
// the states sessions wait at (ask states, and states running a subflow)
// that are gone, renamed or of another kind, the variables whose kind
// changed or that are gone or new, timers gone, new or going elsewhere,
// choices and fields of prompts, final outcomes gone or new, subflows
// (compared in turn), changed policy defaults, and problems of the
// migration new declares from old (engine.CheckMigration). A finding the
// migration covers is Migrated. old and new are compiled under the same
// region's policy (their defaults, say).
func Compare(old, new *engine.Flow, opts Options) *Report {
	r := &Report{Old: old, New: new}
	r.Migration, _ = migrationFor(old, new)
	c := &comparer{r: r}
	c.flow(old, new)
	c.callers(old, new, opts.Callers)
	sort.SliceStable(r.Findings, func(i, j int) bool { return r.Findings[i].Severity > r.Findings[j].Severity })
	return r
}

func migrationFor(old, new *engine.Flow) (*syntax.Migration, bool) {
	return new.Info().File.MigrationFrom(old.Info().Version, old.Hash(), old.Info().SourceHash)
}

type comparer struct {
	r *Report
	// moves are the state renames of the migration of the flow being
	// compared: old targets are compared through them.
	moves map[string]string
}

func (c *comparer) add(f Finding) { c.r.Findings = append(c.r.Findings, f) }

// flow compares one flow of the session's stack (the compared flow or a
// subflow).
func (c *comparer) flow(old, new *engine.Flow) {
	if old.Hash() == new.Hash() {
		return
	}
	name := new.Name()
	of, nf := old.Info().File, new.Info().File
	m, _ := migrationFor(old, new)
	for _, err := range yamlfile.Errors(engine.CheckMigration(old, new)) {
		e, ok := err.(*yamlfile.Error)
		if !ok {
			continue
		}
		c.add(Finding{Severity: Strands, Flow: name, What: "migration", Msg: e.Msg,
			Old: of.Flow.Pos, OldNote: "the version migrated from", New: e.Pos, NewNote: "the migration"})
	}
	c.states(old, new, m)
	c.vars(old, new, m)
	c.outcomes(old, new)
	c.policy(of, nf, name)
}

// states compares the states sessions wait at.
func (c *comparer) states(old, new *engine.Flow, m *syntax.Migration) {
	name := new.Name()
	of, nf := old.Info().File, new.Info().File
	moves := map[string]*syntax.Rename{}
	if m != nil {
		for _, r := range m.States {
			moves[r.Old.Name] = r
		}
	}
	c.moves = map[string]string{}
	for old, r := range moves {
		c.moves[old] = r.New.Name
	}
	for _, os := range of.States {
		if !waitsAt(os) {
			continue
		}
		target, mv := os.Name, moves[os.Name]
		if mv != nil {
			target = mv.New.Name
		}
		ns := stateOf(nf, target)
		switch {
		case ns == nil:
			f := Finding{Severity: Strands, Flow: name, What: "state",
				Msg: fmt.Sprintf("%s state %s is gone: sessions waiting there are stranded", kindOf(os), os.Name),
				Old: os.Pos, OldNote: "sessions wait here",
				New: nf.Flow.Pos, NewNote: fmt.Sprintf("no state %s, and no migration moves its sessions", os.Name)}
			if cand := renamedTo(os, of, nf); cand != nil {
				same := "asks the same"
				if os.Kind != syntax.AskState {
					same = "runs the same flow"
				}
				f.New, f.NewNote = cand.Pos, fmt.Sprintf("%s %s; if it is %s renamed, migrate: [{from: %s, states: {%s: %s}}]",
					cand.Name, same, os.Name, fromOf(old), os.Name, cand.Name)
			}
			c.add(f)
			continue
		case kindOf(os) != kindOf(ns):
			c.add(Finding{Severity: Strands, Flow: name, What: "state",
				Msg: fmt.Sprintf("state %s was %s state and %s is %s state: sessions waiting there are stranded", os.Name, article(kindOf(os)), ns.Name, article(kindOf(ns))),
				Old: os.Pos, OldNote: "sessions wait here", New: ns.Pos, NewNote: kindOf(ns) + " state"})
			continue
		case mv != nil && mv.New.Name != os.Name:
			c.add(Finding{Severity: Migrated, Flow: name, What: "state",
				Msg: fmt.Sprintf("sessions waiting at %s move to %s", os.Name, ns.Name),
				Old: os.Pos, OldNote: "sessions wait here", New: mv.New.Pos, NewNote: "the migration moves them"})
		}
		if os.Kind == syntax.AskState {
			c.prompt(name, os, ns)
		} else {
			c.subflow(old, new, os, ns)
		}
		c.timers(name, os, ns)
		c.handlers(name, os, ns)
	}
}

// prompt compares the choices and fields of two prompts.
func (c *comparer) prompt(flow string, os, ns *syntax.StateDecl) {
	oc, nc := choiceNames(os), choiceNames(ns)
	for _, ch := range os.Ask.Choices {
		if !slices.Contains(nc, ch.Name) {
			c.add(Finding{Severity: Changes, Flow: flow, What: "choice",
				Msg: fmt.Sprintf("choice %s of %s is gone: an answer with it, from a client showing the old prompt, is refused", ch.Name, os.Name),
				Old: ch.Pos, OldNote: "the choice", New: ns.Ask.Pos, NewNote: "the prompt without it"})
		}
	}
	for _, ch := range ns.Ask.Choices {
		if !slices.Contains(oc, ch.Name) {
			c.add(Finding{Severity: Changes, Flow: flow, What: "choice",
				Msg: fmt.Sprintf("choice %s of %s is new", ch.Name, ns.Name),
				Old: os.Ask.Pos, OldNote: "the prompt without it", New: ch.Pos, NewNote: "the choice"})
		}
	}
	for _, f := range os.Ask.Fields {
		nf := fieldOf(ns, f.Name)
		switch {
		case nf == nil:
			c.add(Finding{Severity: Changes, Flow: flow, What: "field",
				Msg: fmt.Sprintf("field %s of %s is gone: an answer that fills it in is refused", f.Name, os.Name),
				Old: f.Pos, OldNote: "the field", New: ns.Ask.Pos, NewNote: "the prompt without it"})
		case nf.Type != f.Type:
			c.add(Finding{Severity: Changes, Flow: flow, What: "field",
				Msg: fmt.Sprintf("field %s of %s was %s and is %s", f.Name, os.Name, f.Type, nf.Type),
				Old: f.TypePos, OldNote: "the old type", New: nf.TypePos, NewNote: "the new type"})
		}
	}
	for _, f := range ns.Ask.Fields {
		if fieldOf(os, f.Name) == nil {
			c.add(Finding{Severity: Changes, Flow: flow, What: "field",
				Msg: fmt.Sprintf("field %s of %s is new: an answer made for the old prompt lacks it", f.Name, ns.Name),
				Old: os.Ask.Pos, OldNote: "the prompt without it", New: f.Pos, NewNote: "the field"})
		}
	}
}

// subflow compares the subflow two states run.
func (c *comparer) subflow(old, new *engine.Flow, os, ns *syntax.StateDecl) {
	on, _ := os.Subflow()
	nn, _ := ns.Subflow()
	if on != nn {
		c.add(Finding{Severity: Strands, Flow: new.Name(), What: "subflow",
			Msg: fmt.Sprintf("state %s ran flow %s and %s runs flow %s: sessions waiting in %s are stranded", os.Name, on, ns.Name, nn, on),
			Old: os.Run.Pos, OldNote: "runs " + on, New: ns.Run.Pos, NewNote: "runs " + nn})
		return
	}
	osub, nsub := old.Subflows()[on], new.Subflows()[nn]
	if osub == nil || nsub == nil {
		return
	}
	c.flow(osub, nsub)
}

// timers compares the timers of two states sessions wait at.
func (c *comparer) timers(flow string, os, ns *syntax.StateDecl) {
	for _, t := range os.After {
		nt := timerOf(ns, t.Key)
		switch {
		case nt == nil:
			c.add(Finding{Severity: Changes, Flow: flow, What: "timer",
				Msg: fmt.Sprintf("timer after %s of %s is gone: sessions waiting there lose it", t.Key, os.Name),
				Old: t.Pos, OldNote: "the timer", New: ns.Pos, NewNote: "the state without it"})
		case !reflect.DeepEqual(c.targets(t.Branches, true), c.targets(nt.Branches, false)):
			c.add(Finding{Severity: Changes, Flow: flow, What: "timer",
				Msg: fmt.Sprintf("timer after %s of %s goes to %s, not %s", t.Key, ns.Name, describeTargets(nt.Branches), describeTargets(t.Branches)),
				Old: t.Pos, OldNote: "the old handler", New: nt.Pos, NewNote: "the new handler"})
		}
	}
	for _, t := range ns.After {
		if timerOf(os, t.Key) == nil {
			c.add(Finding{Severity: Changes, Flow: flow, What: "timer",
				Msg: fmt.Sprintf("timer after %s of %s is new: sessions waiting there get it armed when they move, due its delay later", t.Key, ns.Name),
				Old: os.Pos, OldNote: "the state without it", New: t.Pos, NewNote: "the timer"})
		}
	}
}

// handlers compares where the events of two states go.
func (c *comparer) handlers(flow string, os, ns *syntax.StateDecl) {
	for _, h := range os.On {
		nh := handlerOf(ns, h.Event)
		if nh == nil || reflect.DeepEqual(c.targets(h.Branches, true), c.targets(nh.Branches, false)) {
			continue // a gone choice is reported with the prompt
		}
		c.add(Finding{Severity: Changes, Flow: flow, What: "choice",
			Msg: fmt.Sprintf("%s at %s goes to %s, not %s", h.Event, ns.Name, describeTargets(nh.Branches), describeTargets(h.Branches)),
			Old: h.Pos, OldNote: "the old handler", New: nh.Pos, NewNote: "the new handler"})
	}
}

// vars compares the variables.
func (c *comparer) vars(old, new *engine.Flow, m *syntax.Migration) {
	name := new.Name()
	of, nf := old.Info().File, new.Info().File
	renames := map[string]*syntax.Rename{}
	targets := map[string]bool{}
	if m != nil {
		for _, r := range m.Vars {
			renames[r.Old.Name] = r
			targets[r.New.Name] = true
		}
	}
	for _, ov := range of.Vars {
		if r := renames[ov.Name]; r != nil {
			f := Finding{Severity: Migrated, Flow: name, What: "variable", Old: ov.Pos, OldNote: "the variable", New: r.New.Pos, NewNote: "the migration"}
			if r.New.Name == "" {
				f.Msg = fmt.Sprintf("variable %s is dropped by the migration", ov.Name)
				if nv := varOf(nf, ov.Name); nv != nil {
					f.Msg += fmt.Sprintf("; the new %s starts at its initial value %s", ov.Name, value.Quote(nv.Value))
				}
			} else {
				f.Msg = fmt.Sprintf("variable %s becomes %s", ov.Name, r.New.Name)
			}
			c.add(f)
			continue
		}
		nv := varOf(nf, ov.Name)
		switch {
		case nv == nil:
			c.add(Finding{Severity: Changes, Flow: name, What: "variable",
				Msg: fmt.Sprintf("variable %s is gone: sessions in flight drop its value", ov.Name),
				Old: ov.Pos, OldNote: "the variable", New: nf.Flow.Pos, NewNote: "no variable " + ov.Name})
		case targets[ov.Name]:
			c.add(Finding{Severity: Migrated, Flow: name, What: "variable",
				Msg: fmt.Sprintf("variable %s is dropped: the migration renames another variable into it", ov.Name),
				Old: ov.Pos, OldNote: "the variable", New: nv.Pos, NewNote: "the variable another becomes"})
		case !fits(nv.Kind, ov.Kind) && m == nil:
			// With a migration, CheckMigration reports it.
			c.add(Finding{Severity: Strands, Flow: name, What: "variable",
				Msg: fmt.Sprintf("variable %s was %s and is %s: a session's value cannot be carried (migrate: [{from: %s, vars: {%s: ~}}] starts it afresh)", ov.Name, article(ov.Kind.String()), article(nv.Kind.String()), fromOf(old), ov.Name),
				Old: ov.VPos, OldNote: "the old initial value", New: nv.VPos, NewNote: "the new initial value"})
		}
	}
	for _, nv := range nf.Vars {
		if varOf(of, nv.Name) == nil && !targets[nv.Name] {
			c.add(Finding{Severity: Changes, Flow: name, What: "variable",
				Msg: fmt.Sprintf("variable %s is new: sessions in flight start it at its initial value %s", nv.Name, value.Quote(nv.Value)),
				Old: of.Flow.Pos, OldNote: "no variable " + nv.Name, New: nv.Pos, NewNote: "the variable"})
		}
	}
}

// outcomes compares the final outcomes.
func (c *comparer) outcomes(old, new *engine.Flow) {
	name := new.Name()
	of, nf := old.Info().File, new.Info().File
	for _, o := range old.Info().Outcomes {
		if !slices.Contains(new.Info().Outcomes, o) {
			c.add(Finding{Severity: Changes, Flow: name, What: "outcome",
				Msg: fmt.Sprintf("outcome %s is no longer an outcome of %s", o, name),
				Old: finalOf(of, o).Pos, OldNote: "a final state with it", New: nf.Flow.Pos, NewNote: "no final state with it"})
		}
	}
	for _, o := range new.Info().Outcomes {
		if !slices.Contains(old.Info().Outcomes, o) {
			c.add(Finding{Severity: Changes, Flow: name, What: "outcome",
				Msg: fmt.Sprintf("outcome %s of %s is new", o, name),
				Old: of.Flow.Pos, OldNote: "no final state with it", New: finalOf(nf, o).Pos, NewNote: "a final state with it"})
		}
	}
}

// callers reports the callers that run the flow and do not handle an
// outcome new adds.
func (c *comparer) callers(old, new *engine.Flow, callers []*syntax.File) {
	name := new.Name()
	for _, o := range new.Info().Outcomes {
		if slices.Contains(old.Info().Outcomes, o) {
			continue
		}
		for _, cf := range callers {
			if cf == nil || cf.Flow.Name == name {
				continue
			}
			for _, st := range cf.States {
				if sub, ok := st.Subflow(); !ok || sub != name || handlerOf(st, o) != nil {
					continue
				}
				c.add(Finding{Severity: Strands, Flow: name, What: "outcome",
					Msg: fmt.Sprintf("outcome %s of %s is new, and flow %s, which runs %s in state %s, does not handle it: its sessions waiting in %s fail when they end so", o, name, cf.Flow.Name, name, st.Name, name),
					Old: old.Info().File.Flow.Pos, OldNote: "no final state with it",
					New: finalOf(new.Info().File, o).Pos, NewNote: fmt.Sprintf("the new outcome; %s runs %s at %s", cf.Flow.Name, name, st.Run.Pos)})
			}
		}
	}
}

// policy compares the policy defaults.
func (c *comparer) policy(of, nf *syntax.File, flow string) {
	for _, ov := range of.Policy {
		nv := valueOf(nf.Policy, ov.Name)
		switch {
		case nv == nil:
			c.add(Finding{Severity: Changes, Flow: flow, What: "policy",
				Msg: fmt.Sprintf("policy %s is gone", ov.Name),
				Old: ov.Pos, OldNote: "the policy value", New: nf.Flow.Pos, NewNote: "no policy " + ov.Name})
		case !reflect.DeepEqual(ov.Value, nv.Value):
			c.add(Finding{Severity: Changes, Flow: flow, What: "policy",
				Msg: fmt.Sprintf("policy %s is %s, not %s: sessions in flight use the new value", ov.Name, value.Quote(nv.Value), value.Quote(ov.Value)),
				Old: ov.VPos, OldNote: "the old default", New: nv.VPos, NewNote: "the new default"})
		}
	}
	for _, nv := range nf.Policy {
		if valueOf(of.Policy, nv.Name) == nil {
			c.add(Finding{Severity: Changes, Flow: flow, What: "policy",
				Msg: fmt.Sprintf("policy %s is new (%s)", nv.Name, value.Quote(nv.Value)),
				Old: of.Flow.Pos, OldNote: "no policy " + nv.Name, New: nv.Pos, NewNote: "the policy value"})
		}
	}
}

// renamedTo returns the one state of nf, absent from of, that asks what os
// asked (the same choices and fields), or nil.
func renamedTo(os *syntax.StateDecl, of, nf *syntax.File) *syntax.StateDecl {
	var found *syntax.StateDecl
	for _, ns := range nf.States {
		if stateOf(of, ns.Name) != nil || kindOf(ns) != kindOf(os) {
			continue
		}
		same := false
		if os.Kind == syntax.AskState {
			same = slices.Equal(sorted(choiceNames(os)), sorted(choiceNames(ns))) && slices.Equal(sorted(fieldNames(os)), sorted(fieldNames(ns)))
		} else {
			a, _ := os.Subflow()
			b, _ := ns.Subflow()
			same = a == b
		}
		if same {
			if found != nil {
				return nil // two candidates: no guess
			}
			found = ns
		}
	}
	return found
}

// fromOf is what a migration's from: would say for old.
func fromOf(old *engine.Flow) string {
	if v := old.Info().Version; v != "" {
		return yamlScalar(v)
	}
	return old.Hash()
}

// yamlScalar quotes a label that YAML would read as a number.
func yamlScalar(s string) string {
	for _, r := range s {
		if (r < '0' || r > '9') && r != '.' {
			return s
		}
	}
	return `"` + s + `"`
}

func waitsAt(s *syntax.StateDecl) bool { return kindOf(s) != "" }

// kindOf names the kind of state a session can wait at: "ask" or
// "subflow"; "" for the others.
func kindOf(s *syntax.StateDecl) string {
	if s.Kind == syntax.AskState {
		return "ask"
	}
	if _, ok := s.Subflow(); ok {
		return "subflow"
	}
	return "" // an action or an end: nobody waits there
}

func article(kind string) string {
	if kind == "" {
		return "a run or final"
	}
	if strings.ContainsRune("aeiou", rune(kind[0])) {
		return "an " + kind
	}
	return "a " + kind
}

func fits(want, got value.Kind) bool {
	return want == got || want == value.Any || (want == value.Float && got == value.Int)
}

func stateOf(f *syntax.File, name string) *syntax.StateDecl {
	for _, s := range f.States {
		if s.Name == name {
			return s
		}
	}
	return nil
}

func varOf(f *syntax.File, name string) *syntax.ValueDecl { return valueOf(f.Vars, name) }

func valueOf(vs []*syntax.ValueDecl, name string) *syntax.ValueDecl {
	for _, v := range vs {
		if v.Name == name {
			return v
		}
	}
	return nil
}

func finalOf(f *syntax.File, outcome string) *syntax.StateDecl {
	for _, s := range f.States {
		if s.Kind == syntax.FinalState && s.Outcome.Name == outcome {
			return s
		}
	}
	return &syntax.StateDecl{Pos: f.Flow.Pos}
}

func fieldOf(s *syntax.StateDecl, name string) *syntax.FieldDecl {
	if s.Ask == nil {
		return nil
	}
	for _, f := range s.Ask.Fields {
		if f.Name == name {
			return f
		}
	}
	return nil
}

func timerOf(s *syntax.StateDecl, key string) *syntax.Timer {
	for _, t := range s.After {
		if t.Key == key {
			return t
		}
	}
	return nil
}

func handlerOf(s *syntax.StateDecl, event string) *syntax.Handler {
	for _, h := range s.On {
		if h.Event == event {
			return h
		}
	}
	return nil
}

func choiceNames(s *syntax.StateDecl) []string {
	var out []string
	if s.Ask != nil {
		for _, c := range s.Ask.Choices {
			out = append(out, c.Name)
		}
	}
	return out
}

func fieldNames(s *syntax.StateDecl) []string {
	var out []string
	if s.Ask != nil {
		for _, f := range s.Ask.Fields {
			out = append(out, f.Name)
		}
	}
	return out
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// targets is what a handler does, for comparing: each branch's guard and
// target, an old target as the migration renames it.
func (c *comparer) targets(bs []*syntax.Branch, old bool) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		g, to := "", b.Go.Name
		if b.If != nil {
			g = b.If.Src
		}
		if mv, ok := c.moves[to]; ok && old {
			to = mv
		}
		out[i] = g + "=>" + to
	}
	return out
}

// describeTargets names where a handler's branches go.
func describeTargets(bs []*syntax.Branch) string {
	var out []string
	for _, b := range bs {
		t := b.Go.Name
		if t == "" {
			t = "(stay)"
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return strings.Join(out, " or ")
}

// Write writes the report for people: each finding as its severity and
// message, then its position in each version, one `file:line:col: note`
// line each, and a summary line.
func (r *Report) Write(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "flow %s: %s -> %s\n", r.New.Name(), describeVersion(r.Old), describeVersion(r.New))
	if r.Migration != nil {
		fmt.Fprintf(&b, "migration: from %s at %s\n", r.Migration.From.Name, r.Migration.Pos)
	}
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "%s: %s%s\n", f.Severity, subflowPrefix(r, f), f.Msg)
		fmt.Fprintf(&b, "  old %s: %s\n", f.Old, f.OldNote)
		fmt.Fprintf(&b, "  new %s: %s\n", f.New, f.NewNote)
	}
	switch {
	case r.Old.Hash() == r.New.Hash():
		b.WriteString("the same version: nothing changes for sessions in flight\n")
	default:
		fmt.Fprintf(&b, "strands: %d, migrated: %d, changes: %d\n", r.Count(Strands), r.Count(Migrated), r.Count(Changes))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func subflowPrefix(r *Report, f Finding) string {
	if f.Flow == "" || f.Flow == r.New.Name() {
		return ""
	}
	return "subflow " + f.Flow + ": "
}

// describeVersion names a version: its file, label and hashes (what a
// migration's from: may name).
func describeVersion(f *engine.Flow) string {
	l := "no version label"
	if f.Info().Version != "" {
		l = "version " + f.Info().Version
	}
	return fmt.Sprintf("%s (%s, hash %s, source %s)", f.Info().File.Path, l, f.Hash(), f.Info().SourceHash)
}
