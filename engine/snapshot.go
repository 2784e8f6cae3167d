package engine

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/tetherflow/tether/engine/eventlog"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/value"
)

// Snapshot is the compact, serialisable state of a session: enough to
// resume it in this process or another, and nothing secret. Prompt input
// and action results live only for the step that used them and are never
// part of it. Sensitive values are (a ticket the next states need): each
// frame names the variables that hold them, for a store to keep them
// sealed. It marshals to JSON with the value codec (package value), and
// reads back as it was.
type Snapshot struct {
	ID     string            `json:"id"`
	Flow   string            `json:"flow"`
	Hash   string            `json:"hash"`
	Seq    int               `json:"seq"`
	Frames []FrameSnapshot   `json:"frames"`
	Done   *eventlog.Outcome `json:"done,omitempty"`
	Error  string            `json:"error,omitempty"`
	// Shown is when the waiting prompt was shown.
	Shown time.Time `json:"shown,omitzero"`
}

// FrameSnapshot is one flow on the session's stack.
type FrameSnapshot struct {
	Flow   string          `json:"flow"`
	Hash   string          `json:"hash"`
	State  string          `json:"state"`
	Vars   map[string]any  `json:"vars,omitempty"`
	Timers []TimerSnapshot `json:"timers,omitempty"`
	// Sensitive names the variables of Vars that the flow marks
	// sensitive, sorted: what a store keeps sealed and never shows.
	// Snapshot shares it between snapshots: never write into it.
	// Restore does not read it (the flow says which they are), and the
	// JSON form leaves it out.
	Sensitive []string `json:"-"`
}

// TimerSnapshot is an armed timer: its key as written in the flow and when
// it is due.
type TimerSnapshot struct {
	Key string    `json:"after"`
	Due time.Time `json:"due"`
}

// Snapshot captures the session's state. An action the session runs may
// call it too, on the goroutine it was called on: the snapshot then shows
// the session as the action was called, its top frame at the action's
// state with the variables and timers of that moment. Such a snapshot is
// for looking at (the path explorer keys configurations on it); Restore
// refuses it, since the session does not wait at an action.
func (s *Session) Snapshot() *Snapshot {
	snap := new(Snapshot)
	s.SnapshotTo(snap)
	return snap
}

// SnapshotTo is Snapshot into snap, whose frames, variable maps and timer
// lists it reuses: for a caller that looks at many snapshots and keeps
// few. Nothing may hold on to what snap held before.
func (s *Session) SnapshotTo(snap *Snapshot) {
	frames := snap.Frames
	*snap = Snapshot{ID: s.id, Flow: s.root.name, Hash: s.root.hash, Seq: s.seq, Done: s.done, Shown: s.shown}
	if s.err != nil {
		snap.Error = s.err.Error()
	}
	if cap(frames) < len(s.frames) {
		frames = make([]FrameSnapshot, len(s.frames))
	}
	snap.Frames = frames[:len(s.frames)]
	for i, fr := range s.frames {
		fs := &snap.Frames[i]
		vars, timers := fs.Vars, fs.Timers[:0]
		*fs = FrameSnapshot{Flow: fr.flow.name, Hash: fr.flow.hash, State: fr.state.name, Sensitive: fr.flow.sensitiveNames}
		if len(fr.flow.vars) > 0 {
			if vars == nil {
				vars = make(map[string]any, len(fr.flow.vars))
			} else {
				clear(vars)
			}
			for _, v := range fr.flow.vars {
				vars[v.name] = fr.env[v.name] // never written into: set replaces
			}
			fs.Vars = vars
		}
		for _, a := range fr.timers {
			timers = append(timers, TimerSnapshot{Key: a.t.key, Due: a.due})
		}
		if len(timers) > 0 {
			fs.Timers = timers
		}
	}
}

// Restore resumes a session from a snapshot taken of this flow. It refuses,
// with an error wrapping ErrFlowChanged, a snapshot of a flow whose content
// or effective policy has changed since, and rejects snapshots that do not
// fit the flow. Restoring runs nothing: the session waits where it was.
func (f *Flow) Restore(ctx context.Context, snap *Snapshot, p Ports) (_ *Session, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &RunError{Flow: f.name, Msg: "restore: internal error", Err: &PanicError{Value: r, Stack: debug.Stack()}}
		}
	}()
	if snap == nil || len(snap.Frames) == 0 {
		return nil, fmt.Errorf("restore: empty snapshot")
	}
	if snap.Flow != f.name {
		return nil, fmt.Errorf("restore: snapshot is of flow %q, not %q", snap.Flow, f.name)
	}
	if snap.Hash != f.hash {
		return nil, fmt.Errorf("restore session %s of flow %s: %w (snapshot %s, flow now %s)", snap.ID, f.name, ErrFlowChanged, snap.Hash, f.hash)
	}
	p = p.withDefaults()
	s := &Session{id: snap.ID, root: f, ports: p, seq: snap.Seq, done: snap.Done}
	s.beginStep()
	fl := f
	for i, fs := range snap.Frames {
		if i > 0 {
			parent := s.top().state
			sub := fl.subflow(parent)
			if sub == nil || sub.name != fs.Flow {
				return nil, fmt.Errorf("restore: frame %d: flow %s does not run in state %s of %s", i, fs.Flow, parent.name, snap.Frames[i-1].Flow)
			}
			fl = sub
			if fs.Hash != fl.hash {
				return nil, fmt.Errorf("restore session %s: subflow %s: %w", snap.ID, fl.name, ErrFlowChanged)
			}
		}
		st, ok := fl.byName[fs.State]
		if !ok {
			return nil, fmt.Errorf("restore: flow %s has no state %s", fl.name, fs.State)
		}
		vars := make(map[string]any, len(fl.vars)+4)
		for _, v := range fl.vars {
			raw, ok := fs.Vars[v.name]
			if !ok {
				return nil, fmt.Errorf("restore: flow %s: variable %s missing", fl.name, v.name)
			}
			val, err := value.Coerce(v.kind, raw)
			if err != nil {
				return nil, fmt.Errorf("restore: flow %s: variable %s: %w", fl.name, v.name, err)
			}
			vars[v.name] = val
		}
		for name := range fs.Vars {
			if _, ok := fl.varIdx[name]; !ok {
				return nil, fmt.Errorf("restore: flow %s has no variable %s", fl.name, name)
			}
		}
		fr := s.pushEnv(fl, vars)
		fr.state = st
		for _, ts := range fs.Timers {
			var t *ctimer
			for _, c := range st.timers {
				if c.key == ts.Key {
					t = c
				}
			}
			if t == nil {
				return nil, fmt.Errorf("restore: state %s has no timer %q", st.name, ts.Key)
			}
			fr.timers = append(fr.timers, armed{t: t, due: ts.Due})
		}
	}
	if snap.Error != "" {
		s.err = &RunError{Flow: f.name, State: s.top().state.name, Msg: snap.Error}
		return s, nil
	}
	if s.done == nil {
		fr := s.top()
		if fr.state.kind != syntax.AskState {
			return nil, fmt.Errorf("restore: session is in state %s, which does not wait", fr.state.name)
		}
		prompt, err := s.makePrompt(ctx, fr, fr.state)
		if err != nil {
			return nil, err
		}
		s.prompt, s.shown = prompt, snap.Shown
	}
	return s, nil
}
