package engine

// Migrations: how sessions waiting in an earlier version of a flow move to
// this one. A flow names its version with `version:` and lists, under
// `migrate:`, for each earlier version it knows how to take over, the
// states and variables that were renamed:
//
//	version: "2026.2"
//	migrate:
//	  - from: "2026.1"                       # a version: label, or a hash
//	    states: {enter_code: enter_sms_code} # old state: new state
//	    vars: {failures: attempts, notice: ~} # old var: new var (~ drops it)
//
// The loader reads them (syntax.Migration), the compiler checks them
// against this version (migrations), CheckMigration against the old
// version when it is at hand, and Flow.Migrate moves a snapshot. docs/flow-evolution.md is the
// reference.

import (
	"errors"
	"fmt"
	"time"

	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/value"
	"github.com/tetherflow/tether/engine/yamlfile"
	"github.com/tetherflow/tether/internal/suggest"
)

// migrations checks the flow's migrate: entries against the flow itself:
// the states they move sessions to exist and are states a session waits
// at, the variables exist, no version is migrated from twice.
func (c *compiler) migrations(fl *Flow, f *syntax.File) {
	seen := map[string]*syntax.Migration{}
	for _, m := range f.Migrations {
		if f.Version.Name != "" && m.From.Name == f.Version.Name {
			c.errs.Add(m.From.Pos, "migrate: from %s is this flow's own version", m.From.Name)
		}
		if first, dup := seen[m.From.Name]; dup {
			c.errs.Add(m.From.Pos, "migrate: a second migration from %s (the first is at line %d)", m.From.Name, first.Pos.Line)
			continue
		}
		seen[m.From.Name] = m
		for _, r := range m.States {
			st, ok := fl.byName[r.New.Name]
			switch {
			case !ok:
				c.errs.Add(r.New.Pos, "migrate: unknown state %s%s", r.New.Name, suggest.Hint(r.New.Name, fl.stateNames()))
			case !waitsAt(st.decl):
				c.errs.Add(r.New.Pos, "migrate: state %s is a %s state; sessions wait only at ask states and at states that run a subflow", r.New.Name, st.kind)
			}
		}
		targets := map[string]string{}
		for _, r := range m.Vars {
			if r.New.Name == "" {
				continue
			}
			if _, ok := fl.varIdx[r.New.Name]; !ok {
				names := make([]string, len(fl.vars))
				for i, v := range fl.vars {
					names[i] = v.name
				}
				c.errs.Add(r.New.Pos, "migrate: unknown variable %s%s", r.New.Name, suggest.Hint(r.New.Name, names))
				continue
			}
			if prev, dup := targets[r.New.Name]; dup {
				c.errs.Add(r.New.Pos, "migrate: variables %s and %s both migrate to %s", prev, r.Old.Name, r.New.Name)
			}
			targets[r.New.Name] = r.Old.Name
		}
	}
}

// waitsAt reports whether a session can be waiting in state d: at its
// prompt, or in the subflow it runs.
func waitsAt(d *syntax.StateDecl) bool {
	if d.Kind == syntax.AskState {
		return true
	}
	_, sub := d.Subflow()
	return sub
}

// version returns the flow's version: label, or "" when it has none.
func (f *Flow) version() string { return f.file.Version.Name }

// sourceHash identifies the flow file's content alone: unlike Hash, it is
// the same under every region's policy and whatever its subflows are.
func (f *Flow) sourceHash() string { return f.srcSum[:16] }

// labels returns the version labels of the flow and of every subflow it
// runs, at any depth, by flow name; flows without a label are left out.
// A host keeps them with a session (Origin.Labels), so that the session's
// version can be named after the files are gone.
func (f *Flow) labels() map[string]string {
	out := map[string]string{}
	var walk func(*Flow)
	walk = func(fl *Flow) {
		if _, seen := out[fl.name]; seen {
			return
		}
		out[fl.name] = fl.version()
		for _, sub := range fl.subs {
			if sub != nil {
				walk(sub)
			}
		}
	}
	walk(f)
	for k, v := range out {
		if v == "" {
			delete(out, k)
		}
	}
	return out
}

// migrationFor returns the migration f declares from old, matched by old's
// label, hash or source hash.
func (f *Flow) migrationFor(old *Flow) (*syntax.Migration, bool) {
	return f.file.MigrationFrom(old.version(), old.hash, old.sourceHash())
}

// CheckMigration holds the migration new declares from old (matched by
// old's version label, hash or source hash) to old: every state it moves
// sessions from is a state of old where sessions wait, every variable it
// renames or drops is one of old's, each renamed variable keeps its kind
// (an int may become a float), and a variable both versions have under
// one name, with different kinds, is renamed or dropped rather than
// carried. The errors are positioned in new's file, where the migration
// is, as an ErrorList; it is nil when all is well or new declares no
// migration from old.
func CheckMigration(old, new *Flow) error {
	m, ok := new.migrationFor(old)
	if !ok {
		return nil
	}
	var errs yamlfile.ErrorList
	checkMigration(m, old, new, &errs)
	errs.Sort()
	return errs.Err()
}

func checkMigration(m *syntax.Migration, old, new *Flow, errs *yamlfile.ErrorList) {
	from := fmt.Sprintf("migrate from %s", m.From.Name)
	for _, r := range m.States {
		st, ok := old.byName[r.Old.Name]
		switch {
		case !ok:
			errs.Add(r.Old.Pos, "%s: flow %s had no state %s%s", from, old.name, r.Old.Name, suggest.Hint(r.Old.Name, old.stateNames()))
		case !waitsAt(st.decl):
			errs.Add(r.Old.Pos, "%s: state %s was a %s state, where no session waits", from, r.Old.Name, st.kind)
		}
	}
	renamed := map[string]bool{}
	for _, r := range m.Vars {
		renamed[r.Old.Name] = true
		oi, ok := old.varIdx[r.Old.Name]
		if !ok {
			names := make([]string, len(old.vars))
			for i, v := range old.vars {
				names[i] = v.name
			}
			errs.Add(r.Old.Pos, "%s: flow %s had no variable %s%s", from, old.name, r.Old.Name, suggest.Hint(r.Old.Name, names))
			continue
		}
		if r.New.Name == "" {
			continue
		}
		if ni, ok := new.varIdx[r.New.Name]; ok {
			okind, nk := old.vars[oi].kind, new.vars[ni].kind
			if !fits(nk, okind) {
				errs.Add(r.New.Pos, "%s: variable %s was %s, and %s is %s", from, r.Old.Name, okind.Article(), r.New.Name, nk.Article())
			}
		}
	}
	for _, ov := range old.vars {
		ni, ok := new.varIdx[ov.name]
		if !ok || renamed[ov.name] {
			continue
		}
		if nk := new.vars[ni].kind; !fits(nk, ov.kind) {
			errs.Add(m.Pos, "%s: variable %s was %s and is now %s: rename it or drop it (vars: {%s: ~}) so that it starts at its initial value", from, ov.name, ov.kind.Article(), nk.Article(), ov.name)
		}
	}
}

// fits reports whether a value of kind got may be carried into a variable
// of kind want: the same kind, an int into a float, anything into Any.
func fits(want, got value.Kind) bool {
	return want == got || want == value.Any || (want == value.Float && got == value.Int)
}

// Origin is what is known of the version a session started on, for
// Migrate.
type Origin struct {
	// Labels are that version's labels, by flow name (flowinfo.Flow.Labels),
	// as the host recorded them when the session started.
	Labels map[string]string
	// Flow is that version itself, when it is at hand; nil otherwise.
	Flow *Flow
}

// ErrNoMigration is wrapped by Migrate's error when the flow changed since
// the session started and declares no migration from the session's
// version: the session is stranded. It wraps ErrFlowChanged.
var ErrNoMigration = fmt.Errorf("%w, and declares no migration from the session's version", ErrFlowChanged)

// Migrate returns a copy of snap moved onto this flow, ready for Restore.
// Each flow of the session's stack (the flow, and any subflow it waits in)
// whose hash changed moves by the migration its new version declares from
// its old one, matched by the label Origin records for it, its hash, or
// the old version's source hash when Origin.Flow is at hand; a flow whose
// version: label is the one Origin records (its file's version did not
// change: only a subflow, a policy value or a comment did) moves as it is,
// as if by an empty migration. Moving a frame:
//
//   - its state is renamed as the migration says, and must exist (an ask
//     state for the waiting frame, a state that runs the next frame's
//     subflow for the others);
//   - its variables are renamed or dropped as the migration says; the
//     others keep their names; a variable this version lacks is dropped,
//     one the session lacks starts at its initial value, and one whose
//     kind changed is an error unless the migration renames or drops it;
//   - a timer of the new state whose key (its delay as written) the
//     session had armed keeps its due time; one the old state had but
//     had fired already stays unarmed (when that can be known: Origin.Flow
//     is at hand, or the file's version is the session's); any other is
//     armed afresh at now, its delay evaluated against the moved
//     variables.
//
// A session that has ended moves its state and variables only, and moves
// as it is when its flow declares no migration from it (a variable whose
// kind changed at its initial value): nothing of it runs again, only its
// outcome is shown. Migrate returns an error wrapping ErrNoMigration when
// a changed frame of a session still waiting has no migration, and a
// plain error when the migration does not fit the session; Origin.Flow,
// when given, is first held to CheckMigration.
func (f *Flow) Migrate(snap *Snapshot, o Origin, now time.Time) (*Snapshot, error) {
	if snap == nil || len(snap.Frames) == 0 {
		return nil, errors.New("migrate: empty snapshot")
	}
	if snap.Flow != f.name {
		return nil, fmt.Errorf("migrate: snapshot is of flow %q, not %q", snap.Flow, f.name)
	}
	out := *snap
	out.Hash = f.hash
	out.Frames = make([]FrameSnapshot, len(snap.Frames))
	waiting := snap.Done == nil && snap.Error == ""
	fl, old := f, o.Flow
	for i, fs := range snap.Frames {
		if i > 0 {
			parent := fl.byName[out.Frames[i-1].State]
			sub := fl.subflow(parent)
			if sub == nil || sub.name != fs.Flow {
				return nil, fmt.Errorf("migrate session %s: state %s of flow %s does not run flow %s any more", snap.ID, parent.name, fl.name, fs.Flow)
			}
			fl = sub
			if old != nil {
				if ost, ok := old.byName[snap.Frames[i-1].State]; ok {
					old = old.subflow(ost)
				} else {
					old = nil
				}
			}
		}
		if fs.Flow != fl.name {
			return nil, fmt.Errorf("migrate session %s: frame %d is of flow %s, not %s", snap.ID, i, fs.Flow, fl.name)
		}
		if fs.Hash == fl.hash {
			out.Frames[i] = fs
			continue
		}
		label := o.Labels[fs.Flow]
		if old != nil && old.name == fs.Flow {
			label = old.version()
		} else {
			old = nil
		}
		var hashes []string
		hashes = append(hashes, fs.Hash)
		if old != nil {
			hashes = append(hashes, old.sourceHash())
		}
		m, ok := fl.file.MigrationFrom(label, hashes...)
		same := false // the file's version is the session's
		if !ok {
			if waiting && (label == "" || label != fl.version()) {
				v := fs.Hash
				if label != "" {
					v = label + " (" + fs.Hash + ")"
				}
				return nil, fmt.Errorf("migrate session %s: flow %s changed since version %s: %w", snap.ID, fl.name, v, ErrNoMigration)
			}
			m, same = &syntax.Migration{From: syntax.Ident{Name: label}}, true
		}
		if old != nil {
			var errs yamlfile.ErrorList
			checkMigration(m, old, fl, &errs)
			if err := errs.Err(); err != nil {
				return nil, fmt.Errorf("migrate session %s: %w", snap.ID, err)
			}
		}
		top := i == len(snap.Frames)-1
		nf, err := migrateFrame(fs, m, fl, old, same, waiting, top, now)
		if err != nil {
			return nil, fmt.Errorf("migrate session %s: flow %s from %s: %w", snap.ID, fl.name, m.From.Name, err)
		}
		out.Frames[i] = nf
	}
	return &out, nil
}

// migrateFrame moves one frame by m onto fl. old is the frame's old flow,
// or nil; same says that fl's file is the session's version of it.
func migrateFrame(fs FrameSnapshot, m *syntax.Migration, fl, old *Flow, same, waiting, top bool, now time.Time) (FrameSnapshot, error) {
	nf := FrameSnapshot{Flow: fl.name, Hash: fl.hash, State: fs.State}
	for _, r := range m.States {
		if r.Old.Name == fs.State {
			nf.State = r.New.Name
		}
	}
	st, ok := fl.byName[nf.State]
	switch {
	case !ok && nf.State == fs.State:
		return nf, fmt.Errorf("the session is at state %s, which the flow no longer has, and the migration does not move it (states: {%s: STATE})", fs.State, fs.State)
	case !ok:
		return nf, fmt.Errorf("state %s: no such state", nf.State)
	case waiting && top && st.kind != syntax.AskState:
		return nf, fmt.Errorf("the session waits at state %s, which is now a %s state", nf.State, st.kind)
	}

	// Variables: renamed ones first claim their targets; the rest keep
	// their names where that name is free.
	vars := make(map[string]any, len(fl.vars))
	renames := map[string]*syntax.Rename{}
	claimed := map[string]bool{}
	for _, r := range m.Vars {
		renames[r.Old.Name] = r
		if r.New.Name != "" {
			claimed[r.New.Name] = true
		}
	}
	carry := func(from, to string, raw any) error {
		ni, ok := fl.varIdx[to]
		if !ok {
			return nil // the flow no longer has it: dropped
		}
		want := fl.vars[ni].kind
		got, ok := value.Of(raw)
		if !ok || !fits(want, got) {
			if !waiting {
				return nil // an ended session's: its initial value will do
			}
			if from == to {
				return fmt.Errorf("variable %s was %s and is now %s: rename it or drop it (vars: {%s: ~})", from, got.Article(), want.Article(), from)
			}
			return fmt.Errorf("variable %s was %s, and %s is %s", from, got.Article(), to, want.Article())
		}
		v, err := value.Coerce(want, raw)
		if err != nil {
			return fmt.Errorf("variable %s: %w", from, err)
		}
		vars[to] = v
		return nil
	}
	for _, name := range sortedKeys(fs.Vars) {
		raw := fs.Vars[name]
		if r, ok := renames[name]; ok {
			if r.New.Name == "" {
				continue
			}
			if err := carry(name, r.New.Name, raw); err != nil {
				return nf, err
			}
			continue
		}
		if claimed[name] {
			continue // another variable was renamed into this name
		}
		if err := carry(name, name, raw); err != nil {
			return nf, err
		}
	}
	for _, v := range fl.vars {
		if _, ok := vars[v.name]; !ok {
			vars[v.name] = copyValue(v.init)
		}
	}
	if len(vars) > 0 {
		nf.Vars = vars
	}
	if !waiting {
		return nf, nil
	}

	// Timers.
	armedKeys := make(map[string]time.Time, len(fs.Timers))
	for _, t := range fs.Timers {
		armedKeys[t.Key] = t.Due
	}
	var oldKeys map[string]bool
	if same {
		old = fl // the same file: the old state's timers are the new one's
	}
	if old != nil {
		if ost, ok := old.byName[fs.State]; ok {
			oldKeys = map[string]bool{}
			for _, t := range ost.timers {
				oldKeys[t.key] = true
			}
		}
	}
	env := make(map[string]any, len(vars)+4)
	for k, v := range vars {
		env[k] = v
	}
	env["policy"], env["now"] = fl.policy, func() time.Time { return now }
	env["input"], env["result"] = emptyMap, emptyMap
	for _, t := range st.timers {
		if due, ok := armedKeys[t.key]; ok {
			nf.Timers = append(nf.Timers, TimerSnapshot{Key: t.key, Due: due})
			continue
		}
		if oldKeys[t.key] {
			continue // it fired in the old version: it stays fired
		}
		var s Session
		v, err := s.eval(&frame{env: env}, t.delay)
		if err != nil {
			return nf, fmt.Errorf("timer %s: %w", t.key, err)
		}
		d, ok := v.(time.Duration)
		if !ok {
			return nf, fmt.Errorf("timer %s: delay is %s, not a duration", t.key, value.Describe(v))
		}
		nf.Timers = append(nf.Timers, TimerSnapshot{Key: t.key, Due: now.Add(d)})
	}
	return nf, nil
}
