package explore

import (
	"slices"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/flowinfo"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/value"
)

// model is what path search and replay know of a flow and the subflows it
// runs, at any depth, read once from the engine's model of each
// (engine.Flow.Info).
type model struct {
	root  *engine.Flow
	flows map[string]*flowModel // by name, the root's included
	// specs are the actions the flows run, each once: their names and
	// outcomes, which is all a scripted run needs of them.
	specs []engine.Spec
	// boolOuts are the bool outputs of each action, by name, in the order
	// its spec declares them.
	boolOuts map[string][]string
	// decisions counts the states where a path decides, of every flow
	// once: run states of actions, and ask states.
	decisions int
	// states counts the states of every flow once: flowModel.ids number
	// them from 0.
	states int
	// allVars makes configuration keys hold every variable, live or not
	// (for tests that hold the live ones to them).
	allVars bool
	// relative says that every flow uses the clock only through distances
	// (flowinfo.Flow.ClockRelative): configuration keys then hold how
	// far Time variables and timers are from the clock, not the clock.
	relative bool
}

type flowModel struct {
	vars   []string // in declaration order
	states map[string]*flowinfo.State
	// ids number the states of every flow the model knows, so that the
	// search counts visits in a slice rather than a map keyed by names.
	ids map[string]int
	// live holds, by state, the indices into vars of the variables that
	// may be read again before they are set, from that state on (see
	// liveVars).
	live map[string][]int
	all  []int  // every index into vars
	time []bool // by index into vars: of kind Time
}

func newModel(root *engine.Flow) *model {
	m := &model{root: root, flows: map[string]*flowModel{}, relative: true, boolOuts: map[string][]string{}}
	known := map[string]bool{}
	var walk func(info *flowinfo.Flow)
	walk = func(info *flowinfo.Flow) {
		if m.flows[info.Name] != nil {
			return
		}
		fm := &flowModel{vars: info.Vars, states: make(map[string]*flowinfo.State, len(info.States)), ids: make(map[string]int, len(info.States))}
		fm.live = liveVars(info)
		for i := range fm.vars {
			fm.all = append(fm.all, i)
			fm.time = append(fm.time, info.Kinds[i] == value.Time)
		}
		m.relative = m.relative && info.ClockRelative
		m.flows[info.Name] = fm
		for i := range info.States {
			st := &info.States[i]
			fm.states[st.Name] = st
			fm.ids[st.Name] = m.states
			m.states++
			switch {
			case st.Subflow != nil:
				walk(st.Subflow)
			case st.Kind == syntax.RunState, st.Kind == syntax.AskState:
				m.decisions++
			}
			if st.Kind == syntax.RunState && st.Subflow == nil && !known[st.Run] {
				known[st.Run] = true
				m.specs = append(m.specs, engine.Spec{Name: st.Run, Outcomes: st.Events})
				for _, o := range st.Outputs {
					if o.Kind == value.Bool {
						m.boolOuts[st.Run] = append(m.boolOuts[st.Run], o.Name)
					}
				}
			}
		}
	}
	walk(root.Info())
	return m
}

// keyVars returns the indices into fm.vars of the variables a
// configuration key holds in state: the live ones, or all of them when the
// model was made to keep every variable.
func (m *model) keyVars(fm *flowModel, state string) []int {
	if m.allVars {
		return fm.all
	}
	return fm.live[state]
}

// state returns the state named state of the flow named flow ("" for the
// root), or nil.
func (m *model) state(flow, state string) *flowinfo.State {
	if flow == "" {
		flow = m.root.Name()
	}
	if fm := m.flows[flow]; fm != nil {
		return fm.states[state]
	}
	return nil
}

// liveVars returns, for each state of a flow, the indices of the variables
// that are live there: that some expression may read, in the state or in a
// state the session may go on to, before a branch sets them. The rest
// cannot decide anything from there on, whatever their values: two
// sessions in the same state that differ only in those go on alike.
//
// A variable is live in a state that reads it (flowinfo.State.Reads: its
// prompt, action parameters, timers, and the guards and assignments of all
// its branches), and in a state with a branch to a state (itself, for a
// branch that stays) where it is live, unless that branch sets it. The
// least solution of those rules is found by iterating to a fixed point.
func liveVars(info *flowinfo.Flow) map[string][]int {
	idx := make(map[string]int, len(info.Vars))
	for i, v := range info.Vars {
		idx[v] = i
	}
	n := len(info.Vars)
	live := make(map[string][]bool, len(info.States))
	for _, s := range info.States {
		l := make([]bool, n)
		for _, v := range s.Reads {
			l[idx[v]] = true
		}
		live[s.Name] = l
	}
	for changed := true; changed; {
		changed = false
		for _, s := range info.States {
			l := live[s.Name]
			flowInto := func(b flowinfo.Branch) {
				to := live[s.Name]
				if b.Target != "" {
					to = live[b.Target]
				}
				for i, on := range to {
					if on && !l[i] && !slices.Contains(b.Sets, info.Vars[i]) {
						l[i], changed = true, true
					}
				}
			}
			eachBranch(&s, flowInto)
		}
	}
	out := make(map[string][]int, len(live))
	for name, l := range live {
		var vs []int
		for i, on := range l {
			if on {
				vs = append(vs, i)
			}
		}
		out[name] = vs
	}
	return out
}

// allOutputs varies every bool output of every action for every outcome:
// what a replay may be asked to give.
func (m *model) allOutputs() map[[2]string][]string {
	vary := map[[2]string][]string{}
	for _, spec := range m.specs {
		for _, o := range spec.Outcomes {
			if outs := m.boolOuts[spec.Name]; len(outs) > 0 {
				vary[[2]string{spec.Name, o}] = outs
			}
		}
	}
	return vary
}

// eachBranch calls fn with every branch of st's handlers and timers.
func eachBranch(st *flowinfo.State, fn func(flowinfo.Branch)) {
	for _, h := range st.Handlers {
		for _, b := range h.Branches {
			fn(b)
		}
	}
	for _, t := range st.Timers {
		for _, b := range t.Handler.Branches {
			fn(b)
		}
	}
}
